"""Compile a trained model with agn and measure it on the test split (the
agn half of the demo): accuracy at f32 and adaptive, mean bits per MAC and
share of calls per level from the runtime's counters, weight memory from
the units' cost tables, and per-call latency."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import numpy as np

import agn
from agn import runtime
from agn.onnx import read_policies
from agn.onnx.importer import load_model
from agn.training.quant import BITS


@dataclass
class AgnResult:
    """What agn measured for one model."""

    accuracy_f32: float
    accuracy_adaptive: float
    mean_bits: float
    shares: Dict[str, float]
    weight_bytes_f32: int
    weight_bytes_adaptive: float  # mean bytes of the versions used per call
    weight_bytes_stored: int      # every version of every unit
    latency_f32_ms: float         # median per call (batch 1)
    latency_adaptive_ms: float
    policies_honoured: bool
    notes: List[str] = field(default_factory=list)


_UNIT = re.compile(r'agn\.unit\s+"([^"]+)".*?policy\s+#agn\.policy<([^>]*)>')


def ir_policies(ir: str) -> Dict[str, List[float]]:
    """Unit name -> thresholds, as the compiled IR's agn.unit ops hold them."""
    found = {}
    for name, body in _UNIT.findall(ir):
        match = re.search(r"thresholds\s*=\s*\[([^\]]*)\]", body)
        text = match.group(1).strip() if match else ""
        found[name] = [float(v) for v in text.split(",")] if text else []
    return found


def policies_match(ir: str, onnx_path: str) -> bool:
    """Whether every unit compiled with the thresholds stored in the model."""
    wanted = sorted(sorted(p.thresholds) for p in read_policies(load_model(onnx_path)).values())
    got = sorted(sorted(t) for t in ir_policies(ir).values())
    if len(wanted) != len(got):
        return False
    return all(len(a) == len(b) and np.allclose(a, b, rtol=1e-4, atol=0)
               for a, b in zip(wanted, got))


def _granted() -> Dict[str, Dict[str, int]]:
    return {u["name"]: dict(u["granted"]) for u in runtime.units()}


def evaluate_with_agn(onnx_path: str, name: str, x_test: np.ndarray, y_test: np.ndarray,
                      levels: Sequence[str]) -> AgnResult:
    """Compiles `onnx_path` twice (plain f32, and adaptive with the model's
    policies) and runs every test sample through both, one call per sample
    (the controller decides per call)."""
    f32 = agn.compile(onnx_path, adaptive=False, name=f"{name}_f32")
    adaptive = agn.compile(onnx_path, name=name, levels=list(levels))
    notes = []
    honoured = policies_match(adaptive.ir, onnx_path)
    if not honoured:
        notes.append(f"{name}: the compiled units do not carry the learned thresholds "
                     "(agn-form-units ignored agn.policy); the pipeline's defaults applied")

    before = _granted()
    correct_f32 = correct_adaptive = 0
    times_f32: List[int] = []
    times_adaptive: List[int] = []
    for i in range(len(x_test)):
        x = x_test[i:i + 1]
        start = time.perf_counter_ns()
        y_f32 = f32(x)
        middle = time.perf_counter_ns()
        y_adaptive = adaptive(x)
        end = time.perf_counter_ns()
        times_f32.append(middle - start)
        times_adaptive.append(end - middle)
        correct_f32 += int(np.argmax(y_f32) == y_test[i])
        correct_adaptive += int(np.argmax(y_adaptive) == y_test[i])
    after = _granted()

    calls: Dict[str, Dict[str, int]] = {}
    for unit, counts in after.items():
        delta = {lv: counts[lv] - before.get(unit, {}).get(lv, 0) for lv in counts}
        if any(delta.values()):
            calls[unit] = delta
    if not calls:
        notes.append(f"{name}: the runtime counted no unit calls")
    mac_bits = macs_total = 0.0
    level_calls = {lv: 0 for lv in levels}
    bytes_f32 = bytes_stored = 0
    bytes_used = 0.0
    for unit, delta in calls.items():
        stats = runtime.unit_stats(unit)
        total = sum(delta.values())
        bytes_f32 += stats["weight_bytes"].get("f32", 0)
        bytes_stored += sum(stats["weight_bytes"].values())
        for level, count in delta.items():
            if not count:
                continue
            macs = stats["macs"].get(level, 0)
            mac_bits += count * macs * BITS[level]
            macs_total += count * macs
            level_calls[level] = level_calls.get(level, 0) + count
            bytes_used += count / total * stats["weight_bytes"].get(level, 0)
    all_calls = sum(level_calls.values()) or 1
    n = len(x_test)
    return AgnResult(
        accuracy_f32=correct_f32 / n, accuracy_adaptive=correct_adaptive / n,
        mean_bits=mac_bits / macs_total if macs_total else float("nan"),
        shares={lv: c / all_calls for lv, c in level_calls.items()},
        weight_bytes_f32=bytes_f32, weight_bytes_adaptive=bytes_used,
        weight_bytes_stored=bytes_stored,
        latency_f32_ms=float(np.median(times_f32)) / 1e6,
        latency_adaptive_ms=float(np.median(times_adaptive)) / 1e6,
        policies_honoured=honoured, notes=notes)
