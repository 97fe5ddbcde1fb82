"""Keyword options -> agn's textual pass pipeline.

`agn.compile(model, levels=["i8", "f32"], thresholds=[0.5], split=2)` runs
`agn-adaptive-pipeline{levels=i8,f32 thresholds=0.5 split=2}`: underscores
become dashes, lists become comma-separated, booleans true/false.
"""

from __future__ import annotations

from typing import Any, Mapping

#: The options of agn-adaptive-pipeline (docs/AGNPasses.md), Python spelling.
ADAPTIVE_OPTIONS = ("ops", "levels", "thresholds", "hysteresis", "statistic", "split",
                    "split_along", "stride", "i4_block_size")


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
    """The `agn-adaptive-pipeline{...}` pipeline text for `options`.

    Raises TypeError for an option the pipeline does not have.
    """
    unknown = sorted(set(options) - set(ADAPTIVE_OPTIONS))
    if unknown:
        raise TypeError(f"unknown agn-adaptive-pipeline option(s) {', '.join(unknown)}; "
                        f"accepted: {', '.join(ADAPTIVE_OPTIONS)}")
    parts = [f"{key.replace('_', '-')}={_format(value)}"
             for key, value in options.items() if value is not None]
    return "agn-adaptive-pipeline" + ("{" + " ".join(parts) + "}" if parts else "")
