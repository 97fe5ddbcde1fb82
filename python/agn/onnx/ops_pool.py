"""Emitters for pooling: MaxPool (with its optional Indices output),
AveragePool and GlobalAveragePool, for any number of spatial dimensions.

A pooling window is a `linalg.generic` whose reduction loops walk a
kernel-shaped `tensor.empty` (the idiom of linalg's named pooling ops), so
strides, dilations, padding and ceil mode are all just the input's indexing
map and the padded input's extent. Average pooling divides by a per-position
count that the importer computes at import time (it depends on shapes
only).
"""

from __future__ import annotations

import math
from typing import List, Tuple

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.limits import MAX_FOLD_ELEMENTS, foldable
from agn.onnx.mlir_text import BodyBuilder, ElementKind, affine_map, tensor_type
from agn.onnx.registry import emitter
from agn.onnx.spatial import resolve_pads, spatial_attrs
from agn.onnx.tensor_ops import elementwise, pad, reduce, reshape


class _Geometry:
    """Where each window of a pooling op reads: kernel, strides, dilations,
    padding (explicit plus the extra end padding ceil mode needs) and the
    output's spatial sizes."""

    def __init__(self, ctx: ImportContext, x: Value) -> None:
        n_sp = x.rank - 2
        kernel = ctx.attr("kernel_shape", None)
        if kernel is None or len(kernel) != n_sp:
            raise ctx.error(f"kernel_shape must have {n_sp} values, got {kernel}")
        self.kernel = [int(k) for k in kernel]
        if any(k < 1 for k in self.kernel):
            raise ctx.error(f"kernel_shape {self.kernel} must be positive sizes")
        self.strides = spatial_attrs(ctx, n_sp, "strides")
        self.dilations = spatial_attrs(ctx, n_sp, "dilations")
        self.sizes = list(x.shape[2:])
        self.begin, self.end = resolve_pads(ctx, self.sizes, self.kernel, self.strides,
                                            self.dilations)
        ceil_mode = bool(ctx.attr("ceil_mode", 0))
        self.out: List[int] = []
        self.extra: List[int] = []
        for size, k, s, d, b, e in zip(self.sizes, self.kernel, self.strides,
                                       self.dilations, self.begin, self.end):
            span = size + b + e - d * (k - 1) - 1
            if span < 0:
                raise ctx.error(f"the kernel {self.kernel} does not fit the padded input")
            out = (-(-span // s) if ceil_mode else span // s) + 1
            if ceil_mode and (out - 1) * s >= size + b:
                # The last window would start in the end padding: drop it.
                out -= 1
            self.out.append(out)
            self.extra.append(max(0, (out - 1) * s + d * (k - 1) + 1 - (size + b + e)))

    def padded(self, ctx: ImportContext, x: Value, value: float) -> Tuple[str, Tuple[int, ...]]:
        """`x` padded with `value` (explicit pads plus the ceil-mode extra)."""
        high = [e + x_ for e, x_ in zip(self.end, self.extra)]
        return pad(ctx.fb, ctx.ssa(x), x.shape, x.dtype, [0, 0] + self.begin,
                   [0, 0] + high, value)

    def input_map(self, rank: int) -> str:
        """(n, c, o..., w...) -> (n, c, o*s + w*d ...)."""
        n_sp = rank - 2
        results = ["d0", "d1"]
        for i in range(n_sp):
            o, w = f"d{2 + i}", f"d{2 + n_sp + i}"
            results.append(f"{o} * {self.strides[i]} + {w} * {self.dilations[i]}")
        return affine_map(2 + 2 * n_sp, results)

    def counts(self, ctx: ImportContext, include_pad: bool) -> np.ndarray:
        """How many elements each window averages over, shape `out`: those
        inside the input (include_pad=False) or inside the explicitly padded
        input (True); never the ceil-mode extra. A 0-d array when every
        window counts the same (so that no table of the output's size is
        built)."""
        per_dim = []
        for size, k, s, d, b, e, out in zip(self.sizes, self.kernel, self.strides,
                                            self.dilations, self.begin, self.end,
                                            self.out):
            if out * k > MAX_FOLD_ELEMENTS:
                raise ctx.error(f"the pooling windows ({out} of {k} elements along a "
                                "dimension) are too many for the importer to count at "
                                "import time")
            lo, hi = (0, size + b + e) if include_pad else (b, b + size)
            positions = np.arange(out)[:, None] * s + np.arange(k)[None, :] * d
            per_dim.append(((positions >= lo) & (positions < hi)).sum(axis=1))
        if all(c.size == 0 or np.all(c == c[0]) for c in per_dim):
            return np.array(math.prod(float(c[0]) if c.size else 1.0 for c in per_dim))
        if not foldable(self.out):
            raise ctx.error(f"the table of window sizes ({self.out}) is too large to "
                            "build at import time")
        counts = np.ones((), dtype=np.float64)
        for c in per_dim:
            counts = np.multiply.outer(counts, c)
        return counts


def _window_generic(ctx: ImportContext, geo: _Geometry, xp: str, xp_shape, x: Value,
                    outputs: List[Tuple[str, str]], body, hint: str) -> List[str]:
    rank = x.rank
    n_sp = rank - 2
    loops = 2 + 2 * n_sp
    window = ctx.fb.empty(geo.kernel, x.dtype)
    out_map = affine_map(loops, [f"d{i}" for i in range(2 + n_sp)])
    window_map = affine_map(loops, [f"d{2 + n_sp + i}" for i in range(n_sp)])
    return ctx.fb.generic(
        [(xp, tensor_type(xp_shape, x.dtype)), (window, tensor_type(geo.kernel, x.dtype))],
        outputs, [geo.input_map(rank), window_map] + [out_map] * len(outputs),
        ["parallel"] * (2 + n_sp) + ["reduction"] * n_sp, body, hint=hint)


def _lowest(kind: ElementKind) -> float:
    if kind.is_float:
        return -np.inf
    return 0 if kind.is_unsigned else int(np.iinfo(kind.dtype).min)


def _check_pool_input(ctx: ImportContext, x: Value) -> None:
    if x.rank < 3:
        raise ctx.error(f"expected an input of rank >= 3 (N, C, spatial...), got "
                        f"{list(x.shape)}")
    if x.kind.is_bool:
        raise ctx.error("boolean inputs are not supported")


@emitter("MaxPool")
def max_pool(ctx: ImportContext) -> None:
    """The maximum over each window (padding never wins); with a second
    output, the flat index of the maximum in the input (row-major, or
    column-major over the spatial dimensions with storage_order=1)."""
    ctx.check_attrs(["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                     "storage_order", "strides"])
    x = ctx.input(0)
    _check_pool_input(ctx, x)
    geo = _Geometry(ctx, x)
    kind = x.kind
    lowest = _lowest(kind)
    xp, xp_shape = geo.padded(ctx, x, lowest)
    out_shape = tuple(x.shape[:2]) + tuple(geo.out)
    out_type = tensor_type(out_shape, x.dtype)
    values_init = ctx.fb.filled(out_shape, x.dtype, lowest)
    with_indices = ctx.num_outputs() > 1
    if not with_indices:
        result = _window_generic(
            ctx, geo, xp, xp_shape, x, [(values_init, out_type)],
            lambda bb, s: [bb.binary(kind, "max", s[2], s[0])], "maxpool")[0]
        ctx.define(0, out_shape, x.dtype, ssa=result)
        return

    storage_order = int(ctx.attr("storage_order", 0))
    n_sp = x.rank - 2
    sizes = geo.sizes
    # Stride of each spatial dimension in the flat index.
    if storage_order == 0:
        steps = [int(np.prod(sizes[i + 1:])) for i in range(n_sp)]
    else:
        steps = [int(np.prod(sizes[:i])) for i in range(n_sp)]
    channel_step = int(np.prod(sizes))
    channels = x.shape[1]
    index_type = np.dtype(np.int64)
    indices_init = ctx.fb.filled(out_shape, index_type, 0)
    indices_type = tensor_type(out_shape, index_type)

    def body(bb: BodyBuilder, s: List[str]) -> List[str]:
        value, best, best_index = s[0], s[2], s[3]

        def c(v: int) -> str:
            name = bb.fb.fresh("k")
            bb.fb.emit(f"{name} = arith.constant {v} : index")
            return name

        def mul(a: str, b: str) -> str:
            return bb.op(f"arith.muli {a}, {b}", "index")

        def add(a: str, b: str) -> str:
            return bb.op(f"arith.addi {a}, {b}", "index")

        flat = add(mul(bb.index(0), c(channels)), bb.index(1))
        flat = mul(flat, c(channel_step))
        for i in range(n_sp):
            # Position in the unpadded input: o*s + w*d - begin.
            pos = add(mul(bb.index(2 + i), c(geo.strides[i])),
                      mul(bb.index(2 + n_sp + i), c(geo.dilations[i])))
            pos = bb.op(f"arith.subi {pos}, {c(geo.begin[i])}", "index")
            flat = add(flat, mul(pos, c(steps[i])))
        index = bb.cast("arith.index_cast", flat, "index", "i64")
        better = bb.cmp_gt(kind, value, best)
        return [bb.select(better, value, best, kind.mlir),
                bb.select(better, index, best_index, "i64")]

    values, indices = _window_generic(
        ctx, geo, xp, xp_shape, x, [(values_init, out_type), (indices_init, indices_type)],
        body, "maxpool")
    ctx.define(0, out_shape, x.dtype, ssa=values)
    ctx.define(1, out_shape, index_type, ssa=indices)


@emitter("AveragePool")
def average_pool(ctx: ImportContext) -> None:
    """The sum over each window (zero padding) divided by the number of
    elements counted (count_include_pad decides whether padding counts)."""
    ctx.check_attrs(["auto_pad", "ceil_mode", "count_include_pad", "dilations",
                     "kernel_shape", "pads", "strides"])
    x = ctx.input(0)
    _check_pool_input(ctx, x)
    if not x.kind.is_float:
        raise ctx.error(f"input has dtype {x.dtype}; only floating point is supported")
    geo = _Geometry(ctx, x)
    kind = x.kind
    xp, xp_shape = geo.padded(ctx, x, 0.0)
    out_shape = tuple(x.shape[:2]) + tuple(geo.out)
    init = ctx.fb.filled(out_shape, x.dtype, 0.0)
    sums = _window_generic(
        ctx, geo, xp, xp_shape, x, [(init, tensor_type(out_shape, x.dtype))],
        lambda bb, s: [bb.binary(kind, "add", s[2], s[0])], "avgpool")[0]
    counts = geo.counts(ctx, bool(ctx.attr("count_include_pad", 0))).astype(x.dtype)
    if np.all(counts == counts.reshape(-1)[0]):
        divisor = float(counts.reshape(-1)[0])
        result = elementwise(ctx.fb, [(sums, out_shape, x.dtype)], out_shape, x.dtype,
                             lambda bb, s: bb.binary(kind, "div", s[0],
                                                     bb.const(divisor, x.dtype)),
                             hint="avg")
    else:
        counts_ssa = ctx.fb.constant_tensor(counts, "counts")
        result = elementwise(ctx.fb, [(sums, out_shape, x.dtype),
                                      (counts_ssa, counts.shape, x.dtype)],
                             out_shape, x.dtype,
                             lambda bb, s: bb.binary(kind, "div", s[0], s[1]), hint="avg")
    ctx.define(0, out_shape, x.dtype, ssa=result)


@emitter("GlobalAveragePool")
def global_average_pool(ctx: ImportContext) -> None:
    """The mean over all spatial dimensions, which are kept with size 1."""
    ctx.check_attrs([])
    x = ctx.input(0)
    _check_pool_input(ctx, x)
    if not x.kind.is_float:
        raise ctx.error(f"input has dtype {x.dtype}; only floating point is supported")
    kind = x.kind
    spatial = list(range(2, x.rank))
    count = float(np.prod(x.shape[2:]))
    sums, sums_shape = reduce(ctx.fb, ctx.ssa(x), x.shape, x.dtype, spatial, "add",
                              hint="gap")
    mean = elementwise(ctx.fb, [(sums, sums_shape, x.dtype)], sums_shape, x.dtype,
                       lambda bb, s: bb.binary(kind, "div", s[0], bb.const(count, x.dtype)),
                       hint="mean")
    out_shape = tuple(x.shape[:2]) + (1,) * len(spatial)
    result = reshape(ctx.fb, mean, sums_shape, out_shape, x.dtype)
    ctx.define(0, out_shape, x.dtype, ssa=result)
