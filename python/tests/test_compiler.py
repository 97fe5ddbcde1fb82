"""agn.compile and the C API wrapper: running, errors, the adaptive pipeline
and the runtime it reports to."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest

import agn
from agn import runtime
from conftest import REPO_DIR, requires_compiler
from onnx_builders import single_node

pytestmark = requires_compiler

ADD = """
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %e = tensor.empty() : tensor<2x3xf32>
  %r = linalg.add ins(%a, %b : tensor<2x3xf32>, tensor<2x3xf32>)
                  outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}
"""


def test_compile_and_run_mlir_text():
    model = agn.compile(ADD)
    assert [s.shape for s in model.inputs] == [(2, 3), (2, 3)]
    assert model.outputs[0].dtype == np.float32
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(model(a, a), 2 * a)
    assert "func.func @main" in model.ir
    assert "CompiledModel" in repr(model)
    model.close()
    with pytest.raises(ValueError, match="closed"):
        model(a, a)


STAGES = ["lowering", "translation to LLVM IR", "LLVM optimization", "machine code"]


def test_compile_seconds_name_each_stage():
    plain = agn.compile(ADD)
    assert list(plain.compile_seconds) == STAGES
    adaptive = agn.compile(ADD, levels=["i8", "f32"])
    assert list(adaptive.compile_seconds) == ["agn passes"] + STAGES
    assert all(seconds >= 0 for seconds in adaptive.compile_seconds.values())


def _compile_progress(setting, code=f"import agn; agn.compile({ADD!r}, levels=['i8', 'f32'])"):
    """Standard error of a process that runs `code` (by default: compiles
    ADD adaptively), with AGN_PROGRESS=`setting` (None: unset); its stderr
    is a pipe, not a terminal."""
    env = {k: v for k, v in os.environ.items() if k != "AGN_PROGRESS"}
    if setting is not None:
        env["AGN_PROGRESS"] = setting
    # Bytes: text mode would turn the status line's carriage returns into
    # newlines.
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          check=True).stderr.decode()


def test_progress_is_quiet_unless_on_a_terminal_or_asked_for():
    assert _compile_progress(None) == ""
    assert _compile_progress("0") == ""
    shown = _compile_progress("1")
    # The status line names each stage as it starts (redrawn in place), then
    # gives way to the summary.
    assert "agn: [1/5] agn passes" in shown
    assert "agn: [5/5] machine code" in shown
    summary = shown.split("\r")[-1]
    assert summary.startswith("\033[Kagn: compiled in ")
    for stage in ["agn passes"] + STAGES:
        assert stage in summary
    assert summary.endswith(")\n")


def test_a_failed_compile_clears_the_status_line_without_a_summary():
    # shape.shape_of does not lower: the compile fails in its lowering stage.
    unlowerable = """
func.func @main(%a: tensor<2xf32>) -> tensor<1xindex> {
  %s = shape.shape_of %a : tensor<2xf32> -> tensor<1xindex>
  return %s : tensor<1xindex>
}
"""
    code = ("import agn\ntry:\n    agn.compile(" + repr(unlowerable)
            + ")\nexcept agn.CompileError:\n    pass")
    shown = _compile_progress("1", code)
    assert "agn: [1/4] lowering" in shown
    assert shown.endswith("\r\033[K")
    assert "compiled in" not in shown


def test_bad_mlir_is_a_compile_error():
    with pytest.raises(agn.CompileError) as info:
        agn.compile("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n  return %b")
    assert "error" in str(info.value)


def test_bad_pipeline_is_a_compile_error():
    with pytest.raises(agn.CompileError):
        agn.compile(ADD, passes="no-such-pass")


def test_argument_checks():
    model = agn.compile(ADD)
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"input 'input1' must have shape \[2, 3\]"):
        model(a, np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="takes 2 input"):
        model(a)
    with pytest.raises(TypeError, match="dtype float32"):
        model(a, np.zeros((2, 3), np.complex64))
    # Same-kind casts are fine (float64 -> float32).
    np.testing.assert_array_equal(model(a, np.ones((2, 3))), np.ones((2, 3), np.float32))


MATMUL = """
func.func @main(%a: tensor<8x64xf32>, %b: tensor<64x128xf32>) -> tensor<8x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x128xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x128xf32>) -> tensor<8x128xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x64xf32>, tensor<64x128xf32>)
                     outs(%f : tensor<8x128xf32>) -> tensor<8x128xf32>
  return %r : tensor<8x128xf32>
}
"""


def test_threads_give_the_same_bits():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((8, 64)).astype(np.float32)
    b = rng.standard_normal((64, 128)).astype(np.float32)
    one = agn.compile(MATMUL)(a, b)
    two = agn.compile(MATMUL, threads=2)(a, b)
    np.testing.assert_array_equal(one, two)
    # Against float64: f32 rounding of 64-term sums of products.
    reference = a.astype(np.float64) @ b.astype(np.float64)
    gamma = 64 * 2.0**-24 / (1 - 64 * 2.0**-24)
    bound = gamma * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
    assert np.all(np.abs(two - reference) <= bound)


def test_freeing_a_threaded_model_leaves_the_others_running():
    """Parallel loops run on a process-wide runtime (libomp; MLIR's async
    runtime before, which freeing one model compiled with threads > 1 used
    to reset under every other such model: the next call died of SIGSEGV).
    Freeing one must leave the others running."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal((8, 64)).astype(np.float32)
    b = rng.standard_normal((64, 128)).astype(np.float32)
    kept = agn.compile(MATMUL, threads=2)
    expected = kept(a, b)
    freed = agn.compile(MATMUL, threads=2)
    np.testing.assert_array_equal(freed(a, b), expected)
    freed.close()
    np.testing.assert_array_equal(kept(a, b), expected)
    np.testing.assert_array_equal(agn.compile(MATMUL, threads=2)(a, b), expected)


