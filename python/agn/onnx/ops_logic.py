"""Emitters for comparisons, boolean logic and Where: Equal, Less,
LessOrEqual, Greater, GreaterOrEqual (numbers to bool), Not, And, Or, Xor
(bool to bool) and Where (a bool condition choosing between two tensors),
all NumPy-broadcasting and elementwise: the masks attention and detection
heads build.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.limits import foldable
from agn.onnx.mlir_text import BodyBuilder
from agn.onnx.registry import emitter
from agn.onnx.tensor_ops import broadcast_shape, elementwise

#: ONNX comparison -> (arith.cmpf predicate, signed cmpi, unsigned cmpi,
#: NumPy function for constant folding). Float predicates are ordered: a
#: comparison with NaN is false, as in ONNX (and NumPy).
_COMPARISONS = {
    "Equal": ("oeq", "eq", "eq", np.equal),
    "Less": ("olt", "slt", "ult", np.less),
    "LessOrEqual": ("ole", "sle", "ule", np.less_equal),
    "Greater": ("ogt", "sgt", "ugt", np.greater),
    "GreaterOrEqual": ("oge", "sge", "uge", np.greater_equal),
}

#: ONNX logic op -> (arith op on i1, NumPy function).
_LOGIC = {
    "And": ("arith.andi", np.logical_and),
    "Or": ("arith.ori", np.logical_or),
    "Xor": ("arith.xori", np.logical_xor),
}


def _broadcast(ctx: ImportContext, values: Sequence[Value]):
    try:
        return broadcast_shape([v.shape for v in values])
    except ValueError:
        shapes = " and ".join(str(list(v.shape)) for v in values)
        raise ctx.error(f"shapes {shapes} do not broadcast")


def _emit(ctx: ImportContext, values: Sequence[Value], out_dtype: np.dtype,
          body: Callable[[BodyBuilder, list], str],
          fold: Callable[..., np.ndarray]) -> None:
    """Defines output 0 as `body` over `values` broadcast together, folded
    with `fold` when every input is a constant."""
    shape = _broadcast(ctx, values)
    if all(v.const is not None for v in values) and foldable(shape):
        ctx.define_const(0, np.asarray(fold(*[v.const for v in values])).astype(out_dtype))
        return
    operands = [(ctx.ssa(v), v.shape, v.dtype) for v in values]
    result = elementwise(ctx.fb, operands, shape, out_dtype, body,
                         hint=ctx.node.op_type.lower())
    ctx.define(0, shape, out_dtype, ssa=result)


def _comparison(ctx: ImportContext) -> None:
    ctx.check_attrs([])
    a, b = ctx.input(0), ctx.input(1)
    if a.dtype != b.dtype:
        raise ctx.error(f"inputs have different dtypes ({a.dtype} and {b.dtype})")
    float_pred, signed_pred, unsigned_pred, fold = _COMPARISONS[ctx.node.op_type]
    kind = a.kind

    def body(bb: BodyBuilder, s: list) -> str:
        if kind.is_float:
            return bb.op(f"arith.cmpf {float_pred}, {s[0]}, {s[1]}", kind.mlir, "cmp")
        pred = unsigned_pred if kind.is_unsigned or kind.is_bool else signed_pred
        return bb.op(f"arith.cmpi {pred}, {s[0]}, {s[1]}", kind.mlir, "cmp")

    _emit(ctx, [a, b], np.dtype(np.bool_), body, fold)


def _require_bool(ctx: ImportContext, values: Sequence[Value]) -> None:
    for v in values:
        if not v.kind.is_bool:
            raise ctx.error(f"input '{v.name}' has dtype {v.dtype}; "
                            f"{ctx.node.op_type} takes booleans")


@emitter(*_COMPARISONS)
def comparison(ctx: ImportContext) -> None:
    """Elementwise comparison of two broadcast tensors, to bool."""
    _comparison(ctx)


@emitter(*_LOGIC)
def logic(ctx: ImportContext) -> None:
    """Elementwise And, Or or Xor of two broadcast bool tensors."""
    ctx.check_attrs([])
    a, b = ctx.input(0), ctx.input(1)
    _require_bool(ctx, [a, b])
    op, fold = _LOGIC[ctx.node.op_type]
    _emit(ctx, [a, b], np.dtype(np.bool_),
          lambda bb, s: bb.op(f"{op} {s[0]}, {s[1]}", "i1", "logic"), fold)


@emitter("Not")
def logical_not(ctx: ImportContext) -> None:
    """Elementwise negation of a bool tensor."""
    ctx.check_attrs([])
    x = ctx.input(0)
    _require_bool(ctx, [x])

    def body(bb: BodyBuilder, s: list) -> str:
        true = bb.fb.fresh("true")
        bb.fb.emit(f"{true} = arith.constant true")
        return bb.op(f"arith.xori {s[0]}, {true}", "i1", "not")

    _emit(ctx, [x], np.dtype(np.bool_), body, np.logical_not)


@emitter("Where")
def where(ctx: ImportContext) -> None:
    """condition ? x : y, the three broadcast together."""
    ctx.check_attrs([])
    condition, x, y = ctx.input(0), ctx.input(1), ctx.input(2)
    _require_bool(ctx, [condition])
    if x.dtype != y.dtype:
        raise ctx.error(f"X and Y have different dtypes ({x.dtype} and {y.dtype})")
    _emit(ctx, [condition, x, y], x.dtype,
          lambda bb, s: bb.select(s[0], s[1], s[2], x.kind.mlir), np.where)
