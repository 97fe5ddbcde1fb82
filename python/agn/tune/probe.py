"""Measuring a model with agn: its units and their MACs, each call's
controller statistic, and each unit's sensitivity per level.

A `Probe` compiles the model once with every candidate level (the
adaptive pipeline; any policies the model stores are dropped for this) and
steers it through the runtime: pinning every unit at f32 gives the
reference outputs and, on the way, the statistic each unit's controller
computes on each call; pinning one unit at a time at each level gives that
unit's sensitivity.

**The statistic is the compiled code's own.** The runtime keeps, per unit,
the sum of the finite statistics its controller passed to
`agn_rt_arbitrate` (`unit_stats()["statistic_mean"]` times the calls), so
one call's statistic is the difference of that sum before and after it
(batch-1 calls: one arbitration per unit per call, which is checked). A
non-finite statistic is not summed; it would read as the running mean.
"""

from __future__ import annotations

import copy
import itertools
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import onnx

import agn
from agn import runtime
from agn.onnx import UnitPolicy
from agn.onnx.importer import load_model
from agn.onnx.policy import METADATA_KEY, sanitize, unit_name
from agn.tune.cost import UnitCost

Call = Tuple[np.ndarray, ...]
#: Error of one call's outputs against the reference outputs.
ErrorFunction = Callable[[Sequence[np.ndarray], Sequence[np.ndarray]], float]

_counter = itertools.count()


class TuneError(ValueError):
    """Bad input to agn.tune: the message says what, where and how to fix it."""


def unique_prefix(stem: str = "tune") -> str:
    """A unit-name prefix no other model of this process has (unit names
    are process-wide in the runtime). It has no '.', so that the first '.'
    of a unit name ends it (`runtime_unit`)."""
    base = sanitize(stem).replace(".", "_") or "tune"
    return f"{base}_{os.getpid()}_{next(_counter)}"


def runtime_unit(prefix: str, unit: UnitCost) -> str:
    """The runtime name of `unit` (named by the probe's model) in the
    model compiled under `prefix` (a `unique_prefix`)."""
    return f"{prefix}.{unit.unit.split('.', 1)[1]}"


def relative_error(outputs: Sequence[np.ndarray], reference: Sequence[np.ndarray],
                   which: Optional[Sequence[int]] = None) -> float:
    """The mean over the chosen outputs (default all) of
    ||y - ref||^2 / ||ref||^2: the relative squared error."""
    indices = range(len(reference)) if which is None else which
    total = 0.0
    for i in indices:
        r = np.asarray(reference[i], np.float64)
        d = np.asarray(outputs[i], np.float64) - r
        total += float((d * d).sum()) / max(float((r * r).sum()), 1e-300)
    return total / max(len(indices), 1)


