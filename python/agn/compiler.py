"""Compile a model with agn and call it on NumPy arrays.

A ctypes layer over `include/agn-c/Compiler.h` (libAGNCAPI.so): the module
is run through a pass pipeline (agn's adaptive pipeline, or none for plain
f32), JIT-compiled for this CPU (or, with target="cuda", its contractions
compiled to NVIDIA GPU kernels run through libagn_gpu_runtime), and wrapped
in a callable.

    import agn, numpy as np
    model = agn.compile("model.onnx", levels=["i8", "f32"], thresholds=[0.5])
    y = model(np.zeros((1, 64), np.float32))
    print(model.ir)          # the IR after the pipeline: units, versions
    gpu = agn.compile("model.onnx", target="cuda", gpu_chip="sm_90")
    agn.gpu_available()      # (True, "") where a CUDA device is usable
"""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from agn import _library, runtime
from agn.pipeline import adaptive_pipeline

MAX_RANK = 8

#: What `target` may name: this CPU, or NVIDIA GPUs.
TARGETS = ("cpu", "cuda")

_DTYPES = {"<f4": np.float32, "<f8": np.float64, "<f2": np.float16, "<i8": np.int64,
           "<i4": np.int32, "|i1": np.int8, "|b1": np.bool_}


class CompileError(RuntimeError):
    """agn could not compile the module; the message holds its diagnostics."""


@dataclass(frozen=True)
class TensorSpec:
    """An argument or result of a compiled model's entry function."""

    name: str
    shape: Tuple[int, ...]  # -1 for a dynamic dimension
    dtype: np.dtype


_lib: Optional[ctypes.CDLL] = None


def _capi() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        lib = _library.load(_library.COMPILER_LIBRARY)
        vp, i64, cp = ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p
        p_i64 = ctypes.POINTER(ctypes.c_int64)
        signatures = {
            "agn_model_compile": (vp, [cp, cp, cp]),
            "agn_model_compile_threads": (vp, [cp, cp, cp, i64]),
            "agn_model_compile_options": (vp, [cp, cp, cp, cp]),
            "agn_model_compile_gpu": (vp, [cp, cp, cp, cp]),
            "agn_model_runs_on_gpu": (ctypes.c_int, [vp]),
            "agn_last_error": (cp, []),
            "agn_model_destroy": (None, [vp]),
            "agn_model_num_inputs": (i64, [vp]),
            "agn_model_num_results": (i64, [vp]),
            "agn_model_input": (i64, [vp, i64, p_i64, p_i64, ctypes.POINTER(cp)]),
            "agn_model_result": (i64, [vp, i64, p_i64, p_i64, ctypes.POINTER(cp)]),
            "agn_model_ir": (cp, [vp]),
            "agn_model_num_compile_stages": (i64, [vp]),
            "agn_model_compile_stage": (cp, [vp, i64, ctypes.POINTER(ctypes.c_double)]),
            "agn_model_run": (i64, [vp, ctypes.POINTER(vp), p_i64, ctypes.POINTER(vp),
                                    p_i64]),
            "agn_buffer_free": (None, [vp]),
            "agn_pipelines": (cp, []),
            "agn_pipeline_options": (cp, [cp]),
            # libagn_gpu_runtime.so's (include/agn-c/GpuRuntime.h), found
            # through libAGNCAPI.so, which links it.
            "agn_gpu_available": (ctypes.c_int, []),
            "agn_gpu_unavailable_reason": (cp, []),
            "agn_gpu_clear_error": (None, []),
        }
        _lib = _library.declare(lib, signatures)
    return _lib


def _last_error() -> str:
    return (_capi().agn_last_error() or b"").decode("utf-8", "replace")


def _is_word(text: Any) -> bool:
    """Whether `text` is a non-empty string of letters, digits and '_'."""
    return isinstance(text, str) and bool(text) and all(c.isalnum() or c == "_" for c in text)


def gpu_available() -> Tuple[bool, str]:
    """Whether a model compiled with target="cuda" can run its kernels here:
    (True, "") when the GPU runtime finds a usable CUDA device, else (False,
    the reason, "agn-gpu: ..."). The runtime loads the driver (libcuda.so.1,
    or the file $AGN_LIBCUDA names) on the first GPU query or call of the
    process and keeps the answer, so set AGN_LIBCUDA before that."""
    lib = _capi()
    if lib.agn_gpu_available():
        return True, ""
    return False, (lib.agn_gpu_unavailable_reason() or b"").decode("utf-8", "replace")


