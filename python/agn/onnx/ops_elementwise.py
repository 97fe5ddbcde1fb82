"""Emitters for elementwise ops and their close relatives: activations
(Relu, LeakyRelu, Sigmoid, Tanh), NumPy-broadcasting arithmetic (Add, Sub,
Mul, Div), inference BatchNormalization and Softmax.

Each becomes `linalg.generic`s over the output shape, the form agn-form-units
takes into a unit as the epilogue of the contraction before it.
"""

from __future__ import annotations

from typing import List, Tuple

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.limits import foldable
from agn.onnx.mlir_text import BodyBuilder, ElementKind, identity_map, affine_map, tensor_type
from agn.onnx.registry import emitter
from agn.onnx.tensor_ops import broadcast_shape, elementwise, reduce, reshape

_FLOAT_ONLY = "only floating-point tensors are supported"


def _require_float(ctx: ImportContext, value: Value) -> None:
    if not value.kind.is_float:
        raise ctx.error(f"input '{value.name}' has dtype {value.dtype}; {_FLOAT_ONLY}")


def _require_numeric(ctx: ImportContext, value: Value) -> None:
    if value.kind.is_bool:
        raise ctx.error(f"input '{value.name}' is boolean; arithmetic needs numbers")


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------


def _unary(ctx: ImportContext, body) -> None:
    x = ctx.input(0)
    result = elementwise(ctx.fb, [(ctx.ssa(x), x.shape, x.dtype)], x.shape, x.dtype,
                         lambda bb, a: body(bb, a[0], x.kind),
                         hint=ctx.node.op_type.lower())
    ctx.define(0, x.shape, x.dtype, ssa=result)


@emitter("Relu")
def relu(ctx: ImportContext) -> None:
    """max(x, 0)."""
    ctx.check_attrs([])
    _require_numeric(ctx, ctx.input(0))
    _unary(ctx, lambda bb, x, k: bb.binary(k, "max", x, bb.const(0, k.dtype)))


@emitter("LeakyRelu")
def leaky_relu(ctx: ImportContext) -> None:
    """x >= 0 ? x : alpha * x."""
    ctx.check_attrs(["alpha"])
    _require_float(ctx, ctx.input(0))
    alpha = float(ctx.attr("alpha", 0.01))

    def body(bb: BodyBuilder, x: str, k: ElementKind) -> str:
        zero = bb.const(0.0, k.dtype)
        negative = bb.op(f"arith.cmpf olt, {x}, {zero}", k.mlir, "neg")
        scaled = bb.binary(k, "mul", x, bb.const(alpha, k.dtype))
        return bb.select(negative, scaled, x, k.mlir)

    _unary(ctx, body)


@emitter("Sigmoid")
def sigmoid(ctx: ImportContext) -> None:
    """1 / (1 + exp(-x))."""
    ctx.check_attrs([])
    _require_float(ctx, ctx.input(0))

    def body(bb: BodyBuilder, x: str, k: ElementKind) -> str:
        neg = bb.unary("arith.negf", x, k.mlir)
        exp = bb.unary("math.exp", neg, k.mlir)
        one = bb.const(1.0, k.dtype)
        return bb.binary(k, "div", one, bb.binary(k, "add", one, exp))

    _unary(ctx, body)


@emitter("Tanh")
def tanh(ctx: ImportContext) -> None:
    """math.tanh."""
    ctx.check_attrs([])
    _require_float(ctx, ctx.input(0))
    _unary(ctx, lambda bb, x, k: bb.unary("math.tanh", x, k.mlir))


# ---------------------------------------------------------------------------
# Broadcasting arithmetic
# ---------------------------------------------------------------------------


