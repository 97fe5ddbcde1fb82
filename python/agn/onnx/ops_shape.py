"""Emitters for ops that move data without arithmetic: Flatten, Reshape,
Transpose, Concat, Identity and Constant, and the shape glue exporters
write: Shape, Unsqueeze, Squeeze, Expand, Dropout (inference),
ConstantOfShape, Range.

On constants they are evaluated at import time with NumPy (a transposed or
reshaped initializer stays a constant, which agn-quantize-weights can then
quantize at compile time); otherwise they become `tensor.collapse_shape` /
`tensor.expand_shape`, `linalg.transpose` and `tensor.concat`.
"""

from __future__ import annotations

from typing import List

import numpy as np

from agn.onnx.context import ImportContext
from agn.onnx.limits import MAX_FOLD_ELEMENTS, element_count, foldable, shape_problem
from agn.onnx.mlir_text import is_supported_dtype, tensor_type
from agn.onnx.registry import emitter
from agn.onnx.tensor_data import tensor_to_array
from agn.onnx.tensor_ops import broadcast_shape, elementwise, reshape


def _normalize_axis(ctx: ImportContext, axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise ctx.error(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank


def _reshape_to(ctx: ImportContext, shape) -> None:
    x = ctx.input(0)
    shape = tuple(int(d) for d in shape)
    if x.const is not None:
        ctx.define_const(0, x.const.reshape(shape))
        return
    ctx.define(0, shape, x.dtype, ssa=reshape(ctx.fb, ctx.ssa(x), x.shape, shape, x.dtype))


@emitter("Flatten")
def flatten(ctx: ImportContext) -> None:
    """(d0 ... d{axis-1}, d{axis} ... dn) -> 2-D."""
    ctx.check_attrs(["axis"])
    x = ctx.input(0)
    axis = int(ctx.attr("axis", 1))
    if not -x.rank <= axis <= x.rank:
        raise ctx.error(f"axis {axis} is out of range for rank {x.rank}")
    if axis < 0:
        axis += x.rank
    _reshape_to(ctx, (int(np.prod(x.shape[:axis])), int(np.prod(x.shape[axis:]))))


@emitter("Reshape")
def reshape_op(ctx: ImportContext) -> None:
    """Reshape to a constant shape: 0 copies the input's dimension (unless
    allowzero=1), -1 is inferred."""
    ctx.check_attrs(["allowzero", "shape"])
    x = ctx.input(0)
    if ctx.opset < 5:
        requested = [int(d) for d in ctx.attr("shape", [])]
    else:
        requested = ctx.constant_ints(1, "the target shape")
    allow_zero = bool(ctx.attr("allowzero", 0))
    shape: List[int] = []
    for i, d in enumerate(requested):
        if d == 0 and not allow_zero:
            if i >= x.rank:
                raise ctx.error(f"shape {requested}: 0 at position {i} has no input "
                                "dimension to copy")
            shape.append(x.shape[i])
        else:
            shape.append(d)
    if shape.count(-1) > 1 or any(d < -1 for d in shape):
        raise ctx.error(f"shape {requested} is invalid")
    # Exact integer products: np.prod wraps around on a corrupt shape.
    if -1 in shape:
        known = element_count([d for d in shape if d != -1])
        total = element_count(x.shape)
        if known == 0 or total % known:
            raise ctx.error(f"cannot infer -1 in shape {requested} for input "
                            f"{list(x.shape)}")
        shape[shape.index(-1)] = total // known
    problem = shape_problem(shape)
    if problem:
        raise ctx.error(f"shape {requested} is invalid: {problem}")
    if element_count(shape) != element_count(x.shape):
        raise ctx.error(f"cannot reshape {list(x.shape)} to {shape}")
    _reshape_to(ctx, shape)


@emitter("Transpose")
def transpose(ctx: ImportContext) -> None:
    """Permute the dimensions (`perm`, default reversed):
    `linalg.transpose`."""
    ctx.check_attrs(["perm"])
    x = ctx.input(0)
    perm = ctx.attr("perm", None)
    perm = list(range(x.rank))[::-1] if perm is None else [int(p) for p in perm]
    if sorted(perm) != list(range(x.rank)):
        raise ctx.error(f"perm {perm} is not a permutation of {x.rank} dimensions")
    out_shape = tuple(x.shape[p] for p in perm)
    if x.const is not None:
        ctx.define_const(0, np.transpose(x.const, perm))
        return
    if perm == list(range(x.rank)):
        ctx.define(0, out_shape, x.dtype, ssa=ctx.ssa(x))
        return
    init = ctx.fb.empty(out_shape, x.dtype)
    result = ctx.fb.fresh("tr")
    out_type = tensor_type(out_shape, x.dtype)
    ctx.fb.emit(f"{result} = linalg.transpose ins({ctx.ssa(x)} : {x.type}) "
                f"outs({init} : {out_type}) permutation = [{', '.join(map(str, perm))}]")
    ctx.define(0, out_shape, x.dtype, ssa=result)


@emitter("Concat")
def concat(ctx: ImportContext) -> None:
    """Join along `axis`: `tensor.concat`."""
    ctx.check_attrs(["axis"])
    inputs = [ctx.get(name) for name in ctx.node.input if name]
    if not inputs:
        raise ctx.error("needs at least one input")
    first = inputs[0]
    if ctx.attr("axis", None) is None:
        raise ctx.error("attribute 'axis' is required")
    axis = _normalize_axis(ctx, int(ctx.attr("axis")), first.rank)
    for v in inputs[1:]:
        if v.dtype != first.dtype or v.rank != first.rank or any(
                a != b for i, (a, b) in enumerate(zip(v.shape, first.shape)) if i != axis):
            raise ctx.error(f"input '{v.name}' {list(v.shape)} ({v.dtype}) does not "
                            f"match '{first.name}' {list(first.shape)} ({first.dtype}) "
                            f"outside axis {axis}")
    if all(v.const is not None for v in inputs):
        ctx.define_const(0, np.concatenate([v.const for v in inputs], axis=axis))
        return
    # Inputs without elements add nothing (and tensor.concat would insert
    # them at an offset MLIR refuses as out of bounds).
    inputs = [v for v in inputs if element_count(v.shape)] or inputs[:1]
    out_shape = list(first.shape)
    out_shape[axis] = sum(v.shape[axis] for v in inputs)
    if len(inputs) == 1:
        ctx.define(0, out_shape, first.dtype, ssa=ctx.ssa(first))
        return
    result = ctx.fb.fresh("cat")
    ctx.fb.emit(f"{result} = tensor.concat dim({axis}) "
                f"{', '.join(ctx.ssa(v) for v in inputs)} : "
                f"({', '.join(v.type for v in inputs)}) -> "
                f"{tensor_type(out_shape, first.dtype)}")
    ctx.define(0, out_shape, first.dtype, ssa=result)


@emitter("Identity")
def identity(ctx: ImportContext) -> None:
    """The input itself (no op)."""
    ctx.check_attrs([])
    x = ctx.input(0)
    ctx.define(0, x.shape, x.dtype, ssa=x.ssa, const=x.const)


@emitter("Constant")
def constant(ctx: ImportContext) -> None:
    """A constant tensor from `value`, `value_float(s)` or `value_int(s)`."""
    ctx.check_attrs(["value", "value_float", "value_floats", "value_int", "value_ints",
                     "sparse_value", "value_string", "value_strings"])
    node = ctx.node
    attributes = {a.name: a for a in node.attribute}
    if len(attributes) != 1:
        raise ctx.error("needs exactly one value attribute")
    name = next(iter(attributes))
    if name == "value":
        array = tensor_to_array(attributes[name].t, f"{ctx.node_label()}: attribute 'value'")
    elif name == "value_float":
        array = np.array(ctx.attr(name), dtype=np.float32)
    elif name == "value_floats":
        array = np.array(ctx.attr(name), dtype=np.float32)
    elif name == "value_int":
        array = np.array(ctx.attr(name), dtype=np.int64)
    elif name == "value_ints":
        array = np.array(ctx.attr(name), dtype=np.int64)
    else:
        raise ctx.error(f"attribute '{name}' is not supported (only dense numeric "
                        "tensors)")
    if not is_supported_dtype(array.dtype):
        raise ctx.error(f"dtype {array.dtype} is not supported")
    ctx.define_const(0, array)


@emitter("Shape")
def shape_op(ctx: ImportContext) -> None:
    """The input's (static) shape as a constant int64 vector (`start`/`end`
    select a range)."""
    ctx.check_attrs(["start", "end"])
    x = ctx.input(0)
    start = int(ctx.attr("start", 0))
    end = ctx.attr("end", None)
    dims = list(x.shape)[start:None if end is None else int(end)]
    ctx.define_const(0, np.array(dims, dtype=np.int64))


def _axes_operand(ctx: ImportContext, since: int) -> List[int]:
    if ctx.opset >= since:
        return (ctx.constant_ints(1, "the axes")
                if ctx.optional_input(1) is not None else [])
    return [int(a) for a in ctx.attr("axes", [])]


@emitter("Unsqueeze")
def unsqueeze(ctx: ImportContext) -> None:
    """Insert unit dimensions at `axes` (of the output)."""
    ctx.check_attrs(["axes"])
    x = ctx.input(0)
    axes = _axes_operand(ctx, 13)
    rank = x.rank + len(axes)
    axes = sorted(_normalize_axis(ctx, a, rank) for a in axes)
    if len(set(axes)) != len(axes):
        raise ctx.error(f"axes {axes} repeat")
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    _reshape_to(ctx, shape)


@emitter("Squeeze")
def squeeze(ctx: ImportContext) -> None:
    """Remove unit dimensions (those in `axes`, or all)."""
    ctx.check_attrs(["axes"])
    x = ctx.input(0)
    axes = [_normalize_axis(ctx, a, x.rank) for a in _axes_operand(ctx, 13)]
    if not axes:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    for a in axes:
        if x.shape[a] != 1:
            raise ctx.error(f"dimension {a} has size {x.shape[a]}, not 1")
    _reshape_to(ctx, [d for i, d in enumerate(x.shape) if i not in axes])


@emitter("Expand")
def expand(ctx: ImportContext) -> None:
    """Broadcast to a constant shape (NumPy rules, both ways)."""
    ctx.check_attrs([])
    x = ctx.input(0)
    target = ctx.constant_ints(1, "the shape")
    try:
        shape = broadcast_shape([x.shape, tuple(target)])
    except ValueError:
        raise ctx.error(f"{list(x.shape)} does not broadcast to {target}")
    problem = shape_problem(shape)
    if problem:
        raise ctx.error(f"the result of expanding to {target} is invalid: {problem}")
    if x.const is not None and foldable(shape):
        ctx.define_const(0, np.broadcast_to(x.const, shape).copy())
        return
    result = elementwise(ctx.fb, [(ctx.ssa(x), x.shape, x.dtype)], shape, x.dtype,
                         lambda bb, s: s[0], hint="expand")
    ctx.define(0, shape, x.dtype, ssa=result)


@emitter("Dropout")
def dropout(ctx: ImportContext) -> None:
    """Inference: the input itself (the mask output is not supported)."""
    ctx.check_attrs(["ratio", "seed", "is_test", "consumed_inputs"])
    if ctx.num_outputs() > 1:
        raise ctx.error("the mask output is not supported")
    training = ctx.optional_input(2)
    if training is not None and (training.const is None or training.const.size != 1 or
                                 bool(training.const.reshape(-1)[0])):
        raise ctx.error("training mode is not supported")
    x = ctx.input(0)
    ctx.define(0, x.shape, x.dtype, ssa=x.ssa, const=x.const)


@emitter("ConstantOfShape")
def constant_of_shape(ctx: ImportContext) -> None:
    """A constant tensor of a constant shape filled with `value` (default
    0.0 f32)."""
    ctx.check_attrs(["value"])
    shape = ctx.constant_ints(0, "the shape")
    value = ctx.attr("value", None)
    fill = tensor_to_array(value, f"{ctx.node_label()}: attribute 'value'").reshape(-1) \
        if value is not None else np.zeros(1, np.float32)
    if fill.size != 1 or not is_supported_dtype(fill.dtype):
        raise ctx.error(f"attribute 'value' must be one element of a supported type, got "
                        f"{fill.size} of {fill.dtype}")
    problem = shape_problem(shape)
    if problem:
        raise ctx.error(f"the shape {shape} is invalid: {problem}")
    if not foldable(shape):
        # Too large to build at import time: a fill in the IR instead.
        ctx.define(0, shape, fill.dtype, ssa=ctx.fb.filled(shape, fill.dtype, fill[0]))
        return
    ctx.define_const(0, np.full(shape, fill[0], dtype=fill.dtype))


@emitter("Range")
def range_(ctx: ImportContext) -> None:
    """start, start + delta, ... up to (excluding) limit, from constant
    scalars: ONNX's max(ceil((limit - start) / delta), 0) elements, element
    i being start + i * delta computed in the inputs' dtype."""
    ctx.check_attrs([])
    values = [ctx.constant_input(i, what).reshape(-1)
              for i, what in enumerate(("start", "limit", "delta"))]
    dtypes = {v.dtype for v in values}
    if len(dtypes) != 1 or any(v.size != 1 for v in values):
        raise ctx.error("start, limit and delta must be scalars of one dtype")
    dtype = dtypes.pop()
    if dtype.kind not in "fi":
        raise ctx.error(f"dtype {dtype} is not supported (floating point and signed "
                        "integers are)")
    start, limit, delta = (v[0] for v in values)
    if delta == 0:
        raise ctx.error("delta must not be 0")
    if dtype.kind == "i":
        count = -((int(start) - int(limit)) // int(delta))  # exact ceil division
    else:
        steps = (float(limit) - float(start)) / float(delta)
        if not np.isfinite(steps):
            raise ctx.error(f"start {start}, limit {limit} and delta {delta} do not give a "
                            "finite number of elements")
        count = int(np.ceil(steps))
    count = max(count, 0)
    if count > MAX_FOLD_ELEMENTS:
        raise ctx.error(f"the range would have {count} elements, more than the importer "
                        f"builds at import time ({MAX_FOLD_ELEMENTS})")
    ctx.define_const(0, (start + np.arange(count).astype(dtype) * delta).astype(dtype))