def gpu_clear_error() -> None:
    """Clears the GPU runtime's sticky error (one failed GPU call fails every
    later one, of every model, until then), e.g. after an allocation that did
    not fit. A driver that could not be loaded stays an error."""
    _capi().agn_gpu_clear_error()


class CompiledModel:
    """A JIT-compiled model. Call it with one NumPy array per argument; it
    returns one array, or a tuple when the entry function has several
    results. Safe to share between threads (calls are serialised)."""

    def __init__(self, handle: int, input_names: Sequence[str] = (),
                 input_dtypes: Sequence[Optional[np.dtype]] = (),
                 output_names: Sequence[str] = (),
                 output_dtypes: Sequence[Optional[np.dtype]] = ()) -> None:
        self._handle = ctypes.c_void_p(handle)
        self._lock = threading.Lock()
        #: The model's name in the runtime's profile, when compiled with
        #: profile=True (else None).
        self.profile_name: Optional[str] = None
        lib = _capi()
        self.inputs = self._describe(lib.agn_model_input, lib.agn_model_num_inputs(handle),
                                     input_names, input_dtypes, "input")
        self.outputs = self._describe(lib.agn_model_result,
                                      lib.agn_model_num_results(handle), output_names,
                                      output_dtypes, "output")

    def _describe(self, query, count: int, names: Sequence[str],
                  dtypes: Sequence[Optional[np.dtype]], kind: str) -> List[TensorSpec]:
        specs = []
        for i in range(count):
            rank = ctypes.c_int64()
            shape = (ctypes.c_int64 * MAX_RANK)()
            dtype = ctypes.c_char_p()
            if query(self._handle, i, ctypes.byref(rank), shape, ctypes.byref(dtype)) < 0:
                raise CompileError(_last_error())
            native = np.dtype(_DTYPES[dtype.value.decode()])
            wanted = dtypes[i] if i < len(dtypes) and dtypes[i] is not None else native
            if np.dtype(wanted).itemsize != native.itemsize:
                wanted = native
            name = names[i] if i < len(names) else f"{kind}{i}"
            specs.append(TensorSpec(name, tuple(shape[d] for d in range(rank.value)),
                                    np.dtype(wanted)))
        return specs

    def profile(self) -> "runtime.Profile":
        """The time this model's calls spent in each unit at each level and
        in each costly op around the units, so far (compile with
        profile=True). `print(model.profile())` prints the table;
        `.write_trace(path)` writes a Chrome trace."""
        if self.profile_name is None:
            raise RuntimeError("this model was compiled without profile=True")
        return runtime.profile(self.profile_name)

    @property
    def runs_on_gpu(self) -> bool:
        """Whether the model runs kernels on a GPU (compiled with
        target="cuda" and holding contractions to put there)."""
        self._check_open()
        return bool(_capi().agn_model_runs_on_gpu(self._handle))

    @property
    def ir(self) -> str:
        """The module after the pass pipeline, before lowering."""
        self._check_open()
        return (_capi().agn_model_ir(self._handle) or b"").decode("utf-8")

    @property
    def compile_seconds(self) -> Dict[str, float]:
        """Where the compilation's time went: seconds per stage, in order
        (agn passes, lowering, translation to LLVM IR, LLVM optimization,
        machine code)."""
        self._check_open()
        lib = _capi()
        stages = {}
        for index in range(lib.agn_model_num_compile_stages(self._handle)):
            seconds = ctypes.c_double()
            name = lib.agn_model_compile_stage(self._handle, index, ctypes.byref(seconds))
            stages[name.decode()] = seconds.value
        return stages

    def _check_open(self) -> None:
        if not self._handle:
            raise ValueError("the model has been closed")

    def run(self, *arrays: Any) -> Tuple[np.ndarray, ...]:
        """Calls the entry function; always returns a tuple of results.
        Raises RuntimeError with agn's message when the call fails, e.g.
        when a GPU model's kernels could not run (no driver, no device: the
        GPU runtime's "agn-gpu: ..." reason)."""
        self._check_open()
        if len(arrays) != len(self.inputs):
            raise ValueError(f"the model takes {len(self.inputs)} input(s) "
                             f"({', '.join(s.name for s in self.inputs)}), got {len(arrays)}")
        lib = _capi()
        n_in, n_out = len(self.inputs), len(self.outputs)
        keep: List[np.ndarray] = []
        pointers = (ctypes.c_void_p * max(n_in, 1))()
        shapes = (ctypes.c_int64 * (max(n_in, 1) * MAX_RANK))()
        for i, (array, spec) in enumerate(zip(arrays, self.inputs)):
            array = self._convert(array, spec)
            keep.append(array)
            pointers[i] = array.ctypes.data
            for d, size in enumerate(array.shape):
                shapes[i * MAX_RANK + d] = size
        results = (ctypes.c_void_p * max(n_out, 1))()
        result_shapes = (ctypes.c_int64 * (max(n_out, 1) * MAX_RANK))()
        with self._lock:
            status = lib.agn_model_run(self._handle, pointers, shapes, results, result_shapes)
        if status < 0:
            raise RuntimeError(f"agn: running the model failed: {_last_error()}")
        outputs = []
        for i, spec in enumerate(self.outputs):
            rank = len(spec.shape)
            shape = tuple(result_shapes[i * MAX_RANK + d] for d in range(rank))
            count = int(np.prod(shape)) if shape else 1
            nbytes = count * spec.dtype.itemsize
            if results[i] and nbytes:
                raw = (ctypes.c_char * nbytes).from_address(results[i])
                array = np.frombuffer(raw, dtype=spec.dtype).reshape(shape).copy()
            else:
                array = np.zeros(shape, spec.dtype)
            lib.agn_buffer_free(results[i])
            outputs.append(array)
        return tuple(outputs)

    @staticmethod
    def _convert(array: Any, spec: TensorSpec) -> np.ndarray:
        array = np.asarray(array)
        if array.dtype != spec.dtype:
            if not np.can_cast(array.dtype, spec.dtype, casting="same_kind"):
                raise TypeError(f"input '{spec.name}' must have dtype {spec.dtype}, got "
                                f"{array.dtype}")
            array = array.astype(spec.dtype)
        if len(array.shape) != len(spec.shape) or any(
                want >= 0 and want != got for want, got in zip(spec.shape, array.shape)):
            raise ValueError(f"input '{spec.name}' must have shape {list(spec.shape)}, got "
                             f"{list(array.shape)}")
        # np.array (not ascontiguousarray) keeps 0-d arrays 0-d.
        return np.array(array, order="C", copy=False)

    def __call__(self, *arrays: Any) -> Union[np.ndarray, Tuple[np.ndarray, ...]]:
        results = self.run(*arrays)
        return results[0] if len(results) == 1 else results

    def close(self) -> None:
        """Frees the compiled code (also done when the object is collected)."""
        if self._handle:
            _capi().agn_model_destroy(self._handle)
            self._handle = ctypes.c_void_p()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        ins = ", ".join(f"{s.name}: {list(s.shape)} {s.dtype}" for s in self.inputs)
        outs = ", ".join(f"{list(s.shape)} {s.dtype}" for s in self.outputs)
        return f"<agn.CompiledModel ({ins}) -> ({outs})>"


