"""The four policy kinds at one budget, from one set of measurements.

`Tuner(model, calibration)` measures once (a `Probe`: units, MACs,
statistics, sensitivities) and then makes, for any budget of mean bits
per MAC:

- "uniform" (a): one level everywhere, the most precise candidate level
  whose bits fit the budget;
- "static" (b): one level per unit, the least summed sensitivity within
  the budget (`knapsack.solve`, exact), HAWQ-style;
- "adaptive" (c): per unit the levels of the static mixes at budget /
  sqrt(spread) and budget * sqrt(spread), switched per call by the
  controller, thresholds calibrated so the calibration calls average the
  budget (`thresholds.calibrate`);
- "adaptive-uniform" (c'): every unit the two levels around the budget
  (e.g. i4 and i8 for 6 bits), thresholds calibrated the same way.

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
from agn.onnx.policy import sanitize
from agn.runtime import known_levels
from agn.tune import knapsack, metadata, thresholds
from agn.tune.cost import (MAX_BITS, UnitCost, check_budget, level_bits, mean_bits, static_bits,
                           total_macs)
from agn.tune.probe import (ErrorFunction, Probe, TuneError, as_calls, policies_from_static,
                            snapshot, unique_prefix)

KINDS = ("uniform", "static", "adaptive", "adaptive-uniform")
#: The levels tuned over unless told otherwise (f16 rather than bf16 at 16
#: bits: the same cost, more mantissa).
DEFAULT_LEVELS = ("i4", "i8", "f16", "f32")
#: Ratios between the static mixes an adaptive unit switches between
#: that "adaptive" tries (it keeps the least predicted error).
SPREADS = (1.5, 2.0, 4.0)
#: None: try every spread of SPREADS.
DEFAULT_SPREAD = None


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

    def record(self, calls: int) -> Dict[str, Any]:
        """The `agn.tune` metadata record."""
        return {"version": 1, "kind": self.kind, "budget_bits": self.budget,
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

    def adaptive(self, budget: float, spread: Optional[float] = DEFAULT_SPREAD) -> Plan:
        """(c) Two static mixes around `budget` (a factor `spread` apart),
        switched per call by the controller; thresholds calibrated to the
        budget. With spread None, each of SPREADS is tried and the plan with
        the least predicted error (the per-call additive model) kept."""
        budget = self._check(budget)
        if spread is None:
            plans = [self.adaptive(budget, s) for s in SPREADS]
            return min(plans, key=lambda p: (p.predicted_error, p.detail["spread"]))
        if not spread > 1.0:
            raise TuneError(f"spread must be above 1, got {spread}")
        low = max(self._least_budget(), budget / math.sqrt(spread))
        high = min(MAX_BITS, budget * math.sqrt(spread))
        lower = self.static_choice(low).choice
        upper = self.static_choice(high).choice
        return self._adaptive_plan("adaptive", budget, lower, upper,
                                   {"spread": spread, "lower_budget": low,
                                    "upper_budget": high})

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
            stats = np.asarray(self.probe.statistics[u.node], np.float32)
            if len(policy.levels) == 1:
                error += float(self.sensitivity[u.node][policy.levels[0]].mean())
                continue
            up = stats >= np.float32(policy.thresholds[0])
            lo, hi = policy.levels
            error += float(np.where(up, self.sensitivity[u.node][hi],
                                    self.sensitivity[u.node][lo]).mean())
        return Plan(kind, budget, calibrated.policies, calibrated.predicted_bits,
                    calibrated.shares, error, calibrated.step,
                    {**detail, "calls_up": calibrated.calls_up})

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
        (default: the calibration calls) one per call: the outputs, each
        adaptive unit's grants and per-call statistics (from the runtime),
        and the mean bits per MAC that were run."""
        model = self.write(plan)
        prefix = unique_prefix(name or "tuned")
        compiled = agn.compile(model, name=prefix, threads=self.probe.threads)
        try:
            calls = self.probe.calls if calls is None else as_calls(calls, compiled.inputs)
            start = time.perf_counter()
            outputs = [compiled.run(*calls[0])]  # registers the adaptive units
            seconds = [time.perf_counter() - start]
            adaptive = [u for u in self.units if len(plan.policies[u.node].levels) > 1]
            runtime_names = {u.node: f"{sanitize(prefix)}.{u.unit.split('.', 1)[1]}"
                             for u in adaptive}
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
            macs = total_macs(self.units)
            for u in adaptive:
                stats = runtime.unit_stats(runtime_names[u.node])
                lowest = plan.policies[u.node].levels[0]
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
                    lowest = plan.policies[u.node].levels[0]
                    for lv, c in after.granted[name_].items():
                        delta = c - before.granted[name_].get(lv, 0)
                        granted[u.node][lv] += delta
                        if delta and lv != lowest:
                            upgraded[i] += u.macs / macs
                before = after
        finally:
            compiled.close()
        shares = {}
        for u in self.units:
            policy = plan.policies[u.node]
            if len(policy.levels) == 1:
                shares[u.node] = {policy.levels[0]: 1.0}
            else:
                total = sum(granted[u.node].values())
                shares[u.node] = {lv: c / total for lv, c in granted[u.node].items() if c}
        return Measured(outputs, mean_bits(self.units, shares), shares, statistics, seconds,
                        upgraded)

    def refine(self, plan: Plan, rounds: int = 1) -> Plan:
        """Recalibrates an adaptive plan's thresholds on the statistics its
        units see when the plan runs (upstream units at their tuned levels
        move them from their f32 values), `rounds` times."""
        if plan.static_levels() is not None:
            return plan
        for _ in range(rounds):
            measured = self.measure(plan)
            statistics = dict(self.probe.statistics)
            statistics.update(measured.statistics)
            lower = {node: p.levels[0] for node, p in plan.policies.items()}
            upper = {node: p.levels[-1] for node, p in plan.policies.items()}
            calibrated = thresholds.calibrate(self.units, statistics, lower, upper, plan.budget)
            plan = Plan(plan.kind, plan.budget, calibrated.policies, calibrated.predicted_bits,
                        calibrated.shares, plan.predicted_error, calibrated.step,
                        {**plan.detail, "calls_up": calibrated.calls_up,
                         "refined": plan.detail.get("refined", 0) + 1})
        return plan

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
