"""Resize (opsets 10 to 19) with constant scales or sizes: nearest, linear
and cubic interpolation; and Upsample (opsets 7 to 10), its older form.

Resize is separable: the N-d result is a 1-d interpolation along each
resized axis in turn (the ONNX reference implementation recurses the same
way, and exclude_outside renormalizes each axis on its own). For each axis
the importer works out, with exact rational arithmetic, which input
elements ("taps": 1 for nearest, 2 for linear, 4 for cubic) each output
element reads and with what weights, and writes one `linalg.generic` per
axis that reads those tables as constants and `tensor.extract`s the taps.
Nearest is then a pure gather, exact for every dtype.

The ONNX definitions followed (per axis, x_out an output index):

- output size: floor(in * scale) with `scales` (multiplied in f32, as ONNX
  shape inference and ONNX Runtime do), else `sizes`;
- the source coordinate x_in from coordinate_transformation_mode, with
  scale = out / in for `sizes` and the target length in * scale (possibly
  fractional) for align_corners and pytorch_half_pixel, as in the ONNX
  reference;
- nearest: x_in rounded by nearest_mode, clamped to the input;
- linear and cubic: the taps around floor(x_in) with the linear or cubic
  (coefficient `cubic_coeff_a`) kernel of the fraction, indices clamped to
  the edge, or, with exclude_outside, taps outside the input dropped and the
  weights renormalized.

Opset 10 has no coordinate_transformation_mode: it is asymmetric, and
nearest rounds down when upsampling and up when downsampling (as Upsample
and ONNX Runtime do). Not supported: tf_crop_and_resize, antialias = 1,
non-constant scales or sizes.

Where runtimes differ this follows the definition and ONNX's node tests
(onnx/onnx#2462): align_corners divides by the fractional target length,
where ONNX Runtime and PyTorch use the integer output size; and every
listed axis is transformed, even at scale 1, where tf_half_pixel_for_nn's
half-pixel shift moves it under ceil rounding or linear weights (ONNX
Runtime leaves scale-1 axes alone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import List, Optional, Sequence, Tuple

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.limits import foldable
from agn.onnx.mlir_text import BodyBuilder, affine_map, element_type, tensor_type
from agn.onnx.registry import emitter

Shape = Tuple[int, ...]

_MODES = ("nearest", "linear", "cubic")
_COORDINATE_MODES = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                     "align_corners", "asymmetric", "tf_half_pixel_for_nn")
_NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


@dataclass
class ResizeOptions:
    """The interpolation an axis is resized with (the node's attributes)."""

    mode: str = "nearest"
    coordinate_mode: str = "half_pixel"
    #: One of _NEAREST_MODES, or "simple" (opset 10).
    nearest_mode: str = "round_prefer_floor"
    cubic_coeff_a: Fraction = Fraction(-3, 4)
    exclude_outside: bool = False


@dataclass
class AxisResize:
    """How one axis is resized: its output size, the scale the coordinates
    use, and the target length in * scale (fractional for some scales)."""

    axis: int
    in_size: int
    out_size: int
    scale: Fraction
    target: Fraction


#: One axis's gather table: the axis, tap indices [out, taps], weights [out, taps].
Table = Tuple[int, np.ndarray, np.ndarray]

#: The largest output size of one resized axis. The tables are worked out
#: per output index in exact rational arithmetic (tens of microseconds
#: each), so a corrupt scale or size must not make the importer spend hours
#: on them; 65536 is far beyond the images and feature maps models resize.
MAX_AXIS_OUTPUT = 2 ** 16


@emitter("Resize")
def resize(ctx: ImportContext) -> None:
    """Resize (see the module docstring): one gather-and-weigh generic per
    axis whose size or sampling changes."""
    x = ctx.input(0)
    options = _options(ctx)
    _resize(ctx, x, options, _axis_resizes(ctx, x))


@emitter("Upsample")
def upsample(ctx: ImportContext) -> None:
    """Upsample (opsets 7 to 10), the form of Resize before opset 10: the
    same as Resize of opset 10 (asymmetric coordinates, nearest rounding
    down, linear clamped at the edges), with the scales as an attribute
    (opset 7) or input 1 (opset 9)."""
    x = ctx.input(0)
    ctx.check_attrs(["mode", "scales"] if ctx.opset < 9 else ["mode"])
    options = ResizeOptions(mode=ctx.attr("mode", "nearest"), coordinate_mode="asymmetric",
                            nearest_mode="simple")
    if options.mode not in _MODES[:2]:
        raise ctx.error(f"mode '{options.mode}' is not supported (supported: "
                        f"{', '.join(_MODES[:2])})")
    if ctx.opset < 9:
        if ctx.attr("scales", None) is None:
            raise ctx.error("the scales attribute is missing")
        scales = np.asarray(ctx.attr("scales"), np.float32)
    else:
        scales = ctx.constant_input(1, "scales").reshape(-1)
    if len(scales) != x.rank:
        raise ctx.error(f"scales has {len(scales)} values; expected {x.rank} (one per axis)")
    axes = [_from_scale(ctx, axis, x.shape[axis], value)
            for axis, value in enumerate(scales.astype(np.float32))]
    _resize(ctx, x, options, axes)


def _resize(ctx: ImportContext, x: Value, options: ResizeOptions,
            axes: List[AxisResize]) -> None:
    """Defines the node's output: `x` resized along `axes`."""
    if options.mode != "nearest" and not x.kind.is_float:
        raise ctx.error(f"mode '{options.mode}' needs floating-point data; input "
                        f"'{x.name}' has dtype {x.dtype}")
    for axis in axes:
        if axis.out_size > MAX_AXIS_OUTPUT:
            raise ctx.error(f"axis {axis.axis} would be resized from {axis.in_size} to "
                            f"{axis.out_size} elements, more than the importer supports "
                            f"({MAX_AXIS_OUTPUT}); the scales or sizes are probably corrupt")
    out_shape, tables = _plan(axes, x.shape, options)
    if 0 in out_shape:
        ctx.define(0, out_shape, x.dtype, ssa=ctx.fb.empty(out_shape, x.dtype))
        return
    if x.const is not None and foldable(out_shape):
        ctx.define_const(0, _fold(x.const, tables))
        return
    result, shape = ctx.ssa(x), x.shape
    for axis, indices, weights in tables:
        result, shape = _emit_axis(ctx, result, shape, x.dtype, axis, indices, weights)
    ctx.define(0, shape, x.dtype, ssa=result)


def _plan(axes: List[AxisResize], shape: Shape,
          options: ResizeOptions) -> Tuple[Shape, List[Table]]:
    """The output shape, and the tables of the axes that change, the
    downsampled ones first so that later passes touch fewer elements."""
    tables = []
    for axis in sorted(axes, key=lambda a: Fraction(a.out_size, max(a.in_size, 1))):
        shape = shape[:axis.axis] + (axis.out_size,) + shape[axis.axis + 1:]
        if axis.out_size == 0:
            continue
        indices, weights = _axis_taps(axis, options)
        if axis.out_size != axis.in_size or not _is_identity(indices, weights):
            tables.append((axis.axis, indices, weights))
    return shape, tables


# ---------------------------------------------------------------------------
# Attributes and operands
# ---------------------------------------------------------------------------


def _options(ctx: ImportContext) -> ResizeOptions:
    """The node's interpolation attributes, checked; opset 10 has only
    `mode`, opset 18 adds antialias, axes and keep_aspect_ratio_policy."""
    if ctx.opset < 11:
        ctx.check_attrs(["mode"])
        options = ResizeOptions(coordinate_mode="asymmetric", nearest_mode="simple")
    else:
        known = ["coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
                 "extrapolation_value", "mode", "nearest_mode"]
        if ctx.opset >= 18:
            known += ["antialias", "axes", "keep_aspect_ratio_policy"]
        ctx.check_attrs(known)
        options = ResizeOptions(
            coordinate_mode=ctx.attr("coordinate_transformation_mode", "half_pixel"),
            nearest_mode=ctx.attr("nearest_mode", "round_prefer_floor"),
            # The attribute is an f32; its value is exact as a fraction.
            cubic_coeff_a=_finite_fraction(ctx, "cubic_coeff_a",
                                           ctx.attr("cubic_coeff_a", -0.75)),
            exclude_outside=bool(ctx.attr("exclude_outside", 0)))
        if options.coordinate_mode == "tf_crop_and_resize":
            raise ctx.error("coordinate_transformation_mode 'tf_crop_and_resize' is not "
                            f"supported (supported: {', '.join(_COORDINATE_MODES)})")
        if options.coordinate_mode not in _COORDINATE_MODES:
            raise ctx.error(f"coordinate_transformation_mode '{options.coordinate_mode}' "
                            f"is not supported (supported: {', '.join(_COORDINATE_MODES)})")
        if options.nearest_mode not in _NEAREST_MODES:
            raise ctx.error(f"nearest_mode '{options.nearest_mode}' is not supported "
                            f"(supported: {', '.join(_NEAREST_MODES)})")
        if int(ctx.attr("antialias", 0)) != 0:
            raise ctx.error("antialias=1 is not supported (only 0)")
    options.mode = ctx.attr("mode", "nearest")
    modes = _MODES if ctx.opset >= 11 else _MODES[:2]
    if options.mode not in modes:
        raise ctx.error(f"mode '{options.mode}' is not supported (supported: "
                        f"{', '.join(modes)})")
    return options


def _finite_fraction(ctx: ImportContext, name: str, value: float) -> Fraction:
    """The attribute `name`'s float value as an exact fraction (it must be
    finite)."""
    if not math.isfinite(float(value)):
        raise ctx.error(f"attribute '{name}' is {value}; it must be finite")
    return Fraction(float(value))


def _present_constant(ctx: ImportContext, index: int, what: str) -> Optional[np.ndarray]:
    """Input `index` as a constant, or None when it is absent or empty (older
    exporters pass an empty tensor for the unused one of scales and sizes)."""
    value = ctx.optional_input(index)
    if value is None or 0 in value.shape:
        return None
    return ctx.constant_input(index, what).reshape(-1)


def _axis_resizes(ctx: ImportContext, x: Value) -> List[AxisResize]:
    """How each axis named by `axes` (opset 18; else every axis) is resized,
    from the constant `scales` or `sizes`."""
    if ctx.opset < 11:
        scales, sizes = _present_constant(ctx, 1, "scales"), None
    else:
        scales = _present_constant(ctx, 2, "scales")
        sizes = _present_constant(ctx, 3, "sizes")
    if (scales is None) == (sizes is None):
        raise ctx.error("exactly one of scales and sizes must be given (and non-empty)")
    given = scales if scales is not None else sizes
    axes = ctx.attr("axes", None)
    if axes is None:
        axes = list(range(x.rank))
    else:
        if any(not -x.rank <= a < x.rank for a in axes):
            raise ctx.error(f"axes {list(axes)} are out of range for rank {x.rank}")
        axes = [a % x.rank for a in axes]
        if len(set(axes)) != len(axes):
            raise ctx.error(f"axes {list(axes)} repeat an axis")
    if len(given) != len(axes):
        raise ctx.error(f"{'scales' if scales is not None else 'sizes'} has {len(given)} "
                        f"values; expected {len(axes)} (one per axis)")
    if scales is not None:
        return [_from_scale(ctx, axis, x.shape[axis], value)
                for axis, value in zip(axes, scales.astype(np.float32))]
    return _from_sizes(ctx, x, axes, ctx.constant_ints(3, "sizes"))


def _from_scale(ctx: ImportContext, axis: int, in_size: int, value: np.float32) -> AxisResize:
    """An axis resized by the f32 scale `value`."""
    if not (value > 0 and math.isfinite(value)):
        raise ctx.error(f"scale {float(value)} of axis {axis} must be positive and finite")
    # floor(in * scale) with the product in f32, as ONNX shape inference
    # computes it: 3 * f32(5/3) is 5, as exporters expect.
    out_size = int(math.floor(np.float32(in_size) * value))
    scale = Fraction(float(value))
    return AxisResize(axis, in_size, out_size, scale, in_size * scale)


def _from_sizes(ctx: ImportContext, x: Value, axes: Sequence[int],
                sizes: Sequence[int]) -> List[AxisResize]:
    """Axes resized to `sizes`: stretched (each its own scale), or, with
    keep_aspect_ratio_policy not_larger / not_smaller, all by the smallest
    / largest of the ratios, rounding the sizes half up."""
    policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
    if policy not in ("stretch", "not_larger", "not_smaller"):
        raise ctx.error(f"keep_aspect_ratio_policy '{policy}' is not supported")
    if any(s < 0 for s in sizes):
        raise ctx.error(f"sizes {list(sizes)} must be non-negative")
    if any(x.shape[a] == 0 for a in axes):
        raise ctx.error("cannot resize an empty axis to a size")
    ratios = [Fraction(size, x.shape[a]) for a, size in zip(axes, sizes)]
    if policy == "stretch":
        return [AxisResize(a, x.shape[a], size, ratio, Fraction(size))
                for a, size, ratio in zip(axes, sizes, ratios)]
    scale = min(ratios) if policy == "not_larger" else max(ratios)
    if scale == 0:
        raise ctx.error(f"sizes {list(sizes)} give a zero scale")
    return [AxisResize(a, x.shape[a], math.floor(x.shape[a] * scale + Fraction(1, 2)), scale,
                       x.shape[a] * scale) for a in axes]


# ---------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------


def _source_coordinate(x_out: int, axis: AxisResize, mode: str) -> Fraction:
    """The input coordinate output index `x_out` samples, exactly."""
    s, n = axis.scale, axis.in_size
    centre = (x_out + Fraction(1, 2)) / s
    if mode == "half_pixel":
        return centre - Fraction(1, 2)
    if mode == "half_pixel_symmetric":
        adjustment = axis.out_size / axis.target
        return Fraction(n, 2) * (1 - adjustment) + centre - Fraction(1, 2)
    if mode == "pytorch_half_pixel":
        return centre - Fraction(1, 2) if axis.target > 1 else Fraction(0)
    if mode == "align_corners":
        return Fraction(0) if axis.target == 1 else x_out * (n - 1) / (axis.target - 1)
    if mode == "asymmetric":
        return x_out / s
    if mode == "tf_half_pixel_for_nn":
        return centre
    raise ValueError(f"unknown coordinate_transformation_mode {mode!r}")


def _nearest(coordinate: Fraction, mode: str, scale: Fraction) -> int:
    """`coordinate` rounded to an index by nearest_mode."""
    below = math.floor(coordinate)
    fraction = coordinate - below
    if fraction == 0:
        return below
    if mode == "simple":  # opset 10
        mode = "ceil" if scale < 1 else "floor"
    up = {"round_prefer_floor": fraction > Fraction(1, 2),
          "round_prefer_ceil": fraction >= Fraction(1, 2),
          "floor": False, "ceil": True}[mode]
    return below + 1 if up else below


def _cubic_weights(t: Fraction, a: Fraction) -> List[Fraction]:
    """Keys' cubic kernel at distances 1+t, t, 1-t, 2-t: the weights of the
    taps floor-1 .. floor+2 for a coordinate `t` past floor."""

    def near(d: Fraction) -> Fraction:  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: Fraction) -> Fraction:  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return [far(1 + t), near(t), near(1 - t), far(2 - t)]


