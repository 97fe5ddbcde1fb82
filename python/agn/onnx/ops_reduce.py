"""Emitters for reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin,
ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp (axes
from the attribute or, in newer opsets, the input; keepdims;
noop_with_empty_axes) and LogSoftmax."""

from __future__ import annotations

from typing import Callable, List, Optional

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.mlir_text import BodyBuilder, affine_map, identity_map, tensor_type
from agn.onnx.registry import emitter
from agn.onnx.tensor_ops import Shape, elementwise, reduce, reshape

#: Maps one element (or one reduced value) to another in a generic's body.
ScalarMap = Callable[[BodyBuilder, str], str]


def _axes(ctx: ImportContext, rank: int, input_since: int) -> List[int]:
    """The reduction axes, normalised; [] means all (unless noop)."""
    if ctx.opset >= input_since:
        axes_value = ctx.optional_input(1)
        axes = [] if axes_value is None else ctx.constant_ints(1, "the axes")
    else:
        axes = [int(a) for a in ctx.attr("axes", [])]
    for a in axes:
        if not -rank <= a < rank:
            raise ctx.error(f"axis {a} is out of range for rank {rank}")
    return sorted({a % rank for a in axes})


def _reduction(ctx: ImportContext, op: str, input_since: int,
               element: Optional[ScalarMap] = None, finish: Optional[ScalarMap] = None,
               float_only: bool = False) -> None:
    """One reduction node: `element` maps each element before the `op`
    ("add", "max", "min") combines them, `finish` maps each result; both
    in x's element type."""
    ctx.check_attrs(["axes", "keepdims", "noop_with_empty_axes"])
    x = ctx.input(0)
    if x.kind.is_bool:
        raise ctx.error("boolean inputs are not supported")
    if float_only and not x.kind.is_float:
        raise ctx.error(f"{ctx.node.op_type} of integers is not supported")
    axes = _axes(ctx, x.rank, input_since)
    if not axes:
        if int(ctx.attr("noop_with_empty_axes", 0)):
            _noop(ctx, x, element, finish)
            return
        axes = list(range(x.rank))
    result, shape = reduce(ctx.fb, ctx.ssa(x), x.shape, x.dtype, axes, op, hint="reduce",
                           element=element)
    if finish:
        result = elementwise(ctx.fb, [(result, shape, x.dtype)], shape, x.dtype,
                             lambda bb, s: finish(bb, s[0]), hint="finish")
    _define_reduced(ctx, x, axes, result, shape)


def _noop(ctx: ImportContext, x: Value, element: Optional[ScalarMap],
          finish: Optional[ScalarMap]) -> None:
    """noop_with_empty_axes and no axes: the input, through the element
    map and the finish (a "reduction" of one element: ReduceL2 is |x|)."""
    if not element and not finish:
        ctx.define(0, x.shape, x.dtype, ssa=x.ssa, const=x.const)
        return

    def body(bb: BodyBuilder, s: List[str]) -> str:
        value = element(bb, s[0]) if element else s[0]
        return finish(bb, value) if finish else value

    ctx.define(0, x.shape, x.dtype, ssa=elementwise(
        ctx.fb, [(ctx.ssa(x), x.shape, x.dtype)], x.shape, x.dtype, body, hint="noop"))


def _define_reduced(ctx: ImportContext, x: Value, axes: List[int], result: str,
                    shape: Shape) -> None:
    """Defines the node's output: the reduced `result`, with the reduced
    dimensions kept as 1 when keepdims."""
    keepdims = bool(ctx.attr("keepdims", 1))
    out_shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if keepdims \
        else shape
    ctx.define(0, out_shape, x.dtype, ssa=reshape(ctx.fb, result, shape, out_shape, x.dtype))


@emitter("ReduceMean")
def reduce_mean(ctx: ImportContext) -> None:
    """The mean over `axes` (the input itself under noop_with_empty_axes)."""
    x = ctx.input(0)
    axes = _axes(ctx, x.rank, 18)
    if not axes and int(ctx.attr("noop_with_empty_axes", 0)):
        _reduction(ctx, "add", 18, float_only=True)
        return
    count = float(np.prod([x.shape[a] for a in axes or range(x.rank)]))
    _reduction(ctx, "add", 18, finish=lambda bb, v: bb.binary(
        x.kind, "div", v, bb.const(count, x.dtype)), float_only=True)


@emitter("ReduceSum")
def reduce_sum(ctx: ImportContext) -> None:
    """The sum over `axes` (an input since opset 13)."""
    _reduction(ctx, "add", 13)


@emitter("ReduceMax")
def reduce_max(ctx: ImportContext) -> None:
    """The maximum over `axes`."""
    _reduction(ctx, "max", 18)


@emitter("ReduceMin")
def reduce_min(ctx: ImportContext) -> None:
    """The minimum over `axes`."""
    _reduction(ctx, "min", 18)


def _abs(ctx: ImportContext) -> ScalarMap:
    kind = ctx.input(0).kind
    return lambda bb, v: bb.unary("math.absf" if kind.is_float else "math.absi", v, kind.mlir)


def _square(ctx: ImportContext) -> ScalarMap:
    kind = ctx.input(0).kind
    return lambda bb, v: bb.binary(kind, "mul", v, v)


def _float_function(ctx: ImportContext, op: str) -> ScalarMap:
    """`math.sqrt`, `math.log`, ... in the input's (float) element type."""
    kind = ctx.input(0).kind
    return lambda bb, v: bb.unary(op, v, kind.mlir)


