"""Emitters that index into tensors: Gather, Slice, Split, Tile and Pad
(constant, reflect, edge), plus Cast. On constants they fold with NumPy (the shape arithmetic
exporters write, such as Shape -> Gather -> Unsqueeze -> Concat ->
Reshape, folds away on static shapes); otherwise Gather is a
`linalg.generic` that extracts with computed indices, Slice a
`tensor.extract_slice` and Pad a `tensor.pad`.
"""

from __future__ import annotations

from typing import List

import numpy as np
import onnx

from agn.onnx.context import ImportContext
from agn.onnx.limits import foldable
from agn.onnx.mlir_text import BodyBuilder, ElementKind, affine_map, element_type, tensor_type
from agn.onnx.registry import emitter
from agn.onnx.tensor_ops import elementwise, pad


@emitter("Gather")
def gather(ctx: ImportContext) -> None:
    """data[..., indices, ...] along `axis`; negative indices count from
    the end."""
    ctx.check_attrs(["axis"])
    data, indices = ctx.input(0), ctx.input(1)
    if indices.dtype not in (np.dtype(np.int64), np.dtype(np.int32)):
        raise ctx.error(f"indices have dtype {indices.dtype}; expected int32 or int64")
    if data.rank == 0:
        raise ctx.error("data must have rank >= 1")
    axis = int(ctx.attr("axis", 0))
    if not -data.rank <= axis < data.rank:
        raise ctx.error(f"axis {axis} is out of range for rank {data.rank}")
    axis %= data.rank
    size = data.shape[axis]
    if indices.const is not None:
        outside = (indices.const < -size) | (indices.const >= size)
        if np.any(outside):
            raise ctx.error(f"index {int(indices.const[outside].reshape(-1)[0])} is out of "
                            f"range for a dimension of {size}")
        normalized = np.where(indices.const < 0, indices.const + size, indices.const)
        folded_shape = data.shape[:axis] + indices.shape + data.shape[axis + 1:]
        if data.const is not None and foldable(folded_shape):
            ctx.define_const(0, np.take(data.const, normalized, axis=axis))
            return
        indices_ssa = ctx.fb.constant_tensor(normalized.astype(np.int64), "idx")
        index_type = np.dtype(np.int64)
    else:
        indices_ssa, index_type = ctx.ssa(indices), indices.dtype
    out_shape = data.shape[:axis] + indices.shape + data.shape[axis + 1:]
    rank = len(out_shape)
    q = indices.rank
    index_map = affine_map(rank, [f"d{axis + i}" for i in range(q)])
    init = ctx.fb.empty(out_shape, data.dtype)
    data_ssa = ctx.ssa(data)

    def body(bb: BodyBuilder, s: List[str]) -> List[str]:
        idx = bb.cast("arith.index_cast", s[0], element_type(index_type), "index")
        if indices.const is None:
            # Negative indices count from the end.
            zero = bb.fb.fresh("k")
            bb.fb.emit(f"{zero} = arith.constant 0 : index")
            extent = bb.fb.fresh("k")
            bb.fb.emit(f"{extent} = arith.constant {size} : index")
            negative = bb.op(f"arith.cmpi slt, {idx}, {zero}", "index", "neg")
            shifted = bb.op(f"arith.addi {idx}, {extent}", "index")
            idx = bb.select(negative, shifted, idx, "index")
        coords = [bb.index(i) for i in range(axis)] + [idx] + \
                 [bb.index(axis + q + i) for i in range(data.rank - axis - 1)]
        name = bb.fb.fresh("x")
        bb.fb.emit(f"{name} = tensor.extract {data_ssa}[{', '.join(coords)}] : {data.type}")
        return [name]

    result = ctx.fb.generic([(indices_ssa, tensor_type(indices.shape, index_type))],
                            [(init, tensor_type(out_shape, data.dtype))],
                            [index_map, affine_map(rank, [f"d{i}" for i in range(rank)])],
                            ["parallel"] * rank, body, hint="gather")[0]
    ctx.define(0, out_shape, data.dtype, ssa=result)


