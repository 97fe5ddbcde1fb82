"""agn.tune: the exact knapsack, threshold calibration to a budget, the
policies' way through the ONNX metadata into agn, and the command."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest

from agn.tune import knapsack
from agn.tune.cost import check_budget
from conftest import PYTHON_DIR, requires_compiler, requires_runtime

BITS = {"i4": 4, "i8": 8, "f16": 16, "f32": 32}


def _brute_force(costs, errors, capacity):
    items = list(costs)
    best = None
    for combo in itertools.product(*(list(costs[i]) for i in items)):
        cost = sum(costs[i][o] for i, o in zip(items, combo))
        if cost > capacity:
            continue
        error = sum(errors[i][o] for i, o in zip(items, combo))
        if best is None or error < best:
            best = error
    return best


def _random_case(seed, items=5):
    rng = np.random.default_rng(seed)
    macs = rng.integers(1, 200, size=items) * 64
    costs = {f"u{k}": {lv: int(macs[k]) * b for lv, b in BITS.items()} for k in range(items)}
    # Error falls with bits, at a unit-specific rate (like measured ones).
    errors = {f"u{k}": {lv: float(rng.uniform(0.1, 10) * 4.0 ** -np.log2(b / 4))
                        if lv != "f32" else 0.0 for lv, b in BITS.items()}
              for k in range(items)}
    return costs, errors, int(macs.sum())


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mean_bits", [4, 5, 6.5, 9, 13, 20, 31])
def test_knapsack_is_optimal(seed, mean_bits):
    """The DP's least error equals brute force over all 4^5 choices, and
    its choice fits the budget and has the error it reports."""
    costs, errors, macs = _random_case(seed)
    capacity = mean_bits * macs
    solution = knapsack.solve(costs, errors, capacity)
    assert solution.exact
    assert solution.cost <= capacity
    assert solution.cost == sum(costs[i][o] for i, o in solution.choice.items())
    assert solution.error == pytest.approx(sum(errors[i][o] for i, o in solution.choice.items()))
    assert solution.error == pytest.approx(_brute_force(costs, errors, capacity), abs=1e-12)


def test_knapsack_coarse_grid_stays_within_budget():
    """With a table too small for the exact grid, costs round up: the
    answer fits and is no better than the optimum."""
    costs, errors, macs = _random_case(3)
    capacity = 9 * macs
    solution = knapsack.solve(costs, errors, capacity, max_cells=50)
    assert not solution.exact
    assert solution.cost <= capacity
    assert solution.error >= _brute_force(costs, errors, capacity) - 1e-12


def test_knapsack_rejects_impossible_budgets():
    costs, errors, macs = _random_case(0)
    with pytest.raises(ValueError, match="no choice fits"):
        knapsack.solve(costs, errors, 3 * macs)
    with pytest.raises(ValueError, match="whole number"):
        knapsack.solve({"a": {"i4": 1.5}}, {"a": {"i4": 0.0}}, 10)


@pytest.mark.parametrize("bits", [3.9, 33, "six", float("nan")])
def test_budget_outside_the_levels(bits):
    with pytest.raises(ValueError, match="budget"):
        check_budget(bits)


# -- With agn ---------------------------------------------------------------

N_CALLS = 48


def _tiny_onnx(path):
    """A 3-layer MLP (16 -> 32 -> 32 -> 4), opset 13."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 4)).eval()
    torch.onnx.export(model, torch.zeros(1, 16), str(path), opset_version=13,
                      input_names=["x"], output_names=["y"])
    return str(path)


def _calibration(n=N_CALLS, seed=0):
    """Inputs of spread-out variance (so the controllers have a choice)."""
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.2, 3.0, size=(n, 1, 1))
    return (rng.normal(size=(n, 1, 16)) * scale).astype(np.float32)


@pytest.fixture(scope="module")
def tuner(tmp_path_factory):
    import agn.tune

    path = _tiny_onnx(tmp_path_factory.mktemp("tune") / "tiny.onnx")
    t = agn.tune.Tuner(path, _calibration())
    yield t
    t.close()


@requires_compiler
@requires_runtime
def test_statistic_is_the_compiled_controllers(tuner):
    """The first unit's input is the model input: its per-call statistic,
    read back from the runtime, is the input's variance (float32)."""
    first = tuner.units[0].node
    x = _calibration()
    expected = [float(np.var(row)) for row in x]
    np.testing.assert_allclose(tuner.probe.statistics[first], expected, rtol=1e-6)
    assert [u.macs for u in tuner.units] == [16 * 32, 32 * 32, 32 * 4]


@requires_compiler
@requires_runtime
@pytest.mark.parametrize("kind", ["adaptive", "adaptive-uniform"])
@pytest.mark.parametrize("budget", [5.0, 6.0, 7.5, 12.0, 20.0])
def test_thresholds_hit_the_budget(tuner, kind, budget):
    """Calibrated thresholds hit the budget within the resolution N calls
    give. Each step of the rank m moves every two-level unit by one call,
    so the predicted bits are within step/2 of the budget, step =
    (bits(upper mix) - bits(lower mix)) / N. Run by agn after one round of
    refinement (thresholds recalibrated on the statistics the tuned model
    sees), the measured bits may differ by one more call per unit whose
    input statistic moved across its threshold: within 1.5 steps."""
    plan = tuner.plan(kind, budget)
    assert plan.step > 0
    assert abs(plan.predicted_bits - budget) <= plan.step / 2 + 1e-9
    refined = tuner.refine(plan, 1)
    assert abs(refined.predicted_bits - budget) <= refined.step / 2 + 1e-9
    measured = tuner.measure(refined)
    assert abs(measured.bits - budget) <= 1.5 * refined.step + 1e-9
    # The first unit sees the model's input, which no level changes: agn
    # runs it exactly as predicted.
    first = tuner.units[0].node
    if len(refined.policies[first].levels) > 1:
        assert measured.shares[first] == pytest.approx(
            {lv: s for lv, s in refined.shares[first].items() if s}, abs=1e-12)


