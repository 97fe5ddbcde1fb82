"""Keyword options -> agn's textual pass pipeline.

`agn.compile(model, levels=["i8", "f32"], thresholds=[0.5], split=2)` runs
`agn-adaptive-pipeline{levels=i8,f32 thresholds=0.5 split=2}`: underscores
become dashes, lists become comma-separated, booleans true/false.

The options a pipeline accepts are not copied here: `pipeline_options` reads
them from the compiler library (agn_pipeline_options in agn-c/Compiler.h),
which lists the options struct the pipeline itself parses.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Mapping, Tuple

#: The pipeline that `agn.compile`'s keyword options configure.
ADAPTIVE_PIPELINE = "agn-adaptive-pipeline"
#: The pipeline that lowers every compiled module for this CPU.
LOWER_TO_LLVM_PIPELINE = "agn-lower-to-llvm-pipeline"


@functools.lru_cache(maxsize=None)
def pipelines() -> Tuple[str, ...]:
    """The pass pipelines whose options the compiler library describes."""
    from agn.compiler import _capi

    return tuple((_capi().agn_pipelines() or b"").decode("utf-8").splitlines())


@functools.lru_cache(maxsize=None)
def _options(pipeline: str) -> Tuple[Tuple[str, str], ...]:
    from agn.compiler import _capi, _last_error

    text = _capi().agn_pipeline_options(pipeline.encode("utf-8"))
    if text is None:
        raise ValueError(_last_error())
    lines = (line.partition("\t") for line in text.decode("utf-8").splitlines())
    return tuple((name, description) for name, _, description in lines)


def pipeline_options(pipeline: str = ADAPTIVE_PIPELINE) -> Dict[str, str]:
    """The options of the registered pass pipeline `pipeline`, as the
    pipeline text spells them ("i4-block-size"), by name, with their
    descriptions; read from libAGNCAPI.so once per process.

    Raises ValueError for a pipeline the library does not know, and
    LibraryNotFoundError when the library is not built or installed.
    """
    return dict(_options(pipeline))


def _python_name(option: str) -> str:
    return option.replace("-", "_")


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_format(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if any(c in text for c in " {}"):
        raise ValueError(f"option value {text!r} may not contain blanks or braces")
    return text


def adaptive_pipeline(options: Mapping[str, Any]) -> str:
    """The `agn-adaptive-pipeline{...}` pipeline text for `options` (Python
    spelling: `split_along=` for `split-along`).

    Raises TypeError for an option the pipeline does not have (checked
    against the library's list, `pipeline_options()`).
    """
    accepted = [_python_name(option) for option in pipeline_options(ADAPTIVE_PIPELINE)]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(f"unknown {ADAPTIVE_PIPELINE} option(s) {', '.join(unknown)}; "
                        f"accepted: {', '.join(accepted)}")
    parts = [f"{key.replace('_', '-')}={_format(value)}"
             for key, value in options.items() if value is not None]
    return ADAPTIVE_PIPELINE + ("{" + " ".join(parts) + "}" if parts else "")
