"""Spatial attributes that Conv and the pooling ops share: strides,
dilations, and padding from `pads` or `auto_pad`."""

from __future__ import annotations

from typing import List, Sequence, Tuple

from agn.onnx.context import ImportContext


def resolve_pads(ctx: ImportContext, in_sizes: Sequence[int], kernel: Sequence[int],
                 strides: Sequence[int], dilations: Sequence[int]) -> Tuple[List[int], List[int]]:
    """The (begin, end) padding of each spatial dimension from `pads` or
    `auto_pad` (NOTSET, VALID, SAME_UPPER, SAME_LOWER)."""
    n = len(in_sizes)
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    pads = ctx.attr("pads", None)
    if auto_pad in ("NOTSET", ""):
        pads = list(pads) if pads is not None else [0] * (2 * n)
        if len(pads) != 2 * n:
            raise ctx.error(f"pads has {len(pads)} values; expected {2 * n}")
        if any(p < 0 for p in pads):
            raise ctx.error(f"negative pads {pads} are not supported")
        return pads[:n], pads[n:]
    if auto_pad == "VALID":
        return [0] * n, [0] * n
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for size, k, s, d in zip(in_sizes, kernel, strides, dilations):
            out = -(-size // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
            small, large = total // 2, total - total // 2
            if auto_pad == "SAME_UPPER":
                begin.append(small)
                end.append(large)
            else:
                begin.append(large)
                end.append(small)
        return begin, end
    raise ctx.error(f"auto_pad '{auto_pad}' is not supported")


def spatial_attrs(ctx: ImportContext, n: int, name: str) -> List[int]:
    """`strides` or `dilations`: n values, default 1."""
    values = ctx.attr(name, None)
    values = [1] * n if values is None else list(values)
    if len(values) != n or any(v < 1 for v in values):
        raise ctx.error(f"{name} {values} must be {n} positive values")
    return values
