"""Emitters for the contractions: MatMul, Gemm and Conv.

These are the ops agn-form-units turns into Granularity Units, so they are
written as the named linalg ops it recognises (`linalg.matmul`, possibly
with transposed indexing maps, `linalg.batch_matmul`,
`linalg.conv_2d_nchw_fchw`), accumulating into a zero-filled tensor, with the
bias and scaling as an elementwise `linalg.generic` epilogue after them.
Each contraction carries `agn.name` (the unit's name) and, when the model
stores one for the node, `agn.policy`.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.mlir_text import (BodyBuilder, affine_map, dense_i64_array,
                                identity_map, tensor_type)
from agn.onnx.registry import emitter
from agn.onnx.spatial import resolve_pads, spatial_attrs
from agn.onnx.tensor_ops import (broadcast_shape, collapse_dims,
                                 elementwise, expand_dim, pad, reshape)

Shape = Tuple[int, ...]


def _zero_init(ctx: ImportContext, shape: Sequence[int], dtype: np.dtype) -> str:
    return ctx.fb.filled(tuple(shape), dtype, 0)


def _unit_attrs(ctx: ImportContext) -> str:
    """The contraction's `{agn.name = ..., agn.policy = ...}` dictionary."""
    return "{" + ", ".join(ctx.unit_attribute_entries()) + "}"


def _require_same_dtype(ctx: ImportContext, *values: Value) -> None:
    for v in values[1:]:
        if v.dtype != values[0].dtype:
            raise ctx.error(f"inputs have different dtypes ({values[0].dtype} and "
                            f"{v.dtype})")
    if values[0].kind.is_bool:
        raise ctx.error("boolean inputs are not supported")


def _matmul2d(ctx: ImportContext, a: str, a_shape: Shape, b: str, b_shape: Shape,
              dtype: np.dtype, trans_a: bool = False, trans_b: bool = False) -> Tuple[str, Shape]:
    """`linalg.matmul` of 2-D operands, optionally transposed through its
    indexing maps (no data movement)."""
    m = a_shape[1] if trans_a else a_shape[0]
    n = b_shape[0] if trans_b else b_shape[1]
    out_shape = (m, n)
    init = _zero_init(ctx, out_shape, dtype)
    maps = ""
    if trans_a or trans_b:
        a_map = "(d0, d1, d2) -> (d2, d0)" if trans_a else "(d0, d1, d2) -> (d0, d2)"
        b_map = "(d0, d1, d2) -> (d1, d2)" if trans_b else "(d0, d1, d2) -> (d2, d1)"
        maps = (f" indexing_maps = [affine_map<{a_map}>, affine_map<{b_map}>, "
                f"affine_map<(d0, d1, d2) -> (d0, d1)>]")
    result = ctx.fb.fresh("mm")
    out_type = tensor_type(out_shape, dtype)
    ctx.fb.emit(f"{result} = linalg.matmul{maps} ins({a}, {b} : "
                f"{tensor_type(a_shape, dtype)}, {tensor_type(b_shape, dtype)}) "
                f"outs({init} : {out_type}) {_unit_attrs(ctx)} -> {out_type}")
    return result, out_shape


# ---------------------------------------------------------------------------
# MatMul
# ---------------------------------------------------------------------------


