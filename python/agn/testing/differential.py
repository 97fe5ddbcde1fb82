"""Differential testing of a model at every level agn offers.

One model, one set of inputs, one reference (a float64 PyTorch module, the
outputs an ONNX test set ships, or any callable), and four checks:

(a) ``f32``: the model compiled as written (no agn passes) against the
    reference;
(b) ``pinned f32``: the adaptive pipeline (every level) with every unit
    pinned to f32, against (a): within 1e-6 relative, since the f32 versions
    are the plain kernels;
(c) ``pinned <level>`` for i4, i8, bf16, f16: every unit pinned to that
    level, against the reference, within the level's bound (below);
(d) ``adaptive``: the free adaptive pipeline (each unit's controller
    decides): every unit granted what its policy says for the statistic it
    measured, and the output within the bound of the coarsest level granted.

Errors are ``max |y - ref| / max |ref|`` over all outputs. A failing check
of a level names the first unit whose output diverges: the model is
compiled again with every contraction's output as an extra output, and each
unit's output is compared with the plain f32 one (which (a) checked against
the reference) under the bound of the units up to it.

**Bounds.** Level L rounds each unit's operands to a relative step u_L
(half a quantization step relative to the operand's largest magnitude):
2^-24 for f32, 2^-11 for f16, 2^-8 for bf16, 1/254 for i8 (127 steps per
sign), 1/14 for i4 (7 steps per sign). Rounding errors are uniform on
[-u, u] (standard deviation u/sqrt(3)) and independent; each of n units
rounds two operands, and normalised layers neither grow nor shrink a
relative perturbation much, so the output's relative noise has a standard
deviation of about sqrt(2n/3) u_L. The bound allows three standard
deviations, sqrt(6n) u_L, plus the same term for f32 accumulation, whose
step is taken as 2^-24 * 64 (the growth of rounding over a 4096-term dot
product) and counted twice when the reference is itself f32. A first-order
noise model, not a worst case: a check that fails by a small factor is a
question, by orders of magnitude a bug.

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
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import onnx

import agn
from agn import runtime

#: The levels (c) checks, coarsest first.
PINNED_LEVELS = ("i4", "i8", "bf16", "f16")

#: Relative rounding step of each level (see the module docstring).
LEVEL_STEP = {"i4": 1 / 14, "i8": 1 / 254, "bf16": 2.0**-8, "f16": 2.0**-11,
              "f32": 2.0**-24}

#: The step of f32 accumulation over long dot products.
F32_ACCUMULATION_STEP = 2.0**-24 * 64

#: (b): pinned-f32 adaptive code against plain f32 code.
PINNED_F32_TOLERANCE = 1e-6

#: A unit's contraction ops in ONNX, whose outputs locate a divergence.
CONTRACTIONS = ("Conv", "ConvTranspose", "Gemm", "MatMul")

Reference = Callable[[Sequence[np.ndarray]], Sequence[np.ndarray]]


def level_bound(level: str, units: int, f32_reference: bool = False) -> float:
    """The relative error bound of a model of `units` units at `level`."""
    scale = math.sqrt(6 * max(units, 1))
    accumulation = F32_ACCUMULATION_STEP * (2 if f32_reference else 1)
    return scale * (LEVEL_STEP[level] + accumulation)


def relative_error(outputs: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> float:
    """max |y - ref| / max |ref| over all outputs (inf on NaN or a shape
    mismatch)."""
    worst = 0.0
    for y, ref in zip(outputs, reference):
        y = np.asarray(y, np.float64)
        ref = np.asarray(ref, np.float64)
        if y.shape != ref.shape or not np.all(np.isfinite(y)):
            return math.inf
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


def with_unit_outputs(model: onnx.ModelProto) -> Tuple[onnx.ModelProto, List[str]]:
    """A copy of `model` that also returns the output of every contraction
    node, and those nodes' names (in graph order)."""
    augmented = onnx.ModelProto()
    augmented.CopyFrom(model)
    graph = augmented.graph
    existing = {o.name for o in graph.output}
    nodes = []
    for node in graph.node:
        if node.op_type in CONTRACTIONS and node.output[0] not in existing:
            graph.output.append(onnx.helper.make_tensor_value_info(
                node.output[0], onnx.TensorProto.FLOAT, None))
            nodes.append(node.name or node.output[0])
    return augmented, nodes


