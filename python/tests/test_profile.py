"""The profiler: agn.compile(..., profile=True) times each unit at each
level and the costly ops around it; model.profile() reads the table and the
trace back. Timings are not asserted (the machines are shared); what the
profile counts and how it is shaped are."""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import agn
from agn import runtime
from conftest import REPO_DIR, requires_compiler
from onnx_builders import graph_model

pytestmark = requires_compiler

MLP = os.path.join(REPO_DIR, "examples", "mlp.mlir")


def mlp_args(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32)
            for s in [(16, 64), (64, 128), (128,), (128, 10), (10,)]]


def test_profile_counts_calls_units_and_groups(tmp_path):
    args = mlp_args()
    # Always i8: both units run their i8 version.
    model = agn.compile(MLP, levels=["i8", "f32"], thresholds=[1e9], profile=True)
    assert model.profile_name == "mlp"
    plain = agn.compile(MLP, levels=["i8", "f32"], thresholds=[1e9])
    runtime.reset_profile()
    for _ in range(3):
        y = model(*args)
    # Profiling changes no result.
    np.testing.assert_array_equal(y, plain(*args))

    profile = model.profile()
    assert profile.calls == 3
    units = profile.by_unit()
    assert set(units) == {("mlp.u0", "i8"), ("mlp.u1", "i8")}
    groups = profile.by_group()
    for group in ("function", "unit", "controller", "quantize", "contraction"):
        assert group in groups, (group, groups)
    for region in profile.regions:
        assert region["model"] == "mlp"
        assert 0 <= region["self_ns"] <= region["total_ns"]
        assert region["min_ns"] <= region["max_ns"]
        if region["group"] == "unit":
            assert region["calls"] == 3
    # Every version ran inside a call: the calls' time covers the units'.
    wall = sum(r["outer_ns"] for r in profile.regions)
    assert wall >= sum(units.values()) > 0
    table = str(profile)
    assert "agn profile of model 'mlp': 3 calls" in table
    assert "mlp.u0 @ i8" in table

    path = tmp_path / "trace.json"
    profile.write_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert sum(e["name"] == "@mlp" for e in events) == 3
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in events)
    assert {e["args"]["level"] for e in events if e["cat"] == "unit"} == {"i8"}


def test_profile_of_a_convolution_network(tmp_path):
    """An exported-style ONNX network: padded convolutions, ReLU, max
    pooling. Its pooling shows outside the units, its padding inside them;
    the units run at the level they are pinned to."""
    rng = np.random.default_rng(1)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((8, 8, 3, 3)) * 0.2).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["y"], name="conv2", pads=[1, 1, 1, 1]),
    ]
    proto = graph_model(nodes, {"x": ([1, 3, 16, 16], TensorProto.FLOAT)}, ["y"],
                        {"w1": w1, "w2": w2}, name="convnet")
    path = tmp_path / "convnet.onnx"
    onnx.save(proto, path)
    model = agn.compile(str(path), levels=["i8", "f32"], profile=True)
    x = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
    model(x)  # registers the units
    runtime.reset_profile()
    for unit in (u["name"] for u in runtime.units() if u["name"].startswith("convnet")):
        runtime.pin_unit(unit, "i8")
    try:
        model(x)
        model(x)
    finally:
        runtime.reset_policies()
    profile = model.profile()
    assert profile.calls == 2
    assert {level for (_, level) in profile.by_unit()} == {"i8"}
    assert len(profile.by_unit()) == 2
    outside = {r["group"] for r in profile.regions if not r["unit"]}
    assert "pooling" in outside, outside
    # Each version pads what it computes on (agn-sink-padding): the padding
    # is the units' own, of i8 values here.
    inside = {r["group"] for r in profile.regions if r["unit"]}
    assert "padding" in inside and "padding" not in outside, (inside, outside)


def test_profile_needs_profile_true():
    model = agn.compile(MLP)
    assert model.profile_name is None
    with pytest.raises(RuntimeError, match="profile=True"):
        model.profile()


@pytest.mark.parametrize("name", ["", "a}b", "tab\there", 3])
def test_bad_profile_names_are_refused(name):
    with pytest.raises(ValueError, match="profile_name"):
        agn.compile_mlir(open(MLP).read(), profile=True, profile_name=name)


def test_profile_of_an_unknown_model_says_so():
    assert "no spans" in str(runtime.profile("no-such-model"))