@requires_compiler
@requires_runtime
def test_static_kinds_cost_at_most_the_budget(tuner):
    for budget in (4, 6, 8, 11, 16, 24, 32):
        uniform, static = tuner.uniform(budget), tuner.static(budget)
        assert uniform.predicted_bits <= budget and static.predicted_bits <= budget + 1e-9
        # The knapsack never does worse than one level everywhere.
        assert static.predicted_error <= uniform.predicted_error + 1e-15
        assert static.static_levels() is not None


@requires_compiler
@requires_runtime
def test_metadata_round_trip(tuner):
    """tune -> write -> the importer reads the policies back, agn compiles
    each unit with them, and the runtime grants what the plan predicts."""
    import agn
    from agn.demo.evaluate import ir_policies
    from agn.onnx import read_policies
    from agn.tune import TUNE_KEY, read

    plan = tuner.refine(tuner.plan("adaptive-uniform", 6.0), 1)
    model = tuner.write(plan)
    again = onnx.load_from_string(model.SerializeToString())
    assert read_policies(again) == plan.policies
    assert read(again)["record"]["kind"] == "adaptive-uniform"
    assert TUNE_KEY in {p.key for p in again.metadata_props}
    compiled = agn.compile(again, name="test_tune_roundtrip")
    in_ir = ir_policies(compiled.ir)
    assert len(in_ir) == len(tuner.units)
    for u in tuner.units:
        name = "test_tune_roundtrip." + u.unit.split(".", 1)[1]
        np.testing.assert_allclose(in_ir[name], plan.policies[u.node].thresholds, rtol=1e-6)
    measured = tuner.measure(plan)
    for u in tuner.units:
        assert set(measured.shares[u.node]) <= set(plan.policies[u.node].levels)


@requires_compiler
@requires_runtime
def test_static_policy_runs_its_levels(tuner):
    """A static plan compiles to one-level units: its outputs equal the
    probe's with every unit pinned to the same levels."""
    plan = tuner.static(7.0)
    levels = plan.static_levels()
    measured = tuner.measure(plan)
    tuner.probe.pin(levels)
    pinned = tuner.probe.run()
    tuner.probe.pin(None)
    for a, b in zip(measured.outputs, pinned):
        np.testing.assert_array_equal(a[0], b[0])
    assert measured.bits == pytest.approx(plan.predicted_bits)


@requires_compiler
@requires_runtime
def test_bad_calibration_data(tuner):
    import agn.tune

    with pytest.raises(agn.tune.TuneError, match="calibration data for input 'x'"):
        agn.tune.Tuner(tuner.probe.proto, np.zeros((4, 16), np.float32)[None, None])
    with pytest.raises(agn.tune.TuneError, match="no calibration inputs"):
        agn.tune.Tuner(tuner.probe.proto, [])
    with pytest.raises(agn.tune.TuneError, match="must include f32"):
        agn.tune.Tuner(tuner.probe.proto, _calibration(4), levels=["i4", "i8"])
    with pytest.raises(agn.tune.TuneError, match="unknown level 'i7'"):
        agn.tune.Tuner(tuner.probe.proto, _calibration(4), levels=["i7", "f32"])
    no_i4 = agn.tune.Tuner(tuner.probe.proto, _calibration(4), levels=["i8", "f32"])
    try:
        with pytest.raises(agn.tune.TuneError, match="below the cheapest candidate level"):
            no_i4.static(6.0)
    finally:
        no_i4.close()


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.run([sys.executable, "-m", "agn.tune", "-q", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


@requires_compiler
@requires_runtime
def test_cli_writes_the_tuned_model(tmp_path):
    from agn.onnx import read_policies

    model = _tiny_onnx(tmp_path / "tiny.onnx")
    np.save(tmp_path / "calib.npy", _calibration(24))
    proc = _cli(model, tmp_path / "calib.npy", "--bits", "6", "--kind", "static")
    assert proc.returncode == 0, proc.stderr
    assert "static policy for 6 mean bits per MAC" in proc.stdout
    policies = read_policies(onnx.load(str(tmp_path / "tiny.tuned.onnx")))
    assert len(policies) == 3 and all(len(p.levels) == 1 for p in policies.values())


@requires_compiler
@requires_runtime
@pytest.mark.parametrize("case,message", [
    ("low", "outside what agn's levels can give"),
    ("model", "model file .* does not exist"),
    ("calibration", "calibration file .* does not exist"),
    ("shape", "calibration data for input 'x' has shape"),
])
def test_cli_rejects_bad_input(tmp_path, case, message):
    import re

    model = _tiny_onnx(tmp_path / "tiny.onnx")
    calib = tmp_path / "calib.npy"
    np.save(calib, _calibration(8))
    args = [model, calib, "--bits", "6"]
    if case == "low":
        args[3] = "3"
    elif case == "model":
        args[0] = tmp_path / "missing.onnx"
    elif case == "calibration":
        args[1] = tmp_path / "missing.npy"
    else:
        np.save(calib, np.zeros((8, 3, 5), np.float32))
    proc = _cli(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("agn.tune: error: ") or "agn.tune: error: " in proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