class DifferentialTest:
    """Runs the checks of one ONNX model against a reference."""

    def __init__(self, model: Union[str, onnx.ModelProto], inputs: Sequence[np.ndarray],
                 reference: Union[Reference, Sequence[np.ndarray]], name: str,
                 f32_reference: bool = False, threads: int = 1,
                 import_options: Optional[Dict[str, Any]] = None) -> None:
        self.proto = onnx.load(model) if isinstance(model, str) else model
        self.inputs = [np.asarray(x) for x in inputs]
        self.reference = (_as_tuple(reference(self.inputs)) if callable(reference)
                          else tuple(np.asarray(r) for r in reference))
        self.name = name
        self.f32_reference = f32_reference
        self.threads = threads
        self.import_options = import_options or {}
        self._plain_units: Optional[Tuple[np.ndarray, ...]] = None
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

        error = relative_error(y_plain, self.reference)
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
            if level == "f32":
                error = relative_error(y, y_plain)
                check = Check("pinned f32", error, PINNED_F32_TOLERANCE,
                              error <= PINNED_F32_TOLERANCE, granted=counts,
                              detail="against plain f32")
            else:
                coarsest = min(granted.values(), key=runtime.level_index, default=level)
                bound = level_bound(coarsest, n, self.f32_reference)
                error = relative_error(y, self.reference)
                check = Check(f"pinned {level}", error, bound, error <= bound,
                              granted=counts)
            if not check.passed:
                check.divergence = self._locate(level, bound=check.bound,
                                                against_plain=(level == "f32"))
            report.checks.append(check)
        pin_all(prefix, None)

        report.checks.append(self._free_check(adaptive.ir, free_levels, free_statistics,
                                              y_free, n))
        return report

    def _free_check(self, ir: str, granted: Dict[str, str], stats: Dict[str, float],
                    outputs: Sequence[np.ndarray], n: int) -> Check:
        """(d): grants follow the policies; the error is within the bound of
        the coarsest level granted."""
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
        coarsest = min(granted.values(), key=runtime.level_index, default="f32")
        bound = level_bound(coarsest, n, self.f32_reference)
        error = relative_error(outputs, self.reference)
        detail = "; ".join(wrong[:3]) + (f" (+{len(wrong) - 3} more)" if len(wrong) > 3 else "")
        return Check("adaptive", error, bound, error <= bound and not wrong,
                     detail=detail, granted=counts)

    def _locate(self, level: str, bound: float, against_plain: bool) -> Optional[Divergence]:
        """The first contraction whose output at `level` leaves the bound of
        the units up to it, against the plain f32 compile's."""
        try:
            augmented, nodes = with_unit_outputs(self.proto)
            if self._plain_units is None:
                plain, _ = self._compile(augmented, f"{self.name}_f32_units")
                self._plain_units = _as_tuple(plain(*self.inputs))
            prefix = f"{self.name}_units_{level}"
            adaptive, _ = self._compile(augmented, prefix,
                                        levels=["i4", "i8", "bf16", "f16", "f32"])
            adaptive(*self.inputs)
            pin_all(prefix, level)
            outputs = _as_tuple(adaptive(*self.inputs))
            pin_all(prefix, None)
        except Exception as exc:  # The locator must not hide the failure.
            return Divergence(f"(not located: {exc})", math.nan, math.nan)
        first = len(self.proto.graph.output)
        for i, node in enumerate(nodes):
            y, ref = outputs[first + i], self._plain_units[first + i]
            unit_bound = (PINNED_F32_TOLERANCE if against_plain
                          else level_bound(level, i + 1, self.f32_reference))
            error = relative_error([y], [ref])
            if error > unit_bound:
                return Divergence(node, error, unit_bound)
        return None


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


def check_torchvision(model_name: str, seed: int = 0, threads: int = 1) -> Report:
    """torchvision's `model_name`, a classification or segmentation model
    (random weights from `seed`, batch 1, 224 x 224), through every check."""
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
    return check_torch_module(module, [x], model_name, threads=threads)


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
