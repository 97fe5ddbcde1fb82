"""ConvTranspose, imported as an ordinary convolution so that it forms a
contraction agn-form-units turns into a unit (and agn-quantize-weights can
quantize).

A transposed convolution with stride s, dilation d, kernel size K and pads
(b, e) scatters x[i] * w[k] to y[i*s + k*d - b]. The same sums come out of
a stride-1 convolution (dilation d) over x with s - 1 zeros inserted
between its elements and padded by d*(K-1) - b before and
d*(K-1) - e + output_padding after, with the kernel flipped spatially and
its in/out channels swapped per group. The kernel is rearranged with NumPy
at import, so W must be a constant; the zero insertion is one strided
`tensor.insert_slice` into a zero tensor (a `tensor.pad` when s = 1).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from agn.onnx.context import ImportContext, Value
from agn.onnx.mlir_text import FunctionBuilder, tensor_type
from agn.onnx.ops_linear import add_channel_bias, emit_convolution
from agn.onnx.registry import emitter
from agn.onnx.spatial import spatial_attrs
from agn.onnx.tensor_ops import pad

Shape = Tuple[int, ...]


@emitter("ConvTranspose")
def conv_transpose(ctx: ImportContext) -> None:
    """1-D to 3-D transposed convolution: strides, dilations, pads or
    auto_pad, output_padding, output_shape, group and an optional bias B."""
    ctx.check_attrs(["auto_pad", "dilations", "group", "kernel_shape", "output_padding",
                     "output_shape", "pads", "strides"])
    x, w, bias = _operands(ctx)
    n_sp = x.rank - 2
    group = int(ctx.attr("group", 1))
    channels = x.shape[1]
    if group < 1 or channels % group or w.shape[0] != channels:
        raise ctx.error(f"group={group} does not fit X channels {channels}, W "
                        f"{list(w.shape)}")
    kernel = list(w.shape[2:])
    declared = ctx.attr("kernel_shape", None)
    if declared is not None and list(declared) != kernel:
        raise ctx.error(f"kernel_shape {list(declared)} differs from W's {kernel}")
    strides = spatial_attrs(ctx, n_sp, "strides")
    dilations = spatial_attrs(ctx, n_sp, "dilations")
    output_padding = _output_padding(ctx, n_sp)
    begin, end = _transpose_pads(ctx, x.shape[2:], kernel, strides, dilations,
                                 output_padding)
    reach = [d * (k - 1) for k, d in zip(kernel, dilations)]
    out_sizes = [s * (n - 1) + 1 + r - b - e + p for n, s, r, b, e, p in
                 zip(x.shape[2:], strides, reach, begin, end, output_padding)]
    if min(out_sizes) < 1:
        raise ctx.error(f"pads {begin + end} leave an empty output {out_sizes}")

    # The equivalent convolution's padding of the zero-inserted input; a
    # negative amount crops instead.
    low = [r - b for r, b in zip(reach, begin)]
    high = [r - e + p for r, e, p in zip(reach, end, output_padding)]
    xs, xs_shape = _dilate_and_pad(ctx.fb, ctx.ssa(x), x.shape, x.dtype, strides, low, high)
    kernel_ssa = ctx.fb.constant_tensor(_convolution_kernel(w, group), hint="wt")
    result, out_shape = emit_convolution(
        ctx, xs, xs_shape, kernel_ssa, _kernel_shape(w.shape, group), group, [1] * n_sp,
        dilations, x.dtype)
    if bias is not None:
        result = add_channel_bias(ctx, result, out_shape, bias)
    ctx.define(0, out_shape, x.dtype, ssa=result)


def _operands(ctx: ImportContext) -> Tuple[Value, np.ndarray, Optional[Value]]:
    """X, the constant weights W and the optional bias B, checked: floats of
    one dtype, X and W of equal rank 3 to 5."""
    x, w, bias = ctx.input(0), ctx.input(1), ctx.optional_input(2)
    if not 3 <= x.rank <= 5 or w.rank != x.rank:
        raise ctx.error(f"expected X of rank 3 to 5 (1-D to 3-D) and W of the same rank, "
                        f"got {list(x.shape)} and {list(w.shape)}")
    if not x.kind.is_float:
        raise ctx.error(f"input '{x.name}' has dtype {x.dtype}; only floating-point "
                        "tensors are supported")
    for value in [w] + ([bias] if bias is not None else []):
        if value.dtype != x.dtype:
            raise ctx.error(f"inputs have different dtypes ({x.dtype} and {value.dtype})")
    if w.const is None:
        raise ctx.error(f"the weight W (input '{w.name}') must be a constant (an "
                        "initializer, a Constant node, or a graph input bound with "
                        "static_inputs=): the importer flips and transposes it into a "
                        "convolution kernel")
    return x, w.const, bias


def _output_padding(ctx: ImportContext, n: int) -> List[int]:
    """`output_padding`: n non-negative values, default 0."""
    values = ctx.attr("output_padding", None)
    values = [0] * n if values is None else [int(v) for v in values]
    if len(values) != n or any(v < 0 for v in values):
        raise ctx.error(f"output_padding {values} must be {n} non-negative values")
    return values


def _transpose_pads(ctx: ImportContext, in_sizes: Sequence[int], kernel: Sequence[int],
                    strides: Sequence[int], dilations: Sequence[int],
                    output_padding: Sequence[int]) -> Tuple[List[int], List[int]]:
    """The (begin, end) pads of the transposed convolution, as the ONNX
    operator defines them: from `output_shape` when given (pads are then
    ignored), from `auto_pad` SAME_UPPER / SAME_LOWER (output = input *
    stride), else `pads` (VALID: none).

    From a target output size, total = s*(in-1) + output_padding +
    d*(k-1) + 1 - out is split with the odd unit at the end for SAME_UPPER
    and at the beginning otherwise, as the ONNX specification (and its node
    tests) define it."""
    n = len(in_sizes)
    auto_pad = ctx.attr("auto_pad", "NOTSET") or "NOTSET"
    if auto_pad not in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"):
        raise ctx.error(f"auto_pad '{auto_pad}' is not supported")
    target = ctx.attr("output_shape", None)
    if target is not None:
        target = [int(v) for v in target]
        if len(target) == n + 2:  # some exporters include N and C
            target = target[2:]
        if len(target) != n or any(v < 1 for v in target):
            raise ctx.error(f"output_shape {target} must be {n} positive sizes")
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = [size * s for size, s in zip(in_sizes, strides)]
    if target is None:
        if auto_pad == "VALID":
            return [0] * n, [0] * n
        pads = ctx.attr("pads", None)
        pads = [0] * (2 * n) if pads is None else [int(p) for p in pads]
        if len(pads) != 2 * n or any(p < 0 for p in pads):
            raise ctx.error(f"pads {pads} must be {2 * n} non-negative values")
        return pads[:n], pads[n:]
    begin, end = [], []
    for size, k, s, d, p, out in zip(in_sizes, kernel, strides, dilations, output_padding,
                                     target):
        total = s * (size - 1) + p + d * (k - 1) + 1 - out
        small, large = total // 2, total - total // 2
        if auto_pad == "SAME_UPPER":
            begin.append(small)
            end.append(large)
        else:
            begin.append(large)
            end.append(small)
    return begin, end


def _dilate_and_pad(fb: FunctionBuilder, x: str, shape: Shape, dtype: np.dtype,
                    strides: Sequence[int], low: Sequence[int],
                    high: Sequence[int]) -> Tuple[str, Shape]:
    """`x` [N, C, *sizes] with strides[i] - 1 zeros between neighbours along
    each spatial dimension, then padded by low/high zeros (negative amounts
    crop); the result must not be empty. Returns the tensor and its shape."""
    sizes = shape[2:]
    if all(s == 1 for s in strides) and min(list(low) + list(high)) >= 0:
        return pad(fb, x, shape, dtype, [0, 0] + list(low), [0, 0] + list(high), 0)
    # Along each dimension x[i] lands at low + i*s of a tensor of
    # length (size-1)*s + 1 + low + high; elements landing outside are
    # cropped from x first.
    lengths = [(n - 1) * s + 1 + lo + hi for n, s, lo, hi in zip(sizes, strides, low, high)]
    first = [max(0, -(lo // s)) for lo, s in zip(low, strides)]
    last = [min(n - 1, (length - 1 - lo) // s)
            for n, s, lo, length in zip(sizes, strides, low, lengths)]
    out_shape = tuple(shape[:2]) + tuple(lengths)
    zeros = fb.filled(out_shape, dtype, 0)
    if any(a > b for a, b in zip(first, last)):
        return zeros, out_shape  # every element of x is cropped away
    kept = tuple(shape[:2]) + tuple(b - a + 1 for a, b in zip(first, last))
    if kept != tuple(shape):
        x = _extract(fb, x, shape, [0, 0] + first, kept, dtype)
    offsets = [0, 0] + [lo + a * s for lo, a, s in zip(low, first, strides)]
    result = fb.fresh("dilated")
    fb.emit(f"{result} = tensor.insert_slice {x} into {zeros}"
            f"[{', '.join(map(str, offsets))}] [{', '.join(map(str, kept))}] "
            f"[{', '.join(map(str, [1, 1] + list(strides)))}] : "
            f"{tensor_type(kept, dtype)} into {tensor_type(out_shape, dtype)}")
    return result, out_shape


def _extract(fb: FunctionBuilder, x: str, shape: Shape, offsets: Sequence[int],
             sizes: Sequence[int], dtype: np.dtype) -> str:
    """The unit-stride `tensor.extract_slice` of `x` at `offsets`."""
    result = fb.fresh("crop")
    fb.emit(f"{result} = tensor.extract_slice {x}[{', '.join(map(str, offsets))}] "
            f"[{', '.join(map(str, sizes))}] [{', '.join('1' for _ in sizes)}] : "
            f"{tensor_type(shape, dtype)} to {tensor_type(sizes, dtype)}")
    return result


def _kernel_shape(w_shape: Shape, group: int) -> Shape:
    """The convolution kernel's shape [F, C/group, *kernel] for ConvTranspose
    weights [C, F/group, *kernel]."""
    channels, filters_per_group = w_shape[:2]
    return (filters_per_group * group, channels // group, *w_shape[2:])


def _convolution_kernel(w: np.ndarray, group: int) -> np.ndarray:
    """ConvTranspose weights [C, F/group, *kernel] as the kernel of the
    equivalent convolution, [F, C/group, *kernel]: per group the two channel
    axes swap, and every spatial axis is reversed."""
    channels = w.shape[0]
    per_group = w.reshape(group, channels // group, *w.shape[1:])
    swapped = np.swapaxes(per_group, 1, 2)
    flipped = np.flip(swapped, axis=tuple(range(3, swapped.ndim)))
    return np.ascontiguousarray(flipped.reshape(_kernel_shape(w.shape, group)))