@emitter("ReduceL1")
def reduce_l1(ctx: ImportContext) -> None:
    """The sum of |x| over `axes`."""
    _reduction(ctx, "add", 18, element=_abs(ctx))


@emitter("ReduceL2")
def reduce_l2(ctx: ImportContext) -> None:
    """sqrt of the sum of x * x over `axes` (F.normalize's norm)."""
    _reduction(ctx, "add", 18, element=_square(ctx),
               finish=_float_function(ctx, "math.sqrt"), float_only=True)


@emitter("ReduceSumSquare")
def reduce_sum_square(ctx: ImportContext) -> None:
    """The sum of x * x over `axes`."""
    _reduction(ctx, "add", 18, element=_square(ctx))


@emitter("ReduceLogSum")
def reduce_log_sum(ctx: ImportContext) -> None:
    """log of the sum over `axes`."""
    _reduction(ctx, "add", 18, finish=_float_function(ctx, "math.log"), float_only=True)


@emitter("ReduceLogSumExp")
def reduce_log_sum_exp(ctx: ImportContext) -> None:
    """log(sum(exp(x))) over `axes`, computed as m + log(sum(exp(x - m)))
    with m the maximum (0 where it is infinite), which overflows only when
    the result does."""
    ctx.check_attrs(["axes", "keepdims", "noop_with_empty_axes"])
    x = ctx.input(0)
    if not x.kind.is_float:
        raise ctx.error("ReduceLogSumExp of integers is not supported")
    axes = _axes(ctx, x.rank, 18)
    if not axes:
        if int(ctx.attr("noop_with_empty_axes", 0)):
            ctx.define(0, x.shape, x.dtype, ssa=x.ssa, const=x.const)
            return
        axes = list(range(x.rank))
    fb, kind, rank = ctx.fb, x.kind, x.rank
    peak, shape = reduce(fb, ctx.ssa(x), x.shape, x.dtype, axes, "max", hint="lsemax")

    def finite_or_zero(bb: BodyBuilder, s: List[str]) -> str:
        magnitude = bb.unary("math.absf", s[0], kind.mlir)
        finite = bb.op(f"arith.cmpf olt, {magnitude}, {bb.const(np.inf, x.dtype)}",
                       kind.mlir, "finite")
        return bb.select(finite, s[0], bb.const(0.0, x.dtype), kind.mlir)

    shift = elementwise(fb, [(peak, shape, x.dtype)], shape, x.dtype, finite_or_zero,
                        hint="lseshift")
    reduced_map = affine_map(rank, [f"d{i}" for i in range(rank) if i not in axes])
    init = fb.empty(x.shape, x.dtype)
    exp = fb.generic(
        [(ctx.ssa(x), x.type), (shift, tensor_type(shape, x.dtype))], [(init, x.type)],
        [identity_map(rank), reduced_map, identity_map(rank)], ["parallel"] * rank,
        lambda bb, s: [bb.unary("math.exp", bb.binary(kind, "sub", s[0], s[1]), kind.mlir)],
        hint="lseexp")[0]
    total, _ = reduce(fb, exp, x.shape, x.dtype, axes, "add", hint="lsesum")
    result = elementwise(fb, [(total, shape, x.dtype), (shift, shape, x.dtype)], shape,
                         x.dtype, lambda bb, s: bb.binary(
                             kind, "add", bb.unary("math.log", s[0], kind.mlir), s[1]),
                         hint="logsumexp")
    _define_reduced(ctx, x, axes, result, shape)


@emitter("LogSoftmax")
def log_softmax(ctx: ImportContext) -> None:
    """x - max - log(sum(exp(x - max))) over `axis` (opset < 13: every
    dimension from `axis` on)."""
    ctx.check_attrs(["axis"])
    x = ctx.input(0)
    if not x.kind.is_float:
        raise ctx.error("only floating-point inputs are supported")
    rank = x.rank
    axis = int(ctx.attr("axis", -1 if ctx.opset >= 13 else 1))
    if not -rank <= axis < max(rank, 1):
        raise ctx.error(f"axis {axis} is out of range for rank {rank}")
    axis %= max(rank, 1)
    axes = [axis] if ctx.opset >= 13 else list(range(axis, rank))
    fb, kind = ctx.fb, x.kind
    src = ctx.ssa(x)
    reduced_shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    reduced_map = affine_map(rank, [f"d{i}" for i in range(rank) if i not in axes])

    def with_reduced(name: str, reduced: str, body, hint: str) -> str:
        init = fb.empty(x.shape, x.dtype)
        return fb.generic(
            [(name, x.type), (reduced, tensor_type(reduced_shape, x.dtype))],
            [(init, x.type)], [identity_map(rank), reduced_map, identity_map(rank)],
            ["parallel"] * rank, lambda bb, s: [body(bb, s[0], s[1])], hint=hint)[0]

    peak, _ = reduce(fb, src, x.shape, x.dtype, axes, "max", hint="lsmax")
    shifted = with_reduced(src, peak, lambda bb, v, m: bb.binary(kind, "sub", v, m), "lsshift")
    exp = elementwise(fb, [(shifted, x.shape, x.dtype)], x.shape, x.dtype,
                      lambda bb, s: bb.unary("math.exp", s[0], kind.mlir), hint="lsexp")
    total, _ = reduce(fb, exp, x.shape, x.dtype, axes, "add", hint="lssum")
    result = with_reduced(shifted, total, lambda bb, v, t: bb.binary(
        kind, "sub", v, bb.unary("math.log", t, kind.mlir)), "logsoftmax")
    ctx.define(0, x.shape, x.dtype, ssa=result)