def compile_mlir(text: str, passes: Optional[str] = None, entry: Optional[str] = None,
                 input_names: Sequence[str] = (),
                 input_dtypes: Sequence[Optional[np.dtype]] = (),
                 output_names: Sequence[str] = (),
                 output_dtypes: Sequence[Optional[np.dtype]] = (),
                 threads: int = 1, profile: bool = False,
                 profile_name: str = "model", target: str = "cpu",
                 gpu_chip: str = "sm_80", gpu_format: str = "fatbin",
                 gpu_fallback: bool = False, approximate_math: bool = True) -> CompiledModel:
    """Compiles MLIR text through `passes` (None: none) and agn's lowering,
    its matmul kernels on up to `threads` threads. `profile` times each unit
    at each level and the costly ops around it at run time, under the name
    `profile_name` (see CompiledModel.profile).

    `target` is "cpu" (agn-lower-to-llvm-pipeline, for this CPU) or "cuda"
    (agn-lower-to-nvvm-pipeline: the contractions become kernels for the
    NVIDIA GPU `gpu_chip`, embedded as `gpu_format` (fatbin, bin, isa or llvm);
    the rest runs on the CPU). A "cuda" model compiles without a GPU;
    calling it where its kernels cannot run raises RuntimeError with the
    GPU runtime's reason (see gpu_available), unless `gpu_fallback`: then
    the kernels' loops run on the CPU where no GPU is usable. `gpu_chip`,
    `gpu_format` and `gpu_fallback` apply to "cuda" only; `threads`,
    `profile` and `approximate_math` to "cpu" only.

    `approximate_math` computes f32 exp and erf with polynomial
    approximations that vectorize (within 4 ulp and 2.5e-7; the softmax and
    GELU of a transformer run several times faster); False keeps them libm
    calls, one per element (agn-lower-to-llvm-pipeline{approximate-math})."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(map(repr, TARGETS))}, "
                         f"got {target!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer of at least 1, got {threads!r}")
    if not isinstance(profile, bool):
        raise ValueError(f"profile must be True or False, got {profile!r}")
    if not isinstance(approximate_math, bool):
        raise ValueError(f"approximate_math must be True or False, got {approximate_math!r}")
    if not isinstance(profile_name, str) or not profile_name or any(
            c in profile_name for c in "{}\t\n"):
        raise ValueError("profile_name must be a non-empty string without braces, tabs "
                         f"or line breaks, got {profile_name!r}")
    lib = _capi()
    if target == "cuda":
        if threads > 1 or profile or not approximate_math:
            raise ValueError("target='cuda' takes neither threads > 1, profile=True nor "
                             "approximate_math=False: the kernels run on the GPU")
        # Single words, so that neither can carry another option into the
        # options text; the library checks their values (the formats it
        # takes: agn.pipeline_options("agn-lower-to-nvvm-pipeline")).
        if not _is_word(gpu_format):
            raise ValueError(f"gpu_format must be one word such as 'fatbin' or 'isa', "
                             f"got {gpu_format!r}")
        if not _is_word(gpu_chip):
            raise ValueError(f"gpu_chip must name an NVIDIA GPU such as 'sm_80' or "
                             f"'sm_90', got {gpu_chip!r}")
        if not isinstance(gpu_fallback, bool):
            raise ValueError(f"gpu_fallback must be True or False, got {gpu_fallback!r}")
        compile_function = lib.agn_model_compile_gpu
        options = f"chip={gpu_chip} format={gpu_format} cpu-fallback={str(gpu_fallback).lower()}"
    else:
        compile_function = lib.agn_model_compile_options
        options = f"threads={threads}"
        if not approximate_math:
            options += " approximate-math=false"
        if profile:
            options += f" profile=true profile-model={{{profile_name}}}"
    handle = compile_function(text.encode("utf-8"), passes.encode() if passes else None,
                              entry.encode() if entry else None, options.encode("utf-8"))
    if not handle:
        raise CompileError(f"agn: compilation failed: {_last_error()}")
    compiled = CompiledModel(handle, input_names, input_dtypes, output_names, output_dtypes)
    if profile:
        compiled.profile_name = profile_name
    return compiled


def _looks_like_mlir(text: str) -> bool:
    return "\n" in text or "func.func" in text or text.lstrip().startswith(("module", "//"))


@dataclass
class _Source:
    """A model as MLIR text, with the ONNX signature when it came from ONNX."""

    text: str
    input_names: Sequence[str] = ()
    input_dtypes: Sequence[np.dtype] = ()
    output_names: Sequence[str] = ()
    output_dtypes: Sequence[np.dtype] = ()
    has_policies: bool = False


def _source(model: Any, import_options: Mapping[str, Any]) -> _Source:
    """Turns `model` (MLIR text, a .mlir/.onnx path or a ModelProto) into
    MLIR text, importing ONNX."""
    if isinstance(model, str) and _looks_like_mlir(model):
        return _Source(model)
    if isinstance(model, (str, os.PathLike)) and os.fspath(model).endswith(".mlir"):
        with open(os.fspath(model), encoding="utf-8") as f:
            return _Source(f.read())
    from agn.onnx import ImportOptions, import_model, read_policies
    from agn.onnx.importer import load_model

    proto = load_model(model)
    imported = import_model(proto, ImportOptions(**import_options))
    return _Source(imported.mlir, imported.input_names, imported.input_dtypes,
                   imported.output_names, imported.output_dtypes,
                   bool(read_policies(proto)))


def compile(model: Any, *, passes: Optional[str] = None, entry: Optional[str] = None,
            adaptive: Optional[bool] = None,
            input_shapes: Optional[Mapping[str, Sequence[int]]] = None,
            dim_values: Optional[Mapping[str, int]] = None, default_dim: Optional[int] = 1,
            static_inputs: Optional[Mapping[str, np.ndarray]] = None,
            name: Optional[str] = None, threads: int = 1, profile: bool = False,
            target: str = "cpu", gpu_chip: str = "sm_80", gpu_format: str = "fatbin",
            gpu_fallback: bool = False, approximate_math: bool = True,
            **pipeline_options: Any) -> CompiledModel:
    """Compiles `model` and returns a callable on NumPy arrays.

    `model` is MLIR text, a path to a `.mlir` or `.onnx` file, or an
    `onnx.ModelProto`. ONNX models are imported first (`input_shapes`,
    `dim_values`, `default_dim`, `static_inputs` and `name` go to
    `agn.import_onnx`).

    The pipeline: `passes` when given (a textual pass pipeline); otherwise
    agn's adaptive pipeline with `pipeline_options` (levels, thresholds,
    split, ...; see agn.pipeline) when `adaptive` is true; otherwise none,
    which compiles the model as written, in f32. `adaptive` defaults to true
    when pipeline options are given or the ONNX model carries learned agn
    policies.

    `threads` runs the kernels and the large ops around them on up to that
    many threads (OpenMP parallel regions, LLVM's libomp); the results are
    the same as on one.

    `profile` times each unit at each level and the costly ops around it
    (im2col, padding, quantization, ...) at run time; `model.profile()`
    returns the table and the Chrome trace. The model's name in the profile
    is `name`, else the file's stem, else "model".

    `target` is where the model runs: "cpu" (the default; this CPU) or
    "cuda" (NVIDIA GPUs: each unit's contractions at every level become GPU
    kernels, tensor-core ones where types and sizes allow; the rest runs on
    the CPU). With "cuda", `gpu_chip` names the GPU ("sm_80", the default,
    or later for tensor cores; "sm_90", ...) and `gpu_format` how the kernels
    are embedded: "fatbin" (the default; needs the CUDA toolkit's ptxas and
    fatbinary at compile time), "bin" (a cubin; ptxas), "isa" (PTX, which
    the driver compiles when the model is first called; needs no toolkit)
    or "llvm" (LLVM IR, for inspection only). A "cuda" model compiles on any
    machine; calling it where no CUDA driver or device is usable raises
    RuntimeError with the GPU runtime's reason (`agn.gpu_available()` asks
    beforehand), unless `gpu_fallback=True`: then each kernel's loops run on
    the CPU there, with the same numbers. `threads` and `profile` are for
    "cpu" only: with "cuda" they raise ValueError.

    `approximate_math` (default True) computes f32 exp and erf with
    polynomial approximations that vectorize (exp within 4 ulp, erf within
    2.5e-7); False keeps them libm calls, one per element ("cpu" only).
    """
    if passes is not None and (pipeline_options or adaptive):
        raise TypeError("pass either 'passes' or adaptive pipeline options, not both")
    if adaptive is False and pipeline_options:
        raise TypeError("adaptive pipeline options given with adaptive=False")
    source = _source(model, dict(input_shapes=input_shapes or {}, dim_values=dim_values or {},
                                 default_dim=default_dim, static_inputs=static_inputs or {},
                                 name=name))
    if adaptive is None:
        adaptive = bool(pipeline_options) or source.has_policies
    if passes is None and adaptive:
        passes = adaptive_pipeline(pipeline_options)
    profile_name = name or "model"
    if name is None and isinstance(model, (str, os.PathLike)) and not _looks_like_mlir(
            str(model)):
        profile_name = os.path.splitext(os.path.basename(os.fspath(model)))[0] or "model"
    return compile_mlir(source.text, passes, entry, source.input_names, source.input_dtypes,
                        source.output_names, source.output_dtypes, threads=threads,
                        profile=profile, profile_name=profile_name, target=target,
                        gpu_chip=gpu_chip, gpu_format=gpu_format,
                        gpu_fallback=gpu_fallback, approximate_math=approximate_math)
