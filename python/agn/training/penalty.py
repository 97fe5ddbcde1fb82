"""The granularity penalty: lambda times the expected precision cost.

The cost of a model's last forward pass is its expected mean bits per
multiply-accumulate: each unit's MACs weighted by the bits of its levels
under the controller's relaxed distribution, averaged over the batch and
over the units by MACs:

    bits(model) = sum_u MACs_u * mean_batch(sum_l p_u(l) * bits(l)) / sum_u MACs_u

It is differentiable in the thresholds (through p) and lies between the
bits of the cheapest and the most precise levels (4 .. 32).
`granularity_penalty(model, lam) = lam * bits(model) / 32`: lambda is the
loss one would pay to run everything at f32 instead of for free.
"""

from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from agn.training.layers import units

F32_BITS = 32.0


def expected_bits(model: nn.Module) -> torch.Tensor:
    """Expected mean bits per MAC of the last forward pass (differentiable)."""
    total_macs = 0.0
    weighted = None
    for _, unit in units(model):
        p = unit.last_probabilities
        if p is None or not unit.adaptive:
            continue
        bits = (p * unit.controller.bits.to(p.dtype)).sum(dim=1).mean()
        term = bits * float(unit.macs_per_sample)
        weighted = term if weighted is None else weighted + term
        total_macs += float(unit.macs_per_sample)
    if weighted is None or total_macs == 0:
        return torch.tensor(F32_BITS)
    return weighted / total_macs


def granularity_penalty(model: nn.Module, lam: float = 1.0) -> torch.Tensor:
    """`lam` times the expected precision cost of the last forward pass
    (mean bits per MAC relative to f32); add it to the loss."""
    return lam * expected_bits(model) / F32_BITS


def hard_bits(model: nn.Module) -> float:
    """Mean bits per MAC of the last forward pass under the hard choices
    (what agn would run)."""
    total_macs = 0.0
    weighted = 0.0
    for _, unit in units(model):
        if unit.last_levels is None or not unit.adaptive:
            continue
        bits = unit.controller.bits[unit.last_levels].double().mean().item()
        weighted += bits * unit.macs_per_sample
        total_macs += unit.macs_per_sample
    return weighted / total_macs if total_macs else F32_BITS


def level_shares(model: nn.Module) -> Dict[str, Dict[str, float]]:
    """Per unit, the share of the last batch's samples at each level."""
    shares = {}
    for name, unit in units(model):
        if unit.last_levels is None:
            continue
        counts = torch.bincount(unit.last_levels, minlength=unit.controller.num_levels)
        total = max(int(counts.sum()), 1)
        shares[name] = {level: int(c) / total
                        for level, c in zip(unit.controller.levels, counts.tolist())}
    return shares
