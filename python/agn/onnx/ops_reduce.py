"""Emitters for reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin
(axes from the attribute or, in newer opsets, the input; keepdims;
noop_with_empty_axes) and LogSoftmax."""

from __future__ import annotations

from typing import List

import numpy as np

from agn.onnx.context import ImportContext
from agn.onnx.mlir_text import affine_map, identity_map, tensor_type
from agn.onnx.registry import emitter
from agn.onnx.tensor_ops import elementwise, reduce, reshape


def _axes(ctx: ImportContext, rank: int, input_since: int) -> List[int]:
    """The reduction axes, normalised; [] means all (unless noop)."""
    if ctx.opset >= input_since:
        axes_value = ctx.optional_input(1)
        axes = [] if axes_value is None else [
            int(a) for a in ctx.constant_input(1, "the axes").reshape(-1)]
    else:
        axes = [int(a) for a in ctx.attr("axes", [])]
    for a in axes:
        if not -rank <= a < rank:
            raise ctx.error(f"axis {a} is out of range for rank {rank}")
    return sorted({a % rank for a in axes})


def _reduction(ctx: ImportContext, op: str, input_since: int) -> None:
    ctx.check_attrs(["axes", "keepdims", "noop_with_empty_axes"])
    x = ctx.input(0)
    if x.kind.is_bool:
        raise ctx.error("boolean inputs are not supported")
    if op == "mean" and not x.kind.is_float:
        raise ctx.error("ReduceMean of integers is not supported")
    axes = _axes(ctx, x.rank, input_since)
    if not axes:
        if int(ctx.attr("noop_with_empty_axes", 0)):
            ctx.define(0, x.shape, x.dtype, ssa=x.ssa, const=x.const)
            return
        axes = list(range(x.rank))
    keepdims = bool(ctx.attr("keepdims", 1))
    result, shape = reduce(ctx.fb, ctx.ssa(x), x.shape, x.dtype, axes,
                           "add" if op in ("add", "mean") else op, hint="reduce")
    if op == "mean":
        count = float(np.prod([x.shape[a] for a in axes]))
        result = elementwise(ctx.fb, [(result, shape, x.dtype)], shape, x.dtype,
                             lambda bb, s: bb.binary(x.kind, "div", s[0],
                                                     bb.const(count, x.dtype)), hint="mean")
    out_shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if keepdims \
        else shape
    ctx.define(0, out_shape, x.dtype, ssa=reshape(ctx.fb, result, shape, out_shape, x.dtype))


@emitter("ReduceMean")
def reduce_mean(ctx: ImportContext) -> None:
    """The mean over `axes`."""
    _reduction(ctx, "mean", 18)


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