def _slice_params(ctx: ImportContext, rank: int):
    if ctx.opset < 10:
        starts = list(ctx.attr("starts", []))
        ends = list(ctx.attr("ends", []))
        axes = list(ctx.attr("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts = ctx.constant_ints(1, "starts")
        ends = ctx.constant_ints(2, "ends")
        axes = (ctx.constant_ints(3, "axes")
                if ctx.optional_input(3) is not None else list(range(len(starts))))
        steps = (ctx.constant_ints(4, "steps")
                 if ctx.optional_input(4) is not None else [1] * len(starts))
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ctx.error("starts, ends, axes and steps differ in length")
    return starts, ends, [a % rank if -rank <= a < rank else a for a in axes], steps


@emitter("Slice")
def slice_(ctx: ImportContext) -> None:
    """data[starts:ends:steps] on `axes` (constant parameters; positive
    steps unless the data is constant)."""
    ctx.check_attrs(["starts", "ends", "axes"])
    x = ctx.input(0)
    starts, ends, axes, steps = _slice_params(ctx, x.rank)
    index = [slice(None)] * x.rank
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if not 0 <= axis < x.rank:
            raise ctx.error(f"axis {axis} is out of range for rank {x.rank}")
        if step == 0:
            raise ctx.error("a step of 0 is invalid")
        index[axis] = slice(start, end, step)
    if x.const is not None:
        ctx.define_const(0, x.const[tuple(index)])
        return
    offsets, sizes, strides = [], [], []
    for axis in range(x.rank):
        start, stop, step = index[axis].indices(x.shape[axis])
        if step < 0:
            raise ctx.error("negative steps are only supported on constants")
        size = max(0, -(-(stop - start) // step))
        offsets.append(start if size else 0)
        sizes.append(size)
        strides.append(step)
    out_shape = tuple(sizes)
    if 0 in out_shape:
        # An empty result reads nothing; tensor.extract_slice would reject
        # its offsets on an empty source dimension.
        ctx.define(0, out_shape, x.dtype, ssa=ctx.fb.empty(out_shape, x.dtype))
        return
    result = ctx.fb.fresh("slice")
    ctx.fb.emit(f"{result} = tensor.extract_slice {ctx.ssa(x)}[{', '.join(map(str, offsets))}] "
                f"[{', '.join(map(str, sizes))}] [{', '.join(map(str, strides))}] : "
                f"{x.type} to {tensor_type(out_shape, x.dtype)}")
    ctx.define(0, out_shape, x.dtype, ssa=result)


@emitter("Split")
def split(ctx: ImportContext) -> None:
    """Pieces along `axis`: sizes from `split` (attribute before opset 13,
    input since), or equal."""
    ctx.check_attrs(["axis", "split", "num_outputs"])
    x = ctx.input(0)
    axis = int(ctx.attr("axis", 0))
    if not -x.rank <= axis < x.rank:
        raise ctx.error(f"axis {axis} is out of range for rank {x.rank}")
    axis %= x.rank
    count = len(ctx.node.output)
    if count == 0:
        raise ctx.error("needs at least one output")
    if ctx.opset >= 13 and ctx.optional_input(1) is not None:
        sizes = ctx.constant_ints(1, "split")
    elif ctx.opset < 13 and ctx.attr("split", None) is not None:
        sizes = [int(v) for v in ctx.attr("split")]
    else:
        total = x.shape[axis]
        part = -(-total // count)
        sizes = [min(part, total - i * part) for i in range(count)]
    if len(sizes) != count or sum(sizes) != x.shape[axis] or any(s < 0 for s in sizes):
        raise ctx.error(f"split sizes {sizes} do not divide dimension {axis} "
                        f"({x.shape[axis]}) into {count} outputs")
    offset = 0
    for index, size in enumerate(sizes):
        shape = tuple(size if d == axis else s for d, s in enumerate(x.shape))
        if x.const is not None:
            ctx.define_const(index, np.take(x.const, range(offset, offset + size), axis=axis))
        elif size == 0:
            ctx.define(index, shape, x.dtype, ssa=ctx.fb.empty(shape, x.dtype))
        else:
            offsets = [offset if d == axis else 0 for d in range(x.rank)]
            result = ctx.fb.fresh("split")
            ctx.fb.emit(f"{result} = tensor.extract_slice {ctx.ssa(x)}"
                        f"[{', '.join(map(str, offsets))}] [{', '.join(map(str, shape))}] "
                        f"[{', '.join('1' for _ in shape)}] : {x.type} to "
                        f"{tensor_type(shape, x.dtype)}")
            ctx.define(index, shape, x.dtype, ssa=result)
        offset += size


@emitter("Tile")
def tile(ctx: ImportContext) -> None:
    """Repeat along each dimension (constant `repeats`): a generic reading
    the input at `i mod size`."""
    ctx.check_attrs([])
    x = ctx.input(0)
    repeats = ctx.constant_ints(1, "repeats")
    if len(repeats) != x.rank or any(r < 0 for r in repeats):
        raise ctx.error(f"repeats {repeats} must be {x.rank} non-negative values")
    out_shape = tuple(s * r for s, r in zip(x.shape, repeats))
    if x.const is not None and foldable(out_shape):
        ctx.define_const(0, np.tile(x.const, repeats))
        return
    rank = x.rank
    in_map = affine_map(rank, [f"d{i} mod {s}" if r != 1 else f"d{i}"
                               for i, (s, r) in enumerate(zip(x.shape, repeats))])
    init = ctx.fb.empty(out_shape, x.dtype)
    result = ctx.fb.generic([(ctx.ssa(x), x.type)], [(init, tensor_type(out_shape, x.dtype))],
                            [in_map, affine_map(rank, [f"d{i}" for i in range(rank)])],
                            ["parallel"] * rank, lambda bb, s: [s[0]], hint="tile")[0]
    ctx.define(0, out_shape, x.dtype, ssa=result)


@emitter("Pad")
def pad_op(ctx: ImportContext) -> None:
    """Constant padding (`pads` begin values then end values, non-negative;
    the value from `constant_value`)."""
    ctx.check_attrs(["mode", "pads", "value"])
    x = ctx.input(0)
    mode = ctx.attr("mode", "constant")
    if mode not in ("constant", "reflect", "edge"):
        raise ctx.error(f"mode '{mode}' is not supported (constant, reflect, edge are)")
    if ctx.opset < 11:
        pads = [int(p) for p in ctx.attr("pads", [])]
        value = float(ctx.attr("value", 0.0))
    else:
        pads = ctx.constant_ints(1, "pads")
        if len(ctx.node.input) > 3 and ctx.node.input[3]:
            raise ctx.error("the 'axes' input is not supported")
        value_input = ctx.optional_input(2)
        value = 0.0
        if value_input is not None:
            values = ctx.constant_input(2, "constant_value").reshape(-1)
            if values.size != 1:
                raise ctx.error(f"constant_value must be one value, got {values.size}")
            value = float(values[0])
    if len(pads) != 2 * x.rank or any(p < 0 for p in pads):
        raise ctx.error(f"pads {pads} must be {2 * x.rank} non-negative values")
    if not x.kind.is_float and not np.isfinite(value):
        raise ctx.error(f"the padding value {value} does not fit the {x.dtype} input")
    low, high = pads[:x.rank], pads[x.rank:]
    if mode != "constant":
        _pad_by_index(ctx, mode, low, high)
        return
    out_shape = [s + lo + hi for s, lo, hi in zip(x.shape, low, high)]
    if x.const is not None and foldable(out_shape):
        ctx.define_const(0, np.pad(x.const, list(zip(low, high)), constant_values=value)
                         .astype(x.dtype))
        return
    result, shape = pad(ctx.fb, ctx.ssa(x), x.shape, x.dtype, low, high, value)
    ctx.define(0, shape, x.dtype, ssa=result)


def _pad_by_index(ctx: ImportContext, mode: str, low: List[int], high: List[int]) -> None:
    """Reflect or edge padding: each output element reads the input at a
    mirrored or clamped index (a generic with `tensor.extract`)."""
    x = ctx.input(0)
    if any(s == 0 for s in x.shape):
        raise ctx.error("cannot pad an empty tensor by reflection or replication")
    if mode == "reflect" and any(lo >= s or hi >= s for lo, hi, s in zip(low, high, x.shape)):
        raise ctx.error("reflect padding must be smaller than the dimension it pads")
    out_shape = tuple(s + lo + hi for s, lo, hi in zip(x.shape, low, high))
    rank = len(out_shape)
    src = ctx.ssa(x)

    def body(bb: BodyBuilder, _: List[str]) -> List[str]:
        def const(v: int) -> str:
            name = bb.fb.fresh("k")
            bb.fb.emit(f"{name} = arith.constant {v} : index")
            return name

        coords = []
        for d in range(rank):
            j = bb.op(f"arith.subi {bb.index(d)}, {const(low[d])}", "index")
            last = const(x.shape[d] - 1)
            if mode == "edge":
                j = bb.op(f"arith.maxsi {j}, {const(0)}", "index")
                j = bb.op(f"arith.minsi {j}, {last}", "index")
            else:
                # |j| mirrors the start; 2 (n - 1) - j mirrors the end.
                negated = bb.op(f"arith.subi {const(0)}, {j}", "index")
                j = bb.op(f"arith.maxsi {j}, {negated}", "index")
                mirrored = bb.op(f"arith.subi {const(2 * (x.shape[d] - 1))}, {j}", "index")
                j = bb.op(f"arith.minsi {j}, {mirrored}", "index")
            coords.append(j)
        value = bb.fb.fresh("x")
        bb.fb.emit(f"{value} = tensor.extract {src}[{', '.join(coords)}] : {x.type}")
        return [value]

    init = ctx.fb.empty(out_shape, x.dtype)
    result = ctx.fb.generic([], [(init, tensor_type(out_shape, x.dtype))],
                            [affine_map(rank, [f"d{i}" for i in range(rank)])],
                            ["parallel"] * rank, body, hint="pad")[0]
    ctx.define(0, out_shape, x.dtype, ssa=result)


def _cast_body(bb: BodyBuilder, value: str, src: ElementKind, dst: ElementKind) -> str:
    s, d = src.mlir, dst.mlir
    if s == d:
        return value
    if dst.is_bool:
        if src.is_float:
            return bb.op(f"arith.cmpf une, {value}, {bb.const(0.0, src.dtype)}", s, "ne")
        return bb.op(f"arith.cmpi ne, {value}, {bb.const(0, src.dtype)}", s, "ne")
    if src.is_float and dst.is_float:
        op = "arith.extf" if np.dtype(dst.dtype).itemsize > np.dtype(src.dtype).itemsize \
            else "arith.truncf"
    elif src.is_float:
        op = "arith.fptoui" if dst.is_unsigned else "arith.fptosi"
    elif dst.is_float:
        op = "arith.uitofp" if (src.is_unsigned or src.is_bool) else "arith.sitofp"
    else:
        wider = np.dtype(dst.dtype).itemsize > np.dtype(src.dtype).itemsize or src.is_bool
        if wider:
            op = "arith.extui" if (src.is_unsigned or src.is_bool) else "arith.extsi"
        elif np.dtype(dst.dtype).itemsize < np.dtype(src.dtype).itemsize:
            op = "arith.trunci"
        else:
            return value  # same width, signedness only
    return bb.cast(op, value, s, d)


@emitter("Cast")
def cast(ctx: ImportContext) -> None:
    """Convert the element type (`to`)."""
    ctx.check_attrs(["to", "saturate"])
    x = ctx.input(0)
    to = ctx.attr("to", None)
    if to == onnx.TensorProto.BFLOAT16:
        raise ctx.error("cast to bfloat16 is not supported")
    try:
        dtype = np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[int(to)])
    except (KeyError, TypeError):
        raise ctx.error(f"cast to type {to} is not supported")
    try:
        element_type(dtype)
    except KeyError:
        raise ctx.error(f"cast to {dtype} is not supported")
    if x.const is not None:
        ctx.define_const(0, x.const.astype(dtype))
        return
    result = elementwise(ctx.fb, [(ctx.ssa(x), x.shape, x.dtype)], x.shape, dtype,
                         lambda bb, s: _cast_body(bb, s[0], x.kind, ElementKind(dtype)),
                         hint="cast")
    ctx.define(0, x.shape, dtype, ssa=result)