@emitter("MatMul")
def matmul(ctx: ImportContext) -> None:
    """NumPy matmul: 2-D x 2-D is `linalg.matmul`; a vector with a matrix or
    vector is `linalg.vecmat`, `linalg.matvec` or `linalg.dot`; N-D
    activations times a 2-D matrix collapse their leading dimensions into one
    `linalg.matmul`; equal-batch 3-D is `linalg.batch_matmul`; other batch
    broadcasts are a contraction `linalg.generic`. A 1-D operand of an N-D
    product gets a unit dimension."""
    ctx.check_attrs([])
    a, b = ctx.input(0), ctx.input(1)
    _require_same_dtype(ctx, a, b)
    if a.rank == 0 or b.rank == 0:
        raise ctx.error("MatMul needs operands of rank >= 1")
    dtype = a.dtype
    fb = ctx.fb
    if a.rank <= 2 and b.rank <= 2 and (a.rank == 1 or b.rank == 1):
        _vector_product(ctx, a, b)
        return
    a_ssa, a_shape = ctx.ssa(a), a.shape
    b_ssa, b_shape = ctx.ssa(b), b.shape
    # 1-D operands: (K) -> (1, K) and (K) -> (K, 1), squeezed again at the end.
    if a.rank == 1:
        a_ssa = reshape(fb, a_ssa, a_shape, (1,) + a_shape, dtype)
        a_shape = (1,) + a_shape
    if b.rank == 1:
        b_ssa = reshape(fb, b_ssa, b_shape, b_shape + (1,), dtype)
        b_shape = b_shape + (1,)
    if a_shape[-1] != b_shape[-2]:
        raise ctx.error(f"inner dimensions differ: {list(a.shape)} x {list(b.shape)}")
    try:
        batch = broadcast_shape([a_shape[:-2], b_shape[:-2]])
    except ValueError:
        raise ctx.error(f"batch dimensions of {list(a.shape)} and {list(b.shape)} "
                        "do not broadcast")
    m, n = a_shape[-2], b_shape[-1]
    full_shape = batch + (m, n)

    if len(b_shape) == 2:
        # Activations times a matrix: the shape of a dense layer.
        flat, flat_shape = a_ssa, a_shape
        if len(a_shape) > 2:
            flat, flat_shape = collapse_dims(fb, a_ssa, a_shape, 0, len(a_shape) - 1, dtype)
        result, _ = _matmul2d(ctx, flat, flat_shape, b_ssa, b_shape, dtype)
        result = reshape(fb, result, (flat_shape[0], n), full_shape, dtype)
    elif len(a_shape) == 3 and a_shape[:-2] == b_shape[:-2]:
        init = _zero_init(ctx, full_shape, dtype)
        result = fb.fresh("bmm")
        out_type = tensor_type(full_shape, dtype)
        fb.emit(f"{result} = linalg.batch_matmul ins({a_ssa}, {b_ssa} : "
                f"{tensor_type(a_shape, dtype)}, {tensor_type(b_shape, dtype)}) "
                f"outs({init} : {out_type}) {_unit_attrs(ctx)} -> {out_type}")
    else:
        result = _batched_contraction(ctx, a_ssa, a_shape, b_ssa, b_shape, batch, dtype)

    out_shape = list(full_shape)
    if b.rank == 1:
        out_shape.pop(-1)
    if a.rank == 1:
        out_shape.pop(-2 if b.rank != 1 else -1)
    result = reshape(fb, result, full_shape, tuple(out_shape), dtype)
    ctx.define(0, out_shape, dtype, ssa=result)


def _vector_product(ctx: ImportContext, a: Value, b: Value) -> None:
    """A 1-D operand with a matrix or another vector: `linalg.vecmat`
    (vector @ matrix), `linalg.matvec` (matrix @ vector) or `linalg.dot`."""
    if a.shape[-1] != b.shape[0]:
        raise ctx.error(f"inner dimensions differ: {list(a.shape)} x {list(b.shape)}")
    if a.rank == 1 and b.rank == 1:
        op, out_shape = "linalg.dot", ()
    elif a.rank == 1:
        op, out_shape = "linalg.vecmat", (b.shape[1],)
    else:
        op, out_shape = "linalg.matvec", (a.shape[0],)
    init = _zero_init(ctx, out_shape, a.dtype)
    result = ctx.fb.fresh("mv")
    out_type = tensor_type(out_shape, a.dtype)
    ctx.fb.emit(f"{result} = {op} ins({ctx.ssa(a)}, {ctx.ssa(b)} : {a.type}, {b.type}) "
                f"outs({init} : {out_type}) {_unit_attrs(ctx)} -> {out_type}")
    ctx.define(0, out_shape, a.dtype, ssa=result)


