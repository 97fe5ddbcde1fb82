"""Facts the package reads from agn's libraries instead of copying them:
the precision levels (runtime) and the pass pipelines' options (compiler)."""

from __future__ import annotations

import ctypes
import re
import subprocess

import pytest

from conftest import agn_opt_path, requires_agn_opt, requires_compiler, requires_runtime

import agn
from agn import _library, pipeline, runtime


# -- Levels -------------------------------------------------------------------


@requires_runtime
def test_levels_come_from_the_runtime():
    lib = _library.load(_library.RUNTIME_LIBRARY)
    lib.agn_rt_level_name.restype = ctypes.c_char_p
    lib.agn_rt_level_name.argtypes = [ctypes.c_int64]
    expected = []
    while lib.agn_rt_level_name(len(expected)) != b"invalid":
        expected.append(lib.agn_rt_level_name(len(expected)).decode())
    assert agn.levels() == tuple(expected)
    assert agn.levels() == ("i4", "i8", "bf16", "f16", "f32")
    assert agn.runtime.LEVELS == agn.levels()
    assert runtime.level_index("bf16") == 2
    assert runtime.level_name(4) == "f32" and runtime.level_name(-1) is None


@requires_runtime
def test_copies_for_code_without_the_libraries_agree_with_the_runtime():
    # Training and the ONNX importer's checks run without agn built, so they
    # keep a copy; it must say what the runtime says.
    assert runtime.FALLBACK_LEVELS == agn.levels()
    assert set(runtime.LEVEL_BITS) == set(agn.levels())
    assert runtime.known_levels() == agn.levels()
    # The agn_rt_unit_stats arrays are sized by macros ctypes cannot read.
    assert runtime._NUM_LEVELS == len(agn.levels())
    assert runtime._NUM_REASONS == len(runtime.reasons())
    assert runtime.reasons()[:3] == ("none", "pin", "max_level")


@requires_runtime
def test_training_levels_agree_with_the_runtime():
    pytest.importorskip("torch")
    from agn.training import BITS, LEVELS

    assert LEVELS == agn.levels()
    assert set(BITS) == set(agn.levels())


def test_known_levels_without_the_libraries(monkeypatch):
    monkeypatch.setattr(_library, "available", lambda name: False)
    assert runtime.known_levels() == runtime.FALLBACK_LEVELS


def test_policy_checks_use_the_known_levels(monkeypatch):
    pytest.importorskip("onnx")
    from agn.onnx.context import OnnxImportError, UnitPolicy
    from agn.onnx.policy import validate_policy

    import agn.onnx.policy as policy

    monkeypatch.setattr(policy, "known_levels", lambda: ("lo", "hi"))
    validate_policy("n", UnitPolicy(["lo", "hi"], [0.5]))
    with pytest.raises(OnnxImportError, match="expected one of lo, hi"):
        validate_policy("n", UnitPolicy(["i8", "f32"], [0.5]))


# -- Pipeline options ---------------------------------------------------------


@requires_compiler
def test_pipelines_and_their_options_come_from_the_compiler():
    assert pipeline.pipelines() == ("agn-adaptive-pipeline", "agn-lower-to-llvm-pipeline",
                                    "agn-lower-to-nvvm-pipeline")
    adaptive = agn.pipeline_options()
    assert list(adaptive) == sorted(adaptive)
    assert {"levels", "thresholds", "split-along", "i4-block-size"} <= set(adaptive)
    assert "precision levels" in adaptive["levels"]
    lower = agn.pipeline_options("agn-lower-to-llvm-pipeline")
    assert {"vectorize", "target-cpu", "target-features", "threads"} <= set(lower)
    assert all(description and "\t" not in description for description in lower.values())
    gpu = agn.pipeline_options("agn-lower-to-nvvm-pipeline")
    assert {"chip", "features", "format", "simt-tile-sizes", "mma-tile-sizes"} <= set(gpu)


@requires_compiler
def test_unknown_pipeline():
    with pytest.raises(ValueError, match="unknown pass pipeline 'agn-nope'; known: "
                                         "agn-adaptive-pipeline, agn-lower-to-llvm-pipeline, "
                                         "agn-lower-to-nvvm-pipeline"):
        agn.pipeline_options("agn-nope")
    from agn.compiler import _capi, _last_error

    assert _capi().agn_pipeline_options(None) is None
    assert "pipeline is NULL" in _last_error()


@requires_compiler
def test_adaptive_pipeline_checks_the_library_list():
    accepted = [name.replace("-", "_") for name in agn.pipeline_options()]
    with pytest.raises(TypeError) as error:
        agn.adaptive_pipeline({"level": "i8", "split_along": "rows"})
    assert str(error.value) == ("unknown agn-adaptive-pipeline option(s) level; accepted: "
                                + ", ".join(accepted))
    # Every option the library lists is accepted, in Python spelling.
    text = agn.adaptive_pipeline({name: None for name in accepted})
    assert text == "agn-adaptive-pipeline"


def _help_options(help_text: str, pipeline_name: str):
    """The option names agn-opt --help lists under `--<pipeline_name>`."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if re.match(rf"\s+--{re.escape(pipeline_name)}\b", line))
    indent = len(lines[start]) - len(lines[start].lstrip())
    names = []
    for line in lines[start + 1:]:
        stripped = line.lstrip()
        if stripped.startswith("="):
            continue  # the values of an enumerated option (printed unindented)
        if len(line) - len(stripped) <= indent:
            break
        match = re.match(r"--([\w-]+)(?:=|\s)", stripped)
        if match:
            names.append(match.group(1))
    return names


@requires_compiler
@requires_agn_opt
@pytest.mark.parametrize("name", ["agn-adaptive-pipeline", "agn-lower-to-llvm-pipeline",
                                  "agn-lower-to-nvvm-pipeline"])
def test_options_match_the_registered_pipeline(name):
    # agn-opt --help prints what PassPipelineRegistration registered.
    help_text = subprocess.run([agn_opt_path(), "--help"], check=True, capture_output=True,
                               text=True).stdout
    assert _help_options(help_text, name) == list(agn.pipeline_options(name))