def test_threads_must_be_positive():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads must be an integer"):
            agn.compile(MATMUL, threads=bad)
    # The C API checks too.
    from agn import compiler
    lib = compiler._capi()
    assert not lib.agn_model_compile_threads(MATMUL.encode(), None, None, 0)
    assert lib.agn_last_error() == b"agn_model_compile_threads: threads must be at least 1, got 0"


def test_option_conflicts():
    with pytest.raises(TypeError, match="either 'passes'"):
        agn.compile(ADD, passes="canonicalize", levels=["i8", "f32"])
    with pytest.raises(TypeError, match="unknown agn-adaptive-pipeline option"):
        agn.compile(ADD, level="i8")


def test_onnx_path_keeps_onnx_dtypes(tmp_path):
    a = np.array([250, 3], np.uint8)
    path = tmp_path / "add.onnx"
    onnx.save(single_node("Add", {"a": a, "b": a}), path)
    model = agn.compile(str(path))
    assert model.inputs[0].dtype == np.uint8 and model.inputs[0].name == "a"
    np.testing.assert_array_equal(model(a, a), (a + a).astype(np.uint8))


def test_adaptive_pipeline_and_runtime():
    mlp = os.path.join(REPO_DIR, "examples", "mlp.mlir")
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(np.float32)
            for s in [(16, 64), (64, 128), (128,), (128, 10), (10,)]]
    reference = agn.compile(mlp)(*args)
    model = agn.compile(mlp, levels=["i8", "f32"], thresholds=[1e9])  # always i8
    assert "agn.unit" in model.ir
    y = model(*args)
    # i8 with per-row / per-channel scales: about 1% relative error here.
    assert np.linalg.norm(y - reference) / np.linalg.norm(reference) < 0.03
    units = [u for u in runtime.units() if sum(u["granted"].values())]
    assert units, "the units registered with the runtime and were arbitrated"
    before = {u["name"]: u["granted"]["i8"] for u in units}
    try:
        runtime.set_max_level("i8")
        model(*args)
    finally:
        runtime.reset_policies()
    after = {u["name"]: runtime.unit_stats(u["name"])["granted"]["i8"] for u in units}
    assert any(after[n] > before[n] for n in before)
    assert any(u["name"] in runtime.telemetry_json() for u in units)


def test_every_call_is_one_inference_for_the_latency_policy():
    """agn_model_run marks each call as an inference, whose wall time the
    runtime's latency policy (`latency_target`) reads; it was never marked
    for JIT models (found by the soak, python -m agn.testing.soak)."""
    from agn import runtime
    rng = np.random.default_rng(5)
    a = rng.standard_normal((8, 64)).astype(np.float32)
    b = rng.standard_normal((64, 128)).astype(np.float32)
    model = agn.compile(MATMUL)
    before = runtime.stats()["inferences"]
    for _ in range(3):
        model(a, b)
    stats = runtime.stats()
    assert stats["inferences"] == before + 3
    assert stats["inference_ema_ns"] > 0