def _batched_contraction(ctx: ImportContext, a: str, a_shape: Shape, b: str,
                         b_shape: Shape, batch: Shape, dtype: np.dtype) -> str:
    """A broadcasting batched matmul as one `linalg.generic`: loops are the
    batch dimensions, m, n, then the reduction k."""
    nb = len(batch)
    loops = nb + 3
    m_d, n_d, k_d = f"d{nb}", f"d{nb + 1}", f"d{nb + 2}"

    def batch_results(shape: Shape) -> List[str]:
        offset = nb - (len(shape) - 2)
        return ["0" if size == 1 and batch[offset + i] != 1 else f"d{offset + i}"
                for i, size in enumerate(shape[:-2])]

    a_map = affine_map(loops, batch_results(a_shape) + [m_d, k_d])
    b_map = affine_map(loops, batch_results(b_shape) + [k_d, n_d])
    out_shape = batch + (a_shape[-2], b_shape[-1])
    out_map = affine_map(loops, [f"d{i}" for i in range(nb)] + [m_d, n_d])
    init = _zero_init(ctx, out_shape, dtype)
    kind = ctx.get(ctx.node.input[0]).kind

    def body(bb: BodyBuilder, s: List[str]) -> List[str]:
        return [bb.binary(kind, "add", s[2], bb.binary(kind, "mul", s[0], s[1]))]

    return ctx.fb.generic(
        [(a, tensor_type(a_shape, dtype)), (b, tensor_type(b_shape, dtype))],
        [(init, tensor_type(out_shape, dtype))], [a_map, b_map, out_map],
        ["parallel"] * (nb + 2) + ["reduction"], body, hint="bmm",
        attributes=ctx.unit_attribute_entries())[0]


# ---------------------------------------------------------------------------
# Gemm
# ---------------------------------------------------------------------------


@emitter("Gemm")
def gemm(ctx: ImportContext) -> None:
    """Y = alpha * A' B' + beta * C: a `linalg.matmul` (transposes through
    its indexing maps) and one epilogue generic for alpha, beta and the
    broadcast C."""
    ctx.check_attrs(["alpha", "beta", "transA", "transB", "broadcast"])
    a, b = ctx.input(0), ctx.input(1)
    c = ctx.optional_input(2)
    _require_same_dtype(ctx, a, b, *([c] if c is not None else []))
    if a.rank != 2 or b.rank != 2:
        raise ctx.error(f"A and B must be 2-D, got {list(a.shape)} and {list(b.shape)}")
    alpha = float(ctx.attr("alpha", 1.0))
    beta = float(ctx.attr("beta", 1.0))
    trans_a = bool(ctx.attr("transA", 0))
    trans_b = bool(ctx.attr("transB", 0))
    k_a = a.shape[0] if trans_a else a.shape[1]
    k_b = b.shape[1] if trans_b else b.shape[0]
    if k_a != k_b:
        raise ctx.error(f"inner dimensions differ: A' is {k_a}, B' is {k_b}")
    dtype = a.dtype
    result, shape = _matmul2d(ctx, ctx.ssa(a), a.shape, ctx.ssa(b), b.shape, dtype,
                              trans_a, trans_b)
    kind = a.kind
    if c is not None and beta != 0.0:
        try:
            if broadcast_shape([c.shape, shape]) != shape:
                raise ValueError
        except ValueError:
            raise ctx.error(f"C of shape {list(c.shape)} does not broadcast to "
                            f"{list(shape)}")

        def body(bb: BodyBuilder, s: List[str]) -> str:
            product = s[0] if alpha == 1.0 else bb.binary(kind, "mul", s[0],
                                                           bb.const(alpha, dtype))
            bias = s[1] if beta == 1.0 else bb.binary(kind, "mul", s[1],
                                                       bb.const(beta, dtype))
            return bb.binary(kind, "add", product, bias)

        result = elementwise(ctx.fb, [(result, shape, dtype), (ctx.ssa(c), c.shape, dtype)],
                             shape, dtype, body, hint="gemm")
    elif alpha != 1.0:
        result = elementwise(ctx.fb, [(result, shape, dtype)], shape, dtype,
                             lambda bb, s: bb.binary(kind, "mul", s[0],
                                                     bb.const(alpha, dtype)),
                             hint="gemm")
    ctx.define(0, shape, dtype, ssa=result)


