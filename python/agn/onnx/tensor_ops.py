"""Tensor-level building blocks the op emitters share: elementwise
`linalg.generic`s with NumPy broadcasting, reductions, padding and
reshapes. Each takes and returns SSA names plus static shapes.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from agn.onnx.mlir_text import (BodyBuilder, ElementKind, FunctionBuilder,
                                affine_map, element_type, identity_map,
                                tensor_type)

Shape = Tuple[int, ...]
Operand = Tuple[str, Shape, np.dtype]


def broadcast_shape(shapes: Sequence[Shape]) -> Shape:
    """The NumPy broadcast of `shapes` (raises ValueError if incompatible)."""
    return tuple(int(d) for d in np.broadcast_shapes(*shapes))


def broadcast_map(in_shape: Shape, out_shape: Shape) -> str:
    """The indexing map reading an operand of `in_shape` broadcast (NumPy
    rules: aligned on the right, size-1 dimensions repeated) to `out_shape`."""
    rank = len(out_shape)
    offset = rank - len(in_shape)
    results = []
    for i, size in enumerate(in_shape):
        d = offset + i
        results.append("0" if size == 1 and out_shape[d] != 1 else f"d{d}")
    return affine_map(rank, results)


def elementwise(fb: FunctionBuilder, operands: Sequence[Operand], out_shape: Shape,
                out_dtype: np.dtype,
                body: Callable[[BodyBuilder, List[str]], str],
                hint: str = "ew") -> str:
    """Emits one all-parallel generic computing `body(bb, scalars)` for each
    element of `out_shape`, reading `operands` broadcast to it."""
    rank = len(out_shape)
    out_type = tensor_type(out_shape, out_dtype)
    init = fb.empty(out_shape, out_dtype)
    maps = [broadcast_map(shape, out_shape) for _, shape, _ in operands]
    maps.append(identity_map(rank))
    inputs = [(name, tensor_type(shape, dtype)) for name, shape, dtype in operands]

    def wrapped(bb: BodyBuilder, args: List[str]) -> List[str]:
        return [body(bb, args[:len(operands)])]

    return fb.generic(inputs, [(init, out_type)], maps, ["parallel"] * rank,
                      wrapped, hint=hint)[0]


def reduce(fb: FunctionBuilder, name: str, shape: Shape, dtype: np.dtype,
           axes: Sequence[int], op: str, hint: str = "red",
           element: Optional[Callable[[BodyBuilder, str], str]] = None) -> Tuple[str, Shape]:
    """Reduces `name` over `axes` with `op` ("max", "min" or "add"), dropping
    those dimensions; `element`, when given, maps each element first (in the
    same generic: |x| for an L1 norm, x * x for a sum of squares). Returns
    the result and its shape."""
    kind = ElementKind(np.dtype(dtype))
    axes = sorted(set(axes))
    rank = len(shape)
    out_shape = tuple(d for i, d in enumerate(shape) if i not in axes)
    if op in ("max", "min"):
        sign = -1 if op == "max" else 1
        if kind.is_float:
            start = sign * np.inf
        else:
            info = np.iinfo(np.dtype(dtype))
            start = info.min if op == "max" else info.max
    else:
        start = 0
    init = fb.filled(out_shape, dtype, start)
    maps = [identity_map(rank),
            affine_map(rank, [f"d{i}" for i in range(rank) if i not in axes])]
    iterators = ["reduction" if i in axes else "parallel" for i in range(rank)]
    out_type = tensor_type(out_shape, dtype)
    result = fb.generic(
        [(name, tensor_type(shape, dtype))], [(init, out_type)], maps, iterators,
        lambda bb, a: [bb.binary(kind, op, a[1], element(bb, a[0]) if element else a[0])],
        hint=hint)[0]
    return result, out_shape


def pad(fb: FunctionBuilder, name: str, shape: Shape, dtype: np.dtype,
        low: Sequence[int], high: Sequence[int], value: float) -> Tuple[str, Shape]:
    """Pads `name` with `value` (`tensor.pad`); returns it unchanged when
    every amount is 0."""
    if not any(low) and not any(high):
        return name, tuple(shape)
    out_shape = tuple(int(s + lo + hi) for s, lo, hi in zip(shape, low, high))
    if 0 in tuple(shape):
        # Nothing to pad: all padding. (tensor.pad of an empty tensor lowers
        # to an insertion at an offset MLIR refuses as out of bounds.)
        return fb.filled(out_shape, dtype, value), out_shape
    scalar = fb.constant_scalar(value, dtype, hint="padv")
    result = fb.fresh("pad")
    indices = ", ".join(f"{fb.fresh('p')}: index" for _ in shape)
    fb.emit(f"{result} = tensor.pad {name} low[{', '.join(map(str, low))}] "
            f"high[{', '.join(map(str, high))}] {{")
    fb.emit(f"^bb0({indices}):")
    fb.emit(f"  tensor.yield {scalar} : {element_type(dtype)}")
    fb.emit(f"}} : {tensor_type(shape, dtype)} to {tensor_type(out_shape, dtype)}")
    return result, out_shape


def reshape(fb: FunctionBuilder, name: str, shape: Shape, out_shape: Shape,
            dtype: np.dtype) -> str:
    """Reshapes `name` (row-major, same element count): `tensor.collapse_shape`
    to one dimension, then `tensor.expand_shape` to `out_shape`, skipping the
    steps that change nothing. 0-d tensors are expanded or collapsed with an
    empty reassociation."""
    shape, out_shape = tuple(shape), tuple(out_shape)
    if shape == out_shape:
        return name
    if int(np.prod(shape)) != int(np.prod(out_shape)):
        raise ValueError(f"cannot reshape {shape} to {out_shape}")
    in_type, out_type = tensor_type(shape, dtype), tensor_type(out_shape, dtype)
    result = fb.fresh("rs")
    if not shape:
        fb.emit(f"{result} = tensor.expand_shape {name} [] output_shape "
                f"[{', '.join(map(str, out_shape))}] : {in_type} into {out_type}")
        return result
    if not out_shape:
        fb.emit(f"{result} = tensor.collapse_shape {name} [] : {in_type} into {out_type}")
        return result
    flat, flat_shape = name, shape
    if len(shape) > 1:
        flat, flat_shape = collapse_dims(fb, name, shape, 0, len(shape), dtype)
    if len(out_shape) == 1:
        return flat
    return expand_dim(fb, flat, flat_shape, 0, out_shape, dtype)[0]


def expand_dim(fb: FunctionBuilder, name: str, shape: Shape, dim: int,
               sizes: Sequence[int], dtype: np.dtype) -> Tuple[str, Shape]:
    """Splits dimension `dim` of `name` into `sizes` (`tensor.expand_shape`)."""
    groups: List[List[int]] = []
    out_shape: List[int] = []
    for i, size in enumerate(shape):
        if i == dim:
            groups.append(list(range(len(out_shape), len(out_shape) + len(sizes))))
            out_shape.extend(sizes)
        else:
            groups.append([len(out_shape)])
            out_shape.append(size)
    result = fb.fresh("exp")
    fb.emit(f"{result} = tensor.expand_shape {name} {_groups(groups)} output_shape "
            f"[{', '.join(map(str, out_shape))}] : {tensor_type(shape, dtype)} "
            f"into {tensor_type(out_shape, dtype)}")
    return result, tuple(out_shape)


def collapse_dims(fb: FunctionBuilder, name: str, shape: Shape, first: int,
                  count: int, dtype: np.dtype) -> Tuple[str, Shape]:
    """Merges dimensions [first, first+count) of `name` into one
    (`tensor.collapse_shape`)."""
    groups: List[List[int]] = []
    out_shape: List[int] = []
    i = 0
    while i < len(shape):
        if i == first:
            groups.append(list(range(first, first + count)))
            out_shape.append(int(np.prod(shape[first:first + count])))
            i += count
        else:
            groups.append([i])
            out_shape.append(shape[i])
            i += 1
    result = fb.fresh("col")
    fb.emit(f"{result} = tensor.collapse_shape {name} {_groups(groups)} : "
            f"{tensor_type(shape, dtype)} into {tensor_type(out_shape, dtype)}")
    return result, tuple(out_shape)


def _groups(groups: Sequence[Sequence[int]]) -> str:
    return "[" + ", ".join("[" + ", ".join(map(str, g)) + "]" for g in groups) + "]"