def _fold(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """NumPy evaluation of a binary op on constants, with ONNX's integer
    division (truncating toward zero)."""
    if op == "add":
        out = np.add(a, b)
    elif op == "sub":
        out = np.subtract(a, b)
    elif op == "mul":
        out = np.multiply(a, b)
    elif a.dtype.kind == "f":
        out = np.divide(a, b)
    else:
        quotient = np.floor_divide(a, b)
        remainder_sign_fix = (quotient < 0) & (quotient * b != a)
        out = quotient + remainder_sign_fix
    return np.asarray(out).astype(a.dtype)


def _legacy_broadcast_shape(ctx: ImportContext, a: Value, b: Value) -> Tuple[int, ...]:
    """B's shape as NumPy broadcasting should see it under the opset < 7
    `broadcast`/`axis` attributes: B's dimensions placed at `axis` of A's
    (default: A's trailing dimensions), ones elsewhere."""
    if not int(ctx.attr("broadcast", 0)):
        if a.shape != b.shape:
            raise ctx.error(f"shapes {list(a.shape)} and {list(b.shape)} differ and "
                            "broadcast=0")
        return b.shape
    axis = int(ctx.attr("axis", a.rank - b.rank))
    if axis < 0:
        axis += a.rank
    if not 0 <= axis <= a.rank - b.rank:
        raise ctx.error(f"axis {axis} does not place B {list(b.shape)} inside A "
                        f"{list(a.shape)}")
    return (1,) * axis + tuple(b.shape) + (1,) * (a.rank - b.rank - axis)


def _binary(ctx: ImportContext, op: str) -> None:
    legacy = ctx.opset < 7
    ctx.check_attrs(["broadcast", "axis"] if legacy else [])
    a, b = ctx.input(0), ctx.input(1)
    _require_numeric(ctx, a)
    if a.dtype != b.dtype:
        raise ctx.error(f"inputs have different dtypes ({a.dtype} and {b.dtype})")
    b_shape = _legacy_broadcast_shape(ctx, a, b) if legacy else b.shape
    try:
        shape = broadcast_shape([a.shape, b_shape])
    except ValueError:
        raise ctx.error(f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
    if a.const is not None and b.const is not None and foldable(shape):
        ctx.define_const(0, _fold(op, a.const, b.const.reshape(b_shape)))
        return
    kind = a.kind
    b_ssa = ctx.ssa(b)
    if b_shape != b.shape:
        b_ssa = reshape(ctx.fb, b_ssa, b.shape, b_shape, b.dtype)
    result = elementwise(ctx.fb, [(ctx.ssa(a), a.shape, a.dtype),
                                  (b_ssa, b_shape, b.dtype)],
                         shape, a.dtype,
                         lambda bb, s: bb.binary(kind, op, s[0], s[1]), hint=op)
    ctx.define(0, shape, a.dtype, ssa=result)


@emitter("Add")
def add(ctx: ImportContext) -> None:
    """a + b, broadcast."""
    _binary(ctx, "add")


@emitter("Sub")
def sub(ctx: ImportContext) -> None:
    """a - b, broadcast."""
    _binary(ctx, "sub")


@emitter("Mul")
def mul(ctx: ImportContext) -> None:
    """a * b, broadcast."""
    _binary(ctx, "mul")


@emitter("Div")
def div(ctx: ImportContext) -> None:
    """a / b, broadcast (integers truncate toward zero)."""
    _binary(ctx, "div")


# ---------------------------------------------------------------------------
# BatchNormalization (inference)
# ---------------------------------------------------------------------------


@emitter("BatchNormalization")
def batch_normalization(ctx: ImportContext) -> None:
    """y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel
    (dimension 1). With constant parameters this folds to y = x * a + b."""
    ctx.check_attrs(["epsilon", "momentum", "training_mode", "spatial",
                     "is_test", "consumed_inputs"])
    if int(ctx.attr("training_mode", 0)) != 0 or ctx.num_outputs() > 1:
        raise ctx.error("training mode (training_mode=1 or the running mean/var "
                        "outputs) is not supported; only inference")
    if int(ctx.attr("spatial", 1)) != 1:
        raise ctx.error("spatial=0 is not supported")
    x = ctx.input(0)
    _require_float(ctx, x)
    params = [ctx.input(i) for i in range(1, 5)]
    if x.rank < 2:
        raise ctx.error("the input needs a channel dimension (rank >= 2)")
    channels = x.shape[1]
    for p in params:
        if p.shape != (channels,):
            raise ctx.error(f"parameter '{p.name}' has shape {list(p.shape)}; "
                            f"expected [{channels}]")
    epsilon = float(ctx.attr("epsilon", 1e-5))
    kind = x.kind
    channel_map = affine_map(x.rank, ["d1"])

    if all(p.const is not None for p in params):
        scale, bias, mean, var = (p.const.astype(np.float64) for p in params)
        a = scale / np.sqrt(var + epsilon)
        b = bias - mean * a
        a_ssa = ctx.fb.constant_tensor(a.astype(x.dtype), "bn_scale")
        b_ssa = ctx.fb.constant_tensor(b.astype(x.dtype), "bn_shift")
        init = ctx.fb.empty(x.shape, x.dtype)
        result = ctx.fb.generic(
            [(ctx.ssa(x), x.type), (a_ssa, tensor_type((channels,), x.dtype)),
             (b_ssa, tensor_type((channels,), x.dtype))],
            [(init, x.type)],
            [identity_map(x.rank), channel_map, channel_map, identity_map(x.rank)],
            ["parallel"] * x.rank,
            lambda bb, s: [bb.binary(kind, "add", bb.binary(kind, "mul", s[0], s[1]), s[2])],
            hint="bn")[0]
        ctx.define(0, x.shape, x.dtype, ssa=result)
        return

    def body(bb: BodyBuilder, s: List[str]) -> List[str]:
        xv, scale, bias, mean, var = s[:5]
        eps = bb.const(epsilon, x.dtype)
        std = bb.unary("math.sqrt", bb.binary(kind, "add", var, eps), kind.mlir)
        normed = bb.binary(kind, "div", bb.binary(kind, "sub", xv, mean), std)
        return [bb.binary(kind, "add", bb.binary(kind, "mul", normed, scale), bias)]

    init = ctx.fb.empty(x.shape, x.dtype)
    result = ctx.fb.generic(
        [(ctx.ssa(x), x.type)] + [(ctx.ssa(p), p.type) for p in params],
        [(init, x.type)],
        [identity_map(x.rank)] + [channel_map] * 4 + [identity_map(x.rank)],
        ["parallel"] * x.rank, body, hint="bn")[0]
    ctx.define(0, x.shape, x.dtype, ssa=result)


# ---------------------------------------------------------------------------
# Softmax
# ---------------------------------------------------------------------------


@emitter("Softmax")
def softmax(ctx: ImportContext) -> None:
    """exp(x - max) / sum(exp(x - max)) over `axis` (opset >= 13) or over
    every dimension from `axis` on (opset < 13, the 2-D coercion)."""
    ctx.check_attrs(["axis"])
    x = ctx.input(0)
    _require_float(ctx, x)
    rank = x.rank
    axis = int(ctx.attr("axis", -1 if ctx.opset >= 13 else 1))
    if not -rank <= axis < max(rank, 1):
        raise ctx.error(f"axis {axis} is out of range for rank {rank}")
    axis %= max(rank, 1)
    axes = [axis] if ctx.opset >= 13 else list(range(axis, rank))
    if rank == 0:
        axes = []
    fb, kind = ctx.fb, x.kind
    src = ctx.ssa(x)
    kept = [f"d{i}" for i in range(rank) if i not in axes]
    reduced_map = affine_map(rank, kept)

    def with_reduced(name: str, reduced: str, body, hint: str) -> str:
        init = fb.empty(x.shape, x.dtype)
        reduced_shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return fb.generic(
            [(name, x.type), (reduced, tensor_type(reduced_shape, x.dtype))],
            [(init, x.type)], [identity_map(rank), reduced_map, identity_map(rank)],
            ["parallel"] * rank, lambda bb, s: [body(bb, s[0], s[1])], hint=hint)[0]

    peak, _ = reduce(fb, src, x.shape, x.dtype, axes, "max", hint="smax")
    exp = with_reduced(src, peak,
                       lambda bb, v, m: bb.unary("math.exp", bb.binary(kind, "sub", v, m),
                                                 kind.mlir), "sexp")
    total, _ = reduce(fb, exp, x.shape, x.dtype, axes, "add", hint="ssum")
    result = with_reduced(exp, total, lambda bb, e, t: bb.binary(kind, "div", e, t),
                          "softmax")
    ctx.define(0, x.shape, x.dtype, ssa=result)