# ---------------------------------------------------------------------------
# Conv
# ---------------------------------------------------------------------------


_NAMED_CONV = {1: "linalg.conv_1d_ncw_fcw", 2: "linalg.conv_2d_nchw_fchw",
               3: "linalg.conv_3d_ncdhw_fcdhw"}


def _grouped_conv_generic(ctx: ImportContext, x: str, x_shape: Shape, w: str,
                          w_shape: Shape, init: str, out_shape: Shape,
                          strides: Sequence[int], dilations: Sequence[int],
                          dtype: np.dtype) -> str:
    """A grouped convolution with no named linalg op (1-D and 3-D) as one
    contraction generic. Loops: n, g, f, o_1..o_k (parallel), c, w_1..w_k
    (reduction); X is [N, G, C/G, *sizes], W is [G, F/G, C/G, *kernel]."""
    n_sp = len(strides)
    loops = 4 + 2 * n_sp
    n, g, f = "d0", "d1", "d2"
    outs = [f"d{3 + i}" for i in range(n_sp)]
    c = f"d{3 + n_sp}"
    wins = [f"d{4 + n_sp + i}" for i in range(n_sp)]
    x_map = affine_map(loops, [n, g, c] + [f"{o} * {s} + {k} * {d}" for o, k, s, d in
                                           zip(outs, wins, strides, dilations)])
    w_map = affine_map(loops, [g, f, c] + wins)
    out_map = affine_map(loops, [n, g, f] + outs)
    kind = ctx.get(ctx.node.input[0]).kind

    def body(bb: BodyBuilder, s: List[str]) -> List[str]:
        return [bb.binary(kind, "add", s[2], bb.binary(kind, "mul", s[0], s[1]))]

    return ctx.fb.generic(
        [(x, tensor_type(x_shape, dtype)), (w, tensor_type(w_shape, dtype))],
        [(init, tensor_type(out_shape, dtype))], [x_map, w_map, out_map],
        ["parallel"] * (3 + n_sp) + ["reduction"] * (1 + n_sp), body, hint="gconv",
        attributes=ctx.unit_attribute_entries())[0]


