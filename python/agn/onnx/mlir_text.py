"""Small utilities for writing MLIR as text.

No MLIR Python bindings ship with Debian, so the importer writes the module as
text. This module knows MLIR's spelling of types, literals and affine maps and
keeps the SSA names of one function unique; it knows nothing about ONNX.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

Shape = Tuple[int, ...]

#: NumPy dtype -> MLIR element type. Unsigned integers map onto MLIR's
#: signless integers of the same width; the importer remembers signedness
#: and picks unsigned arithmetic (divui, maxui, ...) where it matters.
_ELEMENT_TYPES: Dict[np.dtype, str] = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.float16): "f16",
    np.dtype(np.int64): "i64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int8): "i8",
    np.dtype(np.uint8): "i8",
    np.dtype(np.bool_): "i1",
}


def element_type(dtype: np.dtype) -> str:
    """Returns the MLIR element type of a NumPy dtype (raises KeyError)."""
    return _ELEMENT_TYPES[np.dtype(dtype)]


def is_supported_dtype(dtype: np.dtype) -> bool:
    """Returns whether the importer can represent `dtype` in MLIR."""
    return np.dtype(dtype) in _ELEMENT_TYPES


def tensor_type(shape: Sequence[int], dtype: np.dtype) -> str:
    """Returns `tensor<2x3xf32>` (or `tensor<f32>` for rank 0)."""
    dims = "".join(f"{int(d)}x" for d in shape)
    return f"tensor<{dims}{element_type(dtype)}>"


def scalar_literal(value: float, dtype: np.dtype) -> str:
    """Returns an exact MLIR literal of `value` as an element of `dtype`.

    Floats are written as their bit pattern in hexadecimal (MLIR accepts
    `0x7F800000 : f32`), which keeps every value exact, infinities and NaN
    included.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return "0x%08X" % struct.unpack("<I", struct.pack("<f", float(value)))[0]
    if dtype == np.float64:
        return "0x%016X" % struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    if dtype == np.float16:
        return "0x%04X" % int(np.array(value, np.float16).view(np.uint16))
    if dtype == np.bool_:
        return "true" if value else "false"
    if dtype == np.uint8:
        # Signless i8 holding an unsigned value: write its two's complement.
        return str(int(np.array(int(value) & 0xFF, np.uint8).view(np.int8)))
    return str(int(value))


def dense_literal(array: np.ndarray) -> str:
    """Returns a `dense<...>` literal holding `array` exactly.

    Splats are written as one value; everything else as MLIR's hexadecimal
    form (`dense<"0x...">`, the raw little-endian bytes), which is compact
    and exact. Booleans are written as a list because MLIR's hex form packs
    i1 differently from NumPy.
    """
    array = np.ascontiguousarray(array)
    dtype = array.dtype
    if array.size > 0 and np.all(array.reshape(-1) == array.reshape(-1)[0]):
        if dtype.kind != "f" or not np.isnan(array.reshape(-1)[0]) or np.all(
                np.isnan(array)):
            first = array.reshape(-1)[0]
            return f"dense<{scalar_literal(first, dtype)}>"
    if dtype == np.bool_:
        return "dense<" + _nested_bool(array) + ">"
    if array.size == 0:
        return "dense<>"
    if dtype == np.uint8:
        array = array.view(np.int8)
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return 'dense<"0x' + little.tobytes().hex().upper() + '">'


def _nested_bool(array: np.ndarray) -> str:
    if array.ndim == 0:
        return "true" if bool(array) else "false"
    return "[" + ", ".join(_nested_bool(a) for a in array) + "]"


def comment_text(text: str) -> str:
    """`text` made safe inside a `//` comment: characters that would end
    the comment or that MLIR's lexer stops at (newlines, NUL, other control
    characters) are written as escapes. Comments quote names from the
    model, which a corrupt model can fill with anything."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def affine_map(num_dims: int, results: Sequence[str]) -> str:
    """Returns `affine_map<(d0, d1) -> (d0, 0)>` with `results` spelled over
    the dimensions d0 .. d{num_dims-1}."""
    dims = ", ".join(f"d{i}" for i in range(num_dims))
    return f"affine_map<({dims}) -> ({', '.join(results)})>"


def identity_map(rank: int) -> str:
    """The identity map of `rank` dimensions."""
    return affine_map(rank, [f"d{i}" for i in range(rank)])


def dense_i64_array(values: Sequence[int]) -> str:
    """Returns `dense<[1, 2]> : tensor<2xi64>`, the form of linalg's
    `strides`/`dilations` attributes."""
    inner = ", ".join(str(int(v)) for v in values)
    return f"dense<[{inner}]> : tensor<{len(values)}xi64>"


def string_literal(text: str) -> str:
    """Returns `text` as an MLIR string literal (quoted, escaped)."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.extend("\\%02X" % b for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


