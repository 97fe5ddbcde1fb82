"""Thresholds on the controller's statistic, and the calibration of the
adaptive-uniform policy to a mean-bits budget.

`threshold_for_top` places a threshold that the m largest of a unit's
statistics reach, and `reaching` says which calls reach one, as the
compiled controller compares (both kinds of adaptive policy use them).

The adaptive-uniform policy gives each unit two levels, `lower[u]` and
`upper[u]` (the levels around the budget, `plans.py`), and one threshold
t_u on its controller statistic:
a call runs at `upper[u]` when the statistic is >= t_u (agn.select's
rule: the level index is the number of thresholds at or below the
statistic). Every unit puts its threshold at the same rank of its own
statistics on the calibration calls: with N calls and m in 0..N, t_u lies
between the (N-m)-th and (N-m+1)-th smallest statistic (their geometric
mean, away from both), so the m calls with the largest statistic run at
`upper[u]`. The mean bits are then a step function of m; every m is
evaluated (ties in a unit's statistics counted as the compiled code
counts them, in float32) and the m closest to the budget kept, the
cheaper on a tie.

**Resolution.** Each step of m moves every two-level unit by one call in
N, so without ties the predicted mean bits are within half a step of the
budget, a step being

    step = (bits(upper) - bits(lower)) / N

(the mean bits of the two static mixes, MAC-weighted). On the compiled
model the statistics of units downstream of a quantized unit move a
little from their f32 values, so the measured bits may differ by a few
calls more; `Plan.step` carries the step so tests and reports can say how
close is close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Mapping, Sequence, Tuple

import numpy as np

from agn.onnx import UnitPolicy
from agn.runtime import known_levels
from agn.tune.cost import UnitCost, mean_bits, static_bits


def threshold_for_top(values: np.ndarray, m: int) -> float:
    """A non-negative threshold that the `m` largest of `values` reach
    and the others do not (ties aside): the geometric mean of the two
    neighbours around the cut."""
    v = np.sort(np.asarray(values, np.float64))
    n = len(v)
    if m <= 0:
        top = max(float(v[-1]), 0.0)
        return top * 2.0 + 1e-30 if top > 0 else 1e-30
    if m >= n:
        return 0.0
    low, high = max(float(v[n - m - 1]), 0.0), max(float(v[n - m]), 0.0)
    if low > 0 and high > 0:
        return math.sqrt(low * high)
    return (low + high) / 2.0


def reaching(values: np.ndarray, threshold: float) -> np.ndarray:
    """Which of `values` are at or above `threshold`, compared in float32
    as the compiled controller (agn.select) compares them."""
    return np.asarray(values, np.float32) >= np.float32(threshold)


def share_up(values: np.ndarray, threshold: float) -> float:
    """The share of `values` that reach `threshold` (`reaching`)."""
    return float(np.count_nonzero(reaching(values, threshold))) / max(len(values), 1)


@dataclass
class Calibrated:
    """Two-level policies with the rank m of their thresholds, the
    predicted level shares and mean bits on the calibration calls, and the
    resolution step."""

    policies: Dict[str, UnitPolicy]
    shares: Dict[str, Dict[str, float]]
    predicted_bits: float
    calls_up: int
    step: float


def ordered(a: str, b: str) -> Tuple[str, str]:
    """The two levels least precise first."""
    order = known_levels()
    return (a, b) if order.index(a) <= order.index(b) else (b, a)


def calibrate(units: Sequence[UnitCost], statistics: Mapping[str, np.ndarray],
              lower: Mapping[str, str], upper: Mapping[str, str],
              budget: float) -> Calibrated:
    """Two-level policies for `units` (`lower[node]`, `upper[node]`; equal:
    one level, no controller) whose mean bits on the calibration calls
    (`statistics[node]`: each call's statistic at f32) come closest to
    `budget`."""
    n = len(next(iter(statistics.values())))
    pairs = {u.node: ordered(lower[u.node], upper[u.node]) for u in units}
    best = None
    for m in range(n + 1):
        thresholds, shares = {}, {}
        for u in units:
            lo, hi = pairs[u.node]
            if lo == hi:
                shares[u.node] = {lo: 1.0}
                continue
            t = threshold_for_top(statistics[u.node], m)
            up = share_up(statistics[u.node], t)
            thresholds[u.node] = t
            shares[u.node] = {lo: 1.0 - up, hi: up}
        bits = mean_bits(units, shares)
        key = (abs(bits - budget), bits)
        if best is None or key < best[0]:
            best = (key, m, thresholds, shares, bits)
    _, m, thresholds, shares, bits = best
    policies = {}
    for u in units:
        lo, hi = pairs[u.node]
        policies[u.node] = (UnitPolicy([lo], []) if lo == hi
                            else UnitPolicy([lo, hi], [thresholds[u.node]]))
    low_bits = static_bits(units, {node: p[0] for node, p in pairs.items()})
    high_bits = static_bits(units, {node: p[1] for node, p in pairs.items()})
    return Calibrated(policies, shares, bits, m, (high_bits - low_bits) / n)
