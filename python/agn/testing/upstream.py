"""A reference backend that runs MLIR on tensors without agn's compiler.

It lowers a module with Debian's upstream `mlir-opt` (one-shot
bufferization, linalg to loops, everything to LLVM), translates it with
`mlir-translate`, builds a shared library with `clang`, and calls the entry
function through its C interface with ctypes. It is slow to compile and its
code is naive, but it is independent of agn's lowering: tests use it to
check the importer's semantics on their own, and to tell an importer bug
from a compiler bug.

    from agn.testing.upstream import compile_upstream
    run = compile_upstream(mlir_text)
    (y,) = run(x)
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import tempfile
from typing import Callable, List, Tuple

import numpy as np

LLVM_BIN = os.environ.get("AGN_LLVM_BIN", "/usr/lib/llvm-22/bin")
LLVM_LIB = os.path.join(os.path.dirname(LLVM_BIN), "lib")

_PIPELINE = [
    "--allow-unregistered-dialect",
    "--llvm-request-c-wrappers",
    "--one-shot-bufferize=bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map",
    "--convert-linalg-to-loops",
    "--expand-strided-metadata",
    "--lower-affine",
    "--convert-scf-to-cf",
    "--convert-math-to-llvm",
    "--convert-math-to-libm",
    "--convert-to-llvm",
    "--reconcile-unrealized-casts",
]

_ELEMENT_DTYPES = {"f32": np.float32, "f64": np.float64, "f16": np.float16,
                   "i64": np.int64, "i32": np.int32, "i8": np.int8, "i1": np.bool_}

_TENSOR = re.compile(r"tensor<((?:\d+x)*)(\w+)>")


def available() -> bool:
    """Whether mlir-opt, mlir-translate and clang are installed."""
    return all(os.path.exists(os.path.join(LLVM_BIN, tool))
               for tool in ("mlir-opt", "mlir-translate", "clang"))


def _parse_signature(text: str, entry: str) -> Tuple[List[Tuple[Tuple[int, ...], np.dtype]],
                                                     List[Tuple[Tuple[int, ...], np.dtype]]]:
    """Argument and result (shape, dtype) lists of `func.func @entry`."""
    match = re.search(r"func\.func @" + re.escape(entry) + r"\((.*?)\)\s*->\s*\(?(.*?)\)?\s*\{",
                      text)
    if not match:
        raise ValueError(f"no function @{entry} returning tensors found")

    def types(segment: str):
        out = []
        for dims, elem in _TENSOR.findall(segment):
            shape = tuple(int(d) for d in dims.split("x") if d)
            out.append((shape, np.dtype(_ELEMENT_DTYPES[elem])))
        return out

    return types(match.group(1)), types(match.group(2))


def _descriptor_type(rank: int, ctype) -> type:
    fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
              ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRef{rank}", (ctypes.Structure,), {"_fields_": fields})


def compile_upstream(text: str, entry: str = "main",
                     workdir: str | None = None) -> Callable[..., Tuple[np.ndarray, ...]]:
    """Compiles `text` and returns a function taking the entry's arguments
    as NumPy arrays and returning a tuple of result arrays."""
    args, results = _parse_signature(text, entry)
    tmp = workdir or tempfile.mkdtemp(prefix="agn-upstream-")
    src = os.path.join(tmp, "in.mlir")
    with open(src, "w", encoding="utf-8") as f:
        f.write(text)
    llvm_mlir = os.path.join(tmp, "llvm.mlir")
    ll = os.path.join(tmp, "out.ll")
    so = os.path.join(tmp, "out.so")
    steps = [
        [os.path.join(LLVM_BIN, "mlir-opt"), src, *_PIPELINE, "-o", llvm_mlir],
        [os.path.join(LLVM_BIN, "mlir-translate"), "--mlir-to-llvmir", llvm_mlir, "-o", ll],
        [os.path.join(LLVM_BIN, "clang"), "-shared", "-fPIC", "-O1", "-w", ll, "-o", so,
         f"-L{LLVM_LIB}", "-lmlir_c_runner_utils", f"-Wl,-rpath,{LLVM_LIB}", "-lm"],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{os.path.basename(cmd[0])} failed:\n{proc.stderr[-4000:]}")
    lib = ctypes.CDLL(so)
    if workdir is None:
        shutil.rmtree(tmp, ignore_errors=True)
    fn = getattr(lib, f"_mlir_ciface_{entry}")
    fn.restype = None
    result_types = [_descriptor_type(len(shape), None) for shape, _ in results]

    def run(*arrays: np.ndarray) -> Tuple[np.ndarray, ...]:
        if len(arrays) != len(args):
            raise ValueError(f"@{entry} takes {len(args)} arguments, got {len(arrays)}")
        keep = []
        call_args = []
        if len(results) > 1:
            packed = type("Results", (ctypes.Structure,),
                          {"_fields_": [(f"r{i}", t) for i, t in enumerate(result_types)]})()
            call_args.append(ctypes.byref(packed))
            outs = [getattr(packed, f"r{i}") for i in range(len(results))]
        elif results:
            out = result_types[0]()
            call_args.append(ctypes.byref(out))
            outs = [out]
        else:
            outs = []
        for array, (shape, dtype) in zip(arrays, args):
            array = np.array(array, dtype=dtype, order="C", copy=False)
            if array.shape != shape:
                raise ValueError(f"argument has shape {array.shape}, expected {shape}")
            keep.append(array)
            desc = _descriptor_type(len(shape), None)()
            desc.allocated = desc.aligned = array.ctypes.data
            desc.offset = 0
            strides = [int(np.prod(shape[i + 1:])) for i in range(len(shape))]
            for i, (size, stride) in enumerate(zip(shape, strides)):
                desc.sizes[i] = size
                desc.strides[i] = stride
            keep.append(desc)
            call_args.append(ctypes.byref(desc))
        fn(*call_args)
        values = []
        for desc, (shape, dtype) in zip(outs, results):
            count = int(np.prod(shape))
            if count == 0:
                values.append(np.zeros(shape, dtype))
                continue
            itemsize = np.dtype(dtype).itemsize
            base = desc.aligned + desc.offset * itemsize
            raw = (ctypes.c_char * (count * itemsize)).from_address(base)
            flat = np.frombuffer(bytes(raw), dtype=dtype)
            values.append(flat.reshape(shape).copy())
        return tuple(values)

    run.library = lib  # keep the library alive with the closure
    return run
