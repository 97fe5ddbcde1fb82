"""The static per-layer mix: an exact multiple-choice knapsack.

Given, per unit u and level l, a cost c[u][l] (MACs x bits, or measured
time) and an error e[u][l] (the model's output error with u alone at l,
the rest at f32: `probe.py`), choose one level per unit to

    minimise   sum_u e[u][l_u]
    subject to sum_u c[u][l_u] <= capacity

(HAWQ's formulation, with measured per-unit sensitivities in place of
Hessian traces; the errors are assumed additive across units).

**Solved exactly** by dynamic programming over integer costs: best[k] is
the least error of the units seen so far with total cost at most k; each
unit replaces it with min over l of best[k - c[u][l]] + e[u][l]; the
choices are kept per unit for the backtrack. Costs are divided by their
greatest common divisor first, so models whose units share shapes have
small tables; each item's cheapest cost is taken out first (it is paid
whatever the choice), so the table spans only the room above the cheapest
choice. When the table would still exceed `max_cells` entries, every
remaining cost is rounded *up* to a multiple of `room / max_cells` (and the
room down): the answer is then exact for the rounded costs and always
within the true budget (the cheapest choice always fits), and at most one
grid step per item is given away. `Solution.exact` says which happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from typing import Dict, List, Mapping, Sequence

import numpy as np

#: Table entries above which costs are coarsened (time and memory are
#: units x levels x cells).
MAX_CELLS = 400_000


@dataclass
class Solution:
    """The chosen level per item, its total cost and error, and whether the
    costs were used as given (exact) or rounded up to a coarser grid."""

    choice: Dict[str, str]
    cost: float
    error: float
    exact: bool


def solve(costs: Mapping[str, Mapping[str, float]], errors: Mapping[str, Mapping[str, float]],
          capacity: float, max_cells: int = MAX_CELLS) -> Solution:
    """The least-error choice of one option per item (`costs[item][option]`,
    `errors[item][option]`) with total cost at most `capacity`.

    Raises ValueError when even the cheapest choice exceeds the capacity,
    or when costs are negative or not whole numbers (scale them first).
    """
    items = list(costs)
    if not items:
        return Solution({}, 0.0, 0.0, True)
    # Cheapest first, so that ties go to the cheaper option.
    options = {i: cheapest_first(costs[i]) for i in items}
    for i in items:
        if set(options[i]) != set(errors[i]):
            raise ValueError(f"item {i!r}: costs and errors name different options")
        for o in options[i]:
            c = costs[i][o]
            if c < 0 or c != int(c):
                raise ValueError(f"item {i!r} option {o!r}: cost {c} is not a non-negative "
                                 "whole number")
    cheapest = sum(min(costs[i].values()) for i in items)
    if cheapest > capacity:
        raise ValueError(f"no choice fits: the cheapest costs {cheapest:g}, the capacity is "
                         f"{capacity:g}")
    # Each item's cheapest option is paid anyway: the table counts only the
    # cost above it, so the all-cheapest choice always fits, also after
    # the costs are coarsened below.
    base = {i: min(int(costs[i][o]) for o in options[i]) for i in items}
    ints = {i: {o: int(costs[i][o]) - base[i] for o in options[i]} for i in items}
    room = int(capacity) - sum(base.values())
    # Integer costs on the coarsest exact grid: their gcd.
    step = reduce(math.gcd, (c for i in items for c in ints[i].values() if c), 0) or 1
    cells = room // step
    exact = True
    if cells > max_cells:
        # Coarsen: round costs up, capacity down, so every answer fits.
        step = math.ceil(room / max_cells)
        cells = room // step
        exact = False
    weights = {i: {o: -(-ints[i][o] // step) for o in options[i]} for i in items}

    best = np.zeros(cells + 1)  # no items: error 0 at every capacity
    picks: List[np.ndarray] = []
    for i in items:
        new = np.full(cells + 1, np.inf)
        pick = np.full(cells + 1, -1, dtype=np.int32)
        for index, o in enumerate(options[i]):
            w = weights[i][o]
            if w > cells:
                continue
            candidate = np.full(cells + 1, np.inf)
            candidate[w:] = best[:cells + 1 - w] + errors[i][o]
            # Strict improvement keeps the earlier (cheaper) option on ties.
            better = candidate < new
            new[better] = candidate[better]
            pick[better] = index
        best = new
        picks.append(pick)
    # best is non-increasing in k ("at most k"), so the full capacity holds
    # the optimum; walk the choices back.
    k = cells
    choice: Dict[str, str] = {}
    for i, pick in zip(reversed(items), reversed(picks)):
        index = int(pick[k])
        option = options[i][index]
        choice[i] = option
        k -= weights[i][option]
    choice = {i: choice[i] for i in items}
    return Solution(choice, float(sum(costs[i][choice[i]] for i in items)),
                    float(sum(errors[i][choice[i]] for i in items)), exact)


def cheapest_first(costs: Mapping[str, float]) -> List[str]:
    """Option names ordered by cost (for `solve`'s tie rule)."""
    return sorted(costs, key=lambda o: costs[o])


def frontier(costs: Mapping[str, Mapping[str, float]], errors: Mapping[str, Mapping[str, float]],
             capacities: Sequence[float], max_cells: int = MAX_CELLS) -> List[Solution]:
    """`solve` at each capacity."""
    return [solve(costs, errors, c, max_cells) for c in capacities]
