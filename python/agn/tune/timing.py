"""Measured time per unit and level: the costs of a latency target.

Mean bits per MAC do not predict latency on every CPU (f16 runs slower
than f32 where the CPU converts it in software), so a latency target
needs measured costs. `measure` compiles the model once more with
`profile=True` (the runtime then times each unit's version, see
docs/Profiling.md) and every candidate level, pins every unit at one
level at a time, and runs the calls `repeat` times: a unit's time at a
level is the median over the repeats of its version's time per call; the
time outside the units (the glue between them, the controllers, the
model's entry) is the entry function's time per call minus the units'
times, median over levels and repeats. It includes every unit's controller
(the timed model is compiled with all levels), which a unit that a plan
keeps at one level does not run: predictions err on the slow side by
those controllers' time.

The profiler's counters are process-wide: `measure` resets them
(`agn.runtime.reset_profile`) before each repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Sequence

import numpy as np

import agn
from agn import runtime
from agn.tune.cost import UnitCost
from agn.tune.probe import Call, TuneError, runtime_unit, unique_prefix

#: The grain of the latency knapsack's costs, in nanoseconds: well below the
#: noise of a measured unit time, coarse enough for an exact table.
RESOLUTION_NS = 100.0


@dataclass
class UnitTimes:
    """Nanoseconds per call: `per_level[node][level]` for each unit's
    version, `outside` for everything else the call runs."""

    per_level: Dict[str, Dict[str, float]]
    outside: float

    def costs(self) -> Dict[str, Dict[str, int]]:
        """Per unit and level, the time in whole steps of RESOLUTION_NS (at
        least one), the knapsack's costs."""
        return {node: {lv: max(1, int(round(t / RESOLUTION_NS))) for lv, t in times.items()}
                for node, times in self.per_level.items()}

    def capacity(self, milliseconds: float) -> float:
        """The units' share of a target of `milliseconds` per call, in the
        steps of `costs`."""
        return (milliseconds * 1e6 - self.outside) / RESOLUTION_NS

    def fastest(self) -> Dict[str, Dict[str, float]]:
        """Shares of the fastest plan: each unit at its fastest level."""
        return {node: {min(times, key=times.get): 1.0} for node, times in self.per_level.items()}

    def slack(self) -> float:
        """Milliseconds by which the rounding of `costs` may exceed the
        measured times of a plan (half a step per unit)."""
        return len(self.per_level) * RESOLUTION_NS / 2 * 1e-6

    def predict(self, shares: Dict[str, Dict[str, float]]) -> float:
        """Milliseconds per call when each unit runs its levels in
        `shares`."""
        units = sum(self.per_level[node][lv] * s for node, levels in shares.items()
                    for lv, s in levels.items())
        return (units + self.outside) * 1e-6


def measure(model: Any, units: Sequence[UnitCost], levels: Sequence[str],
            calls: Sequence[Call], threads: int = 1, repeat: int = 3) -> UnitTimes:
    """Times every unit of `model` (an ONNX ModelProto whose nodes `units`
    name) at every level of `levels` on `calls` (see the module doc)."""
    prefix = unique_prefix("timing")
    compiled = agn.compile(model, name=prefix, levels=list(levels), threads=threads,
                           profile=True)
    names = {u.node: runtime_unit(prefix, u) for u in units}
    samples: Dict[str, Dict[str, list]] = {u.node: {lv: [] for lv in levels} for u in units}
    outside = []
    try:
        compiled.run(*calls[0])  # the units register on the first call
        for level in levels:
            for name in names.values():
                runtime.pin_unit(name, level)
            for call in calls:  # warm caches and the thread pool at this level
                compiled.run(*call)
            for _ in range(repeat):
                runtime.reset_profile()
                for call in calls:
                    compiled.run(*call)
                profile = compiled.profile()
                by_unit = profile.by_unit()
                entry = sum(r["outer_ns"] for r in profile.regions if r["group"] == "function")
                spent = 0.0
                for u in units:
                    key = (names[u.node], level)
                    if key not in by_unit:
                        raise TuneError(f"the profile has no time for unit {key[0]} at {level}; "
                                        "the profiled model's units do not match the probe's "
                                        "(report this as a bug)")
                    t = by_unit[key] / len(calls)
                    samples[u.node][level].append(t)
                    spent += t
                outside.append(max(entry / len(calls) - spent, 0.0))
    finally:
        for name in names.values():
            runtime.pin_unit(name, None)
        compiled.close()
    per_level = {node: {lv: float(np.median(v)) for lv, v in times.items()}
                 for node, times in samples.items()}
    return UnitTimes(per_level, float(np.median(outside)))