def _axis_taps(axis: AxisResize, options: ResizeOptions) -> Tuple[np.ndarray, np.ndarray]:
    """The gather table of one axis: indices [out, taps] (int64, within the
    input) and weights [out, taps] (float64), for every output index."""
    taps = {"nearest": 1, "linear": 2, "cubic": 4}[options.mode]
    indices = np.zeros((axis.out_size, taps), np.int64)
    weights = np.zeros((axis.out_size, taps), np.float64)
    last = axis.in_size - 1
    for i in range(axis.out_size):
        coordinate = _source_coordinate(i, axis, options.coordinate_mode)
        if options.mode == "nearest":
            index = _nearest(coordinate, options.nearest_mode, axis.scale)
            indices[i, 0] = min(max(index, 0), last)
            weights[i, 0] = 1.0
            continue
        below = math.floor(coordinate)
        t = coordinate - below
        if options.mode == "linear":
            raw, w = [below, below + 1], [1 - t, t]
        else:
            raw = [below - 1, below, below + 1, below + 2]
            w = _cubic_weights(t, options.cubic_coeff_a)
        if options.exclude_outside:
            w = [wk if 0 <= r <= last else Fraction(0) for wk, r in zip(w, raw)]
            total = sum(w)
            w = [wk / total for wk in w]
        indices[i] = [min(max(r, 0), last) for r in raw]
        weights[i] = [float(wk) for wk in w]
    return indices, weights


