"""Fake quantization with agn's semantics and straight-through gradients.

The forward pass rounds exactly as agn's compiled versions do
(agn-multiversion, agn-quantize-weights, `agn.quantize`):

- f16 / bf16: the contraction's inputs (activations and weights) rounded to
  that type; products and sums stay in f32.
- i8: symmetric; activations per row (per sample for convolutions: the
  contraction's row loop is the batch), weights per output channel;
  `scale = max|x| / 127` (1 for an all-zero group) and
  `q = clamp(round_half_even(x / scale), -127, 127)`.
- i4: i8 activations as above; weights symmetric with qmax = 7, per block
  of `block` (32) consecutive weights along the reduction dimension when
  it is the only reduction (dense layers) and splits into at least two
  blocks, per output channel otherwise (convolutions).

The backward pass is the straight-through estimator: the gradient of the
rounding is taken as the identity, so `d fake_quant(x) / dx = 1`.
"""

from __future__ import annotations

from typing import Optional

import torch

from agn.runtime import FALLBACK_LEVELS, LEVEL_BITS

#: Precision levels, least to most precise (agn's order and ordinals).
#: Training runs without agn's libraries, so this is the package's fallback
#: copy; the tests check it against the runtime's `agn.levels()`.
LEVELS = FALLBACK_LEVELS
#: Bit width of each level (the runtime's cost model).
BITS = LEVEL_BITS
#: Largest stored magnitude of the integer levels.
QMAX = {"i4": 7, "i8": 127}
#: agn's default i4 block size along the reduction dimension.
I4_BLOCK = 32


def straight_through(x: torch.Tensor, rounded: torch.Tensor) -> torch.Tensor:
    """`rounded` in the forward pass, the identity's gradient in the
    backward pass."""
    return x + (rounded - x).detach()


def _scales(amax: torch.Tensor, qmax: int) -> torch.Tensor:
    scale = amax / qmax
    return torch.where(amax > 0, scale, torch.ones_like(scale))


def quantize_symmetric(x: torch.Tensor, qmax: int, axis: Optional[int] = None,
                       block: Optional[int] = None, block_axis: Optional[int] = None
                       ) -> torch.Tensor:
    """Symmetric quantize-dequantize of `x` (no gradient handling).

    Granularity: one scale per index along `axis` (the other dimensions
    share it), or one per `block` consecutive elements along `block_axis`
    for each index of the other dimensions, or one for the whole tensor.
    """
    if block is not None:
        assert block_axis is not None
        moved = x.movedim(block_axis, -1)
        shape = moved.shape
        grouped = moved.reshape(*shape[:-1], shape[-1] // block, block)
        scale = _scales(grouped.abs().amax(dim=-1, keepdim=True), qmax)
        q = torch.clamp(torch.round(grouped / scale), -qmax, qmax) * scale
        return q.reshape(shape).movedim(-1, block_axis)
    if axis is None:
        scale = _scales(x.abs().amax(), qmax)
    else:
        dims = [d for d in range(x.dim()) if d != axis % x.dim()]
        scale = _scales(x.abs().amax(dim=dims, keepdim=True), qmax)
    return torch.clamp(torch.round(x / scale), -qmax, qmax) * scale


def round_float(x: torch.Tensor, level: str) -> torch.Tensor:
    """Rounds to f16 or bf16 and back (no gradient handling)."""
    dtype = torch.float16 if level == "f16" else torch.bfloat16
    return x.to(dtype).to(x.dtype)


def fake_quant_activation(x: torch.Tensor, level: str, row_dim: int = 0) -> torch.Tensor:
    """An activation as the `level` version of a unit sees it, with a
    straight-through gradient. Integer levels quantize to i8 per row
    (`row_dim`)."""
    if level == "f32":
        return x
    if level in ("f16", "bf16"):
        return straight_through(x, round_float(x, level))
    return straight_through(x, quantize_symmetric(x, QMAX["i8"], axis=row_dim))


def weight_block_size(weight: torch.Tensor, reduction_dim: Optional[int],
                      block: int = I4_BLOCK) -> Optional[int]:
    """The i4 block size agn uses for `weight`: `block` when the reduction
    dimension is a single dimension divisible into at least two blocks, else
    None (per output channel)."""
    if reduction_dim is None or block <= 0:
        return None
    size = weight.shape[reduction_dim]
    return block if size % block == 0 and size // block >= 2 else None


def fake_quant_weight(weight: torch.Tensor, level: str, channel_dim: int = 0,
                      reduction_dim: Optional[int] = None,
                      block: int = I4_BLOCK) -> torch.Tensor:
    """A weight as the `level` version stores it, with a straight-through
    gradient. `reduction_dim` is the reduction dimension when it is the only
    one (dense layers), None otherwise (convolutions)."""
    if level == "f32":
        return weight
    if level in ("f16", "bf16"):
        return straight_through(weight, round_float(weight, level))
    if level == "i8":
        return straight_through(weight, quantize_symmetric(weight, QMAX["i8"],
                                                           axis=channel_dim))
    blocks = weight_block_size(weight, reduction_dim, block)
    if blocks is not None:
        rounded = quantize_symmetric(weight, QMAX["i4"], block=blocks,
                                     block_axis=reduction_dim)
    else:
        rounded = quantize_symmetric(weight, QMAX["i4"], axis=channel_dim)
    return straight_through(weight, rounded)
