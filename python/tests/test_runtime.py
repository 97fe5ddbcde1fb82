"""agn.runtime: policies, stats and telemetry of the process-wide manager."""

from __future__ import annotations

import ctypes
import json
import os

import pytest

from conftest import requires_runtime

pytestmark = requires_runtime


@pytest.fixture
def rt():
    from agn import runtime

    yield runtime
    runtime.reset_policies()


class _Cost(ctypes.Structure):
    _fields_ = [("level", ctypes.c_int64), ("weight_bytes", ctypes.c_uint64),
                ("macs", ctypes.c_uint64)]


def _register(name: str) -> int:
    """Registers a unit the way compiled code does (i8 and f32)."""
    from agn import _library

    lib = _library.load(_library.RUNTIME_LIBRARY)
    lib.agn_rt_register_unit.restype = ctypes.c_int64
    lib.agn_rt_register_unit.argtypes = [ctypes.c_char_p, ctypes.POINTER(_Cost),
                                         ctypes.c_int64, ctypes.c_double]
    lib.agn_rt_arbitrate.restype = ctypes.c_int64
    lib.agn_rt_arbitrate.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_float]
    costs = (_Cost * 2)(_Cost(1, 1000, 4096), _Cost(4, 4000, 4096))
    return lib.agn_rt_register_unit(name.encode(), costs, 2, 0.5), lib


def test_options_roundtrip(rt):
    rt.set_max_level("i8")
    assert rt.get_option("max_level") == "i8"
    assert rt.stats()["max_level"] == "i8"
    rt.set_option("max_level", None)
    assert rt.get_option("max_level") == "f32"
    rt.set_memory_budget(1 << 20)
    assert rt.stats()["weight_budget_bytes"] == 1 << 20
    rt.set_memory_budget(None)
    rt.set_latency_target(0.002)
    rt.set_cpu_thresholds(0.9)


def test_bad_option_is_a_clear_error(rt):
    with pytest.raises(RuntimeError, match="unknown key 'no_such_key'"):
        rt.set_option("no_such_key", "1")
    with pytest.raises(ValueError, match="unknown level"):
        rt.set_max_level("i7")


def test_unit_stats_pin_and_telemetry(rt, tmp_path):
    unit, lib = _register("pytest.runtime.u0")
    assert unit >= 0 and rt.find_unit("pytest.runtime.u0") == unit
    assert lib.agn_rt_arbitrate(unit, 4, 0.5) == 4
    rt.set_max_level("i8")
    assert lib.agn_rt_arbitrate(unit, 4, 0.5) == 1
    stats = rt.unit_stats("pytest.runtime.u0")
    assert stats["levels"] == ["i8", "f32"]
    assert stats["granted"]["f32"] >= 1 and stats["granted"]["i8"] >= 1
    assert stats["overrides"]["max_level"] >= 1
    assert stats["weight_bytes"] == {"i8": 1000, "f32": 4000}
    rt.set_max_level("f32")
    rt.pin_unit("pytest.runtime.u0", "i8")
    assert lib.agn_rt_arbitrate(unit, 4, 0.5) == 1
    rt.pin_unit("pytest.runtime.u0", None)
    assert lib.agn_rt_arbitrate(unit, 4, 0.5) == 4
    # A pin fixes the level: a request below it is raised to it.
    rt.pin_unit("pytest.runtime.u0", "f32")
    assert lib.agn_rt_arbitrate(unit, 1, 0.5) == 4
    rt.pin_unit("pytest.runtime.u0", None)
    assert lib.agn_rt_arbitrate(unit, 1, 0.5) == 1
    assert any(u["name"] == "pytest.runtime.u0" for u in rt.units())
    report = rt.telemetry()
    assert report["schema"].startswith("agn-runtime-telemetry")
    assert "pytest.runtime.u0" in rt.telemetry_json()
    path = tmp_path / "telemetry.json"
    rt.dump_telemetry(str(path))
    assert json.loads(path.read_text())["schema"] == report["schema"]
    with pytest.raises(RuntimeError, match="find_unit"):
        rt.find_unit("pytest.runtime.missing")


def test_library_lookup_error(monkeypatch):
    from agn import _library

    monkeypatch.setenv("AGN_LIBRARY_DIR", "/nonexistent")
    monkeypatch.setattr(_library, "search_dirs", lambda: ["/nonexistent"])
    with pytest.raises(_library.LibraryNotFoundError, match="build agn first"):
        _library.find_library("libAGNCAPI.so")
    assert os.environ["AGN_LIBRARY_DIR"] == "/nonexistent"