@emitter("Conv")
def conv(ctx: ImportContext) -> None:
    """N-d convolution in NC... layout: explicit or automatic padding as a
    `tensor.pad`, then the convolution (see `emit_convolution`), then the
    bias as an epilogue generic."""
    ctx.check_attrs(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
    x, w = ctx.input(0), ctx.input(1)
    bias = ctx.optional_input(2)
    _require_same_dtype(ctx, x, w, *([bias] if bias is not None else []))
    if x.rank < 3 or w.rank != x.rank:
        raise ctx.error(f"expected X of rank >= 3 and W of the same rank, got "
                        f"{list(x.shape)} and {list(w.shape)}")
    n_sp = x.rank - 2
    if n_sp not in _NAMED_CONV:
        raise ctx.error(f"{n_sp}-D convolution is not supported (1-D to 3-D are)")
    group = int(ctx.attr("group", 1))
    kernel = list(w.shape[2:])
    declared = ctx.attr("kernel_shape", None)
    if declared is not None and list(declared) != kernel:
        raise ctx.error(f"kernel_shape {list(declared)} differs from W's {kernel}")
    strides = spatial_attrs(ctx, n_sp, "strides")
    dilations = spatial_attrs(ctx, n_sp, "dilations")
    begin, end = resolve_pads(ctx, x.shape[2:], kernel, strides, dilations)
    xp, xp_shape = pad(ctx.fb, ctx.ssa(x), x.shape, x.dtype, [0, 0] + begin, [0, 0] + end, 0)
    result, out_shape = emit_convolution(ctx, xp, xp_shape, ctx.ssa(w), w.shape, group,
                                         strides, dilations, x.dtype)
    if bias is not None:
        result = add_channel_bias(ctx, result, out_shape, bias)
    ctx.define(0, out_shape, x.dtype, ssa=result)


def emit_convolution(ctx: ImportContext, x: str, x_shape: Shape, w: str, w_shape: Shape,
                     group: int, strides: Sequence[int], dilations: Sequence[int],
                     dtype: np.dtype) -> Tuple[str, Shape]:
    """Convolves the (already padded) `x` [N, C, *sizes] with `w` [F, C/group,
    *kernel]: `linalg.conv_{1d,2d,3d}_nc..._fc...` (groups = 1),
    `linalg.conv_2d_ngchw_gfchw` (2-D, groups > 1) or a contraction generic
    (1-D and 3-D, groups > 1), with strides and dilations and the unit's
    attributes. Conv and ConvTranspose (rewritten as a convolution) share
    it. Returns the result and its shape [N, F, *out]."""
    n_sp = len(x_shape) - 2
    batch, channels = x_shape[:2]
    filters = w_shape[0]
    kernel = list(w_shape[2:])
    if group < 1 or channels % group or filters % group or w_shape[1] * group != channels:
        raise ctx.error(f"group={group} does not fit X channels {channels}, W "
                        f"{list(w_shape)}")
    out_sp = [(size - d * (k - 1) - 1) // s + 1
              for size, k, s, d in zip(x_shape[2:], kernel, strides, dilations)]
    if any(o < 1 for o in out_sp):
        raise ctx.error(f"the kernel {kernel} does not fit the padded input "
                        f"{list(x_shape[2:])}")
    out_shape = (batch, filters, *out_sp)
    attrs = ", ".join([f"dilations = {dense_i64_array(dilations)}",
                       f"strides = {dense_i64_array(strides)}"] +
                      ctx.unit_attribute_entries())
    fb = ctx.fb
    result = fb.fresh("conv")
    if group == 1:
        init = _zero_init(ctx, out_shape, dtype)
        out_type = tensor_type(out_shape, dtype)
        fb.emit(f"{result} = {_NAMED_CONV[n_sp]} {{{attrs}}} ins({x}, {w} : "
                f"{tensor_type(x_shape, dtype)}, {tensor_type(w_shape, dtype)}) "
                f"outs({init} : {out_type}) -> {out_type}")
        return result, out_shape
    xg, xg_shape = expand_dim(fb, x, x_shape, 1, [group, channels // group], dtype)
    wg, wg_shape = expand_dim(fb, w, w_shape, 0, [group, filters // group], dtype)
    og_shape = (batch, group, filters // group, *out_sp)
    init = _zero_init(ctx, og_shape, dtype)
    og_type = tensor_type(og_shape, dtype)
    if n_sp == 2:
        fb.emit(f"{result} = linalg.conv_2d_ngchw_gfchw {{{attrs}}} ins({xg}, {wg} : "
                f"{tensor_type(xg_shape, dtype)}, {tensor_type(wg_shape, dtype)}) "
                f"outs({init} : {og_type}) -> {og_type}")
    else:
        result = _grouped_conv_generic(ctx, xg, xg_shape, wg, wg_shape, init, og_shape,
                                       strides, dilations, dtype)
    result, _ = collapse_dims(fb, result, og_shape, 1, 2, dtype)
    return result, out_shape


def add_channel_bias(ctx: ImportContext, result: str, out_shape: Shape, bias: Value) -> str:
    """`result` [N, F, ...] plus the per-channel `bias` [F], as an epilogue
    generic (which agn-form-units takes into the convolution's unit)."""
    filters = out_shape[1]
    if bias.shape != (filters,):
        raise ctx.error(f"B has shape {list(bias.shape)}; expected [{filters}]")
    dtype = bias.dtype
    kind = bias.kind
    init = ctx.fb.empty(out_shape, dtype)
    out_type = tensor_type(out_shape, dtype)
    rank = len(out_shape)
    return ctx.fb.generic(
        [(result, out_type), (ctx.ssa(bias), bias.type)], [(init, out_type)],
        [identity_map(rank), affine_map(rank, ["d1"]), identity_map(rank)],
        ["parallel"] * rank,
        lambda bb, s: [bb.binary(kind, "add", s[0], s[1])], hint="bias")[0]