def named_copy(model: Any) -> onnx.ModelProto:
    """A copy of the model (path or ModelProto) without agn policies, every
    node named (policies are keyed by node name: an unnamed node gets the
    name its unit would have had, `<op>_<index>`)."""
    proto = copy.deepcopy(load_model(model))
    kept = [p for p in proto.metadata_props if p.key != METADATA_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    seen = set()
    for index, node in enumerate(proto.graph.node):
        if not node.name:
            node.name = f"{node.op_type.lower()}_{index}"
        if node.name in seen:
            raise TuneError(f"the ONNX graph has two nodes named {node.name!r}; agn policies "
                            "are keyed by node name, so rename one (onnx.helper, or the "
                            "exporter) and tune again")
        seen.add(node.name)
    return proto


def as_calls(calibration: Any, inputs: Sequence[agn.TensorSpec]) -> List[Call]:
    """The calibration inputs as one tuple of arrays per model call.

    Accepts a list of calls (each an array, or a tuple/list of arrays, one
    per model input), a dict of stacked arrays by input name, or one
    stacked array (models with one input). A stacked array's first axis
    indexes the calls; with one more axis than the input it is dropped,
    with as many it is kept (x[i:i+1] for a batch-1 input).
    """
    def rows(array: Any, spec: agn.TensorSpec) -> List[np.ndarray]:
        array = np.asarray(array)
        if array.ndim == len(spec.shape) + 1:
            found = [array[i] for i in range(array.shape[0])]
        elif array.ndim == len(spec.shape) and array.ndim > 0:
            found = [array[i:i + 1] for i in range(array.shape[0])]
        else:
            found = []
        if not found or not fits(found[0].shape, spec.shape):
            raise TuneError(f"calibration data for input {spec.name!r} has shape "
                            f"{list(array.shape)}; the input is {list(spec.shape)}: give a "
                            "stack of inputs along a new first axis (or along the batch axis)")
        return found

    def fits(shape: Tuple[int, ...], wanted: Tuple[int, ...]) -> bool:
        return len(shape) == len(wanted) and all(w < 0 or w == s for s, w in zip(shape, wanted))

    if isinstance(calibration, Mapping):
        missing = [s.name for s in inputs if s.name not in calibration]
        if missing:
            raise TuneError(f"calibration data lacks input(s) {', '.join(missing)} (has "
                            f"{', '.join(map(str, calibration)) or 'nothing'})")
        columns = [rows(calibration[s.name], s) for s in inputs]
        if len({len(c) for c in columns}) > 1:
            raise TuneError("calibration arrays hold different numbers of calls: "
                            + ", ".join(f"{s.name} {len(c)}" for s, c in zip(inputs, columns)))
        calls = [tuple(c[i] for c in columns) for i in range(len(columns[0]))]
    elif isinstance(calibration, np.ndarray):
        if len(inputs) != 1:
            raise TuneError(f"the model takes {len(inputs)} inputs "
                            f"({', '.join(s.name for s in inputs)}); give the calibration "
                            "data as a dict of arrays by input name")
        calls = [(row,) for row in rows(calibration, inputs[0])]
    else:
        calls = [tuple(c) if isinstance(c, (list, tuple)) else (c,) for c in calibration]
    if not calls:
        raise TuneError("no calibration inputs: give at least one call's inputs")
    for i, call in enumerate(calls):
        if len(call) != len(inputs):
            raise TuneError(f"calibration call {i} has {len(call)} array(s); the model takes "
                            f"{len(inputs)} ({', '.join(s.name for s in inputs)})")
        for array, spec in zip(call, inputs):
            if not fits(np.shape(array), spec.shape):
                raise TuneError(f"calibration call {i}: input {spec.name!r} has shape "
                                f"{list(np.shape(array))}, the model takes {list(spec.shape)}")
    return calls


@dataclass
class Snapshot:
    """Per unit: calls so far, sum of the statistics, calls per level."""

    calls: Dict[str, int]
    sums: Dict[str, float]
    granted: Dict[str, Dict[str, int]]


def snapshot(unit_names: Sequence[str]) -> Snapshot:
    """The runtime's counters of the named units now."""
    calls, sums, granted = {}, {}, {}
    for name in unit_names:
        stats = runtime.unit_stats(name)
        n = sum(stats["granted"].values())
        calls[name] = n
        sums[name] = (stats["statistic_mean"] or 0.0) * n
        granted[name] = dict(stats["granted"])
    return Snapshot(calls, sums, granted)


def granted_between(before: Snapshot, after: Snapshot) -> Dict[str, Dict[str, int]]:
    """Calls per level of each unit between two snapshots."""
    return {name: {lv: c - before.granted[name].get(lv, 0) for lv, c in counts.items()}
            for name, counts in after.granted.items()}


class Probe:
    """The model compiled with every candidate level, steered by pinning.

    `units` lists the units (ONNX node, runtime name, MACs per call) in the
    graph's order; `reference` holds the f32 outputs of each call and
    `statistics[node]` each call's controller statistic at f32.
    """

    def __init__(self, model: Any, calls: Any, levels: Sequence[str], threads: int = 1,
                 error: Optional[ErrorFunction] = None, stem: str = "tune") -> None:
        self.proto = named_copy(model)
        self.levels = list(levels)
        self.prefix = unique_prefix(stem)
        self.error = error or relative_error
        self.threads = threads
        self.model = agn.compile(self.proto, name=self.prefix, levels=self.levels,
                                 threads=threads)
        self.calls = as_calls(calls, self.model.inputs)
        self.model(*self.calls[0])  # units register on the first call
        self.units = self._units()
        if not self.units:
            raise TuneError("the model has no agn units (no MatMul, Gemm or Conv the adaptive "
                            "pipeline could wrap): there is nothing to tune")
        self._names = [u.unit for u in self.units]
        self.reference, stats = self._run_f32()
        self.statistics = {u.node: stats[u.unit] for u in self.units}

    def _units(self) -> List[UnitCost]:
        registered = {u["name"]: u for u in runtime.units()
                      if u["name"].startswith(self.prefix + ".")}
        found = []
        for index, node in enumerate(self.proto.graph.node):
            name = unit_name(sanitize(self.prefix), node, index)
            if name in registered:
                macs = registered[name]["macs"].get("f32") or max(
                    registered[name]["macs"].values())
                found.append(UnitCost(node.name, name, int(macs)))
        return found

    def pin(self, assignment: Optional[Mapping[str, Optional[str]]] = None,
            default: Optional[str] = None) -> None:
        """Pins each unit at `assignment[node]` (missing: `default`; None:
        unpinned, the controller decides)."""
        assignment = assignment or {}
        for u in self.units:
            runtime.pin_unit(u.unit, assignment.get(u.node, default))

    def run(self, calls: Optional[Sequence[Call]] = None) -> List[Tuple[np.ndarray, ...]]:
        """The outputs of each call under the current pins."""
        return [self.model.run(*call) for call in (self.calls if calls is None else calls)]

    def _run_f32(self) -> Tuple[List[Tuple[np.ndarray, ...]], Dict[str, np.ndarray]]:
        self.pin(default="f32")
        outputs = []
        stats = {name: np.empty(len(self.calls)) for name in self._names}
        before = snapshot(self._names)
        for i, call in enumerate(self.calls):
            outputs.append(self.model.run(*call))
            after = snapshot(self._names)
            for name in self._names:
                if after.calls[name] - before.calls[name] != 1:
                    raise TuneError(f"unit {name} arbitrated {after.calls[name] - before.calls[name]} "
                                    "times in one call; agn.tune needs one controller decision "
                                    "per unit per call (batch-1 calls, no loops around units)")
                stats[name][i] = after.sums[name] - before.sums[name]
            before = after
        self.pin(default=None)
        return outputs, stats

    def errors(self, outputs: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
        """Each call's error against the f32 reference."""
        return np.array([self.error(y, r) for y, r in zip(outputs, self.reference)])

    def sensitivity(self, progress: Optional[Callable[[str], None]] = None
                    ) -> Dict[str, Dict[str, np.ndarray]]:
        """Per unit and level, each call's error with that unit alone at
        that level and every other unit at f32 (f32 itself: zeros)."""
        result: Dict[str, Dict[str, np.ndarray]] = {}
        for k, u in enumerate(self.units):
            result[u.node] = {"f32": np.zeros(len(self.calls))} if "f32" in self.levels else {}
            for level in self.levels:
                if level == "f32":
                    continue
                self.pin({u.node: level}, default="f32")
                result[u.node][level] = self.errors(self.run())
            if progress:
                progress(f"sensitivity {k + 1}/{len(self.units)}: {u.node}")
        self.pin(default=None)
        return result

    def close(self) -> None:
        """Unpins the units and frees the compiled code."""
        try:
            self.pin(default=None)
        finally:
            self.model.close()


def policies_from_static(assignment: Mapping[str, str]) -> Dict[str, UnitPolicy]:
    """One-level policies (no controller) from a static assignment."""
    return {node: UnitPolicy(levels=[level], thresholds=[]) for node, level in assignment.items()}