def _is_identity(indices: np.ndarray, weights: np.ndarray) -> bool:
    """Whether output i is exactly input i for every output index i (on an
    axis that keeps its size, nothing to do)."""
    rows = np.arange(indices.shape[0])[:, None]
    return bool(np.all((weights == 0) | (indices == rows)) and
                np.all(np.where(indices == rows, weights, 0).sum(axis=1) == 1))


def _fold(x: np.ndarray, tables: List[Table]) -> np.ndarray:
    """The resize of a constant, with NumPy, in the tensor's dtype."""
    for axis, indices, weights in tables:
        if indices.shape[1] == 1:
            x = np.take(x, indices[:, 0], axis=axis)
            continue
        shape = [1] * x.ndim
        shape[axis] = -1
        total = np.zeros(x.shape[:axis] + (indices.shape[0],) + x.shape[axis + 1:], x.dtype)
        for k in range(indices.shape[1]):
            total = total + np.take(x, indices[:, k], axis=axis) * \
                weights[:, k].astype(x.dtype).reshape(shape)
        x = total
    return x


# ---------------------------------------------------------------------------
# IR
# ---------------------------------------------------------------------------


def _emit_axis(ctx: ImportContext, src: str, shape: Shape, dtype: np.dtype, axis: int,
               indices: np.ndarray, weights: np.ndarray) -> Tuple[str, Shape]:
    """One all-parallel generic over the output that reads, per output index
    along `axis`, the tap indices and weights (constant vectors, one per
    tap) and sums weight * src[..., index, ...]; a nearest table is a pure
    gather."""
    fb = ctx.fb
    out_size, taps = indices.shape
    out_shape = shape[:axis] + (out_size,) + shape[axis + 1:]
    rank = len(shape)
    index_type = np.dtype(np.int64)
    tables = [(fb.constant_tensor(np.ascontiguousarray(indices[:, k]), hint="taps"),
               tensor_type((out_size,), index_type)) for k in range(taps)]
    if taps > 1:
        tables += [(fb.constant_tensor(weights[:, k].astype(dtype), hint="weights"),
                    tensor_type((out_size,), dtype)) for k in range(taps)]
    table_map = affine_map(rank, [f"d{axis}"])
    kind = ctx.input(0).kind
    src_type = tensor_type(shape, dtype)

    def body(bb: BodyBuilder, s: List[str]) -> List[str]:
        coords = [bb.index(d) if d != axis else "" for d in range(rank)]
        total = None
        for k in range(taps):
            coords[axis] = bb.cast("arith.index_cast", s[k], element_type(index_type),
                                   "index")
            value = bb.fb.fresh("x")
            bb.fb.emit(f"{value} = tensor.extract {src}[{', '.join(coords)}] : {src_type}")
            if taps == 1:
                return [value]
            term = bb.binary(kind, "mul", s[taps + k], value)
            total = term if total is None else bb.binary(kind, "add", total, term)
        return [total]

    init = fb.empty(out_shape, dtype)
    result = fb.generic(tables, [(init, tensor_type(out_shape, dtype))],
                        [table_map] * len(tables) + [affine_map(rank, [f"d{i}"
                                                                     for i in range(rank)])],
                        ["parallel"] * rank, body, hint="resize")[0]
    return result, out_shape
