"""(c), the adaptive policy: one exact knapsack over every unit's static
levels *and* its per-call threshold policies, and the bound no per-call
policy can beat.

**Options.** For unit u with calibration calls 1..N, each call's
controller statistic s[c] and each call's sensitivity e[l][c] (the
model's output error with u alone at level l, `probe.py`), the options are

- each candidate level l on every call: cost N x cost(u, l), error
  sum_c e[l][c];
- for each pair of candidate levels lo < hi and each rank m in
  {N/R, 2N/R, ..., (R-1)N/R} (R = `ranks`): the threshold t that the m
  calls with the largest statistic reach (`thresholds.threshold_for_top`),
  so that a call runs at hi when s[c] >= t (agn.select's rule, compared in
  float32 as the compiled controller compares): cost cost(u, lo) x (N -
  m') + cost(u, hi) x m', error sum_c (e[hi][c] if up else e[lo][c]), m'
  being the calls that reach t (ties counted).

A level's cost per call is MACs(u) x bits(l) for a budget of mean bits per
MAC (`bit_costs`), or the unit's measured time at that level for a latency
target (`timing.py`). One option per unit under a capacity of N times the
budget is the multiple-choice knapsack that `knapsack.solve` solves
exactly. The static
levels are among the options, so on the calibration calls the plan's
predicted error (the additive model) is never above the static mix's at the
same budget: per-call switching is chosen only where it pays on the
calibration calls, either because the statistic ranks the calls by
sensitivity or because a share of calls at the higher level spends a budget
that whole levels cannot fill.

**The bound.** `bound` gives the least mean error of the additive model
at mean bits per MAC at most `budget` when each call's level per unit may
depend on that call's sensitivities themselves: the Lagrangian relaxation
(per call and unit, the level minimising e + lambda x cost; lambda
bisected to the budget; the two lambdas around it mixed). No controller
reading any statistic can do better on these calls; the same relaxation
restricted to one level per unit over all calls is the static mixes'
convex hull. Their ratio is the most that per-call adaptivity could buy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from agn.onnx import UnitPolicy
from agn.tune import knapsack
from agn.tune.cost import UnitCost, level_bits, mean_bits, total_macs
from agn.tune.thresholds import reaching, threshold_for_top

#: Thresholds at k/RANKS of the calls, k = 1 .. RANKS - 1.
RANKS = 8


@dataclass
class Option:
    """One policy a unit may take on the calibration calls: its levels
    (one, or lower and upper), its threshold, the calls that run at the
    upper level, and its cost and error summed over the calls (cost per
    call: MACs x bits, or time steps for a latency target)."""

    levels: Tuple[str, ...]
    threshold: Optional[float]
    calls_up: int
    cost: int
    error: float

    def policy(self) -> UnitPolicy:
        """The unit policy this option stands for."""
        if self.threshold is None:
            return UnitPolicy([self.levels[0]], [])
        return UnitPolicy(list(self.levels), [self.threshold])

    def shares(self, calls: int) -> Dict[str, float]:
        """The share of calls at each level."""
        if self.threshold is None:
            return {self.levels[0]: 1.0}
        lo, hi = self.levels
        return {lo: 1.0 - self.calls_up / calls, hi: self.calls_up / calls}


def bit_costs(units: Sequence[UnitCost], levels: Sequence[str]) -> Dict[str, Dict[str, int]]:
    """Per unit and level, the cost per call of a bits budget: MACs x
    bits."""
    return {u.node: {lv: u.macs * level_bits(lv) for lv in levels} for u in units}


def unit_options(statistic: np.ndarray, sensitivity: Mapping[str, np.ndarray],
                 cost: Mapping[str, int], ranks: int = RANKS) -> Dict[str, Option]:
    """The options of one unit (see the module doc), keyed by name: its
    levels are those of `cost` (cost per call of each, least precise
    first)."""
    if ranks < 2:
        raise ValueError(f"ranks must be at least 2 (thresholds at k/ranks of the calls), "
                         f"got {ranks}")
    n = len(statistic)
    levels = list(cost)
    options: Dict[str, Option] = {}
    for level in levels:
        options[level] = Option((level,), None, 0, cost[level] * n,
                                float(np.sum(sensitivity[level])))
    for lo, hi in combinations(levels, 2):
        seen = set()
        for k in range(1, ranks):
            t = threshold_for_top(statistic, round(k * n / ranks))
            up = reaching(statistic, t)
            m = int(np.count_nonzero(up))
            if m in (0, n) or m in seen:
                continue  # a static level, or an option already made
            seen.add(m)
            total = cost[lo] * (n - m) + cost[hi] * m
            error = float(np.sum(np.where(up, sensitivity[hi], sensitivity[lo])))
            options[f"{lo}<{hi}@{m}"] = Option((lo, hi), t, m, total, error)
    return options


@dataclass
class AdaptiveSolution:
    """The chosen option per unit, and what the calibration calls predict:
    the mean bits per MAC and the mean error."""

    options: Dict[str, Option]
    predicted_bits: float
    predicted_error: float
    exact: bool
    calls: int

    @property
    def policies(self) -> Dict[str, UnitPolicy]:
        """node -> the unit's policy."""
        return {node: o.policy() for node, o in self.options.items()}

    @property
    def shares(self) -> Dict[str, Dict[str, float]]:
        """node -> the share of calibration calls at each level."""
        return {node: o.shares(self.calls) for node, o in self.options.items()}

    def step(self, units: Sequence[UnitCost]) -> float:
        """Mean bits per MAC that one call of every two-level unit moving
        across its threshold changes."""
        moved = sum(u.macs * (level_bits(self.options[u.node].levels[-1])
                              - level_bits(self.options[u.node].levels[0])) for u in units)
        return moved / (total_macs(units) * self.calls)


