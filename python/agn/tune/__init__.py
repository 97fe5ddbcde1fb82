"""Tune a model's precision policies for a budget of mean bits per MAC.

    import agn.tune
    result = agn.tune.tune("model.onnx", x_calibration, bits=6, kind="adaptive",
                           out="model.tuned.onnx")
    agn.compile("model.tuned.onnx")      # units take the tuned policies

    python3 -m agn.tune model.onnx calib.npy --bits 6 -o model.tuned.onnx
    python3 -m agn.tune model.onnx calib.npy --latency-ms 2.5 --kind static

Four kinds of policy at the same budget (issue 15), from one measurement
of the model with agn (`Tuner`): "uniform" (one level everywhere),
"static" (a per-layer mix: the exact knapsack over measured
sensitivities), "adaptive" (per unit a static level or two levels switched per call
by its controller, chosen with the static levels in one exact knapsack)
and "adaptive-uniform" (every unit the two levels around the budget).
The policies go into the ONNX metadata the importer reads.

Modules, one job each: `cost` (MACs, bits, mean bits per MAC), `probe`
(compile once, pin, read statistics and sensitivities from the runtime),
`knapsack` (exact multiple-choice knapsack), `adaptive` (the adaptive
kind's knapsack over levels and thresholds, and the per-call bound),
`thresholds` (calibration to a budget), `timing` (measured time per unit
and level, for latency targets), `metadata` (write/read the policies), `plans` (the kinds),
`__main__` (the command).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import onnx

from agn.tune.cost import UnitCost, check_budget, mean_bits, static_bits
from agn.tune.knapsack import Solution, solve
from agn.tune.metadata import TUNE_KEY, read, write
from agn.tune.plans import DEFAULT_LEVELS, KINDS, LATENCY_KINDS, Plan, Tuner, check_latency
from agn.tune.probe import Probe, TuneError

__all__ = [
    "DEFAULT_LEVELS",
    "KINDS",
    "LATENCY_KINDS",
    "Plan",
    "Probe",
    "Solution",
    "TUNE_KEY",
    "TuneError",
    "TuneResult",
    "Tuner",
    "UnitCost",
    "check_budget",
    "check_latency",
    "mean_bits",
    "read",
    "solve",
    "static_bits",
    "tune",
    "write",
]


@dataclass
class TuneResult:
    """The plan and the model holding its policies."""

    plan: Plan
    model: onnx.ModelProto


def tune(model: Any, calibration: Any, bits: Optional[float] = None, kind: str = "adaptive",
         out: Optional[str] = None, levels: Sequence[str] = DEFAULT_LEVELS,
         output: Optional[Sequence[int]] = None,
         threads: int = 1, refine: int = 1,
         progress: Optional[Callable[[str], None]] = None,
         latency_ms: Optional[float] = None) -> TuneResult:
    """Tunes `model` (an ONNX path or ModelProto) on `calibration` (see
    `probe.as_calls`) for `bits` mean bits per MAC, or for `latency_ms`
    milliseconds per call (measured per unit and level, `Tuner.unit_times`;
    kinds uniform, static and adaptive), with policies of `kind` (one of
    KINDS) and returns the plan and the model with the policies in its
    metadata (saved to `out` when given). `refine` rounds recalibrate
    adaptive thresholds on the statistics seen when the tuned model runs
    (`Tuner.refine`).

    Raises TuneError (a ValueError) for bad input: neither or both of
    `bits` and `latency_ms`, a budget outside 4..32 bits, a latency target
    below the fastest plan, unknown levels or kinds, calibration data that
    does not fit the model's inputs."""
    if (bits is None) == (latency_ms is None):
        raise TuneError("give one target: bits (mean bits per MAC) or latency_ms "
                        "(milliseconds per call)")
    if bits is not None:
        try:
            check_budget(bits)  # fail before the (slow) measurement
        except ValueError as exc:
            raise TuneError(str(exc)) from None
    if kind not in KINDS:
        raise TuneError(f"unknown policy kind {kind!r}; expected one of {', '.join(KINDS)}")
    if latency_ms is not None:
        check_latency(latency_ms, kind)
    tuner = Tuner(model, calibration, levels=levels, threads=threads, output=output,
                  progress=progress)
    try:
        plan = (tuner.plan(kind, bits) if bits is not None
                else tuner.plan_latency(kind, latency_ms))
        plan = tuner.refine(plan, refine)
        return TuneResult(plan, tuner.write(plan, out))
    finally:
        tuner.close()
