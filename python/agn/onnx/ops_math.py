"""Emitters for elementwise math beyond the issue's list, found in models
exported by PyTorch and others: unary math and activations (Exp, Log,
Sqrt, Neg, Abs, Erf, Floor, Ceil, Reciprocal, Softplus, Elu, Selu,
HardSigmoid, HardSwish, Gelu), Clip, PRelu, and the variadic / binary Max, Min,
Sum, Mean and Pow. Each is one broadcasting `linalg.generic`.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Sequence

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.mlir_text import BodyBuilder, ElementKind
from agn.onnx.registry import emitter
from agn.onnx.tensor_ops import broadcast_shape, elementwise, reshape

Body = Callable[[BodyBuilder, str, ElementKind], str]


def _emit_unary(ctx: ImportContext, body: Body, float_only: bool = True) -> None:
    x = ctx.input(0)
    if x.kind.is_bool or (float_only and not x.kind.is_float):
        raise ctx.error(f"input '{x.name}' has dtype {x.dtype}; only "
                        f"{'floating-point' if float_only else 'numeric'} tensors are supported")
    result = elementwise(ctx.fb, [(ctx.ssa(x), x.shape, x.dtype)], x.shape, x.dtype,
                         lambda bb, a: body(bb, a[0], x.kind), hint=ctx.node.op_type.lower())
    ctx.define(0, x.shape, x.dtype, ssa=result)


def _math(op: str) -> Body:
    return lambda bb, x, k: bb.unary(op, x, k.mlir)


def _neg(bb: BodyBuilder, x: str, k: ElementKind) -> str:
    if k.is_float:
        return bb.unary("arith.negf", x, k.mlir)
    return bb.binary(k, "sub", bb.const(0, k.dtype), x)


def _abs(bb: BodyBuilder, x: str, k: ElementKind) -> str:
    return bb.unary("math.absf" if k.is_float else "math.absi", x, k.mlir)


def _reciprocal(bb: BodyBuilder, x: str, k: ElementKind) -> str:
    return bb.binary(k, "div", bb.const(1.0, k.dtype), x)


def _softplus(bb: BodyBuilder, x: str, k: ElementKind) -> str:
    # max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
    positive = bb.binary(k, "max", x, bb.const(0.0, k.dtype))
    tail = bb.unary("math.log1p", bb.unary("math.exp", bb.unary(
        "arith.negf", bb.unary("math.absf", x, k.mlir), k.mlir), k.mlir), k.mlir)
    return bb.binary(k, "add", positive, tail)


def _elu_like(alpha: float, gamma: float = 1.0) -> Body:
    def body(bb: BodyBuilder, x: str, k: ElementKind) -> str:
        zero = bb.const(0.0, k.dtype)
        negative = bb.op(f"arith.cmpf ole, {x}, {zero}", k.mlir, "neg")
        low = bb.binary(k, "mul", bb.const(alpha, k.dtype), bb.unary("math.expm1", x, k.mlir))
        value = bb.select(negative, low, x, k.mlir)
        return value if gamma == 1.0 else bb.binary(k, "mul", bb.const(gamma, k.dtype), value)

    return body


def _hard_sigmoid_of(bb: BodyBuilder, x: str, k: ElementKind, alpha: float, beta: float) -> str:
    linear = bb.binary(k, "add", bb.binary(k, "mul", x, bb.const(alpha, k.dtype)),
                       bb.const(beta, k.dtype))
    clipped = bb.binary(k, "max", linear, bb.const(0.0, k.dtype))
    return bb.binary(k, "min", clipped, bb.const(1.0, k.dtype))


_UNARY: Dict[str, Body] = {
    "Exp": _math("math.exp"), "Log": _math("math.log"), "Sqrt": _math("math.sqrt"),
    "Erf": _math("math.erf"), "Floor": _math("math.floor"), "Ceil": _math("math.ceil"),
    "Reciprocal": _reciprocal, "Softplus": _softplus,
}


def _register_unary(op_type: str, body: Body) -> None:
    @emitter(op_type)
    def emit(ctx: ImportContext) -> None:
        ctx.check_attrs([])
        _emit_unary(ctx, body)

    emit.__doc__ = f"{op_type}, elementwise."


for _op, _body in _UNARY.items():
    _register_unary(_op, _body)


@emitter("Neg")
def neg(ctx: ImportContext) -> None:
    """-x (floats and signed integers)."""
    ctx.check_attrs([])
    _emit_unary(ctx, _neg, float_only=False)


@emitter("Abs")
def abs_(ctx: ImportContext) -> None:
    """|x|."""
    ctx.check_attrs([])
    _emit_unary(ctx, _abs, float_only=False)


@emitter("Elu")
def elu(ctx: ImportContext) -> None:
    """x <= 0 ? alpha * (exp(x) - 1) : x."""
    ctx.check_attrs(["alpha"])
    _emit_unary(ctx, _elu_like(float(ctx.attr("alpha", 1.0))))


@emitter("Selu")
def selu(ctx: ImportContext) -> None:
    """gamma * (x <= 0 ? alpha * (exp(x) - 1) : x)."""
    ctx.check_attrs(["alpha", "gamma"])
    _emit_unary(ctx, _elu_like(float(ctx.attr("alpha", 1.67326319217681884765625)),
                               float(ctx.attr("gamma", 1.05070102214813232421875))))


@emitter("HardSigmoid")
def hard_sigmoid(ctx: ImportContext) -> None:
    """max(0, min(1, alpha * x + beta))."""
    ctx.check_attrs(["alpha", "beta"])
    alpha, beta = float(ctx.attr("alpha", 0.2)), float(ctx.attr("beta", 0.5))
    _emit_unary(ctx, lambda bb, x, k: _hard_sigmoid_of(bb, x, k, alpha, beta))


@emitter("HardSwish")
def hard_swish(ctx: ImportContext) -> None:
    """x * max(0, min(1, x / 6 + 1/2))."""
    ctx.check_attrs([])
    _emit_unary(ctx, lambda bb, x, k: bb.binary(
        k, "mul", x, _hard_sigmoid_of(bb, x, k, 1.0 / 6.0, 0.5)))


def _gelu_erf(bb: BodyBuilder, x: str, k: ElementKind) -> str:
    # x * Phi(x), Phi the standard normal CDF: (1 + erf(x / sqrt(2))) / 2.
    scaled = bb.binary(k, "mul", x, bb.const(1.0 / math.sqrt(2.0), k.dtype))
    return _half_x_times_one_plus(bb, x, k, bb.unary("math.erf", scaled, k.mlir))


def _gelu_tanh(bb: BodyBuilder, x: str, k: ElementKind) -> str:
    # Phi(x) ~ (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2.
    cube = bb.binary(k, "mul", bb.binary(k, "mul", x, x), x)
    inner = bb.binary(k, "add", x, bb.binary(k, "mul", cube, bb.const(0.044715, k.dtype)))
    inner = bb.binary(k, "mul", inner, bb.const(math.sqrt(2.0 / math.pi), k.dtype))
    return _half_x_times_one_plus(bb, x, k, bb.unary("math.tanh", inner, k.mlir))


def _half_x_times_one_plus(bb: BodyBuilder, x: str, k: ElementKind, t: str) -> str:
    """0.5 * x * (1 + t)."""
    half_x = bb.binary(k, "mul", x, bb.const(0.5, k.dtype))
    return bb.binary(k, "mul", half_x, bb.binary(k, "add", bb.const(1.0, k.dtype), t))


@emitter("Gelu")
def gelu(ctx: ImportContext) -> None:
    """x * Phi(x) (opset 20): with erf (approximate="none", the default) or
    the tanh approximation (approximate="tanh")."""
    ctx.check_attrs(["approximate"])
    approximate = ctx.attr("approximate", "none")
    bodies = {"none": _gelu_erf, "tanh": _gelu_tanh}
    if approximate not in bodies:
        raise ctx.error(f"approximate '{approximate}' is not supported (none, tanh are)")
    _emit_unary(ctx, bodies[approximate])


# ---------------------------------------------------------------------------
# Several operands
# ---------------------------------------------------------------------------


def _emit_nary(ctx: ImportContext, values: Sequence[Value],
               body: Callable[[BodyBuilder, List[str], ElementKind], str]) -> None:
    first = values[0]
    if first.kind.is_bool:
        raise ctx.error("boolean inputs are not supported")
    for v in values[1:]:
        if v.dtype != first.dtype:
            raise ctx.error(f"inputs have different dtypes ({first.dtype} and {v.dtype})")
    try:
        shape = broadcast_shape([v.shape for v in values])
    except ValueError:
        raise ctx.error(f"shapes {[list(v.shape) for v in values]} do not broadcast")
    result = elementwise(ctx.fb, [(ctx.ssa(v), v.shape, v.dtype) for v in values], shape,
                         first.dtype, lambda bb, s: body(bb, s, first.kind),
                         hint=ctx.node.op_type.lower())
    ctx.define(0, shape, first.dtype, ssa=result)


def _present_inputs(ctx: ImportContext) -> List[Value]:
    values = [ctx.get(name) for name in ctx.node.input if name]
    if not values:
        raise ctx.error("needs at least one input")
    return values


def _fold_chain(op: str) -> Callable[[BodyBuilder, List[str], ElementKind], str]:
    def body(bb: BodyBuilder, s: List[str], k: ElementKind) -> str:
        acc = s[0]
        for v in s[1:]:
            acc = bb.binary(k, op, acc, v)
        return acc

    return body


@emitter("Max")
def max_(ctx: ImportContext) -> None:
    """Elementwise maximum of the inputs, broadcast."""
    ctx.check_attrs([])
    _emit_nary(ctx, _present_inputs(ctx), _fold_chain("max"))


@emitter("Min")
def min_(ctx: ImportContext) -> None:
    """Elementwise minimum of the inputs, broadcast."""
    ctx.check_attrs([])
    _emit_nary(ctx, _present_inputs(ctx), _fold_chain("min"))


@emitter("Sum")
def sum_(ctx: ImportContext) -> None:
    """Elementwise sum of the inputs, broadcast."""
    ctx.check_attrs([])
    _emit_nary(ctx, _present_inputs(ctx), _fold_chain("add"))


@emitter("Mean")
def mean(ctx: ImportContext) -> None:
    """Elementwise mean of the inputs, broadcast."""
    ctx.check_attrs([])
    values = _present_inputs(ctx)
    if not values[0].kind.is_float:
        raise ctx.error("only floating-point inputs are supported")
    add = _fold_chain("add")
    _emit_nary(ctx, values, lambda bb, s, k: bb.binary(
        k, "div", add(bb, s, k), bb.const(float(len(s)), k.dtype)))


@emitter("Pow")
def pow_(ctx: ImportContext) -> None:
    """x ** y for floating-point x; y of the same type (or an integer
    constant)."""
    ctx.check_attrs([])
    x, y = ctx.input(0), ctx.input(1)
    if not x.kind.is_float:
        raise ctx.error(f"base '{x.name}' has dtype {x.dtype}; only floating point is "
                        "supported")
    if y.kind.is_bool:
        raise ctx.error("boolean exponents are not supported")
    if y.dtype != x.dtype and y.const is not None:
        y = Value(y.name, y.shape, x.dtype, const=y.const.astype(x.dtype))
    if y.const is not None and np.all(y.const == 2) and y.const.size:
        shape = broadcast_shape([x.shape, y.shape])
        result = elementwise(ctx.fb, [(ctx.ssa(x), x.shape, x.dtype)], shape, x.dtype,
                             lambda bb, s: bb.binary(x.kind, "mul", s[0], s[0]), hint="pow")
        ctx.define(0, shape, x.dtype, ssa=result)
        return
    if y.dtype == x.dtype:
        _emit_nary(ctx, [x, y], lambda bb, s, k: bb.op(f"math.powf {s[0]}, {s[1]}", k.mlir))
        return
    # An integer exponent tensor: converted to the base's type per element.
    y_kind = y.kind

    def body(bb: BodyBuilder, s: List[str]) -> str:
        op = "arith.uitofp" if y_kind.is_unsigned else "arith.sitofp"
        exponent = bb.cast(op, s[1], y_kind.mlir, x.kind.mlir)
        return bb.op(f"math.powf {s[0]}, {exponent}", x.kind.mlir)

    try:
        shape = broadcast_shape([x.shape, y.shape])
    except ValueError:
        raise ctx.error(f"shapes {list(x.shape)} and {list(y.shape)} do not broadcast")
    result = elementwise(ctx.fb, [(ctx.ssa(x), x.shape, x.dtype), (ctx.ssa(y), y.shape, y.dtype)],
                         shape, x.dtype, body, hint="pow")
    ctx.define(0, shape, x.dtype, ssa=result)


@emitter("PRelu")
def prelu(ctx: ImportContext) -> None:
    """x < 0 ? slope * x : x, slope broadcast to x (opset < 7: a 1-D slope
    of C values is per channel, dimension 1)."""
    ctx.check_attrs(["consumed_inputs"])
    x, slope = ctx.input(0), ctx.input(1)
    if not x.kind.is_float:
        raise ctx.error("only floating-point inputs are supported")
    slope_ssa, slope_shape = ctx.ssa(slope), slope.shape
    if (ctx.opset < 7 and slope.rank == 1 and x.rank >= 2 and slope.shape[0] == x.shape[1]
            and slope.shape[0] > 1):
        slope_shape = (slope.shape[0],) + (1,) * (x.rank - 2)
        slope_ssa = reshape(ctx.fb, slope_ssa, slope.shape, slope_shape, slope.dtype)

    def body(bb: BodyBuilder, s: List[str]) -> str:
        k = x.kind
        negative = bb.op(f"arith.cmpf olt, {s[0]}, {bb.const(0.0, k.dtype)}", k.mlir, "neg")
        return bb.select(negative, bb.binary(k, "mul", s[0], s[1]), s[0], k.mlir)

    try:
        shape = broadcast_shape([x.shape, slope_shape])
    except ValueError:
        raise ctx.error(f"slope {list(slope.shape)} does not broadcast to {list(x.shape)}")
    result = elementwise(ctx.fb, [(ctx.ssa(x), x.shape, x.dtype),
                                  (slope_ssa, slope_shape, slope.dtype)],
                         shape, x.dtype, body, hint="prelu")
    ctx.define(0, shape, x.dtype, ssa=result)


@emitter("Clip")
def clip(ctx: ImportContext) -> None:
    """min(max(x, lo), hi): bounds from the `min`/`max` attributes (opset <
    11) or the optional inputs (which may be runtime scalars)."""
    ctx.check_attrs(["min", "max"])
    x = ctx.input(0)
    if x.kind.is_bool:
        raise ctx.error("boolean inputs are not supported")
    bounds: List[Value] = []
    ops: List[str] = []
    if ctx.opset < 11:
        for name, op, default in (("min", "max", -math.inf), ("max", "min", math.inf)):
            value = ctx.attr(name, None)
            if value is not None:
                if not x.kind.is_float:
                    if math.isnan(value):
                        raise ctx.error(f"attribute '{name}' is NaN, which does not bound "
                                        f"{x.dtype} values")
                    # A bound beyond the integer type's range bounds nothing.
                    info = np.iinfo(x.dtype)
                    value = min(max(value, info.min), info.max)
                array = np.array(value, dtype=x.dtype)
                bounds.append(Value(name, (), x.dtype, const=array))
                ops.append(op)
    else:
        for index, op in ((1, "max"), (2, "min")):
            bound = ctx.optional_input(index)
            if bound is not None:
                if bound.dtype != x.dtype or bound.rank != 0:
                    raise ctx.error(f"bound '{bound.name}' must be a scalar of dtype {x.dtype}")
                bounds.append(bound)
                ops.append(op)

    def body(bb: BodyBuilder, s: List[str], k: ElementKind) -> str:
        acc = s[0]
        for op, bound in zip(ops, s[1:]):
            acc = bb.binary(k, op, acc, bound)
        return acc

    _emit_nary(ctx, [x] + bounds, body)
