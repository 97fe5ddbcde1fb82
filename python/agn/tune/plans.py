"""The four policy kinds at one budget, from one set of measurements.

`Tuner(model, calibration)` measures once (a `Probe`: units, MACs,
statistics, sensitivities) and then makes, for any budget of mean bits
per MAC (`plan`) or, with each unit's measured time per level as its cost,
for a latency target (`plan_latency`: uniform, static, adaptive):

- "uniform" (a): one level everywhere, the most precise candidate level
  whose bits fit the budget;
- "static" (b): one level per unit, the least summed sensitivity within
  the budget (`knapsack.solve`, exact), HAWQ-style;
- "adaptive" (c): per unit one static level or two levels switched per
  call by the controller at a threshold, all chosen together by one exact
  knapsack within the budget (`adaptive.solve`): never a larger predicted
  error than "static" on the calibration calls (where either knapsack had
  to coarsen its costs, the static mix is kept when it predicts less);
- "adaptive-uniform" (c'): every unit the two levels around the budget
  (e.g. i4 and i8 for 6 bits), one threshold rank for all units
  calibrated so the calls average the budget (`thresholds.calibrate`).

(d), the adaptive policy after fine-tuning with the granularity penalty,
needs the model's training code and data: `agn.training` does it for
models built from GULinear/GUConv2d (the digits demo); it is not made
here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import onnx

import agn
from agn import runtime
from agn.onnx import UnitPolicy
from agn.runtime import known_levels
from agn.tune import adaptive as adaptive_knapsack
from agn.tune import knapsack, metadata, thresholds, timing
from agn.tune.cost import (UnitCost, check_budget, level_bits, mean_bits, static_bits,
                           total_macs)
from agn.tune.probe import (ErrorFunction, Probe, TuneError, as_calls, policies_from_static,
                            runtime_unit, snapshot, unique_prefix)

KINDS = ("uniform", "static", "adaptive", "adaptive-uniform")
#: The kinds a latency target takes.
LATENCY_KINDS = ("uniform", "static", "adaptive")
#: The levels tuned over unless told otherwise (f16 rather than bf16 at 16
#: bits: the same cost, more mantissa).
DEFAULT_LEVELS = ("i4", "i8", "f16", "f32")


@dataclass
class Plan:
    """Policies for every unit at one budget, with what the calibration
    calls predict: mean bits per MAC, level shares per unit, the summed
    sensitivity (the additive error model; adaptive: each call's units at
    their levels), and the resolution of the threshold calibration."""

    kind: str
    budget: float
    policies: Dict[str, UnitPolicy]
    predicted_bits: float
    shares: Dict[str, Dict[str, float]]
    predicted_error: float
    step: float = 0.0
    detail: Dict[str, Any] = field(default_factory=dict)

    def static_levels(self) -> Optional[Dict[str, str]]:
        """node -> level when every unit has one level, else None."""
        if all(len(p.levels) == 1 for p in self.policies.values()):
            return {node: p.levels[0] for node, p in self.policies.items()}
        return None

    @property
    def for_latency(self) -> bool:
        """Whether `budget` is a latency target (milliseconds per call)
        rather than mean bits per MAC."""
        return self.detail.get("target") == "latency"

    def record(self, calls: int) -> Dict[str, Any]:
        """The `agn.tune` metadata record."""
        budget_key = "budget_ms" if self.for_latency else "budget_bits"
        return {"version": 1, "kind": self.kind, budget_key: self.budget,
                "predicted_bits": self.predicted_bits, "calibration_calls": calls,
                "predicted_error": self.predicted_error, "step_bits": self.step, **self.detail}


@dataclass
class Measured:
    """A plan run by agn: each call's outputs, the mean bits per MAC run,
    the level shares per unit, and each adaptive unit's per-call
    statistics."""

    outputs: List[Tuple[np.ndarray, ...]]
    bits: float
    shares: Dict[str, Dict[str, float]]
    statistics: Dict[str, np.ndarray]
    #: Wall time of each call (seconds; the first call's includes the
    #: units' registration).
    seconds: List[float] = field(default_factory=list)
    #: Per call, the share of the model's MACs its units ran above their
    #: least precise level (adaptive units only contribute).
    upgraded: Optional[np.ndarray] = None


def check_latency(milliseconds: Any, kind: str) -> float:
    """`milliseconds` as a latency target for `kind`, or TuneError."""
    if kind not in LATENCY_KINDS:
        raise TuneError(f"a latency target takes the kinds {', '.join(LATENCY_KINDS)}, "
                        f"not {kind!r}")
    if (isinstance(milliseconds, bool) or not isinstance(milliseconds, (int, float))
            or not math.isfinite(milliseconds) or milliseconds <= 0):
        raise TuneError(f"a latency target must be a positive number of milliseconds, got "
                        f"{milliseconds!r}")
    return float(milliseconds)


def run_policies(model: onnx.ModelProto, units: Sequence[UnitCost], calls: Sequence[Any],
                 threads: int = 1, stem: str = "tuned") -> Measured:
    """Compiles `model` (its units take the policies in its metadata; its
    nodes named as `units` name them) and runs `calls` one per call: the
    outputs, each adaptive unit's grants and per-call statistics (from the
    runtime), the mean bits per MAC that were run, and each call's time.
    The plans of `Tuner` and models fine-tuned with the granularity penalty
    (whose policies their training wrote) are measured alike."""
    from agn.onnx import read_policies

    policies = read_policies(model)
    missing = [u.node for u in units if u.node not in policies]
    if missing:
        raise TuneError(f"the model's agn.policies metadata has no policy for unit(s) "
                        f"{', '.join(missing)}; write one per unit (Tuner.write, or "
                        "agn.training.export_onnx)")
    prefix = unique_prefix(stem)
    compiled = agn.compile(model, name=prefix, threads=threads)
    try:
        calls = as_calls(calls, compiled.inputs)
        start = time.perf_counter()
        outputs = [compiled.run(*calls[0])]  # registers the adaptive units
        seconds = [time.perf_counter() - start]
        adaptive = [u for u in units if len(policies[u.node].levels) > 1]
        runtime_names = {u.node: runtime_unit(prefix, u) for u in adaptive}
        names = list(runtime_names.values())
        statistics = {u.node: np.empty(len(calls)) for u in adaptive}
        granted = {u.node: {lv: 0 for lv in known_levels()} for u in adaptive}
        before = snapshot(names)
        # The first call ran before the snapshot: the fresh units'
        # counters hold exactly it.
        for u in adaptive:
            stats = runtime.unit_stats(runtime_names[u.node])
            for lv, c in stats["granted"].items():
                granted[u.node][lv] += c
            statistics[u.node][0] = stats["statistic_mean"] or 0.0
        upgraded = np.zeros(len(calls))
        macs = total_macs(units)
        for u in adaptive:
            stats = runtime.unit_stats(runtime_names[u.node])
            lowest = policies[u.node].levels[0]
            if sum(stats["granted"].values()) - stats["granted"][lowest]:
                upgraded[0] += u.macs / macs
        for i, call in enumerate(calls[1:], start=1):
            start = time.perf_counter()
            outputs.append(compiled.run(*call))
            seconds.append(time.perf_counter() - start)
            after = snapshot(names)
            for u in adaptive:
                name_ = runtime_names[u.node]
                statistics[u.node][i] = after.sums[name_] - before.sums[name_]
                lowest = policies[u.node].levels[0]
                for lv, c in after.granted[name_].items():
                    delta = c - before.granted[name_].get(lv, 0)
                    granted[u.node][lv] += delta
                    if delta and lv != lowest:
                        upgraded[i] += u.macs / macs
            before = after
    finally:
        compiled.close()
    shares = {}
    for u in units:
        policy = policies[u.node]
        if len(policy.levels) == 1:
            shares[u.node] = {policy.levels[0]: 1.0}
        else:
            total = sum(granted[u.node].values())
            shares[u.node] = {lv: c / total for lv, c in granted[u.node].items() if c}
    return Measured(outputs, mean_bits(units, shares), shares, statistics, seconds, upgraded)


class Tuner:
    """Measures `model` on `calibration` once and makes plans from that.

    `levels`: candidate levels (increasing; f32 among them, as the
    reference). `output`: indices of the outputs the error counts (default
    all). `error`: a function (outputs, reference) -> float replacing the
    relative squared error. `progress`: called with a line per step."""

    def __init__(self, model: Any, calibration: Any, levels: Sequence[str] = DEFAULT_LEVELS,
                 threads: int = 1, output: Optional[Sequence[int]] = None,
                 error: Optional[ErrorFunction] = None,
                 progress: Optional[Callable[[str], None]] = None, stem: str = "tune") -> None:
        known = known_levels()
        levels = list(levels)
        for level in levels:
            if level not in known:
                raise TuneError(f"unknown level {level!r}; agn's levels are {', '.join(known)}")
        if [known.index(lv) for lv in levels] != sorted({known.index(lv) for lv in levels}):
            raise TuneError(f"levels must be distinct and increasing ({' < '.join(known)}), "
                            f"got {', '.join(levels)}")
        if "f32" not in levels:
            raise TuneError("the candidate levels must include f32 (the reference the "
                            "sensitivities are measured against)")
        if error is None and output is not None:
            from agn.tune.probe import relative_error

            chosen = list(output)
            error = lambda y, r: relative_error(y, r, chosen)  # noqa: E731
        self.levels = levels
        self.progress = progress or (lambda line: None)
        self.probe = Probe(model, calibration, levels, threads=threads, error=error, stem=stem)
        self.progress(f"{len(self.probe.units)} units, {total_macs(self.probe.units)} MACs per "
                      f"call, {len(self.probe.calls)} calibration calls")
        self.sensitivity = self.probe.sensitivity(self.progress)
        self.mean_error = {node: {lv: float(v.mean()) for lv, v in per.items()}
                           for node, per in self.sensitivity.items()}
        self._times: Dict[Tuple[int, int], timing.UnitTimes] = {}

    @property
    def units(self) -> List[UnitCost]:
        """The units, in graph order."""
        return self.probe.units

    @property
    def calls(self) -> int:
        """The number of calibration calls."""
        return len(self.probe.calls)

    def _costs(self) -> Dict[str, Dict[str, int]]:
        return {u.node: {lv: u.macs * level_bits(lv) for lv in self.levels} for u in self.units}

    def _capacity(self, budget: float) -> float:
        # Mean bits per MAC times MACs, rounded down (costs are whole).
        return math.floor(budget * total_macs(self.units) + 1e-9)

    def _least_budget(self) -> float:
        return float(min(level_bits(lv) for lv in self.levels))

    def _static_plan(self, kind: str, budget: float, choice: Mapping[str, str],
                     detail: Optional[Dict[str, Any]] = None) -> Plan:
        return Plan(kind, budget, policies_from_static(choice),
                    static_bits(self.units, choice),
                    {node: {lv: 1.0} for node, lv in choice.items()},
                    sum(self.mean_error[node][lv] for node, lv in choice.items()),
                    0.0, detail or {})

    def uniform(self, budget: float) -> Plan:
        """(a) One level everywhere: the most precise that fits `budget`."""
        budget = self._check(budget)
        fits = [lv for lv in self.levels if level_bits(lv) <= budget + 1e-9]
        level = fits[-1]
        return self._static_plan("uniform", budget, {u.node: level for u in self.units})

    def static_choice(self, budget: float) -> knapsack.Solution:
        """The knapsack's static mix at `budget` (exact; see knapsack)."""
        return knapsack.solve(self._costs(), self.mean_error, self._capacity(budget))

    def static(self, budget: float) -> Plan:
        """(b) The least-sensitivity static mix within `budget`."""
        budget = self._check(budget)
        solution = self.static_choice(budget)
        return self._static_plan("static", budget, solution.choice,
                                 {"knapsack_exact": solution.exact})

    def adaptive(self, budget: float, ranks: int = adaptive_knapsack.RANKS) -> Plan:
        """(c) Per unit a static level or two levels switched per call at
        a threshold on the controller's statistic (at k/`ranks` of the
        calibration calls), the least predicted error within `budget`
        (`adaptive.solve`)."""
        budget = self._check(budget)
        solution = adaptive_knapsack.solve(
            self.units, self.probe.statistics, self.sensitivity,
            adaptive_knapsack.bit_costs(self.units, self.levels),
            budget * total_macs(self.units), ranks)
        return self._from_solution(budget, solution, {"ranks": ranks},
                                   lambda: self.static(budget))

    def _from_solution(self, budget: float, solution: "adaptive_knapsack.AdaptiveSolution",
                       detail: Dict[str, Any], static: Callable[[], Plan]) -> Plan:
        """The "adaptive" plan of a knapsack solution; where that knapsack
        coarsened its costs (not exact), the static plan `static()` instead
        when it predicts less error (an exact static table can beat a
        coarse adaptive one)."""
        plan = Plan("adaptive", budget, solution.policies, solution.predicted_bits,
                    solution.shares, solution.predicted_error, solution.step(self.units),
                    {**detail, "knapsack_exact": solution.exact,
                     "calls_up": {node: o.calls_up for node, o in solution.options.items()
                                  if o.threshold is not None}})
        if not solution.exact:
            fallback = static()
            if fallback.predicted_error < plan.predicted_error:
                return Plan("adaptive", budget, fallback.policies, fallback.predicted_bits,
                            fallback.shares, fallback.predicted_error, 0.0,
                            {**fallback.detail, **detail, "calls_up": {},
                             "static_fallback": True})
        return plan

    def headroom(self, budgets: Sequence[float]) -> List[Dict[str, float]]:
        """Per budget: the static mixes' least error (convex hull), the
        least error any per-call policy could reach knowing each call's
        sensitivities, and the share of error that per-call choice could
        remove at most (`adaptive.bound`; the additive model on the
        calibration calls)."""
        return adaptive_knapsack.headroom(self.units, self.sensitivity, self.levels,
                                          [self._check(b) for b in budgets])

    def adaptive_uniform(self, budget: float) -> Plan:
        """(c') Every unit the two candidate levels around `budget`,
        thresholds calibrated to it."""
        budget = self._check(budget)
        fits = [lv for lv in self.levels if level_bits(lv) <= budget + 1e-9]
        low = fits[-1]
        above = [lv for lv in self.levels if level_bits(lv) > level_bits(low)]
        high = above[0] if above else low
        return self._adaptive_plan("adaptive-uniform", budget,
                                   {u.node: low for u in self.units},
                                   {u.node: high for u in self.units}, {})

    def _adaptive_plan(self, kind: str, budget: float, lower: Mapping[str, str],
                       upper: Mapping[str, str], detail: Dict[str, Any]) -> Plan:
        calibrated = thresholds.calibrate(self.units, self.probe.statistics, lower, upper,
                                          budget)
        # The additive error model, per call: each unit's sensitivity at
        # the level its controller picks on that call.
        error = 0.0
        for u in self.units:
            policy = calibrated.policies[u.node]
            if len(policy.levels) == 1:
                error += float(self.sensitivity[u.node][policy.levels[0]].mean())
                continue
            up = thresholds.reaching(self.probe.statistics[u.node], policy.thresholds[0])
            lo, hi = policy.levels
            error += float(np.where(up, self.sensitivity[u.node][hi],
                                    self.sensitivity[u.node][lo]).mean())
        return Plan(kind, budget, calibrated.policies, calibrated.predicted_bits,
                    calibrated.shares, error, calibrated.step,
                    {**detail, "calls_up": calibrated.calls_up})

    def unit_times(self, calls: int = 16, repeat: int = 3) -> timing.UnitTimes:
        """Each unit's measured time per call at each level and the time
        outside the units, on the first `calls` calibration calls, `repeat`
        times (measured on first use for these arguments, then kept;
        `timing.measure`)."""
        key = (calls, repeat)
        if key not in self._times:
            self.progress("timing every unit at every level (profile=True)")
            self._times[key] = timing.measure(self.probe.proto, self.units, self.levels,
                                              self.probe.calls[:calls], self.probe.threads,
                                              repeat)
        return self._times[key]

    def plan_latency(self, kind: str, milliseconds: float) -> Plan:
        """The plan of `kind` ("uniform", "static" or "adaptive") with the
        least predicted error whose predicted time per call is at most
        `milliseconds`: the kinds' knapsacks with each unit's measured time
        per level as its cost (`unit_times`, in steps of
        `timing.RESOLUTION_NS`); "uniform" takes the one level everywhere
        with the least error among those that fit."""
        check_latency(milliseconds, kind)
        times = self.unit_times()
        costs = times.costs()
        capacity = times.capacity(milliseconds)
        fastest = times.fastest()
        if sum(costs[node][next(iter(lv))] for node, lv in fastest.items()) > capacity:
            raise TuneError(f"a latency target of {milliseconds:g} ms per call is below the "
                            f"fastest plan's {times.predict(fastest):.4g} ms "
                            f"({times.outside * 1e-6:.4g} ms of it outside the units); raise "
                            "the target")
        detail: Dict[str, Any] = {"target": "latency", "outside_ms": times.outside * 1e-6}

        def static() -> Plan:
            found = knapsack.solve(costs, self.mean_error, capacity)
            return self._static_plan("static", milliseconds, found.choice,
                                     {**detail, "knapsack_exact": found.exact})

        if kind == "adaptive":
            solution = adaptive_knapsack.solve(self.units, self.probe.statistics,
                                               self.sensitivity, costs, capacity)
            plan = self._from_solution(milliseconds, solution, detail, static)
        elif kind == "static":
            plan = static()
        else:
            fits = [lv for lv in self.levels
                    if sum(c[lv] for c in costs.values()) <= capacity]
            if not fits:
                raise TuneError(f"no one level runs every unit within {milliseconds:g} ms per "
                                f"call (the fastest mix takes {times.predict(fastest):.4g} ms); "
                                "use the kind static or adaptive, or raise the target")
            level = min(fits, key=lambda lv: (sum(self.mean_error[u.node][lv]
                                                    for u in self.units), -self.levels.index(lv)))
            plan = self._static_plan(kind, milliseconds, {u.node: level for u in self.units},
                                     detail)
        plan.detail["predicted_ms"] = times.predict(plan.shares)
        return plan

    def plan(self, kind: str, budget: float, **options: Any) -> Plan:
        """The plan of `kind` (one of KINDS) at `budget`."""
        makers = {"uniform": self.uniform, "static": self.static, "adaptive": self.adaptive,
                  "adaptive-uniform": self.adaptive_uniform}
        if kind not in makers:
            raise TuneError(f"unknown policy kind {kind!r}; expected one of {', '.join(KINDS)}")
        return makers[kind](budget, **options)

    def measure(self, plan: Plan, calls: Optional[Sequence[Any]] = None,
                name: Optional[str] = None) -> "Measured":
        """Compiles the model with `plan`'s policies and runs `calls`
        (default: the calibration calls) one per call (`run_policies`)."""
        return run_policies(self.write(plan), self.units, self.probe.calls if calls is None
                            else calls, self.probe.threads, name or "tuned")

    def refine(self, plan: Plan, rounds: int = 1) -> Plan:
        """Places an adaptive plan's thresholds again on the statistics its
        units see when the plan runs (upstream units at their tuned levels
        move them from their f32 values), `rounds` times: "adaptive" keeps
        each switching unit's number of calls up (`_replace_thresholds`),
        "adaptive-uniform" recalibrates its common rank to the budget.
        Static plans are returned as they are."""
        if plan.static_levels() is not None:
            return plan
        for _ in range(rounds):
            measured = self.measure(plan)
            statistics = dict(self.probe.statistics)
            statistics.update(measured.statistics)
            calls_up = plan.detail["calls_up"]
            if isinstance(calls_up, dict):
                plan = self._replace_thresholds(plan, statistics)
                continue
            lower = {node: p.levels[0] for node, p in plan.policies.items()}
            upper = {node: p.levels[-1] for node, p in plan.policies.items()}
            calibrated = thresholds.calibrate(self.units, statistics, lower, upper, plan.budget)
            plan = Plan(plan.kind, plan.budget, calibrated.policies, calibrated.predicted_bits,
                        calibrated.shares, plan.predicted_error, calibrated.step,
                        {**plan.detail, "calls_up": calibrated.calls_up,
                         "refined": plan.detail.get("refined", 0) + 1})
        return plan

    def _replace_thresholds(self, plan: Plan, statistics: Mapping[str, np.ndarray]) -> Plan:
        """An "adaptive" plan whose switching units keep their number of
        calls up, their thresholds placed on `statistics` (each call's
        statistic as the tuned model computes it); shares, bits and error
        predicted anew from the calls that reach each threshold there."""
        policies, shares = dict(plan.policies), dict(plan.shares)
        calls_up, error = {}, 0.0
        for u in self.units:
            policy = plan.policies[u.node]
            if len(policy.levels) == 1:
                error += float(self.sensitivity[u.node][policy.levels[0]].mean())
                continue
            lo, hi = policy.levels
            t = thresholds.threshold_for_top(statistics[u.node], plan.detail["calls_up"][u.node])
            up = thresholds.reaching(statistics[u.node], t)
            calls_up[u.node] = int(np.count_nonzero(up))
            policies[u.node] = UnitPolicy([lo, hi], [t])
            shares[u.node] = {lo: 1.0 - calls_up[u.node] / len(up), hi: calls_up[u.node] / len(up)}
            error += float(np.where(up, self.sensitivity[u.node][hi],
                                    self.sensitivity[u.node][lo]).mean())
        return Plan(plan.kind, plan.budget, policies, mean_bits(self.units, shares), shares,
                    error, plan.step, {**plan.detail, "calls_up": calls_up,
                                       "refined": plan.detail.get("refined", 0) + 1})

    def write(self, plan: Plan, path: Optional[str] = None) -> onnx.ModelProto:
        """The model with `plan`'s policies in its metadata (saved to
        `path` when given)."""
        return metadata.write(self.probe.proto, plan.policies, plan.record(self.calls), path)

    def _check(self, budget: float) -> float:
        try:
            value = check_budget(budget)
        except ValueError as exc:
            raise TuneError(str(exc)) from None
        least = self._least_budget()
        if value < least:
            raise TuneError(f"a budget of {value:g} mean bits per MAC is below the cheapest "
                            f"candidate level ({least:g} bits); add a cheaper level or raise "
                            "the budget")
        return value

    def close(self) -> None:
        """Frees the probe's compiled model."""
        self.probe.close()
