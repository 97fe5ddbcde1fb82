"""The cost model: multiply-accumulates per unit, bits per level, and the
mean bits per MAC of a policy.

A unit's cost at a level is `MACs(unit) * bits(level)`: the MACs come from
the runtime (each unit reports its MACs per call at each level when it
registers, `agn.runtime.unit_stats(...)["macs"]`), the bits from
`agn.runtime.LEVEL_BITS` (i4 4, i8 8, bf16 and f16 16, f32 32) -- the same
cost the granularity penalty of training uses. A model's mean bits per MAC
is the MAC-weighted mean over its units and calls:

    bits = sum_u MACs_u * mean_calls(bits(level_u)) / sum_u MACs_u

so 4 (everything at i4) .. 32 (everything at f32).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Sequence

from agn.runtime import LEVEL_BITS

#: The cheapest and the dearest mean bits per MAC a budget may ask for.
MIN_BITS = float(min(LEVEL_BITS.values()))
MAX_BITS = float(max(LEVEL_BITS.values()))


def level_bits(level: str) -> int:
    """The bit width of `level` (ValueError for an unknown level)."""
    try:
        return LEVEL_BITS[level]
    except KeyError:
        raise ValueError(f"unknown level {level!r}; expected one of "
                         f"{', '.join(LEVEL_BITS)}") from None


@dataclass(frozen=True)
class UnitCost:
    """One unit of a compiled model: its ONNX node, its runtime name and
    its multiply-accumulates per call."""

    node: str
    unit: str
    macs: int


def total_macs(units: Sequence[UnitCost]) -> int:
    """The MACs of one call of the model (its units)."""
    return sum(u.macs for u in units)


def mean_bits(units: Sequence[UnitCost], shares: Mapping[str, Mapping[str, float]]) -> float:
    """Mean bits per MAC when unit `u.node` runs each level for the share
    `shares[u.node][level]` of its calls (shares of a unit sum to 1)."""
    weighted = 0.0
    for u in units:
        unit_shares = shares[u.node]
        total = sum(unit_shares.values())
        if total <= 0:
            raise ValueError(f"unit {u.node!r} has no calls in its shares")
        weighted += u.macs * sum(s * level_bits(lv) for lv, s in unit_shares.items()) / total
    macs = total_macs(units)
    return weighted / macs if macs else MAX_BITS


def static_bits(units: Sequence[UnitCost], assignment: Mapping[str, str]) -> float:
    """Mean bits per MAC of a static assignment (one level per unit)."""
    return mean_bits(units, {u.node: {assignment[u.node]: 1.0} for u in units})


def granted_bits(units: Sequence[UnitCost],
                 granted: Mapping[str, Mapping[str, int]]) -> Dict[str, float]:
    """Per unit, the mean bits per call of the levels the runtime granted
    (calls per level, e.g. differences of `unit_stats()["granted"]`)."""
    out = {}
    for u in units:
        counts = granted[u.node]
        calls = sum(counts.values())
        if calls:
            out[u.node] = sum(c * level_bits(lv) for lv, c in counts.items()) / calls
    return out


def check_budget(bits: float) -> float:
    """`bits` as a float, or ValueError saying why it is not a budget."""
    try:
        value = float(bits)
    except (TypeError, ValueError):
        raise ValueError(f"the budget must be a number of mean bits per MAC, got {bits!r}") \
            from None
    if not MIN_BITS <= value <= MAX_BITS:
        raise ValueError(f"a budget of {value:g} mean bits per MAC is outside what agn's "
                         f"levels can give ({MIN_BITS:g}, everything at i4, to {MAX_BITS:g}, "
                         f"everything at f32); pick a budget in that range")
    return value
