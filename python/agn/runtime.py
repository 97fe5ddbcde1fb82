"""The runtime resource manager from Python: policies, stats, telemetry.

A thin ctypes layer over `include/agn-c/Runtime.h` (libagn_runtime.so). The
manager is process-wide: models compiled with `agn.compile` in this process
register their units with it, and these functions see and steer them.

    import agn
    agn.runtime.set_max_level("i8")          # cap every unit at i8
    agn.runtime.set_memory_budget(64 << 20)  # bytes of resident weights
    agn.runtime.pin_unit("digits.conv1", "f32")
    print(agn.runtime.stats()["overrides"])
    report = agn.runtime.telemetry()         # the JSON, parsed

Levels are given by name ("i4", "i8", "bf16", "f16", "f32": `levels()`,
read from the library) or ordinal (0-4). Failures raise RuntimeError with the
runtime's message.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
from typing import Any, Dict, List, Optional, Tuple, Union

from agn import _library

#: agn's precision levels by ordinal, for code that must work without the
#: libraries (training, the ONNX importer's policy checks). Everything else
#: asks the runtime (`levels()`); the tests check that the two agree.
FALLBACK_LEVELS = ("i4", "i8", "bf16", "f16", "f32")
#: Bit width of each level (the cost model of training's penalty).
LEVEL_BITS = {"i4": 4, "i8": 8, "bf16": 16, "f16": 16, "f32": 32}

#: AGN_NUM_LEVELS and AGN_RT_NUM_REASONS (macros, so not readable through
#: ctypes): the array sizes of the agn_rt_unit_stats layout below. The tests
#: check them against `levels()` and `reasons()`.
_NUM_LEVELS = 5
_NUM_REASONS = 7

UNLIMITED = 2**64 - 1
Level = Union[str, int]


class _Stats(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("monitor_running", ctypes.c_int32),
        ("ticks", ctypes.c_uint64), ("num_units", ctypes.c_int64),
        ("arbitrations", ctypes.c_uint64), ("overrides", ctypes.c_uint64),
        ("errors", ctypes.c_uint64), ("cpu_load", ctypes.c_double),
        ("cpu_quota_cores", ctypes.c_double), ("mem_total_bytes", ctypes.c_uint64),
        ("mem_available_bytes", ctypes.c_uint64), ("cgroup_memory_max", ctypes.c_uint64),
        ("rss_bytes", ctypes.c_uint64), ("gpu_available", ctypes.c_int32),
        ("over_budget", ctypes.c_int32), ("gpu_utilization", ctypes.c_double),
        ("gpu_memory_total_bytes", ctypes.c_uint64),
        ("gpu_memory_used_bytes", ctypes.c_uint64),
        ("weight_budget_bytes", ctypes.c_uint64),
        ("weight_granted_bytes", ctypes.c_uint64),
        ("weight_max_bytes", ctypes.c_uint64), ("inferences", ctypes.c_uint64),
        ("inference_ema_ns", ctypes.c_double), ("max_level", ctypes.c_int32),
        ("cpu_ceiling", ctypes.c_int32), ("gpu_ceiling", ctypes.c_int32),
        ("reserved0", ctypes.c_int32),
    ]


class _UnitStats(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32), ("allowed_mask", ctypes.c_uint32),
        ("ceiling", ctypes.c_int32), ("ceiling_reason", ctypes.c_int32),
        ("pinned_level", ctypes.c_int32), ("reserved0", ctypes.c_int32),
        ("name", ctypes.c_char_p), ("sensitivity", ctypes.c_double),
        ("granted", ctypes.c_uint64 * _NUM_LEVELS),
        ("overrides", ctypes.c_uint64 * _NUM_REASONS),
        ("time_ns", ctypes.c_uint64 * _NUM_LEVELS),
        ("time_count", ctypes.c_uint64 * _NUM_LEVELS),
        ("weight_bytes", ctypes.c_uint64 * _NUM_LEVELS), ("macs", ctypes.c_uint64 * _NUM_LEVELS),
        ("statistic_mean", ctypes.c_double),
        ("placed_weight_bytes", ctypes.c_uint64 * _NUM_LEVELS),
        ("resident_weight_bytes", ctypes.c_int64 * _NUM_LEVELS),
        ("released_mask", ctypes.c_uint32), ("reserved1", ctypes.c_uint32),
    ]


_lib: Optional[ctypes.CDLL] = None


def _rt() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        lib = _library.load(_library.RUNTIME_LIBRARY)
        i64, u64, cp = ctypes.c_int64, ctypes.c_uint64, ctypes.c_char_p
        signatures = {
            "agn_rt_init": (i64, [cp]),
            "agn_rt_shutdown": (None, []),
            "agn_rt_last_error": (cp, []),
            "agn_rt_find_unit": (i64, [cp]),
            "agn_rt_set_option": (i64, [cp, cp]),
            "agn_rt_get_option": (i64, [cp, ctypes.c_char_p, u64]),
            "agn_rt_set_max_level": (i64, [i64]),
            "agn_rt_set_memory_budget": (i64, [u64]),
            "agn_rt_set_latency_target_ns": (i64, [i64]),
            "agn_rt_set_cpu_thresholds": (i64, [ctypes.c_double, ctypes.c_double]),
            "agn_rt_pin_unit": (i64, [i64, i64]),
            "agn_rt_tick": (i64, []),
            "agn_rt_get_stats": (i64, [ctypes.POINTER(_Stats)]),
            "agn_rt_get_unit_stats": (i64, [i64, ctypes.POINTER(_UnitStats)]),
            "agn_rt_dump_telemetry": (i64, [cp]),
            "agn_rt_telemetry_json": (i64, [ctypes.c_char_p, u64]),
            "agn_rt_level_name": (cp, [i64]),
            "agn_rt_reason_name": (cp, [i64]),
            "agn_rt_profile_table": (i64, [cp, ctypes.c_char_p, u64]),
            "agn_rt_profile_json": (i64, [cp, ctypes.c_char_p, u64]),
            "agn_rt_profile_write_trace": (i64, [cp, cp]),
            "agn_rt_profile_reset": (None, []),
        }
        _lib = _library.declare(lib, signatures)
    return _lib


def _check(status: int, what: str) -> int:
    if status < 0:
        message = _rt().agn_rt_last_error().decode("utf-8", "replace")
        raise RuntimeError(f"agn runtime: {what} failed ({status}): {message}")
    return status


def _names(name_of) -> Tuple[str, ...]:
    """name_of(0), name_of(1), ... up to the first "invalid"."""
    names: List[str] = []
    for index in range(64):
        name = (name_of(index) or b"invalid").decode("utf-8")
        if name == "invalid":
            break
        names.append(name)
    return tuple(names)


@functools.lru_cache(maxsize=None)
def levels() -> Tuple[str, ...]:
    """agn's precision levels, least to most precise, by ordinal: the names
    the runtime library gives them (agn_rt_level_name). Needs
    libagn_runtime.so (LibraryNotFoundError otherwise)."""
    return _names(_rt().agn_rt_level_name)


def known_levels() -> Tuple[str, ...]:
    """`levels()` when the runtime library can be found, else
    FALLBACK_LEVELS (for code that also runs without agn's libraries)."""
    if _library.available(_library.RUNTIME_LIBRARY):
        return levels()
    return FALLBACK_LEVELS


@functools.lru_cache(maxsize=None)
def reasons() -> Tuple[str, ...]:
    """Why a unit's ceiling is where it is, by agn_rt_reason value, as the
    runtime library names them (agn_rt_reason_name)."""
    return _names(_rt().agn_rt_reason_name)


def __getattr__(name: str) -> Any:
    """`LEVELS` and `REASONS`, the tuples these names held before they were
    read from the library: `levels()` and `reasons()`."""
    if name == "LEVELS":
        return levels()
    if name == "REASONS":
        return reasons()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def level_index(level: Level) -> int:
    """The ordinal of a level given by name or ordinal."""
    names = levels()
    if isinstance(level, str):
        if level not in names:
            raise ValueError(f"unknown level '{level}'; expected one of {', '.join(names)}")
        return names.index(level)
    if not 0 <= int(level) < len(names):
        raise ValueError(f"level {level} is out of range 0-{len(names) - 1}")
    return int(level)


def level_name(index: int) -> Optional[str]:
    """The name of level ordinal `index`, None when it is not a level (the
    runtime's -1 for "none")."""
    names = levels()
    return names[index] if 0 <= index < len(names) else None


# -- Lifetime ---------------------------------------------------------------


def init(config_path: Optional[str] = None) -> None:
    """(Re)reads the configuration file and AGN_RT_* environment and starts
    the monitor thread. Optional: the first call of anything initialises."""
    _check(_rt().agn_rt_init(config_path.encode() if config_path else None), "init")


def shutdown() -> None:
    """Stops the monitor thread and writes the configured telemetry file."""
    _rt().agn_rt_shutdown()


def tick() -> None:
    """Runs one monitor tick now (for hosts that set `monitor = off`)."""
    _check(_rt().agn_rt_tick(), "tick")


# -- Policies ---------------------------------------------------------------


def set_option(key: str, value: Optional[str]) -> None:
    """Sets a configuration key (docs/Runtime.md) with API precedence; None
    removes the API value."""
    _check(_rt().agn_rt_set_option(key.encode(), None if value is None else str(value).encode()),
           f"set_option({key!r})")


def get_option(key: str) -> str:
    """The effective value of a configuration key."""
    size = _check(_rt().agn_rt_get_option(key.encode(), None, 0), f"get_option({key!r})")
    buffer = ctypes.create_string_buffer(size + 1)
    _rt().agn_rt_get_option(key.encode(), buffer, size + 1)
    return buffer.value.decode("utf-8")


def set_max_level(level: Level) -> None:
    """Caps every unit at `level`."""
    _check(_rt().agn_rt_set_max_level(level_index(level)), "set_max_level")


def set_memory_budget(num_bytes: Optional[int]) -> None:
    """Budget for resident weights in bytes; None turns it off."""
    _check(_rt().agn_rt_set_memory_budget(UNLIMITED if num_bytes is None else int(num_bytes)),
           "set_memory_budget")


def set_latency_target(seconds: Optional[float]) -> None:
    """Per-inference latency target in seconds; None (or 0) turns it off."""
    _check(_rt().agn_rt_set_latency_target_ns(int(round((seconds or 0) * 1e9))),
           "set_latency_target")


def set_cpu_thresholds(high: Optional[float], low: Optional[float] = None) -> None:
    """CPU-load thresholds (fractions); high=None turns the policy off,
    low=None picks the default."""
    _check(_rt().agn_rt_set_cpu_thresholds(-1.0 if high is None else high,
                                           -1.0 if low is None else low),
           "set_cpu_thresholds")


def find_unit(name: str) -> int:
    """The id of the unit called `name`."""
    return _check(_rt().agn_rt_find_unit(name.encode()), f"find_unit({name!r})")


def pin_unit(unit: Union[str, int], level: Optional[Level]) -> None:
    """Pins a unit (by name or id) at `level`: every call of it runs at that
    level (the most precise of its levels not above it), whatever its
    controller asks for; None removes the pin. Units register on their
    model's first call."""
    unit_id = find_unit(unit) if isinstance(unit, str) else int(unit)
    _check(_rt().agn_rt_pin_unit(unit_id, -1 if level is None else level_index(level)),
           "pin_unit")


def reset_policies() -> None:
    """Removes every policy set through the API (max_level, memory budget,
    latency target, CPU thresholds), so configuration and defaults apply."""
    for key in ("max_level", "memory_budget", "latency_target", "cpu_high", "cpu_low"):
        set_option(key, None)


# -- Stats and telemetry ----------------------------------------------------


def stats() -> Dict[str, Any]:
    """A process-wide snapshot (agn_rt_stats) as a dict; unknown sampled
    values are None."""
    out = _Stats()
    out.struct_size = ctypes.sizeof(_Stats)
    _check(_rt().agn_rt_get_stats(ctypes.byref(out)), "get_stats")
    result: Dict[str, Any] = {}
    for name, _ in _Stats._fields_:
        if name in ("struct_size", "reserved0"):
            continue
        value = getattr(out, name)
        if isinstance(value, int) and value == UNLIMITED:
            value = None
        elif isinstance(value, float) and value < 0 and name in (
                "cpu_load", "cpu_quota_cores", "inference_ema_ns", "gpu_utilization"):
            value = None
        result[name] = value
    for key in ("max_level", "cpu_ceiling", "gpu_ceiling"):
        name = level_name(result[key])
        result[key] = result[key] if name is None else name
    return result


def unit_stats(unit: Union[str, int]) -> Dict[str, Any]:
    """A snapshot of one unit (by name or id): allowed levels, ceiling and
    why, calls per granted level, overrides per reason, timings, costs."""
    unit_id = find_unit(unit) if isinstance(unit, str) else int(unit)
    out = _UnitStats()
    out.struct_size = ctypes.sizeof(_UnitStats)
    _check(_rt().agn_rt_get_unit_stats(unit_id, ctypes.byref(out)), "get_unit_stats")
    names, why = levels(), reasons()
    allowed = [names[i] for i in allowed_indices(out)]
    ceiling = level_name(out.ceiling)
    return {
        "id": unit_id,
        "name": out.name.decode("utf-8") if out.name else "",
        "levels": allowed,
        "ceiling": out.ceiling if ceiling is None else ceiling,
        "ceiling_reason": (why[out.ceiling_reason] if 0 <= out.ceiling_reason < len(why)
                           else "invalid"),
        "pinned_level": level_name(out.pinned_level),
        "sensitivity": out.sensitivity,
        "granted": {names[i]: int(out.granted[i]) for i in range(len(names))},
        "overrides": {why[i]: int(out.overrides[i]) for i in range(len(why))},
        "time_ns": {names[i]: int(out.time_ns[i]) for i in range(len(names))},
        "time_count": {names[i]: int(out.time_count[i]) for i in range(len(names))},
        "weight_bytes": {names[i]: int(out.weight_bytes[i]) for i in allowed_indices(out)},
        "macs": {names[i]: int(out.macs[i]) for i in allowed_indices(out)},
        "statistic_mean": None if out.statistic_mean < 0 else out.statistic_mean,
        # Where the compiled code put each level's weights, and how much of
        # that is mapped into the process now (None: unknown).
        "placed_weight_bytes": {names[i]: int(out.placed_weight_bytes[i])
                                for i in allowed_indices(out)},
        "resident_weight_bytes": {names[i]: (None if out.resident_weight_bytes[i] < 0
                                             else int(out.resident_weight_bytes[i]))
                                  for i in allowed_indices(out)},
        "released_levels": [names[i] for i in allowed_indices(out)
                            if out.released_mask >> i & 1],
    }


def allowed_indices(out: _UnitStats) -> List[int]:
    """The ordinals of a unit's allowed levels."""
    return [i for i in range(len(levels())) if out.allowed_mask >> i & 1]


def units() -> List[Dict[str, Any]]:
    """unit_stats() of every registered unit."""
    return [unit_stats(i) for i in range(int(stats()["num_units"]))]


def telemetry_json() -> str:
    """The telemetry JSON text (schema in docs/Runtime.md)."""
    # The document may grow between the two calls (a monitor tick, a call
    # on another thread).
    return _read_text(_rt().agn_rt_telemetry_json)


def telemetry() -> Dict[str, Any]:
    """The telemetry, parsed."""
    return json.loads(telemetry_json())


def dump_telemetry(path: Optional[str] = None) -> None:
    """Writes the telemetry JSON to `path` (None: the `telemetry` key)."""
    _check(_rt().agn_rt_dump_telemetry(path.encode() if path else None), "dump_telemetry")


def _read_text(function, *leading: Any) -> str:
    """The text a `function(*leading, buffer, size)` of the runtime writes;
    asks again while the text grows between the calls."""
    size = function(*leading, None, 0)
    while True:
        buffer = ctypes.create_string_buffer(size + 1)
        needed = function(*leading, buffer, size + 1)
        if needed <= size:
            return buffer.value.decode("utf-8", "replace")
        size = needed


class Profile:
    """The time compiled code spent in each profiled region (code compiled
    with profile=True), as the runtime summed it up when this was taken.

    `regions` is a list of dicts with the record's fields (model, group,
    unit, level, label) and calls, total_ns, self_ns (total minus nested
    regions), min_ns, max_ns, outer_calls and outer_ns (spans with no
    enclosing span: the model's calls). str() is the table agn-run
    --profile prints."""

    def __init__(self, model: Optional[str]) -> None:
        self.model = model
        key = model.encode("utf-8") if model else None
        self._table = _read_text(_rt().agn_rt_profile_table, key)
        document = json.loads(_read_text(_rt().agn_rt_profile_json, key))
        self.regions: List[Dict[str, Any]] = document["regions"]
        self.dropped_spans: int = document["dropped_spans"]

    @property
    def calls(self) -> int:
        """Calls of the model's entry functions."""
        return sum(r["outer_calls"] for r in self.regions if r["group"] == "function")

    def by_group(self) -> Dict[str, int]:
        """Self time in nanoseconds by group (the function group's self time
        is what no region covers)."""
        totals: Dict[str, int] = {}
        for region in self.regions:
            totals[region["group"]] = totals.get(region["group"], 0) + region["self_ns"]
        return totals

    def by_unit(self) -> Dict[Tuple[str, str], int]:
        """Total time in nanoseconds of each (unit, level) version."""
        return {(r["unit"], r["level"]): r["total_ns"] for r in self.regions
                if r["group"] == "unit"}

    def write_trace(self, path: str) -> None:
        """Writes the spans as a Chrome trace (chrome://tracing, Perfetto)."""
        key = self.model.encode("utf-8") if self.model else None
        _check(_rt().agn_rt_profile_write_trace(key, os.fspath(path).encode()),
               "profile trace")

    def __str__(self) -> str:
        return self._table


def profile(model: Optional[str] = None) -> Profile:
    """The profile of `model` (its name at compile time), or of every model."""
    return Profile(model)


def reset_profile() -> None:
    """Forgets every span recorded so far."""
    _rt().agn_rt_profile_reset()

