"""Tune a model's precision policies for a budget of mean bits per MAC.

    import agn.tune
    result = agn.tune.tune("model.onnx", x_calibration, bits=6, kind="adaptive",
                           out="model.tuned.onnx")
    agn.compile("model.tuned.onnx")      # units take the tuned policies

    python3 -m agn.tune model.onnx calib.npy --bits 6 -o model.tuned.onnx

Four kinds of policy at the same budget (issue 15), from one measurement
of the model with agn (`Tuner`): "uniform" (one level everywhere),
"static" (a per-layer mix: the exact knapsack over measured
sensitivities), "adaptive" (two static mixes around the budget, switched
per call by each unit's controller, thresholds calibrated to the budget)
and "adaptive-uniform" (every unit the two levels around the budget).
The policies go into the ONNX metadata the importer reads.

Modules, one job each: `cost` (MACs, bits, mean bits per MAC), `probe`
(compile once, pin, read statistics and sensitivities from the runtime),
`knapsack` (exact multiple-choice knapsack), `thresholds` (calibration to
a budget), `metadata` (write/read the policies), `plans` (the kinds),
`__main__` (the command).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import onnx

from agn.tune.cost import UnitCost, check_budget, mean_bits, static_bits
from agn.tune.knapsack import Solution, solve
from agn.tune.metadata import TUNE_KEY, read, write
from agn.tune.plans import DEFAULT_LEVELS, DEFAULT_SPREAD, KINDS, Plan, Tuner
from agn.tune.probe import Probe, TuneError

__all__ = [
    "DEFAULT_LEVELS",
    "DEFAULT_SPREAD",
    "KINDS",
    "Plan",
    "Probe",
    "Solution",
    "TUNE_KEY",
    "TuneError",
    "TuneResult",
    "Tuner",
    "UnitCost",
    "check_budget",
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


def tune(model: Any, calibration: Any, bits: float, kind: str = "adaptive",
         out: Optional[str] = None, levels: Sequence[str] = DEFAULT_LEVELS,
         output: Optional[Sequence[int]] = None, spread: float = DEFAULT_SPREAD,
         threads: int = 1, refine: int = 1,
         progress: Optional[Callable[[str], None]] = None) -> TuneResult:
    """Tunes `model` (an ONNX path or ModelProto) on `calibration` (see
    `probe.as_calls`) for `bits` mean bits per MAC with policies of `kind`
    (one of KINDS) and returns the plan and the model with the policies in
    its metadata (saved to `out` when given). `refine` rounds recalibrate
    adaptive thresholds on the statistics seen when the tuned model runs
    (`Tuner.refine`).

    Raises TuneError (a ValueError) for bad input: a budget outside 4..32
    bits, unknown levels or kinds, calibration data that does not fit the
    model's inputs."""
    check = check_budget  # fail before the (slow) measurement
    try:
        check(bits)
    except ValueError as exc:
        raise TuneError(str(exc)) from None
    if kind not in KINDS:
        raise TuneError(f"unknown policy kind {kind!r}; expected one of {', '.join(KINDS)}")
    tuner = Tuner(model, calibration, levels=levels, threads=threads, output=output,
                  progress=progress)
    try:
        options = {"spread": spread} if kind == "adaptive" else {}
        plan = tuner.refine(tuner.plan(kind, bits, **options), refine)
        return TuneResult(plan, tuner.write(plan, out))
    finally:
        tuner.close()
