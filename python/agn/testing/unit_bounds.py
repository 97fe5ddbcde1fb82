"""Error bounds of one unit at one level, derived from the unit's own operands.

A unit's contraction ``y = op(a, w) + bias`` at level L is computed from
rounded operands ``a + da`` and ``w + dw``, and the sum of products in f32
(i8 and i4: exactly in i32, then rescaled in f32). Given the operands the
unit actually received, this module computes in float64:

- the exact result ``y = op(a, w) + bias``;
- each operand's rounding error bound, per element, as agn's scheme allows
  at L (lib/Dialect/AGN/Transforms/MultiVersion.cpp):
  - i8: activations to 127 steps of their largest magnitude, weights to 127
    steps of each output channel's (of each group's, for convolutions with
    more groups than filters per group; of the whole tensor for transposed
    convolutions); the error is at most half a step;
  - i4: the same with 7 steps for the weights (agn's per-block weight scales
    are at most the channel's, so the channel's step bounds them);
  - bf16, f16: at most u |x| (u = 2^-8, 2^-11), plus half of f16's
    subnormal step 2^-25: for the weights as they are, for the activations
    in units of the power of two agn scales them by (their largest magnitude
    into [1, 2));
  - f32: none;
  activations take their steps per row (MatMul, Gemm; one row's step for
  every batch, a bound of agn's) or per tensor (convolutions at batch 1;
  both operands of an Einsum, whose equation decides which is which);
- from those, per output element, the standard deviation ``sigma`` of the
  output error when each operand's rounding error is uniform on its bound
  and independent (variance bound^2 / 3), ``op(da^2, w^2) + op(a^2, dw^2)``
  over 3 -- evaluated by running the unit's own op on squared operands, as
  the op is bilinear -- and the worst case ``op(|da|, |w|) + op(|a|, |dw|) +
  op(|da|, |dw|)``.

The bound of an output element is the smaller of ``z sigma`` and the worst
case, plus the f32 rounding of the sum (``2^-24 max(64, sqrt(K)) op(|a|,
|w|)``) and of the rescale and bias (``2^-22 |y|``). ``z`` is the normal
quantile at which N elements all stay inside with probability 1 - 1e-6:
z = sqrt(2 ln(2 N / 1e-6)), 6.5 for a thousand elements, 7.5 for a million.
A correct unit stays inside with that probability; a wrong one (a wrong
scale, a misplaced element, a lost term) leaves it by far, since sigma is
a few thousandths of the largest |y| at i8 (1/290 to 1/160 on ONNX's single
convolutions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx

#: Unit roundoff of each float level.
FLOAT_ROUNDOFF = {"bf16": 2.0**-8, "f16": 2.0**-11, "f32": 0.0}

#: Steps per sign of each integer level's activations and weights.
INTEGER_STEPS = {"i8": (127, 127), "i4": (127, 7)}

#: Half of f16's subnormal spacing: the absolute rounding error of values
#: too small for f16's normal range.
F16_SUBNORMAL_HALF_STEP = 2.0**-25

#: The probability with which a correct unit may leave its bound.
FALSE_ALARM_PROBABILITY = 1e-6

Op = Callable[[np.ndarray, np.ndarray], np.ndarray]


class UnsupportedUnit(Exception):
    """A contraction node whose attributes this module does not model."""


@dataclass
class UnitCheck:
    """One unit at one level: how far its output lies from float64, in units
    of its derived bound (at most 1 passes)."""

    node: str
    #: max_j |y_j - ref_j| / bound_j.
    ratio: float
    #: max |y - ref| / max |ref|: the error in the harness's usual measure.
    error: float
    #: max_j sigma_j / max |ref|: the unit's relative noise, as its operands
    #: imply.
    relative_sigma: float

    @property
    def passed(self) -> bool:
        return self.ratio <= 1.0


def _attributes(node: onnx.NodeProto) -> Dict[str, object]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv_pads(node: onnx.NodeProto, sizes: Sequence[int], kernel: Sequence[int],
               strides: Sequence[int], dilations: Sequence[int],
               output_padding: Sequence[int]) -> List[int]:
    """The pads of an ONNX Conv or ConvTranspose (every begin, then every
    end) for inputs of spatial `sizes`, from `pads`, `auto_pad` or (for
    ConvTranspose) `output_shape`, as the ONNX operator documents them.
    ConvTranspose's pads crop its full result (negative ones extend it)."""
    attrs = _attributes(node)
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    spatial = len(sizes)
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    if node.op_type == "Conv":
        if auto_pad in (b"NOTSET", b"VALID"):
            return list(attrs.get("pads", [0] * (2 * spatial))) if auto_pad == b"NOTSET" \
                else [0] * (2 * spatial)
        totals = [max(0, (-(-n // s) - 1) * s + e - n)
                  for n, s, e in zip(sizes, strides, extents)]
        upper = auto_pad == b"SAME_UPPER"
    else:
        output_shape = attrs.get("output_shape")
        if output_shape is None and auto_pad in (b"NOTSET", b"VALID"):
            return list(attrs.get("pads", [0] * (2 * spatial))) if auto_pad == b"NOTSET" \
                else [0] * (2 * spatial)
        if output_shape is None:  # SAME_*: the input's size times the stride.
            output_shape = [n * s for n, s in zip(sizes, strides)]
        output_shape = list(output_shape)[-spatial:]
        totals = [s * (n - 1) + p + e - o for n, s, p, e, o in
                  zip(sizes, strides, output_padding, extents, output_shape)]
        upper = auto_pad == b"SAME_UPPER"
    begins = [t // 2 if upper else t - t // 2 for t in totals]
    return begins + [t - b for t, b in zip(totals, begins)]


def _conv_op(node: onnx.NodeProto, spatial: int) -> Op:
    """op(x, w) of an ONNX Conv or ConvTranspose, in float64 PyTorch."""
    import torch
    import torch.nn.functional as F

    attrs = _attributes(node)
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID", b"SAME_UPPER",
                                                 b"SAME_LOWER"):
        raise UnsupportedUnit(f"{node.op_type} with auto_pad {attrs['auto_pad'].decode()}")
    strides = list(attrs.get("strides", [1] * spatial))
    dilations = list(attrs.get("dilations", [1] * spatial))
    groups = int(attrs.get("group", 1))
    transpose = node.op_type == "ConvTranspose"
    output_padding = list(attrs.get("output_padding", [0] * spatial))

    def widths_of(begins: Sequence[int], ends: Sequence[int]) -> List[int]:
        # F.pad wants the last dimension's pair first.
        widths = []
        for d in reversed(range(spatial)):
            widths += [begins[d], ends[d]]
        return widths

    def op(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        pads = _conv_pads(node, x.shape[2:], w.shape[2:], strides, dilations, output_padding)
        begins, ends = pads[:spatial], pads[spatial:]
        if not transpose:
            conv = (F.conv1d, F.conv2d, F.conv3d)[spatial - 1]
            return conv(F.pad(tx, widths_of(begins, ends)), tw, stride=strides,
                        dilation=dilations, groups=groups).numpy()
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[spatial - 1]
        full = conv(tx, tw, stride=strides, dilation=dilations, groups=groups)
        # output_padding adds positions at the end that no product reaches;
        # pads crop the full result (negative ones extend it with zeros).
        full = F.pad(full, widths_of([max(0, -b) for b in begins],
                                     [p + max(0, -e) for p, e in zip(output_padding, ends)]))
        index = [slice(None), slice(None)] + [
            slice(max(0, begins[d]), full.shape[2 + d] - max(0, ends[d]))
            for d in range(spatial)]
        return full[tuple(index)].numpy()

    return op


def _einsum_op(node: onnx.NodeProto) -> Tuple[Op, Callable[[np.ndarray, np.ndarray], int]]:
    """op(x, y) of a two-operand ONNX Einsum, and its reduction length."""
    equation = "".join(str(_attributes(node)["equation"], "utf-8").split())
    if "." in equation:
        raise UnsupportedUnit("Einsum with an ellipsis")
    terms, _, out = equation.partition("->")
    if not out and "->" not in equation:
        letters = terms.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))

    def reduction(x: np.ndarray, y: np.ndarray) -> int:
        sizes = {}
        for term, shape in zip(terms.split(","), (x.shape, y.shape)):
            sizes.update(zip(term, shape))
        return int(np.prod([n for c, n in sizes.items() if c not in out]))

    return (lambda x, y: np.einsum(f"{terms}->{out}", x, y)), reduction


def _conv_weight_groups(node: onnx.NodeProto, w: np.ndarray) -> np.ndarray:
    """The weight's scale groups along its first dimension: one per filter,
    or one per group where there are more groups than filters per group
    (agn's scheme for depthwise convolutions)."""
    groups = int(_attributes(node).get("group", 1))
    filters = w.shape[0] if node.op_type == "Conv" else w.shape[1] * groups
    if node.op_type == "Conv" and groups > filters // groups:
        return np.repeat(np.arange(groups), filters // groups)
    return np.arange(w.shape[0])


GroupMax = Callable[[np.ndarray], np.ndarray]


def _tensor_max(x: np.ndarray) -> np.ndarray:
    return np.full(x.shape, np.abs(x).max() if x.size else 0.0)


def _operands(node: onnx.NodeProto, values: Sequence[Optional[np.ndarray]]
              ) -> Tuple[np.ndarray, np.ndarray]:
    """The two operands of a contraction, in float64."""
    if len(values) < 2 or values[1] is None or (node.op_type == "Einsum" and len(values) != 2):
        raise UnsupportedUnit(f"{node.op_type} of {len(values)} operands is no contraction "
                              "of two")
    return np.asarray(values[0], np.float64), np.asarray(values[1], np.float64)


def _unit_op(node: onnx.NodeProto, a: np.ndarray, w: np.ndarray
             ) -> Tuple[Op, GroupMax, GroupMax, int]:
    """The node's bilinear op; two functions giving each element of the
    activation and of the weight the largest magnitude of its scale group
    (or of a group that contains it); and the reduction length K."""
    if node.op_type in ("Conv", "ConvTranspose"):
        spatial = a.ndim - 2
        if spatial not in (1, 2, 3):
            raise UnsupportedUnit(f"{node.op_type} with {spatial} spatial dimensions")
        groups = _conv_weight_groups(node, w)
        transpose = node.op_type == "ConvTranspose"

        def group_max(x: np.ndarray) -> np.ndarray:
            if transpose:
                # The importer rewrites the weight (flipped, channels swapped
                # per group) before agn scales it: the tensor's largest
                # magnitude bounds whatever group a scale covers.
                return _tensor_max(x)
            per_filter = np.abs(x).reshape(x.shape[0], -1).max(axis=1)
            per_group = np.zeros(groups.max() + 1)
            np.maximum.at(per_group, groups, per_filter)
            return np.broadcast_to(per_group[groups].reshape((-1,) + (1,) * (x.ndim - 1)),
                                   x.shape)

        k = int(np.prod(w.shape[1:])) if not transpose else int(np.prod(w.shape[2:])) * w.shape[0]
        # One activation scale per image: the tensor's, at batch 1.
        return _conv_op(node, spatial), _tensor_max, group_max, k
    if node.op_type == "MatMul":
        if a.ndim < 2 or w.ndim < 2:
            raise UnsupportedUnit("MatMul of a vector")

        # Rows of the activation, columns of the weight, each shared by
        # every batch (agn collapses or broadcasts the batch dimensions).
        def row_max(x: np.ndarray) -> np.ndarray:
            axes = tuple(range(x.ndim - 2)) + (x.ndim - 1,)
            return np.broadcast_to(np.abs(x).max(axis=axes, keepdims=True), x.shape)

        def column_max(x: np.ndarray) -> np.ndarray:
            axes = tuple(range(x.ndim - 2)) + (x.ndim - 2,)
            return np.broadcast_to(np.abs(x).max(axis=axes, keepdims=True), x.shape)

        return np.matmul, row_max, column_max, a.shape[-1]
    if node.op_type == "Gemm":
        attrs = _attributes(node)
        alpha = float(attrs.get("alpha", 1.0))
        trans_a, trans_b = int(attrs.get("transA", 0)), int(attrs.get("transB", 0))

        def gemm(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return alpha * ((x.T if trans_a else x) @ (y.T if trans_b else y))

        def row_max(x: np.ndarray) -> np.ndarray:
            return np.broadcast_to(np.abs(x).max(axis=0 if trans_a else 1, keepdims=True),
                                   x.shape)

        def column_max(x: np.ndarray) -> np.ndarray:
            return np.broadcast_to(np.abs(x).max(axis=1 if trans_b else 0, keepdims=True),
                                   x.shape)

        return gemm, row_max, column_max, a.shape[0 if trans_a else 1]
    if node.op_type == "Einsum":
        op, reduction = _einsum_op(node)
        # Which operand agn scales by rows or channels depends on the
        # equation: the tensor's largest magnitude bounds either.
        return op, _tensor_max, _tensor_max, reduction(a, w)
    raise UnsupportedUnit(f"{node.op_type} is not a contraction")


def _bias(node: onnx.NodeProto, values: Sequence[Optional[np.ndarray]],
          shape: Tuple[int, ...]) -> np.ndarray:
    if len(values) < 3 or values[2] is None:
        return np.zeros(shape)
    bias = np.asarray(values[2], np.float64)
    if node.op_type == "Gemm":
        return float(_attributes(node).get("beta", 1.0)) * np.broadcast_to(bias, shape)
    # Conv, ConvTranspose: one per output channel.
    return np.broadcast_to(bias.reshape((-1,) + (1,) * (len(shape) - 2)), shape)


def operand_error_bounds(level: str, a: np.ndarray, w: np.ndarray, activation_max: GroupMax,
                         weight_max: GroupMax) -> Tuple[np.ndarray, np.ndarray]:
    """Per element, the largest rounding error of the activation `a` and the
    weight `w` at `level` (see the module docstring)."""
    if level in INTEGER_STEPS:
        a_steps, w_steps = INTEGER_STEPS[level]
        da = activation_max(a) / a_steps / 2
        dw = weight_max(w) / w_steps / 2
        return da, dw
    u = FLOAT_ROUNDOFF[level]
    da = u * np.abs(a)
    dw = u * np.abs(w)
    if level == "f16":
        # Subnormals round to an absolute step: the weights as they are, the
        # activations after the power of two that brings their largest
        # magnitude into [1, 2).
        largest = float(np.abs(a).max()) if a.size else 0.0
        scale = 2.0 ** math.floor(math.log2(largest)) if largest > 0 else 1.0
        da = da + F16_SUBNORMAL_HALF_STEP * scale
        dw = dw + F16_SUBNORMAL_HALF_STEP
    return da, dw


@dataclass
class RoundedOperands:
    """A unit's operands at one level: its bilinear op, the operands in
    float64, each element's largest rounding error, and the reduction
    length."""

    op: Op
    a: np.ndarray
    w: np.ndarray
    da: np.ndarray
    dw: np.ndarray
    k: int

    def sigma(self) -> np.ndarray:
        """Per output element, the standard deviation of the error when every
        rounding error is uniform on its bound and independent."""
        op, a, w, da, dw = self.op, self.a, self.w, self.da, self.dw
        return np.sqrt(np.maximum((op(da * da, w * w) + op(a * a, dw * dw)) / 3, 0.0))

    def worst_case(self) -> np.ndarray:
        """Per output element, the largest error the roundings allow."""
        op, da, dw = self.op, self.da, self.dw
        return op(da, np.abs(self.w)) + op(np.abs(self.a), dw) + op(da, dw)


def rounded_operands(node: onnx.NodeProto, values: Sequence[Optional[np.ndarray]],
                     level: str) -> RoundedOperands:
    """`node`'s operands `values` as `level` rounds them (raises
    UnsupportedUnit for what the bounds do not model)."""
    a, w = _operands(node, values)
    op, activation_max, weight_max, k = _unit_op(node, a, w)
    da, dw = operand_error_bounds(level, a, w, activation_max, weight_max)
    return RoundedOperands(op, a, w, da, dw, k)


def elementwise_quantile(count: int) -> float:
    """z such that `count` normal errors all stay within z standard
    deviations with probability 1 - FALSE_ALARM_PROBABILITY."""
    return math.sqrt(2 * math.log(2 * max(count, 1) / FALSE_ALARM_PROBABILITY))


def sample_error(node: onnx.NodeProto, values: Sequence[Optional[np.ndarray]], level: str,
                 rng: np.random.Generator) -> np.ndarray:
    """One draw of the unit's output error at `level` under the noise model:
    every operand element's rounding error uniform on its bound,
    independently; the error of the output is then exactly
    op(da, w) + op(a, dw) + op(da, dw), with the correlations the shared
    operands give it (one weight's error reaches every position of its
    channel)."""
    r = rounded_operands(node, values, level)
    da = r.da * rng.uniform(-1.0, 1.0, r.a.shape)
    dw = r.dw * rng.uniform(-1.0, 1.0, r.w.shape)
    return r.op(da, r.w) + r.op(r.a, dw) + r.op(da, dw)


def check_unit(node: onnx.NodeProto, values: Sequence[Optional[np.ndarray]],
               output: np.ndarray, level: str) -> UnitCheck:
    """Checks `output`, what agn computed for `node` at `level` from the
    operands `values` (the node's inputs as agn saw them), against float64
    within the derived bound."""
    r = rounded_operands(node, values, level)
    product = r.op(r.a, r.w)
    ref = product + _bias(node, values, product.shape)
    y = np.asarray(output, np.float64)
    name = node.name or node.output[0]
    if y.shape != ref.shape or not np.all(np.isfinite(y)):
        return UnitCheck(name, math.inf, math.inf, math.nan)

    sigma = r.sigma()
    rounding = (2.0**-24 * max(64.0, math.sqrt(r.k)) * r.op(np.abs(r.a), np.abs(r.w))
                + 2.0**-22 * np.abs(ref))
    bound = np.minimum(elementwise_quantile(ref.size) * sigma, r.worst_case()) + rounding
    diff = np.abs(y - ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(diff == 0, 0.0, diff / bound)
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    return UnitCheck(name,
                     ratio=float(ratios.max()) if ratios.size else 0.0,
                     error=float(diff.max()) / scale if scale > 0 else float(diff.max(initial=0)),
                     relative_sigma=float(sigma.max()) / scale if scale > 0 else 0.0)
