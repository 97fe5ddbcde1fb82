"""agn from Python: import ONNX, compile with agn, run, steer the runtime,
and train with the granularity penalty.

    import agn
    text = agn.import_onnx("model.onnx")                 # MLIR text
    model = agn.compile("model.onnx")                    # plain f32
    model = agn.compile("model.onnx", levels=["i8", "f32"], thresholds=[0.5])
    y = model(x)                                         # NumPy in, NumPy out
    model = agn.compile("model.onnx", target="cuda")     # kernels on a GPU
    agn.gpu_available()                                  # (ok, reason)
    agn.runtime.set_max_level("i8")                      # policies
    agn.runtime.telemetry()                              # decisions per unit

Training lives in `agn.training` (needs torch); the ONNX importer in
`agn.onnx` (needs onnx); the compiler and runtime need agn's shared
libraries, `libagn_runtime.so` and `libAGNCAPI.so` (`scripts/build.sh`, or
`cmake --install`). They are looked up in `$AGN_LIBRARY_DIR`, the package's
own `agn/lib/`, the `lib/` of the prefix it is installed in, `sys.prefix/lib`
and last a source checkout's `build/lib` (`agn._library` says more).

Facts about agn come from the libraries: `agn.levels()` (the precision
levels, from the runtime) and `agn.pipeline_options()` (the options of
agn-adaptive-pipeline, from the compiler).
"""

from __future__ import annotations

from typing import Any

from agn import runtime
from agn.compiler import (CompileError, CompiledModel, TensorSpec, compile, compile_mlir,
                          gpu_available, gpu_clear_error)
from agn.pipeline import adaptive_pipeline, pipeline_options
from agn.runtime import levels

__all__ = [
    "CompileError",
    "CompiledModel",
    "TensorSpec",
    "adaptive_pipeline",
    "compile",
    "compile_mlir",
    "gpu_available",
    "gpu_clear_error",
    "import_onnx",
    "levels",
    "pipeline_options",
    "runtime",
]

__version__ = "0.1.0"


def import_onnx(model: Any, **options: Any) -> str:
    """Imports an ONNX model (path or ModelProto) to MLIR text; see
    `agn.onnx.import_onnx` for the options."""
    from agn.onnx import import_onnx as _import_onnx

    return _import_onnx(model, **options)