@dataclass
class ElementKind:
    """How arithmetic on an element type is spelled: float, signed, unsigned
    integer or boolean."""

    dtype: np.dtype

    @property
    def mlir(self) -> str:
        return element_type(self.dtype)

    @property
    def is_float(self) -> bool:
        return np.dtype(self.dtype).kind == "f"

    @property
    def is_unsigned(self) -> bool:
        return np.dtype(self.dtype).kind == "u"

    @property
    def is_bool(self) -> bool:
        return np.dtype(self.dtype) == np.bool_


class FunctionBuilder:
    """Collects the lines of one function body with unique SSA names."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self._counter = 0
        self.indent = "  "

    def fresh(self, hint: str = "v") -> str:
        """Returns a new SSA name `%hint_N`, unique in the function."""
        clean = "".join(c if c.isalnum() or c == "_" else "_" for c in hint)
        if not clean or clean[0].isdigit():
            clean = "v" + clean
        self._counter += 1
        return f"%{clean}_{self._counter}"

    def emit(self, line: str) -> None:
        """Appends one line at the current indentation."""
        self.lines.append(self.indent + line)

    def comment(self, text: str) -> None:
        """Appends `//` comment lines."""
        for line in text.splitlines():
            self.emit("// " + comment_text(line))

    # -- Common ops ------------------------------------------------------

    def constant_scalar(self, value: float, dtype: np.dtype, hint: str = "c") -> str:
        """Emits `arith.constant` of one scalar; returns its SSA name."""
        name = self.fresh(hint)
        self.emit(f"{name} = arith.constant {scalar_literal(value, dtype)} : "
                  f"{element_type(dtype)}")
        return name

    def constant_tensor(self, array: np.ndarray, hint: str = "cst") -> str:
        """Emits `arith.constant dense<...>` holding `array`."""
        name = self.fresh(hint)
        ttype = tensor_type(array.shape, array.dtype)
        self.emit(f"{name} = arith.constant {dense_literal(array)} : {ttype}")
        return name

    def empty(self, shape: Sequence[int], dtype: np.dtype) -> str:
        """Emits `tensor.empty()`."""
        name = self.fresh("empty")
        self.emit(f"{name} = tensor.empty() : {tensor_type(shape, dtype)}")
        return name

    def filled(self, shape: Sequence[int], dtype: np.dtype, value: float) -> str:
        """Emits a tensor of `shape` filled with `value` (`linalg.fill`)."""
        empty = self.empty(shape, dtype)
        scalar = self.constant_scalar(value, dtype)
        ttype = tensor_type(shape, dtype)
        name = self.fresh("fill")
        self.emit(f"{name} = linalg.fill ins({scalar} : {element_type(dtype)}) "
                  f"outs({empty} : {ttype}) -> {ttype}")
        return name

    def generic(self, inputs: Sequence[Tuple[str, str]],
                outputs: Sequence[Tuple[str, str]], maps: Sequence[str],
                iterators: Sequence[str],
                body: Callable[["BodyBuilder", List[str]], List[str]],
                hint: str = "g", attributes: Sequence[str] = ()) -> List[str]:
        """Emits a `linalg.generic`, with `attributes` (`name = value`
        entries, such as a unit's `agn.name`) added to its attributes.

        `inputs` and `outputs` are (SSA name, tensor type) pairs; `maps` their
        indexing maps in that order; `iterators` "parallel" or "reduction"
        per loop. `body` receives a BodyBuilder and the block arguments
        (inputs then outputs, as scalar SSA names) and returns the values to
        yield, one per output. Returns the result names.
        """
        results = [self.fresh(hint) for _ in outputs]
        lhs = ", ".join(results)
        maps_text = ", ".join(maps)
        iters = ", ".join(f'"{it}"' for it in iterators)
        ins_text = ""
        if inputs:
            ins_text = (" ins(" + ", ".join(n for n, _ in inputs) + " : " +
                        ", ".join(t for _, t in inputs) + ")")
        outs_text = (" outs(" + ", ".join(n for n, _ in outputs) + " : " +
                     ", ".join(t for _, t in outputs) + ")")
        extra = "".join(f", {entry}" for entry in attributes)
        self.emit(f"{lhs} = linalg.generic {{indexing_maps = [{maps_text}], "
                  f"iterator_types = [{iters}]{extra}}}{ins_text}{outs_text} {{")
        args = [self.fresh("a") for _ in list(inputs) + list(outputs)]
        arg_types = [_element_of(t) for _, t in list(inputs) + list(outputs)]
        self.emit("^bb0(" + ", ".join(f"{a}: {t}" for a, t in zip(args, arg_types)) + "):")
        bb = BodyBuilder(self)
        saved = self.indent
        self.indent = saved + "  "
        yielded = body(bb, args)
        out_types = [_element_of(t) for _, t in outputs]
        self.emit("linalg.yield " + ", ".join(yielded) + " : " + ", ".join(out_types))
        self.indent = saved
        out_types_text = ", ".join(t for _, t in outputs)
        if len(outputs) > 1:
            out_types_text = f"({out_types_text})"
        self.emit("} -> " + out_types_text)
        return results


def _element_of(tensor_type_text: str) -> str:
    """`tensor<2x3xf32>` -> `f32`."""
    inner = tensor_type_text[len("tensor<"):-1]
    return inner.split("x")[-1]


class BodyBuilder:
    """Writes the scalar ops of a `linalg.generic` body."""

    def __init__(self, fb: FunctionBuilder) -> None:
        self.fb = fb

    def op(self, text: str, result_type: str, hint: str = "s") -> str:
        """Emits `%r = <text> : <result_type>`-style ops; `text` already
        holds everything right of `=` except the type suffix."""
        name = self.fb.fresh(hint)
        self.fb.emit(f"{name} = {text} : {result_type}")
        return name

    def const(self, value: float, dtype: np.dtype) -> str:
        """A scalar constant."""
        return self.fb.constant_scalar(value, dtype)

    def index(self, dim: int) -> str:
        """`linalg.index dim`: the current iteration index of loop `dim`."""
        name = self.fb.fresh("i")
        self.fb.emit(f"{name} = linalg.index {dim} : index")
        return name

    def binary(self, kind: ElementKind, op: str, a: str, b: str) -> str:
        """`op` is one of add, sub, mul, div, max, min."""
        t = kind.mlir
        if kind.is_float:
            name = {"add": "arith.addf", "sub": "arith.subf", "mul": "arith.mulf",
                    "div": "arith.divf", "max": "arith.maximumf",
                    "min": "arith.minimumf"}[op]
        elif kind.is_bool and op in ("max", "add"):
            name = "arith.ori"
        else:
            signed = not kind.is_unsigned
            name = {"add": "arith.addi", "sub": "arith.subi", "mul": "arith.muli",
                    "div": "arith.divsi" if signed else "arith.divui",
                    "max": "arith.maxsi" if signed else "arith.maxui",
                    "min": "arith.minsi" if signed else "arith.minui"}[op]
        return self.op(f"{name} {a}, {b}", t)

    def cmp_gt(self, kind: ElementKind, a: str, b: str) -> str:
        """`a > b` as i1 (ordered for floats)."""
        if kind.is_float:
            return self.op(f"arith.cmpf ogt, {a}, {b}", kind.mlir, "gt")
        pred = "ugt" if kind.is_unsigned else "sgt"
        return self.op(f"arith.cmpi {pred}, {a}, {b}", kind.mlir, "gt")

    def select(self, cond: str, a: str, b: str, type_: str) -> str:
        """`cond ? a : b`."""
        return self.op(f"arith.select {cond}, {a}, {b}", type_, "sel")

    def unary(self, op: str, a: str, type_: str) -> str:
        """A float unary op: `math.exp`, `math.tanh`, `math.sqrt`,
        `arith.negf`."""
        return self.op(f"{op} {a}", type_)

    def cast(self, op: str, a: str, from_type: str, to_type: str) -> str:
        """A cast such as `arith.index_cast` or `arith.sitofp`."""
        name = self.fb.fresh("cast")
        self.fb.emit(f"{name} = {op} {a} : {from_type} to {to_type}")
        return name
