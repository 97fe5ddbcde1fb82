"""Soak: two adaptive models served for minutes under changing policies.

Two models compiled with every level (a small ResNet-like CNN and an
attention block, exported from PyTorch to ONNX) are called from two threads
each, on inputs whose variance spans all of their policies' bands, while a
driver thread changes the runtime's policies on a schedule (memory budget,
latency target, CPU thresholds) and starts and stops a CPU-burning child
process. A sampler reads the process's RSS every second and parses the
runtime's telemetry as a monitoring client would. At the end:

(a) **answered**: every call issued returned, raised nothing, and gave an
    output of the right shape with only finite values;
(b) **RSS flat**: the warm-up (the first 20 % of the run) adds at most
    64 MiB; after it, a least squares line through the RSS samples grows by
    at most 4 MiB over the rest of the run, and no sample exceeds the
    warm-up's highest by more than 8 MiB (`rss_verdict` says why);
(c) **grants exact**: over the run, every unit of each model was granted
    exactly one level per call of its model (`agn_rt_arbitrate` runs once
    per unit per call; the `granted` counters count its answers), its
    overrides are at most its grants and none has reason "none";
(d) **telemetry agrees**: every `agn.runtime.telemetry()` parsed, and at the
    end (no call in flight) its totals equal the sum of its units, its units
    equal `agn.runtime.unit_stats`, its arbitrations `agn.runtime.stats()`,
    its error counters are zero, its inference count grew by exactly the
    calls made (`agn_model_run` delimits each call as an inference), and
    each unit's timed-call count by zero (generated code does not time its
    units) or exactly its model's calls;
(e) **policies applied**: the tiny memory budget showed up as `memory`
    overrides of both models, the 20 us latency target as latency steps,
    and each model ran at two levels or more.

It prints a report and exits 1 when a check fails.

    AGN_LIBRARY_DIR=build/lib PYTHONPATH=python \\
        python3 -m agn.testing.soak --seconds 600 --json soak.json
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

#: Every level, so that every policy band and every budget step has a
#: version to run.
LEVELS = ["i4", "i8", "bf16", "f16", "f32"]

#: Caller threads per model (their ctypes calls release the GIL; a model
#: serialises its own calls, so two keep it busy while the other waits).
THREADS_PER_MODEL = 2

#: The part of the run that warms up: threads' malloc arenas, the runtime's
#: buffer cache at its peak concurrency, every state of every policy visited
#: (PolicyDriver's longest cycle is 5 steps; 20 % of a run of a minute or
#: more is 12 steps or more).
WARMUP_FRACTION = 0.2

#: (b): growth allowed over the warm-up, from the first sample (taken after
#: the models' first calls) to the warm-up's highest.
MAX_WARMUP_GROWTH = 64 << 20
#: (b): growth allowed over the run after warm-up, from the fitted slope.
MAX_RSS_GROWTH = 4 << 20
#: (b): how far a sample after warm-up may rise above the warm-up's highest.
MAX_RSS_EXCESS = 8 << 20

#: The monitor's interval during the soak: short, so that the CPU policy (3
#: ticks of hysteresis) can step several times within one schedule step.
MONITOR_INTERVAL = "50ms"

#: Input scales, log-spaced: variances from 1e-4 to 100, across the default
#: thresholds of every unit's policy.
SCALES = np.float32(10.0) ** np.linspace(-2.0, 1.0, 13).astype(np.float32)

#: How long a caller may take to return once told to stop.
JOIN_TIMEOUT = 60.0

MiB = float(1 << 20)


# -- The models ---------------------------------------------------------------


def _torch_modules() -> Dict[str, Tuple[Any, Tuple[int, ...]]]:
    """The two PyTorch modules and their input shapes (imported here: torch
    is only needed to build them)."""
    import torch
    from torch import nn

    class SmallResNet(nn.Module):
        """A stem, one residual block, a strided downsampling conv, global
        average pooling and a classifier: resnet18's shape in miniature."""

        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16),
                                      nn.ReLU())
            self.conv1 = nn.Conv2d(16, 16, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(16)
            self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(16)
            self.down = nn.Sequential(nn.Conv2d(16, 32, 3, stride=2, padding=1),
                                      nn.BatchNorm2d(32), nn.ReLU())
            self.fc = nn.Linear(32, 10)

        def forward(self, x):
            y = self.stem(x)
            z = torch.relu(self.bn1(self.conv1(y)))
            y = torch.relu(y + self.bn2(self.conv2(z)))
            y = self.down(y)
            return self.fc(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))

    class AttentionBlock(nn.Module):
        """Multi-head self-attention with a residual, layer norm and a GELU
        feed-forward: a transformer encoder layer."""

        def __init__(self, dim: int = 64, heads: int = 4) -> None:
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(dim, 3 * dim)
            self.out = nn.Linear(dim, dim)
            self.norm = nn.LayerNorm(dim)
            self.ff1 = nn.Linear(dim, 2 * dim)
            self.ff2 = nn.Linear(2 * dim, dim)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)

            def split(z):
                return z.reshape(b, t, self.heads, c // self.heads).transpose(1, 2)

            q, k, v = split(q), split(k), split(v)
            weights = torch.softmax(q @ k.transpose(-1, -2) / (c // self.heads) ** 0.5, dim=-1)
            y = self.norm(x + self.out((weights @ v).transpose(1, 2).reshape(b, t, c)))
            return y + self.ff2(nn.functional.gelu(self.ff1(y)))

    torch.manual_seed(0)
    return {"cnn": (SmallResNet().eval(), (1, 3, 32, 32)),
            "attn": (AttentionBlock().eval(), (1, 16, 64))}


@dataclass
class SoakModel:
    """One compiled model and what the soak knows about it."""

    name: str
    compiled: Any
    input_shape: Tuple[int, ...]
    output_shape: Tuple[int, ...]
    compile_seconds: float
    units: List[str] = field(default_factory=list)


def build_models(prefix: str = "soak") -> List[SoakModel]:
    """Exports the two modules to ONNX and compiles them with every level;
    unit names start `<prefix>_<model>.`."""
    import onnx
    import torch

    import agn

    torch.set_num_threads(1)
    models = []
    with tempfile.TemporaryDirectory() as directory:
        for name, (module, shape) in _torch_modules().items():
            path = os.path.join(directory, f"{name}.onnx")
            example = torch.randn(*shape)
            with torch.no_grad():
                output_shape = tuple(module(example).shape)
                torch.onnx.export(module, (example,), path, opset_version=13)
            start = time.perf_counter()
            compiled = agn.compile(onnx.load(path), name=f"{prefix}_{name}", levels=LEVELS)
            models.append(SoakModel(f"{prefix}_{name}", compiled, shape, output_shape,
                                    time.perf_counter() - start))
    return models


# -- Load ---------------------------------------------------------------------


@dataclass
class Tally:
    """One caller thread's counts (written by that thread only)."""

    issued: int = 0
    returned: int = 0
    raised: int = 0
    bad_outputs: int = 0
    first_problem: str = ""


def call_loop(model: SoakModel, seed: int, stop: threading.Event, tally: Tally) -> None:
    """Calls `model` until `stop`, on base inputs times a scale that cycles
    through SCALES (a new array per call, as a server's would be)."""
    rng = np.random.default_rng(seed)
    bases = [rng.standard_normal(model.input_shape).astype(np.float32) for _ in range(8)]
    i = seed  # Threads start at different points of the cycles.
    while not stop.is_set():
        x = bases[i % len(bases)] * SCALES[(i * 5) % len(SCALES)]
        i += 1
        tally.issued += 1
        try:
            y = model.compiled(x)
        except Exception as exc:  # Counted, not raised: every call must answer.
            tally.raised += 1
            tally.first_problem = tally.first_problem or f"{type(exc).__name__}: {exc}"
            continue
        if y.shape != model.output_shape or not np.isfinite(y).all():
            tally.bad_outputs += 1
            tally.first_problem = tally.first_problem or (
                f"output shape {y.shape} (expected {model.output_shape}), "
                f"{int(np.size(y) - np.isfinite(y).sum())} non-finite values")
        tally.returned += 1


class Burner:
    """A child process that keeps one core busy while it runs."""

    def __init__(self) -> None:
        self._process: Optional[subprocess.Popen] = None
        self.starts = 0

    def start(self) -> None:
        if self._process is None:
            self._process = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                             stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL)
            self.starts += 1

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


class PolicyDriver:
    """Changes the runtime's policies every `period` seconds. Each policy
    cycles through its own list; the lengths (4, 3, 5 and 2 steps on, 2 off
    for the burner) make the combinations vary."""

    def __init__(self, f32_bytes: int, period: float, burner: Burner) -> None:
        self.period = period
        self.burner = burner
        self.budgets: List[Optional[int]] = [
            None, int(f32_bytes * 0.75), int(f32_bytes * 0.4), 1]
        self.latency_targets: List[Optional[float]] = [None, 20e-6, 0.05]
        self.cpu_thresholds: List[Tuple[Optional[float], Optional[float]]] = [
            (None, None), (0.3, None), (0.6, 0.2), (0.9, None), (0.5, 0.45)]
        self.steps = 0
        self.errors: List[str] = []

    def step(self, k: int) -> None:
        from agn import runtime

        runtime.set_memory_budget(self.budgets[k % len(self.budgets)])
        runtime.set_latency_target(self.latency_targets[k % len(self.latency_targets)])
        runtime.set_cpu_thresholds(*self.cpu_thresholds[k % len(self.cpu_thresholds)])
        if (k // 2) % 2 == 0:
            self.burner.start()
        else:
            self.burner.stop()
        self.steps += 1

    def run(self, stop: threading.Event) -> None:
        k = 0
        while not stop.is_set():
            try:
                self.step(k)
            except Exception as exc:  # A setter that fails is a finding.
                self.errors.append(f"step {k}: {type(exc).__name__}: {exc}")
            k += 1
            stop.wait(self.period)


# -- Observation --------------------------------------------------------------


def rss_bytes() -> int:
    """VmRSS of this process, from /proc/self/status."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@functools.lru_cache(maxsize=None)
def _cached_bytes_function() -> Any:
    """agn_rt_cached_buffer_bytes, declared once (None when missing)."""
    from agn import _library

    library = _library.load(_library.RUNTIME_LIBRARY)
    function = getattr(library, "agn_rt_cached_buffer_bytes", None)
    if function is not None:
        function.restype = ctypes.c_uint64
        function.argtypes = []
    return function


def cached_buffer_bytes() -> Optional[int]:
    """The bytes the runtime's buffer cache holds for reuse
    (agn_rt_cached_buffer_bytes), part of RSS; None when the library does
    not export it."""
    function = _cached_bytes_function()
    return None if function is None else int(function())


@dataclass
class Sample:
    """One second of observation."""

    t: float
    rss: int
    cached: Optional[int]
    calls: int


class Sampler:
    """Samples RSS every second and parses the telemetry, as a monitoring
    client would, while the callers run."""

    def __init__(self, start: float, tallies: Sequence[Tally], progress_every: float) -> None:
        self.start = start
        self.tallies = tallies
        self.progress_every = progress_every
        self.samples: List[Sample] = []
        self.telemetry_reads = 0
        self.telemetry_failures: List[str] = []

    def read_telemetry(self) -> Optional[Dict[str, Any]]:
        """agn.runtime.telemetry(), counting the reads and failures."""
        from agn import runtime

        self.telemetry_reads += 1
        try:
            return runtime.telemetry()
        except ValueError as exc:  # json.JSONDecodeError
            self.telemetry_failures.append(f"{type(exc).__name__}: {exc}")
            return None

    def sample(self) -> None:
        calls = sum(t.returned for t in self.tallies)
        self.samples.append(Sample(time.monotonic() - self.start, rss_bytes(),
                                   cached_buffer_bytes(), calls))

    def run(self, stop: threading.Event) -> None:
        next_progress = self.progress_every
        while not stop.wait(1.0):
            self.sample()
            self.read_telemetry()
            last = self.samples[-1]
            if last.t >= next_progress:
                next_progress += self.progress_every
                print(f"  {last.t:5.0f} s: {last.calls} calls, RSS {last.rss / MiB:.1f} MiB",
                      flush=True)


# -- Verdicts -----------------------------------------------------------------


@dataclass
class Check:
    """One verdict of the soak, with what it measured."""

    name: str
    passed: bool
    detail: str


@dataclass
class RssFit:
    """RSS over the run: start, end of warm-up, end; the line after warm-up."""

    start: int
    warm_max: int
    end: int
    after_max: int
    slope: float  # bytes per second
    growth: float  # slope times the time after warm-up
    samples_after: int
    seconds_after: float


def fit_rss(samples: Sequence[Sample], warmup_end: float) -> RssFit:
    """The least squares line through the samples after `warmup_end`."""
    warm = [s.rss for s in samples if s.t < warmup_end] or [samples[0].rss]
    after = [s for s in samples if s.t >= warmup_end]
    if len(after) >= 2:
        t = np.array([s.t for s in after])
        r = np.array([s.rss for s in after], dtype=np.float64)
        slope = float(np.polyfit(t, r, 1)[0])
        seconds = float(t[-1] - t[0])
    else:
        slope, seconds = 0.0, 0.0
    return RssFit(samples[0].rss, max(warm), samples[-1].rss,
                  max((s.rss for s in after), default=samples[-1].rss),
                  slope, slope * seconds, len(after), seconds)


def rss_verdict(fit: RssFit) -> Check:
    """(b). Three bounds, each for one way memory can run away:

    - a leak grows RSS steadily, so the slope of a least squares line
      through the samples after warm-up, times the time after warm-up, may
      be at most 4 MiB: several times what the callers' allocations move
      RSS from one second to the next (Python's and glibc's free lists are
      not returned at once), and over ten minutes of about 1k calls/s a leak
      of a few bytes per call;
    - a cache that fills in steps is not a leak but must stop: no sample
      after warm-up may exceed the warm-up's highest by more than 8 MiB
      (room for glibc arenas and buffers reaching a new concurrency peak);
    - a leak that a cap stops during warm-up escapes both: the warm-up may
      add at most 64 MiB to the RSS the first sample saw (taken after the
      models' first calls), ten times what the two models' weights at every
      level, their buffers and four threads' arenas need."""
    warmup = fit.warm_max - fit.start
    excess = fit.after_max - fit.warm_max
    ok = (warmup <= MAX_WARMUP_GROWTH and fit.growth <= MAX_RSS_GROWTH
          and excess <= MAX_RSS_EXCESS)
    detail = (f"warm-up {warmup / MiB:+.1f} MiB (limit {MAX_WARMUP_GROWTH / MiB:.0f}); "
              f"fitted growth after warm-up {fit.growth / MiB:+.2f} MiB over "
              f"{fit.seconds_after:.0f} s (limit {MAX_RSS_GROWTH / MiB:.0f}); highest after "
              f"warm-up {excess / MiB:+.2f} MiB above the warm-up's (limit "
              f"{MAX_RSS_EXCESS / MiB:.0f})")
    if fit.samples_after < 10:
        return Check("RSS flat", False, f"only {fit.samples_after} samples after warm-up")
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        # Under AddressSanitizer (scripts/sanitize.sh) freed memory waits in
        # a quarantine of up to 256 MiB and shadow memory grows with the
        # heap, so RSS says nothing about leaks there; the numbers are shown,
        # not judged.
        return Check("RSS flat", True, "not judged under ASan: " + detail)
    return Check("RSS flat", ok, detail)


def _unit_table(names: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    from agn import runtime

    return {name: runtime.unit_stats(name) for name in names}


def _sum_levels(units: Dict[str, Dict[str, Any]], key: str) -> Dict[str, int]:
    total: Dict[str, int] = {}
    for unit in units.values():
        for name, count in unit[key].items():
            total[name] = total.get(name, 0) + count
    return total


def _delta(after: Dict[str, int], before: Dict[str, int]) -> Dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after}


def grant_checks(models: Sequence[SoakModel], calls: Dict[str, int],
                 before: Dict[str, Dict[str, Any]],
                 after: Dict[str, Dict[str, Any]]) -> List[str]:
    """(c): the problems found in each unit's counters over the run."""
    problems = []
    for model in models:
        for name in model.units:
            granted = sum(_delta(after[name]["granted"], before[name]["granted"]).values())
            overrides = _delta(after[name]["overrides"], before[name]["overrides"])
            if granted != calls[model.name]:
                problems.append(f"{name}: granted {granted} times for "
                                f"{calls[model.name]} calls")
            if sum(overrides.values()) > granted:
                problems.append(f"{name}: {sum(overrides.values())} overrides of "
                                f"{granted} grants")
            if overrides.get("none", 0):
                problems.append(f"{name}: {overrides['none']} overrides with reason none")
    return problems


def telemetry_checks(document: Dict[str, Any], stats: Dict[str, Any],
                     units: Dict[str, Dict[str, Any]], before_inferences: int,
                     before_units: Dict[str, Dict[str, Any]], calls: Dict[str, int],
                     models: Sequence[SoakModel]) -> List[str]:
    """(d): the problems found comparing the final telemetry document with
    itself, with stats() and with unit_stats() (all read with no call in
    flight, so every comparison is exact)."""
    problems = []
    listed = document["units"]
    totals = document["totals"]
    if totals["units"] != len(listed) or totals["units"] != stats["num_units"]:
        problems.append(f"telemetry lists {len(listed)} units, totals say {totals['units']}, "
                        f"stats {stats['num_units']}")
    arbitrations = sum(u["arbitrations"] for u in listed)
    if totals["arbitrations"] != arbitrations or arbitrations != stats["arbitrations"]:
        problems.append(f"arbitrations: totals {totals['arbitrations']}, sum of units "
                        f"{arbitrations}, stats {stats['arbitrations']}")
    overrides = sum(u["overrides"]["total"] for u in listed)
    if totals["overrides"] != overrides or overrides != stats["overrides"]:
        problems.append(f"overrides: totals {totals['overrides']}, sum of units {overrides}, "
                        f"stats {stats['overrides']}")
    for unit in listed:
        if unit["arbitrations"] != sum(unit["granted"].values()):
            problems.append(f"{unit['name']}: arbitrations {unit['arbitrations']} but "
                            f"granted {sum(unit['granted'].values())}")
        by_reason = sum(v for k, v in unit["overrides"].items() if k != "total")
        if unit["overrides"]["total"] != by_reason:
            problems.append(f"{unit['name']}: overrides total {unit['overrides']['total']}, "
                            f"by reason {by_reason}")
        if unit["name"] in units:
            mine = units[unit["name"]]
            if unit["granted"] != mine["granted"]:
                problems.append(f"{unit['name']}: telemetry granted {unit['granted']}, "
                                f"unit_stats {mine['granted']}")
            mine_overrides = {k: v for k, v in mine["overrides"].items() if k != "none"}
            if {k: v for k, v in unit["overrides"].items() if k != "total"} != mine_overrides:
                problems.append(f"{unit['name']}: telemetry overrides differ from unit_stats")
    errors = document["errors"]
    if any(errors.values()) or stats["errors"]:
        problems.append(f"runtime errors {errors} (stats: {stats['errors']})")
    inferences = document["latency"]["inferences"]
    if inferences != stats["inferences"]:
        problems.append(f"inferences: telemetry {inferences}, stats {stats['inferences']}")
    total_calls = sum(calls.values())
    if inferences - before_inferences != total_calls:
        problems.append(f"{inferences - before_inferences} inferences counted for "
                        f"{total_calls} calls")
    for model in models:
        for name in model.units:
            timed = sum(_delta(units[name]["time_count"],
                               before_units[name]["time_count"]).values())
            if timed not in (0, calls[model.name]):
                problems.append(f"{name}: {timed} timed calls for {calls[model.name]} calls")
    return problems


# -- The soak -----------------------------------------------------------------


@dataclass
class Run:
    """What one soak did and saw: the counters before and after (read with
    no call in flight), the callers' tallies, the samples."""

    models: List[SoakModel]
    seconds: float
    compile_seconds: float
    elapsed: float
    tallies: Dict[str, List[Tally]]
    hung: List[str]
    before: Dict[str, Dict[str, Any]]
    after: Dict[str, Dict[str, Any]]
    before_inferences: int
    stats: Dict[str, Any]
    document: Optional[Dict[str, Any]]
    sampler: Sampler
    driver: PolicyDriver
    burner: Burner

    @property
    def calls(self) -> Dict[str, int]:
        return {name: sum(t.issued for t in ts) for name, ts in self.tallies.items()}

    @property
    def returned(self) -> Dict[str, int]:
        return {name: sum(t.returned for t in ts) for name, ts in self.tallies.items()}

    def levels(self, model: SoakModel, key: str) -> Dict[str, int]:
        """Grants per level (key "granted") or overrides per reason
        ("overrides") of `model`'s units over the run."""
        return _delta(_sum_levels({n: self.after[n] for n in model.units}, key),
                      _sum_levels({n: self.before[n] for n in model.units}, key))


def prepare() -> Tuple[List[SoakModel], float, int]:
    """Compiles the models and calls each once (the first call registers its
    units with the runtime); returns them, the compile time and the bytes of
    every unit's weights at its most precise level."""
    from agn import runtime
    from agn.testing.differential import model_units

    started = time.perf_counter()
    models = build_models()
    compile_seconds = time.perf_counter() - started
    for model in models:
        model.compiled(np.zeros(model.input_shape, np.float32))
        model.units = [u["name"] for u in model_units(model.name)]
    f32_bytes = sum(max(runtime.unit_stats(name)["weight_bytes"].values())
                    for model in models for name in model.units)
    return models, compile_seconds, f32_bytes


def run_load(models: List[SoakModel], seconds: float, compile_seconds: float,
             f32_bytes: int) -> Run:
    """Calls the models for `seconds` under the policy driver and the
    sampler, then reads the counters again."""
    from agn import runtime

    all_units = [name for model in models for name in model.units]
    runtime.set_option("interval", MONITOR_INTERVAL)
    before = _unit_table(all_units)
    before_inferences = runtime.stats()["inferences"]
    stop = threading.Event()
    tallies: Dict[str, List[Tally]] = {m.name: [] for m in models}
    callers = []
    for index, model in enumerate(models):
        for thread in range(THREADS_PER_MODEL):
            tally = Tally()
            tallies[model.name].append(tally)
            callers.append(threading.Thread(
                target=call_loop, args=(model, 17 * index + thread, stop, tally),
                name=f"soak-{model.name}-{thread}", daemon=True))
    burner = Burner()
    # Steps of at least 0.5 s and at most 5 s: 60 to 120 steps in a run.
    driver = PolicyDriver(f32_bytes, min(5.0, max(0.5, seconds / 60)), burner)
    start = time.monotonic()
    sampler = Sampler(start, [t for ts in tallies.values() for t in ts],
                      progress_every=max(10.0, seconds / 10))
    sampler.sample()
    helpers = [threading.Thread(target=driver.run, args=(stop,), name="soak-driver",
                                daemon=True),
               threading.Thread(target=sampler.run, args=(stop,), name="soak-sampler",
                                daemon=True)]
    try:
        for thread in callers + helpers:
            thread.start()
        time.sleep(seconds)
    finally:
        stop.set()
        deadline = time.monotonic() + JOIN_TIMEOUT
        for thread in callers + helpers:
            thread.join(max(0.0, deadline - time.monotonic()))
        burner.stop()
    elapsed = time.monotonic() - start
    sampler.sample()

    # No call is in flight (unless one hung): every comparison is exact.
    after = _unit_table(all_units)
    stats = runtime.stats()
    document = None
    for _ in range(3):  # The sampler counts a failed parse.
        document = sampler.read_telemetry()
        if document is not None:
            break
    runtime.reset_policies()
    runtime.set_option("interval", None)
    return Run(models, seconds, compile_seconds, elapsed, tallies,
               [t.name for t in callers if t.is_alive()], before, after, before_inferences,
               stats, document, sampler, driver, burner)


def verdicts(run: Run) -> List[Check]:
    """The checks (a) to (e) of the module docstring."""
    calls, returned = run.calls, run.returned
    every_tally = [t for ts in run.tallies.values() for t in ts]
    raised = sum(t.raised for t in every_tally)
    bad = sum(t.bad_outputs for t in every_tally)
    problem = next((t.first_problem for t in every_tally if t.first_problem), "")
    checks = [Check("answered",
                    not run.hung and not raised and not bad and calls == returned,
                    f"{sum(calls.values())} issued, {sum(returned.values())} returned, "
                    f"{raised} raised, {bad} bad outputs"
                    + (f", hung: {', '.join(run.hung)}" if run.hung else "")
                    + (f"; first: {problem}" if problem else "")),
              rss_verdict(fit_rss(run.sampler.samples, WARMUP_FRACTION * run.seconds))]

    problems = grant_checks(run.models, calls, run.before, run.after)
    checks.append(Check("grants exact", not problems, "; ".join(problems[:5]) or
                        "each unit granted once per call of its model"))

    if run.document is None:
        problems = ["no telemetry document parsed at the end"]
    else:
        problems = telemetry_checks(run.document, run.stats, run.after, run.before_inferences,
                                    run.before, calls, run.models)
    failures = run.sampler.telemetry_failures
    if failures:
        problems.insert(0, f"telemetry() failed to parse {len(failures)} of "
                        f"{run.sampler.telemetry_reads} times (first: {failures[0]})")
    checks.append(Check("telemetry agrees", not problems, "; ".join(problems[:5]) or
                        f"{run.sampler.telemetry_reads} reads parsed; totals, units and "
                        f"stats agree"))

    problems = []
    for model in run.models:
        if run.levels(model, "overrides").get("memory", 0) == 0:
            problems.append(f"{model.name}: no memory override")
        if sum(1 for v in run.levels(model, "granted").values() if v) < 2:
            problems.append(f"{model.name}: one level only")
    if run.document is not None and run.document["latency"]["steps_down"] == 0:
        problems.append("the 20 us latency target took no step down")
    problems.extend(run.driver.errors[:3])
    checks.append(Check("policies applied", not problems,
                        "; ".join(problems) or
                        "memory overrides on both models, latency steps taken"))
    return checks


def _format_levels(counts: Dict[str, int]) -> str:
    total = sum(counts.values()) or 1
    return " ".join(f"{k} {100 * v / total:.1f}%" for k, v in counts.items() if v)


def report_lines(run: Run, checks: Sequence[Check]) -> List[str]:
    """The human-readable report."""
    calls, elapsed = run.calls, run.elapsed
    total = sum(calls.values())
    lines = [f"agn soak: {elapsed:.0f} s, {total} calls ({total / elapsed:.0f}/s), "
             f"{run.driver.steps} policy steps, burner started {run.burner.starts} times, "
             f"compile {run.compile_seconds:.1f} s"]
    for model in run.models:
        overrides = run.levels(model, "overrides")
        lines.append(f"  {model.name}: {calls[model.name]} calls "
                     f"({calls[model.name] / elapsed:.0f}/s); levels granted "
                     f"{_format_levels(run.levels(model, 'granted'))}; overrides "
                     + (", ".join(f"{k} {v}" for k, v in overrides.items() if v) or "none"))
    fit = fit_rss(run.sampler.samples, WARMUP_FRACTION * run.seconds)
    cached = run.sampler.samples[-1].cached
    lines.append(f"  RSS start {fit.start / MiB:.1f} MiB, warm-up max {fit.warm_max / MiB:.1f}, "
                 f"max after {fit.after_max / MiB:.1f}, end {fit.end / MiB:.1f}; slope after "
                 f"warm-up {fit.slope / 1024:+.2f} KiB/s"
                 + (f"; buffer cache {cached / MiB:.1f} MiB" if cached is not None else ""))
    if run.document is not None:
        latency = run.document["latency"]
        lines.append(f"  runtime: {run.document['monitor']['ticks']} ticks, "
                     f"{latency['inferences']} inferences counted, "
                     f"{latency['steps_down']} latency steps")
    for check in checks:
        lines.append(f"  {'ok  ' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    return lines


def report_json(run: Run, checks: Sequence[Check]) -> Dict[str, Any]:
    """The report as JSON, with every RSS sample ([t, rss, buffer cache,
    calls returned])."""
    fit = fit_rss(run.sampler.samples, WARMUP_FRACTION * run.seconds)
    return {
        "seconds": run.elapsed, "compile_seconds": run.compile_seconds,
        "models": {m.name: {"units": m.units, "calls": run.calls[m.name],
                            "returned": run.returned[m.name],
                            "granted": run.levels(m, "granted"),
                            "overrides": run.levels(m, "overrides")} for m in run.models},
        "policy_steps": run.driver.steps, "burner_starts": run.burner.starts,
        "inferences": (None if run.document is None
                       else run.document["latency"]["inferences"] - run.before_inferences),
        "rss": {"start": fit.start, "warm_max": fit.warm_max, "after_max": fit.after_max,
                "end": fit.end, "slope_bytes_per_s": fit.slope, "growth": fit.growth,
                "samples": [[round(s.t, 2), s.rss, s.cached, s.calls]
                            for s in run.sampler.samples]},
        "telemetry_reads": run.sampler.telemetry_reads,
        "telemetry_failures": run.sampler.telemetry_failures,
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in checks],
    }


def soak(seconds: float, report_path: Optional[str] = None) -> int:
    """Runs the soak for `seconds` and returns the exit status (0: every
    check passed)."""
    models, compile_seconds, f32_bytes = prepare()
    print(f"agn soak: {seconds:.0f} s; models "
          + ", ".join(f"{m.name} ({len(m.units)} units, {m.compile_seconds:.1f} s to compile)"
                      for m in models)
          + f"; all-f32 weights {f32_bytes} bytes", flush=True)
    run = run_load(models, seconds, compile_seconds, f32_bytes)
    checks = verdicts(run)
    print("\n".join(report_lines(run, checks)), flush=True)
    if report_path:
        with open(report_path, "w", encoding="utf-8") as f:
            json.dump(report_json(run, checks), f, indent=1)
    return 0 if all(c.passed for c in checks) else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0,
                        help="how long to call the models (default 600)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    args = parser.parse_args(argv)
    if not math.isfinite(args.seconds) or args.seconds < 10:
        parser.error("--seconds must be at least 10")
    return soak(args.seconds, args.json)


if __name__ == "__main__":
    sys.exit(main())
