"""Emitters for normalizations over trailing or spatial dimensions:
LayerNormalization (opset 17) and InstanceNormalization.

Both compute the mean and the biased variance of each group with reductions,
then (x - mean) / sqrt(variance + epsilon) * scale + bias elementwise, in
the input's float type.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.mlir_text import BodyBuilder
from agn.onnx.registry import emitter
from agn.onnx.tensor_ops import broadcast_shape, elementwise, reduce, reshape

Shape = Tuple[int, ...]


def _require_float(ctx: ImportContext, values: Sequence[Optional[Value]]) -> None:
    for v in values:
        if v is not None and not v.kind.is_float:
            raise ctx.error(f"input '{v.name}' has dtype {v.dtype}; only floating-point "
                            "tensors are supported")


def _optional_input(ctx: ImportContext, index: int) -> Optional[Value]:
    node = ctx.node
    if index < len(node.input) and node.input[index]:
        return ctx.get(node.input[index])
    return None


def _normalize(ctx: ImportContext, x: Value, axes: Sequence[int], epsilon: float,
               scale: Optional[Tuple[str, Shape]], bias: Optional[Tuple[str, Shape]]):
    """Emits the normalization of `x` over `axes`; returns (y, mean, inverse
    standard deviation), the statistics with `axes` kept as 1s."""
    fb, dtype, kind = ctx.fb, x.dtype, x.kind
    shape = x.shape
    count = int(np.prod([shape[a] for a in axes]))
    keep = tuple(1 if i in axes else d for i, d in enumerate(shape))

    def mean_of(name: str, hint: str) -> str:
        total, total_shape = reduce(fb, name, shape, dtype, axes, "add", hint=hint)
        total = reshape(fb, total, total_shape, keep, dtype)
        return elementwise(fb, [(total, keep, dtype)], keep, dtype,
                           lambda bb, a: bb.binary(kind, "div", a[0],
                                                   bb.const(count, dtype)), hint=hint)

    mean = mean_of(ctx.ssa(x), "mean")
    centered = elementwise(fb, [(ctx.ssa(x), shape, dtype), (mean, keep, dtype)], shape,
                           dtype, lambda bb, a: bb.binary(kind, "sub", a[0], a[1]),
                           hint="centered")
    squares = elementwise(fb, [(centered, shape, dtype)], shape, dtype,
                          lambda bb, a: bb.binary(kind, "mul", a[0], a[0]), hint="sq")
    variance = mean_of(squares, "var")

    def inverse_std(bb: BodyBuilder, a) -> str:
        shifted = bb.binary(kind, "add", a[0], bb.const(epsilon, dtype))
        return bb.binary(kind, "div", bb.const(1.0, dtype),
                         bb.unary("math.sqrt", shifted, kind.mlir))

    inv = elementwise(fb, [(variance, keep, dtype)], keep, dtype, inverse_std, hint="istd")
    operands = [(centered, shape, dtype), (inv, keep, dtype)]
    for extra in (scale, bias):
        if extra is not None:
            operands.append((extra[0], extra[1], dtype))

    def affine(bb: BodyBuilder, a) -> str:
        y = bb.binary(kind, "mul", a[0], a[1])
        if scale is not None:
            y = bb.binary(kind, "mul", y, a[2])
        if bias is not None:
            y = bb.binary(kind, "add", y, a[3 if scale is not None else 2])
        return y

    return elementwise(fb, operands, shape, dtype, affine, hint="norm"), mean, inv


@emitter("LayerNormalization")
def layer_normalization(ctx: ImportContext) -> None:
    """Normalizes over the dimensions from `axis` on, then Scale and B
    (broadcast to those dimensions). The optional Mean and InvStdDev outputs
    keep the normalized dimensions as 1s. The statistics are computed in the
    input type (`stash_type` is not followed for f16 inputs)."""
    ctx.check_attrs(["axis", "epsilon", "stash_type"])
    x, scale, bias = ctx.input(0), ctx.input(1), _optional_input(ctx, 2)
    _require_float(ctx, [x, scale, bias])
    if x.rank == 0:
        raise ctx.error("X must have rank >= 1")
    axis = int(ctx.attr("axis", -1))
    if not -x.rank <= axis < x.rank:
        raise ctx.error(f"axis {axis} is out of range for rank {x.rank}")
    axis %= x.rank
    if any(v.dtype != x.dtype for v in (scale, bias) if v is not None):
        raise ctx.error("X, Scale and B must have the same dtype")
    axes = list(range(axis, x.rank))
    normalized = x.shape[axis:]
    for name, v in (("Scale", scale), ("B", bias)):
        if v is None:
            continue
        try:
            fits = broadcast_shape([normalized, v.shape]) == normalized
        except ValueError:
            fits = False
        if not fits:
            raise ctx.error(f"{name} ('{v.name}') has shape {list(v.shape)}, which does not "
                            f"broadcast to the normalized dimensions {list(normalized)}")
    y, mean, inv = _normalize(ctx, x, axes, float(ctx.attr("epsilon", 1e-5)),
                              (ctx.ssa(scale), scale.shape),
                              (ctx.ssa(bias), bias.shape) if bias is not None else None)
    keep = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    ctx.define(0, x.shape, x.dtype, ssa=y)
    ctx.define(1, keep, x.dtype, ssa=mean)
    ctx.define(2, keep, x.dtype, ssa=inv)


@emitter("InstanceNormalization")
def instance_normalization(ctx: ImportContext) -> None:
    """Normalizes each (image, channel) over its spatial dimensions, then a
    per-channel scale and bias."""
    ctx.check_attrs(["epsilon"])
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    _require_float(ctx, [x, scale, bias])
    if x.rank < 3:
        raise ctx.error("input must have rank >= 3 (N, C, spatial...)")
    channels = x.shape[1]
    for name, v in (("scale", scale), ("B", bias)):
        if v.shape != (channels,):
            raise ctx.error(f"{name} must have shape [{channels}], got {list(v.shape)}")
    per_channel = (channels,) + (1,) * (x.rank - 2)
    scale_ssa = reshape(ctx.fb, ctx.ssa(scale), scale.shape, per_channel, x.dtype)
    bias_ssa = reshape(ctx.fb, ctx.ssa(bias), bias.shape, per_channel, x.dtype)
    y, _, _ = _normalize(ctx, x, list(range(2, x.rank)), float(ctx.attr("epsilon", 1e-5)),
                         (scale_ssa, per_channel), (bias_ssa, per_channel))
    ctx.define(0, x.shape, x.dtype, ssa=y)
