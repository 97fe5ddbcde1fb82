"""agn.compile(..., target="cuda"): the model's contractions compiled to
NVIDIA GPU kernels run through libagn_gpu_runtime. These tests need no GPU
and no CUDA toolkit: the kernels are embedded as PTX (gpu_format="isa"),
and calls run where no driver is usable, which must raise agn's usual
RuntimeError with the GPU runtime's reason.

The GPU runtime loads the driver once per process (reading AGN_LIBCUDA
then) and keeps the outcome, so everything that touches it runs in a
subprocess of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import agn
from agn.compiler import _capi, _last_error
from conftest import PYTHON_DIR, REPO_DIR, requires_compiler
from onnx_builders import single_node

pytestmark = requires_compiler

MLP = os.path.join(REPO_DIR, "examples", "mlp.mlir")
CUDA_STUB = os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "lib64", "stubs",
                         "libcuda.so")

MATMUL = """
func.func @main(%a: tensor<16x32xf32>, %b: tensor<32x8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  %r = linalg.matmul ins(%a, %b : tensor<16x32xf32>, tensor<32x8xf32>)
                     outs(%c : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}
"""


def run_with_driver(libcuda: str, code: str) -> dict:
    """Runs `code` in a fresh process with AGN_LIBCUDA=`libcuda`; `code`
    prints one JSON object on its last line, which is returned."""
    env = dict(os.environ, AGN_LIBCUDA=libcuda)
    env["PYTHONPATH"] = os.pathsep.join(
        [PYTHON_DIR] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


CALL_MLP = f"""
import json, numpy as np, agn
model = agn.compile({MLP!r}, target="cuda", gpu_format="isa")
rng = np.random.default_rng(0)
args = [rng.standard_normal(s).astype(np.float32)
        for s in [(16, 64), (64, 128), (128,), (128, 10), (10,)]]
try:
    model(*args)
    outcome = {{"raised": None, "message": ""}}
except Exception as error:
    outcome = {{"raised": type(error).__name__, "message": str(error)}}
outcome["runs_on_gpu"] = model.runs_on_gpu
print(json.dumps(outcome))
"""


def test_a_cuda_model_compiles_without_a_gpu_or_toolkit():
    model = agn.compile(MLP, target="cuda", gpu_format="isa")
    assert model.runs_on_gpu
    # The signature is the entry function's, as on the CPU.
    assert [s.shape for s in model.inputs] == [(16, 64), (64, 128), (128,), (128, 10), (10,)]
    assert [s.shape for s in model.outputs] == [(16, 10)]
    assert "func.func" in model.ir
    gpu = agn.compile_mlir(MATMUL, target="cuda", gpu_chip="sm_90", gpu_format="isa")
    assert gpu.runs_on_gpu


def test_a_call_without_a_driver_raises_the_runtime_reason(tmp_path):
    missing = str(tmp_path / "no-such-libcuda.so")
    outcome = run_with_driver(missing, CALL_MLP)
    assert outcome["runs_on_gpu"]
    assert outcome["raised"] == "RuntimeError"
    message = outcome["message"]
    assert message.startswith("agn: running the model failed: the model's GPU kernels did "
                              "not run: agn-gpu: CUDA driver not available: ")
    assert "no-such-libcuda.so" in message and "AGN_LIBCUDA" in message


@pytest.mark.skipif(not os.path.exists(CUDA_STUB), reason=f"no CUDA stub driver at {CUDA_STUB}")
def test_a_call_with_the_toolkit_stub_driver_raises_cuinit_failure():
    outcome = run_with_driver(CUDA_STUB, CALL_MLP)
    assert outcome["raised"] == "RuntimeError"
    assert ("the model's GPU kernels did not run: agn-gpu: cuInit failed: "
            "CUDA_ERROR_STUB_LIBRARY (34)") in outcome["message"]


def test_gpu_available_says_why_not(tmp_path):
    missing = str(tmp_path / "no-such-libcuda.so")
    outcome = run_with_driver(
        missing, "import json, agn; print(json.dumps(list(agn.gpu_available())))")
    available, reason = outcome
    assert available is False
    assert reason.startswith("agn-gpu: CUDA driver not available: ")
    assert "AGN_LIBCUDA" in reason


def test_wrong_targets_and_cpu_only_options_are_refused():
    with pytest.raises(ValueError, match=r"target must be one of 'cpu', 'cuda', got 'tpu'"):
        agn.compile(MATMUL, target="tpu")
    for options in ({"threads": 2}, {"profile": True}):
        with pytest.raises(ValueError, match="the kernels run on the GPU"):
            agn.compile(MATMUL, target="cuda", gpu_format="isa", **options)
    with pytest.raises(agn.CompileError, match=r"'.*format=ptx.*': a value is not one the "
                       r"option takes \(format: fatbin, bin, isa or llvm\)"):
        agn.compile(MATMUL, target="cuda", gpu_format="ptx")
    with pytest.raises(ValueError, match="gpu_format must be one word"):
        agn.compile(MATMUL, target="cuda", gpu_format="isa chip=sm_90")
    with pytest.raises(ValueError, match="gpu_chip must name an NVIDIA GPU"):
        agn.compile(MATMUL, target="cuda", gpu_chip="sm_90 format=llvm")


def test_the_c_api_names_a_bad_option():
    lib = _capi()
    text = MATMUL.encode()
    assert not lib.agn_model_compile_gpu(text, None, None, b"chip=sm_90 bogus=1")
    assert _last_error() == ("bad agn-lower-to-nvvm-pipeline options 'chip=sm_90 bogus=1': "
                             "<Pass-Options-Parser>: no such option bogus")
    assert not lib.agn_model_compile_gpu(text, None, None, b"format=nope")
    assert _last_error() == ("bad agn-lower-to-nvvm-pipeline options 'format=nope': a value "
                             "is not one the option takes (format: fatbin, bin, isa or llvm)")
    assert not lib.agn_model_compile_gpu(None, None, None, None)
    assert _last_error() == "agn_model_compile_gpu: mlir_text is NULL"
    assert lib.agn_model_runs_on_gpu(None) == 0


def test_a_cpu_compile_is_unaffected():
    model = agn.compile(MATMUL, target="cpu")
    assert not model.runs_on_gpu
    rng = np.random.default_rng(1)
    a = rng.standard_normal((16, 32)).astype(np.float32)
    b = rng.standard_normal((32, 8)).astype(np.float32)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    # Within the rounding bound of a K-term f32 sum, in any order:
    # gamma_K sum |a| |b|, gamma_K = K u / (1 - K u), u = 2^-24.
    k, u = 32, 2.0 ** -24
    bound = k * u / (1 - k * u) * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
    assert np.all(np.abs(model(a, b) - expected) <= bound)
    # The default target is the CPU, with its options.
    assert not agn.compile(MLP, threads=2).runs_on_gpu


def test_an_onnx_model_compiles_for_cuda():
    rng = np.random.default_rng(2)
    proto = single_node("MatMul", {"x": np.zeros((4, 16), np.float32)},
                        initializers={"w": rng.standard_normal((16, 8)).astype(np.float32)},
                        output_shapes=[(4, 8)])
    model = agn.compile(proto, target="cuda", gpu_format="isa")
    assert model.runs_on_gpu
    assert [s.name for s in model.inputs] == ["x"]
    assert [s.shape for s in model.outputs] == [(4, 8)]