def solve(units: Sequence[UnitCost], statistics: Mapping[str, np.ndarray],
          sensitivity: Mapping[str, Mapping[str, np.ndarray]],
          costs: Mapping[str, Mapping[str, int]], capacity: float,
          ranks: int = RANKS) -> AdaptiveSolution:
    """The least predicted error choice of one option per unit whose mean
    cost per call on the calibration calls is at most `capacity`
    (`costs[node][level]`: cost per call; `bit_costs` and budget x total
    MACs for a budget of mean bits per MAC)."""
    n = len(statistics[units[0].node])
    options = {u.node: unit_options(statistics[u.node], sensitivity[u.node], costs[u.node],
                                    ranks) for u in units}
    solution = knapsack.solve({node: {k: o.cost for k, o in opts.items()}
                               for node, opts in options.items()},
                              {node: {k: o.error for k, o in opts.items()}
                               for node, opts in options.items()},
                              math.floor(capacity * n + 1e-6))
    chosen = {u.node: options[u.node][solution.choice[u.node]] for u in units}
    shares = {node: o.shares(n) for node, o in chosen.items()}
    return AdaptiveSolution(chosen, mean_bits(units, shares),
                            sum(o.error for o in chosen.values()) / n, solution.exact, n)


def bound(units: Sequence[UnitCost], sensitivity: Mapping[str, Mapping[str, np.ndarray]],
          levels: Sequence[str], budget: float, per_call: bool = True) -> float:
    """The Lagrangian bound of the module doc: the least mean additive
    error at mean bits per MAC <= `budget` when every call picks each
    unit's level knowing its sensitivities (`per_call`), or when each unit
    keeps one level for all calls (False: the static mixes' convex hull,
    which time-sharing between static mixes reaches)."""
    errors = np.array([[sensitivity[u.node][lv] for lv in levels] for u in units], np.float64)
    if not np.all(np.isfinite(errors)):
        raise ValueError("the sensitivities hold NaN or infinite errors (a level that "
                         "overflows on some calibration call); the bound needs finite ones")
    if not per_call:
        errors = errors.mean(axis=2, keepdims=True)
    bits = np.array([level_bits(lv) for lv in levels], np.float64)
    weights = np.array([u.macs for u in units], np.float64) / total_macs(units)
    # Cost of unit u at level l per call, in mean bits per MAC.
    costs = weights[:, None] * bits[None, :]

    def at(lam: float) -> Tuple[float, float]:
        pick = np.argmin(errors + lam * costs[:, :, None], axis=1)  # units x calls
        spent = np.take_along_axis(np.broadcast_to(costs[:, :, None], errors.shape),
                                   pick[:, None, :], 1)[:, 0].sum(0).mean()
        error = np.take_along_axis(errors, pick[:, None, :], 1)[:, 0].sum(0).mean()
        return float(spent), float(error)

    if at(0.0)[0] <= budget + 1e-12:
        return at(0.0)[1]
    # The cheapest choice: each unit and call at its cheapest level (the
    # least error among equally cheap ones).
    cheapest = float((weights * bits.min()).sum())
    if budget < cheapest - 1e-9:
        raise ValueError(f"a budget of {budget:g} bits is below every level ({cheapest:g})")
    if budget <= cheapest + 1e-9:
        at_least = errors[:, bits == bits.min(), :].min(axis=1)
        return float(at_least.sum(0).mean())
    low, high = 0.0, 1.0
    while at(high)[0] > budget:
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if at(mid)[0] > budget:
            low = mid
        else:
            high = mid
    (b_low, e_low), (b_high, e_high) = at(low), at(high)
    if b_low <= b_high + 1e-15:
        return e_high
    share = (budget - b_high) / (b_low - b_high)
    return e_high + share * (e_low - e_high)


def headroom(units: Sequence[UnitCost], sensitivity: Mapping[str, Mapping[str, np.ndarray]],
             levels: Sequence[str], budgets: Sequence[float]) -> List[Dict[str, float]]:
    """Per budget, the static hull's and the per-call bound's least error
    and the share of error per-call choice could remove at most."""
    rows = []
    for b in budgets:
        static = bound(units, sensitivity, levels, b, per_call=False)
        oracle = bound(units, sensitivity, levels, b, per_call=True)
        rows.append({"budget": float(b), "static_hull": static, "per_call_bound": oracle,
                     "most_removable": 1.0 - oracle / static if static > 0 else 0.0})
    return rows
