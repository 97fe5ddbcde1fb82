"""Differential testing of a model at every level agn offers.

One model, one set of inputs, one reference (a float64 PyTorch module, the
outputs an ONNX test set ships, or any callable), and five checks:

(a) ``f32``: the model compiled as written (no agn passes) against the
    reference;
(b) ``pinned f32``: the adaptive pipeline (every level) with every unit
    pinned to f32, against (a): within 1e-6 relative, since the f32 versions
    are the plain kernels;
(c) ``pinned <level>`` for i4, i8, bf16, f16: every unit pinned to that
    level, against the reference, within the bound the noise model derives
    for the model at that level (below);
(d) ``adaptive``: the free adaptive pipeline (each unit's controller
    decides): every unit granted what its policy says for the statistic it
    measured, and the output within the noise model's bound for the levels
    granted;
(e) ``units``: every unit of (b)-(d), run at its level, against float64
    computed from the operands it received, within the bound those operands
    imply (`agn.testing.unit_bounds`): at most 1 in units of that bound.

Errors are ``max |y - ref| / max |ref|`` over all outputs (over the
elements `output_masks` keeps). A failing check of a level names the first
unit over its own bound (e); a failing ``pinned f32`` the first unit whose
output differs from the plain f32 compile's.

**Bounds.** (e) runs a copy of the model that also returns every
contraction's operands and output, pinned as the check pins, and bounds
each unit from the rounding agn's scheme applies to its operands
(`agn.testing.unit_bounds`). The noise model then propagates those
roundings through the real network: the model in f32 with every unit's
output moved by a draw of its error (each operand element's rounding
uniform on its bound, independently; `NOISE_SAMPLES` draws); the bound of
(c) and (d) is the largest draw plus four standard deviations of the draws,
plus the f32 bound below. (a) has the first-order f32 bound
``level_bound("f32", n)``: sqrt(6n) (2^-24 + 64 2^-24), twice the second
term when the reference is itself f32.

    python3 -m agn.testing.differential model.onnx          # random input
    python3 -m agn.testing.differential --torchvision resnet18 mobilenet_v2
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import numpy as np
import onnx
import onnx.numpy_helper

import agn
from agn import runtime
from agn.onnx import policy
from agn.testing import unit_bounds

#: The levels (c) checks, coarsest first.
PINNED_LEVELS = ("i4", "i8", "bf16", "f16")

#: Relative rounding step of each level: half a quantization step relative to
#: the operand's largest magnitude (127 steps per sign at i8, 7 at i4).
LEVEL_STEP = {"i4": 1 / 14, "i8": 1 / 254, "bf16": 2.0**-8, "f16": 2.0**-11,
              "f32": 2.0**-24}

#: The step of f32 accumulation over long dot products.
F32_ACCUMULATION_STEP = 2.0**-24 * 64

#: (b): pinned-f32 adaptive code against plain f32 code.
PINNED_F32_TOLERANCE = 1e-6

#: Draws of the noise model per configuration of levels.
NOISE_SAMPLES = 8

#: A unit's contraction ops in ONNX (Einsum: of two operands).
CONTRACTIONS = ("Conv", "ConvTranspose", "Einsum", "Gemm", "MatMul")

Reference = Callable[[Sequence[np.ndarray]], Sequence[np.ndarray]]


def level_bound(level: str, units: int, f32_reference: bool = False) -> float:
    """The first-order relative error bound of a model of `units` units at
    `level`: each unit rounds two operands to a relative step u_L
    (`LEVEL_STEP`), errors uniform and independent, normalised layers that
    neither grow nor shrink a relative perturbation; three standard
    deviations, sqrt(6n) u_L, plus the same for f32 accumulation. The
    differential checks use it for f32, where nothing else rounds, and
    derive the other levels' bounds from the model's own operands
    (`DifferentialTest.analyse`); it stays for checks that run no analysis."""
    scale = math.sqrt(6 * max(units, 1))
    accumulation = F32_ACCUMULATION_STEP * (2 if f32_reference else 1)
    return scale * (LEVEL_STEP[level] + accumulation)


def model_bound(simulated: Sequence[float], units: int, f32_reference: bool = False) -> float:
    """The relative error bound of a model from draws of its error under the
    noise model (`DifferentialTest.analyse`): their largest plus four
    standard deviations (the draws of one model spread by about 10 %), plus
    the f32 bound of `units` units (the model's own f32 rounding, and the
    reference's when it is f32)."""
    f32 = level_bound("f32", units, f32_reference)
    if not simulated:
        return f32
    spread = float(np.std(simulated, ddof=1)) if len(simulated) > 1 else 0.0
    return max(simulated) + 4 * spread + f32


def relative_error(outputs: Sequence[np.ndarray], reference: Sequence[np.ndarray],
                   masks: Optional[Sequence[Optional[np.ndarray]]] = None) -> float:
    """max |y - ref| / max |ref| over all outputs (inf on NaN or a shape
    mismatch), over the elements each output's mask (broadcast to it) keeps
    where `masks` has one."""
    worst = 0.0
    for i, (y, ref) in enumerate(zip(outputs, reference)):
        y = np.asarray(y, np.float64)
        ref = np.asarray(ref, np.float64)
        if y.shape != ref.shape or not np.all(np.isfinite(y)):
            return math.inf
        if masks is not None and masks[i] is not None:
            keep = np.broadcast_to(np.asarray(masks[i], bool), ref.shape)
            y, ref = y[keep], ref[keep]
        scale = float(np.abs(ref).max()) if ref.size else 0.0
        diff = float(np.abs(y - ref).max()) if ref.size else 0.0
        worst = max(worst, diff / scale if scale > 0 else diff)
    return worst


@dataclass
class Divergence:
    """The first unit whose output leaves its bound."""

    node: str
    error: float
    bound: float


@dataclass
class Check:
    """One check of one model."""

    name: str
    error: float
    bound: float
    passed: bool
    detail: str = ""
    granted: Dict[str, int] = field(default_factory=dict)
    divergence: Optional[Divergence] = None


@dataclass
class Report:
    """Every check of one model, with its compile times."""

    model: str
    units: int = 0
    compile_seconds: Dict[str, float] = field(default_factory=dict)
    #: Where the adaptive compile's time went, per stage
    #: (`CompiledModel.compile_seconds`).
    compile_stages: Dict[str, float] = field(default_factory=dict)
    checks: List[Check] = field(default_factory=list)
    #: Each configuration's units ("f32", a level, "adaptive") against their
    #: own bounds.
    unit_checks: Dict[str, List[unit_bounds.UnitCheck]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def lines(self) -> List[str]:
        """The report as text, one line per check."""
        times = ", ".join(f"{k} {v:.1f} s" for k, v in self.compile_seconds.items())
        out = [f"{self.model}: {self.units} units; compile {times}"]
        if self.compile_stages:
            out.append("  adaptive compile: " + ", ".join(
                f"{k} {v:.1f} s" for k, v in self.compile_stages.items()))
        for c in self.checks:
            status = "ok  " if c.passed else "FAIL"
            granted = " ".join(f"{k}:{v}" for k, v in c.granted.items() if v)
            line = (f"  {status} {c.name:12s} error {c.error:.2e}  bound {c.bound:.2e}"
                    + (f"  units at {granted}" if granted else "")
                    + (f"  {c.detail}" if c.detail else ""))
            out.append(line)
            if c.divergence:
                d = c.divergence
                out.append(f"       first divergent unit: {d.node} (error {d.error:.2e}, "
                           f"bound {d.bound:.2e})")
        return out


def _as_tuple(outputs: Any) -> Tuple[np.ndarray, ...]:
    return tuple(outputs) if isinstance(outputs, (list, tuple)) else (outputs,)


def model_units(prefix: str) -> List[Dict[str, Any]]:
    """The runtime's units of the model whose unit names start `prefix.`."""
    return [u for u in runtime.units() if u["name"].startswith(prefix + ".")]


def pin_all(prefix: str, level: Optional[str]) -> None:
    """Pins every unit of `prefix` to `level` (None unpins)."""
    for unit in model_units(prefix):
        runtime.pin_unit(unit["name"], level)


def granted_since(before: Dict[str, Dict[str, int]], prefix: str) -> Dict[str, str]:
    """The level each unit of `prefix` was granted since `before` (a
    snapshot of the grant counters), by unit name."""
    levels = {}
    for unit in model_units(prefix):
        old = before.get(unit["name"], {})
        for level, count in unit["granted"].items():
            if count > old.get(level, 0):
                levels[unit["name"]] = level
    return levels


def grant_counters(prefix: str) -> Dict[str, Dict[str, int]]:
    """How often each unit of `prefix` was granted each level, by name."""
    return {u["name"]: dict(u["granted"]) for u in model_units(prefix)}


_UNIT_POLICY = re.compile(
    r'agn\.unit "([^"]+)" levels \[[^\]]*\] policy #agn\.policy<'
    r'(?:statistic = \w+, )?levels = \[([^\]]*)\]'
    r'(?:, thresholds = \[([^\]]*)\])?(?:, hysteresis = ([0-9.eE+-]+))?')


def unit_policies(ir: str) -> Dict[str, Tuple[List[str], List[float]]]:
    """Each unit's policy levels and thresholds, from the adaptive IR."""
    policies = {}
    for match in _UNIT_POLICY.finditer(ir):
        levels = [s.strip() for s in match.group(2).split(",") if s.strip()]
        thresholds = [float(s) for s in (match.group(3) or "").split(",") if s.strip()]
        policies[match.group(1)] = (levels, thresholds)
    return policies


def policy_level(levels: Sequence[str], thresholds: Sequence[float], statistic: float) -> str:
    """The level a policy selects for `statistic` (no hysteresis): the band
    the statistic falls in, NaN and infinities the most precise."""
    if not math.isfinite(statistic):
        return levels[-1]
    return levels[sum(1 for t in thresholds if np.float32(statistic) >= np.float32(t))]


def _near_threshold(thresholds: Sequence[float], statistic: float) -> bool:
    return any(abs(statistic - t) <= 1e-5 * max(abs(t), 1e-30) for t in thresholds)


#: Where a contraction's operand comes from in `with_unit_operands`:
#: ("output", i) the augmented model's i-th output, ("input", i) the model's
#: i-th input, ("initializer", name), or ("absent", "").
OperandSource = Tuple[str, Any]


def with_unit_operands(model: onnx.ModelProto
                       ) -> Tuple[onnx.ModelProto, List[onnx.NodeProto], List[List[OperandSource]]]:
    """A copy of `model` that also returns every contraction node's output and
    the operands it computes from, the contraction nodes, and where each of
    their inputs comes from."""
    augmented = onnx.ModelProto()
    augmented.CopyFrom(model)
    graph = augmented.graph
    initializers = {i.name for i in graph.initializer}
    inputs = [i.name for i in graph.input if i.name not in initializers]
    position = {o.name: i for i, o in enumerate(graph.output)}

    def expose(name: str) -> int:
        if name not in position:
            position[name] = len(graph.output)
            graph.output.append(onnx.helper.make_tensor_value_info(
                name, onnx.TensorProto.FLOAT, None))
        return position[name]

    nodes, sources = [], []
    for node in graph.node:
        if node.op_type not in CONTRACTIONS:
            continue
        node_sources: List[OperandSource] = []
        for name in node.input:
            if not name:
                node_sources.append(("absent", ""))
            elif name in inputs:
                node_sources.append(("input", inputs.index(name)))
            elif name in initializers:
                node_sources.append(("initializer", name))
            else:
                node_sources.append(("output", expose(name)))
        expose(node.output[0])
        nodes.append(node)
        sources.append(node_sources)
    return augmented, nodes, sources


def with_unit_noise(model: onnx.ModelProto, shapes: Dict[str, Tuple[int, ...]]
                    ) -> onnx.ModelProto:
    """A copy of `model` whose contraction nodes named in `shapes` (by output
    name) add an extra input of that shape to their output: the model's
    inputs, then one per such node in graph order."""
    noisy = onnx.ModelProto()
    noisy.CopyFrom(model)
    graph = noisy.graph
    nodes = list(graph.node)
    del graph.node[:]
    for node in nodes:
        name = node.output[0] if node.op_type in CONTRACTIONS else None
        if name not in shapes:
            graph.node.append(node)
            continue
        exact = f"{name}__exact"
        node.output[0] = exact
        graph.node.append(node)
        graph.input.append(onnx.helper.make_tensor_value_info(
            f"{name}__noise", onnx.TensorProto.FLOAT, list(shapes[name])))
        graph.node.append(onnx.helper.make_node("Add", [exact, f"{name}__noise"], [name],
                                                name=f"{node.name}__noise"))
    return noisy


@dataclass
class _OperandUnit:
    """A contraction of the operands copy (`with_unit_operands`): where its
    operands come from, its output's index, and its unit's runtime name
    (None when it formed no unit)."""

    node: onnx.NodeProto
    sources: List[OperandSource]
    output: int
    runtime_name: Optional[str]


@dataclass
class Analysis:
    """One configuration of levels, unit by unit and through the noise
    model (`DifferentialTest.analyse`)."""

    #: Each unit against float64 from its own operands.
    units: List[unit_bounds.UnitCheck] = field(default_factory=list)
    #: The model's relative output error in each draw of the noise model.
    simulated: List[float] = field(default_factory=list)
    #: Contraction nodes the unit bounds do not model, and why.
    unmodelled: List[str] = field(default_factory=list)


class DifferentialTest:
    """Runs the checks of one ONNX model against a reference."""

    def __init__(self, model: Union[str, onnx.ModelProto], inputs: Sequence[np.ndarray],
                 reference: Union[Reference, Sequence[np.ndarray]], name: str,
                 f32_reference: bool = False, threads: int = 1,
                 import_options: Optional[Dict[str, Any]] = None,
                 output_masks: Optional[Sequence[Optional[np.ndarray]]] = None) -> None:
        self.proto = onnx.load(model) if isinstance(model, str) else model
        self.inputs = [np.asarray(x) for x in inputs]
        self.reference = (_as_tuple(reference(self.inputs)) if callable(reference)
                          else tuple(np.asarray(r) for r in reference))
        self.name = name
        self.f32_reference = f32_reference
        self.threads = threads
        self.import_options = import_options or {}
        #: Per output, the elements that mean something (broadcast to the
        #: output; None: all): errors are measured there only.
        self.output_masks = output_masks
        self._plain_units: Optional[Tuple[np.ndarray, ...]] = None
        self._operands: Optional[Tuple[Any, str, List[_OperandUnit],
                                       Dict[str, np.ndarray]]] = None
        self._noise_model: Optional[agn.CompiledModel] = None
        #: After `run`: the plain f32 compile, the adaptive one and the
        #: prefix of its units' names, for task-level checks on more inputs
        #: (`agn.testing.embeddings`).
        self.plain: Optional[agn.CompiledModel] = None
        self.adaptive: Optional[agn.CompiledModel] = None
        self.adaptive_prefix = f"{name}_adaptive"

    def _compile(self, model: onnx.ModelProto, name: str, **options: Any):
        start = time.perf_counter()
        compiled = agn.compile(model, name=name, threads=self.threads,
                               **self.import_options, **options)
        return compiled, time.perf_counter() - start

    def run(self) -> Report:
        report = Report(self.name)
        plain, seconds = self._compile(self.proto, f"{self.name}_f32")
        report.compile_seconds["f32"] = seconds
        y_plain = _as_tuple(plain(*self.inputs))
        prefix = self.adaptive_prefix
        adaptive, seconds = self._compile(self.proto, prefix,
                                          levels=["i4", "i8", "bf16", "f16", "f32"])
        report.compile_seconds["adaptive"] = seconds
        report.compile_stages = adaptive.compile_seconds
        self.plain, self.adaptive = plain, adaptive

        # (d) first: the first call registers the units and runs the
        # controllers freely.
        before = grant_counters(prefix)
        y_free = _as_tuple(adaptive(*self.inputs))
        units = model_units(prefix)
        report.units = n = len(units)
        free_levels = granted_since(before, prefix)
        # The statistics of this call (later calls see other inputs where
        # units before them run at other levels).
        free_statistics = {u["name"]: u["statistic_mean"] for u in units}

        error = self.error(y_plain, self.reference)
        bound = level_bound("f32", n, self.f32_reference)
        report.checks.append(Check("f32", error, bound, error <= bound))

        # (b) and (c): every unit pinned.
        for level in ("f32",) + PINNED_LEVELS:
            pin_all(prefix, level)
            before = grant_counters(prefix)
            y = _as_tuple(adaptive(*self.inputs))
            granted = granted_since(before, prefix)
            counts = {lv: sum(1 for g in granted.values() if g == lv)
                      for lv in runtime.levels()}
            analysis = self.analyse(level)
            report.unit_checks[level] = analysis.units
            if level == "f32":
                error = self.error(y, y_plain)
                check = Check("pinned f32", error, PINNED_F32_TOLERANCE,
                              error <= PINNED_F32_TOLERANCE, granted=counts,
                              detail="against plain f32")
                if not check.passed:
                    check.divergence = self._locate_against_plain()
            else:
                bound = model_bound(analysis.simulated, n, self.f32_reference)
                error = self.error(y, self.reference)
                check = Check(f"pinned {level}", error, bound, error <= bound,
                              granted=counts, detail=_noise_detail(analysis))
                if not check.passed:
                    check.divergence = _first_over_bound(analysis)
            report.checks.append(check)
        pin_all(prefix, None)

        report.checks.append(self._free_check(adaptive.ir, free_levels, free_statistics,
                                              y_free, n, report))
        report.checks.append(_units_check(report.unit_checks))
        return report

    def error(self, outputs: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> float:
        """`relative_error` over the elements of the outputs that mean
        something (`output_masks`)."""
        return relative_error(outputs, reference, self.output_masks)

    def _free_check(self, ir: str, granted: Dict[str, str], stats: Dict[str, float],
                    outputs: Sequence[np.ndarray], n: int, report: Report) -> Check:
        """(d): grants follow the policies; the error is within the bound of
        the noise model with each unit at the level it was granted."""
        policies = unit_policies(ir)
        wrong = []
        for unit, level in granted.items():
            if unit not in policies:
                wrong.append(f"{unit}: no policy in the IR")
                continue
            levels, thresholds = policies[unit]
            statistic = stats.get(unit)
            if statistic is None or _near_threshold(thresholds, statistic):
                continue
            expected = policy_level(levels, thresholds, statistic)
            if expected != level:
                wrong.append(f"{unit}: statistic {statistic:.3g} selects {expected}, "
                             f"granted {level}")
        counts = {lv: sum(1 for g in granted.values() if g == lv) for lv in runtime.levels()}
        prefix = policy.sanitize(self.adaptive_prefix)
        by_node = {}
        for index, node in enumerate(self.proto.graph.node):
            unit = policy.unit_name(prefix, node, index)
            if unit in granted:
                by_node[node.output[0]] = granted[unit]
        analysis = self.analyse(by_node)
        report.unit_checks["adaptive"] = analysis.units
        bound = model_bound(analysis.simulated, n, self.f32_reference)
        error = self.error(outputs, self.reference)
        detail = "; ".join(wrong[:3]) + (f" (+{len(wrong) - 3} more)" if len(wrong) > 3 else "")
        check = Check("adaptive", error, bound, error <= bound and not wrong,
                      detail=detail or _noise_detail(analysis), granted=counts)
        if error > bound:
            check.divergence = _first_over_bound(analysis)
        return check

    def analyse(self, levels: Union[str, Mapping[str, str]], samples: int = NOISE_SAMPLES,
                seed: int = 0) -> Analysis:
        """Every unit run at `levels` (one level, or a level per contraction
        node, by its output's name; f32 where missing) against float64 from
        the operands it received, within the bound they imply, and `samples`
        draws of the model's output error under the noise model, each the
        model in f32 with every unit's output moved by a draw of its error
        (`agn.testing.unit_bounds.sample_error`)."""
        if self._operands is None:
            self._operands = self._compile_operands()
        compiled, prefix, units, initializers = self._operands
        # By output name: ONNX names outputs uniquely, not always nodes.
        level_of = {}
        for unit in units:
            key = unit.node.output[0]
            if unit.runtime_name is None:  # No unit formed: it runs f32 as written.
                level_of[key] = "f32"
                continue
            level_of[key] = levels if isinstance(levels, str) else levels.get(key, "f32")
            runtime.pin_unit(unit.runtime_name, level_of[key])
        try:
            outputs = _as_tuple(compiled(*self.inputs))
        finally:
            pin_all(prefix, None)

        analysis = Analysis()
        operands = []
        for unit in units:
            node = unit.node
            values = [outputs[where] if kind == "output"
                      else self.inputs[where] if kind == "input"
                      else initializers[where] if kind == "initializer" else None
                      for kind, where in unit.sources]
            output = outputs[unit.output]
            try:
                analysis.units.append(unit_bounds.check_unit(node, values, output,
                                                             level_of[node.output[0]]))
                operands.append((node, values, output.shape))
            except unit_bounds.UnsupportedUnit as exc:
                analysis.unmodelled.append(f"{node.name}: {exc}")

        # The noise model: the model in f32 with every modelled unit's output
        # moved by a draw of its error (none at f32).
        if operands:
            if self._noise_model is None:
                shapes = {node.output[0]: shape for node, _, shape in operands}
                self._noise_model, _ = self._compile(with_unit_noise(self.proto, shapes),
                                                     f"{self.name}_noise")
            zeros = [np.zeros(shape, np.float32) for _, _, shape in operands]
            exact = _as_tuple(self._noise_model(*self.inputs, *zeros))
            rng = np.random.default_rng(seed)
            noisy = any(level_of[n.output[0]] != "f32" for n, _, _ in operands)
            for _ in range(samples if noisy else 0):
                noise = [zero if level_of[node.output[0]] == "f32" else
                         unit_bounds.sample_error(node, values, level_of[node.output[0]], rng)
                         .astype(np.float32)
                         for (node, values, _), zero in zip(operands, zeros)]
                y = _as_tuple(self._noise_model(*self.inputs, *noise))
                analysis.simulated.append(self.error(y, exact))
        return analysis

    def _compile_operands(self) -> Tuple[Any, str, List[_OperandUnit], Dict[str, np.ndarray]]:
        """The copy of the model that returns every contraction's operands
        and output, compiled adaptively and called once (its units
        registered), with its units' prefix, each contraction, and the
        model's initializers as arrays."""
        augmented, nodes, sources = with_unit_operands(self.proto)
        compiled, _ = self._compile(augmented, f"{self.name}_operands",
                                    levels=["i4", "i8", "bf16", "f16", "f32"])
        compiled(*self.inputs)
        prefix = policy.sanitize(f"{self.name}_operands")
        registered = {unit["name"] for unit in model_units(prefix)}
        index = {id(node): i for i, node in enumerate(augmented.graph.node)}
        outputs = {o.name: i for i, o in enumerate(augmented.graph.output)}
        units = []
        for node, node_sources in zip(nodes, sources):
            name = policy.unit_name(prefix, node, index[id(node)])
            units.append(_OperandUnit(node, node_sources, outputs[node.output[0]],
                                      name if name in registered else None))
        initializers = {i.name: onnx.numpy_helper.to_array(i)
                        for i in augmented.graph.initializer}
        return compiled, prefix, units, initializers

    def _locate_against_plain(self) -> Optional[Divergence]:
        """The first contraction whose output with every unit pinned to f32
        differs from the plain f32 compile's by more than
        PINNED_F32_TOLERANCE."""
        try:
            augmented, nodes, _ = with_unit_operands(self.proto)
            names = [o.name for o in augmented.graph.output]
            if self._plain_units is None:
                plain, _ = self._compile(augmented, f"{self.name}_f32_units")
                self._plain_units = _as_tuple(plain(*self.inputs))
            prefix = f"{self.name}_units_f32"
            adaptive, _ = self._compile(augmented, prefix,
                                        levels=["i4", "i8", "bf16", "f16", "f32"])
            adaptive(*self.inputs)
            pin_all(prefix, "f32")
            outputs = _as_tuple(adaptive(*self.inputs))
            pin_all(prefix, None)
        except Exception as exc:  # The locator must not hide the failure.
            return Divergence(f"(not located: {exc})", math.nan, math.nan)
        for node in nodes:
            i = names.index(node.output[0])
            error = relative_error([outputs[i]], [self._plain_units[i]])
            if error > PINNED_F32_TOLERANCE:
                return Divergence(node.name or node.output[0], error, PINNED_F32_TOLERANCE)
        return None


def _first_over_bound(analysis: Analysis) -> Optional[Divergence]:
    """The first unit (in graph order) over its own bound; None when every
    unit is within it (then the noise model, not a unit, is in question)."""
    for unit in analysis.units:
        if not unit.passed:
            return Divergence(unit.node, unit.ratio, 1.0)
    return None


def _noise_detail(analysis: Analysis) -> str:
    """The noise model's draws, for the report."""
    if not analysis.simulated:
        return ""
    text = (f"noise model {min(analysis.simulated):.2e}..{max(analysis.simulated):.2e} "
            f"({len(analysis.simulated)} draws)")
    if analysis.unmodelled:
        text += f"; {len(analysis.unmodelled)} units not modelled ({analysis.unmodelled[0]})"
    return text


def _units_check(unit_checks: Dict[str, List[unit_bounds.UnitCheck]]) -> Check:
    """Every unit of every configuration within its own bound: the worst
    ratio of error to bound (at most 1 passes) and where it is."""
    worst, where = 0.0, ""
    for configuration, checks in unit_checks.items():
        for unit in checks:
            if unit.ratio > worst or not where:
                worst, where = unit.ratio, f"{configuration}: {unit.node}"
    failed = sum(1 for checks in unit_checks.values() for u in checks if not u.passed)
    detail = f"worst {where}" if where else "no unit"
    if failed:
        detail += f"; {failed} unit runs over their bound"
    return Check("units", worst, 1.0, worst <= 1.0, detail=detail)


def torch_reference(module: Any) -> Reference:
    """A float64 reference from a PyTorch module (a copy is made double)."""
    import copy

    import torch

    double = copy.deepcopy(module).double().eval()

    def run(inputs: Sequence[np.ndarray]) -> Tuple[np.ndarray, ...]:
        with torch.no_grad():
            out = double(*[torch.from_numpy(np.asarray(x, np.float64)) for x in inputs])
        if isinstance(out, dict):  # torchvision's segmentation models
            out = tuple(out.values())
        return tuple(o.numpy() for o in (out if isinstance(out, (list, tuple)) else (out,)))

    return run


def onnxruntime_reference(model: Union[str, onnx.ModelProto]) -> Optional[Reference]:
    """ONNX Runtime's CPU outputs for `model`, the f32 reference of an ONNX
    file that ships no outputs; None when onnxruntime is not importable
    (`scripts/setup.sh --peers` makes .venv-peers, where it is)."""
    try:
        import onnxruntime
    except ImportError:
        return None
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else model
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(inputs: Sequence[np.ndarray]) -> Tuple[np.ndarray, ...]:
        return tuple(session.run(None, dict(zip(names, inputs))))

    return run


def check_torch_module(module: Any, example_inputs: Sequence[np.ndarray], name: str,
                       opset: int = 13, threads: int = 1) -> Report:
    """Exports `module` to ONNX and runs every check against its float64
    self."""
    import torch

    module = module.eval()
    with tempfile.TemporaryDirectory() as directory:
        path = f"{directory}/{name}.onnx"
        torch.onnx.export(module, tuple(torch.from_numpy(x) for x in example_inputs), path,
                          opset_version=opset)
        proto = onnx.load(path)
    return DifferentialTest(proto, example_inputs, torch_reference(module), name,
                            threads=threads).run()


#: ImageNet's channel means and standard deviations, as torchvision's
#: models expect their input normalised.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def photo(name: str = "china.jpg", size: int = 224) -> np.ndarray:
    """A photograph scikit-learn ships (Debian's python3-sklearn:
    "china.jpg", "flower.jpg"), its centre cropped square, resized to
    `size` and normalised as torchvision's models expect: [1, 3, size,
    size] float32."""
    import torch
    from sklearn.datasets import load_sample_image

    image = load_sample_image(name).astype(np.float32) / 255.0  # [H, W, 3]
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = torch.from_numpy(image[top:top + side, left:left + side]).permute(2, 0, 1)[None]
    resized = torch.nn.functional.interpolate(square, size=(size, size), mode="bilinear",
                                              align_corners=False)
    mean = torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1)
    return ((resized - mean) / std).numpy().astype(np.float32)


def check_torchvision(model_name: str, seed: int = 0, threads: int = 1,
                      image: Optional[str] = None) -> Report:
    """torchvision's `model_name`, a classification or segmentation model
    (random weights from `seed`, batch 1, 224 x 224), through every check, on
    normal noise or on the photograph `image` (see `photo`; the report is
    then named `<model>_<image>`)."""
    import torch
    import torchvision

    torch.manual_seed(seed)
    if hasattr(torchvision.models, model_name):
        module = getattr(torchvision.models, model_name)()
    else:  # No pretrained backbone either: nothing to download.
        module = getattr(torchvision.models.segmentation, model_name)(weights=None,
                                                                       weights_backbone=None)
    # A head that starts at zero (ViT's classifier) makes the output the same
    # for every input and every level: nothing would be tested.
    with torch.no_grad():
        for parameter in module.parameters():
            if parameter.dim() >= 2 and not parameter.any():
                parameter.normal_(0.0, 0.02)
    x = torch.randn(1, 3, 224, 224).numpy()
    if image is None:
        return check_torch_module(module, [x], model_name, threads=threads)
    return check_torch_module(module, [photo(image)],
                              f"{model_name}_{image.rsplit('.', 1)[0]}", threads=threads)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="ONNX files (random normal inputs, ONNX "
                        "Runtime as the f32 reference)")
    parser.add_argument("--torchvision", nargs="*", default=[],
                        help="torchvision model names (float64 PyTorch reference)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    reports = []
    for name in args.torchvision:
        reports.append(check_torchvision(name, threads=args.threads))
        print("\n".join(reports[-1].lines()), flush=True)
    for path in args.models:
        reference = onnxruntime_reference(path)
        if reference is None:
            print("agn.testing.differential: ONNX files need onnxruntime as the reference: "
                  "scripts/setup.sh --peers, then run .venv-peers/bin/python",
                  file=sys.stderr)
            return 2
        rng = np.random.default_rng(0)
        model = onnx.load(path)
        initialized = {i.name for i in model.graph.initializer}
        inputs = [rng.standard_normal([d.dim_value or 1 for d in i.type.tensor_type.shape.dim])
                  .astype(np.float32) for i in model.graph.input if i.name not in initialized]
        stem = re.sub(r"[^A-Za-z0-9_]", "_", path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        reports.append(DifferentialTest(path, inputs, reference, stem,
                                        f32_reference=True, threads=args.threads).run())
        print("\n".join(reports[-1].lines()), flush=True)
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
