"""agn.tune: the exact knapsack, threshold calibration to a budget, the
policies' way through the ONNX metadata into agn, and the command."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest

from agn.tune import adaptive, knapsack
from agn.tune.cost import UnitCost, check_budget
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
    # Just above the cheapest choice, on grids coarse enough to round every
    # other option up past the room: the cheapest choice still fits (each
    # item's rounding would push it over a capacity it meets exactly).
    cheapest = sum(min(c.values()) for c in costs.values())
    for cells in (1, 3, 50):
        tight = knapsack.solve(costs, errors, cheapest + 100 * cells * 64, max_cells=cells)
        assert not tight.exact
        assert tight.cost <= cheapest + 100 * cells * 64
    assert knapsack.solve(costs, errors, cheapest, max_cells=1).choice == {
        i: min(c, key=c.get) for i, c in costs.items()}


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


def _per_call_case(seed, informative, units=3, calls=16):
    """Units with per-call sensitivities at i4/i8/f16/f32 and a statistic
    per call: `informative` makes the low levels' error grow with the
    statistic (the calls the controller should upgrade), otherwise the
    statistic is unrelated noise."""
    rng = np.random.default_rng(seed)
    unit_list = [UnitCost(f"u{k}", f"m.u{k}", int(rng.integers(1, 20)) * 64)
                 for k in range(units)]
    statistics, sensitivity = {}, {}
    for u in unit_list:
        stat = rng.uniform(0.1, 10.0, size=calls)
        hardness = stat if informative else rng.uniform(0.1, 10.0, size=calls)
        scale = rng.uniform(0.5, 2.0)
        statistics[u.node] = stat
        sensitivity[u.node] = {lv: scale * hardness * 4.0 ** -np.log2(b / 4)
                               if lv != "f32" else np.zeros(calls) for lv, b in BITS.items()}
    return unit_list, statistics, sensitivity


def _brute_force_options(unit_list, statistics, sensitivity, budget):
    """The least summed error over every combination of the units'
    options (levels and thresholds) within the budget."""
    costs = adaptive.bit_costs(unit_list, list(BITS))
    options = {u.node: adaptive.unit_options(statistics[u.node], sensitivity[u.node],
                                             costs[u.node]) for u in unit_list}
    n = len(statistics[unit_list[0].node])
    capacity = budget * sum(u.macs for u in unit_list) * n
    return _brute_force({k: {o: v.cost for o, v in opts.items()} for k, opts in options.items()},
                        {k: {o: v.error for o, v in opts.items()} for k, opts in options.items()},
                        capacity) / n


def _solve_bits(unit_list, statistics, sensitivity, budget):
    return adaptive.solve(unit_list, statistics, sensitivity,
                          adaptive.bit_costs(unit_list, list(BITS)),
                          budget * sum(u.macs for u in unit_list))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("budget", [4.5, 6, 9, 14, 24])
@pytest.mark.parametrize("informative", [True, False])
def test_adaptive_knapsack_is_optimal_and_bounded(seed, budget, informative):
    """The adaptive plan is the least-error choice of the units' options
    (brute force), within the budget; its predicted error is never above
    the static knapsack's (static levels are options) and never below the
    per-call bound (no per-call policy beats it), which is itself below the
    static mixes' convex hull."""
    unit_list, statistics, sensitivity = _per_call_case(seed, informative)
    solution = _solve_bits(unit_list, statistics, sensitivity, budget)
    assert solution.predicted_bits <= budget + 1e-12
    assert solution.predicted_error == pytest.approx(
        _brute_force_options(unit_list, statistics, sensitivity, budget), rel=1e-12, abs=1e-15)
    macs = sum(u.macs for u in unit_list)
    static = knapsack.solve({u.node: {lv: u.macs * b for lv, b in BITS.items()} for u in unit_list},
                            {u.node: {lv: float(sensitivity[u.node][lv].mean()) for lv in BITS}
                             for u in unit_list}, budget * macs)
    assert solution.predicted_error <= static.error + 1e-12
    per_call = adaptive.bound(unit_list, sensitivity, list(BITS), budget)
    hull = adaptive.bound(unit_list, sensitivity, list(BITS), budget, per_call=False)
    assert per_call <= solution.predicted_error + 1e-12
    assert per_call <= hull + 1e-12 and hull <= static.error + 1e-12


def test_adaptive_knapsack_upgrades_the_calls_the_statistic_marks():
    """Where the statistic ranks the calls by sensitivity, the plan
    switches levels per call and beats every static mix, hull included."""
    unit_list, statistics, sensitivity = _per_call_case(0, informative=True, units=2, calls=32)
    solution = _solve_bits(unit_list, statistics, sensitivity, 6.0)
    switched = [node for node, o in solution.options.items() if o.threshold is not None]
    assert switched
    hull = adaptive.bound(unit_list, sensitivity, list(BITS), 6.0, per_call=False)
    assert solution.predicted_error < 0.9 * hull
    for node in switched:
        option = solution.options[node]
        up = statistics[node].astype(np.float32) >= np.float32(option.threshold)
        assert up.sum() == option.calls_up
        # The upgraded calls are the ones with the largest statistic.
        assert statistics[node][up].min() > statistics[node][~up].max()


def test_per_call_bound_is_the_oracle_on_one_unit():
    """One unit, two levels, calls of known sensitivity: at a budget that
    buys the upper level for exactly k calls, the bound upgrades the k
    calls with the largest error reduction."""
    gains = np.array([5.0, 1.0, 3.0, 0.5])
    unit = UnitCost("u", "m.u", 64)
    sensitivity = {"u": {"i4": gains.copy(), "i8": np.zeros(4)}}
    # Two of four calls at i8: 6 mean bits.
    assert adaptive.bound([unit], sensitivity, ["i4", "i8"], 6.0) == pytest.approx(
        (1.0 + 0.5) / 4)
    # Halfway to a third call: the third-largest gain, half of it.
    assert adaptive.bound([unit], sensitivity, ["i4", "i8"], 6.5) == pytest.approx(
        (0.5 + 0.5 * 1.0) / 4)
    assert adaptive.bound([unit], sensitivity, ["i4", "i8"], 6.0, per_call=False) == \
        pytest.approx(gains.mean() / 2)
    # At the cheapest budget every call stays at i4, however the units'
    # MAC shares round (thirds do not sum to one in binary).
    thirds = [UnitCost(f"u{k}", f"m.u{k}", 64) for k in range(3)]
    per_unit = {u.node: {"i4": gains.copy(), "i8": np.zeros(4)} for u in thirds}
    assert adaptive.bound(thirds, per_unit, ["i4", "i8"], 4.0) == pytest.approx(3 * gains.mean())
    with pytest.raises(ValueError, match="below every level"):
        adaptive.bound(thirds, per_unit, ["i4", "i8"], 3.5)


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
@pytest.mark.parametrize("budget", [5.0, 6.0, 7.5, 12.0, 20.0])
def test_thresholds_hit_the_budget(tuner, budget):
    """Calibrated thresholds hit the budget within the resolution N calls
    give. Each step of the rank m moves every two-level unit by one call,
    so the predicted bits are within step/2 of the budget, step =
    (bits(upper mix) - bits(lower mix)) / N. Run by agn after one round of
    refinement (thresholds recalibrated on the statistics the tuned model
    sees), the measured bits may differ by one more call per unit whose
    input statistic moved across its threshold: within 1.5 steps."""
    plan = tuner.plan("adaptive-uniform", budget)
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
@pytest.mark.parametrize("budget", [5.0, 6.0, 7.5, 12.0, 20.0])
def test_adaptive_plan_runs_within_its_budget(tuner, budget):
    """The adaptive plan predicts at most the budget and no more error than
    the static mix; refined (thresholds placed on the statistics the tuned
    model computes, shares counted there) and run by agn, the bits run are
    within 1.5 steps (one call per two-level unit) of the refined
    prediction."""
    plan = tuner.plan("adaptive", budget)
    static = tuner.plan("static", budget)
    assert plan.predicted_bits <= budget + 1e-9
    assert plan.predicted_error <= static.predicted_error + 1e-15
    refined = tuner.refine(plan, 1)
    measured = tuner.measure(refined)
    assert abs(measured.bits - refined.predicted_bits) <= 1.5 * plan.step + 1e-9
    # The first unit sees the model's input, which no level changes: its
    # calls up are exactly the refined plan's count, and its share as run.
    first = tuner.units[0].node
    if len(refined.policies[first].levels) > 1:
        hi = refined.policies[first].levels[1]
        assert round(measured.shares[first].get(hi, 0.0) * tuner.calls) == \
            refined.detail["calls_up"][first]
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


@requires_compiler
@requires_runtime
def test_run_policies_needs_a_policy_per_unit(tuner):
    """A model measured by its own policies (a fine-tuned one, say) must
    hold one for every unit; the error names the ones it lacks."""
    import agn.tune
    from agn.tune import metadata
    from agn.tune.plans import run_policies

    plan = tuner.plan("static", 8.0)
    last = tuner.units[-1].node
    partial = metadata.write(tuner.probe.proto,
                             {node: p for node, p in plan.policies.items() if node != last},
                             {"version": 1})
    with pytest.raises(agn.tune.TuneError,
                       match=rf"no policy for unit\(s\) {re.escape(last)};"):
        run_policies(partial, tuner.units, tuner.probe.calls[:2])
    measured = run_policies(tuner.write(plan), tuner.units, tuner.probe.calls[:2])
    assert len(measured.outputs) == 2
    assert measured.bits == pytest.approx(plan.predicted_bits)


@requires_compiler
@requires_runtime
def test_unit_times_are_measured_per_level(tuner):
    """Every unit has a positive time at every candidate level; a plan's
    predicted time is its units' times at its shares plus the time outside
    the units."""
    times = tuner.unit_times()
    assert set(times.per_level) == {u.node for u in tuner.units}
    for node, per in times.per_level.items():
        assert set(per) == set(tuner.levels) and all(t > 0 for t in per.values())
    assert times.outside >= 0
    f32 = {u.node: {"f32": 1.0} for u in tuner.units}
    assert times.predict(f32) == pytest.approx(
        (sum(times.per_level[u.node]["f32"] for u in tuner.units) + times.outside) * 1e-6)
    assert all(c >= 1 for per in times.costs().values() for c in per.values())


@requires_compiler
@requires_runtime
@pytest.mark.parametrize("kind", ["uniform", "static", "adaptive"])
def test_latency_plans_fit_their_target(tuner, kind):
    """At a target the all-f32 plan meets, the static and adaptive plans
    lose nothing (error 0); at the fastest plan's time every kind that
    fits predicts at most the target; below it the target is refused."""
    import agn.tune

    times = tuner.unit_times()
    all_f32 = times.predict({u.node: {"f32": 1.0} for u in tuner.units}) + times.slack()
    plan = tuner.plan_latency(kind, all_f32)
    assert plan.for_latency and plan.record(tuner.calls)["budget_ms"] == all_f32
    assert plan.detail["predicted_ms"] <= all_f32 + 1e-12
    if kind != "uniform":
        assert plan.predicted_error == 0.0
    target = times.predict(times.fastest()) + times.slack()
    if kind != "uniform":
        tight = tuner.plan_latency(kind, target)
        assert tight.detail["predicted_ms"] <= target + 1e-12
        # Time steps of 100 ns keep the table exact; the adaptive plan has
        # the static mix among its choices.
        assert tight.detail["knapsack_exact"]
        if kind == "adaptive":
            static = tuner.plan_latency("static", target)
            assert tight.predicted_error <= static.predicted_error + 1e-15
    with pytest.raises(agn.tune.TuneError, match="below the fastest plan"):
        tuner.plan_latency(kind, times.predict(times.fastest()) * 0.5)


@requires_compiler
@requires_runtime
def test_latency_target_rejects_adaptive_uniform_and_bad_values(tuner):
    import agn.tune

    with pytest.raises(agn.tune.TuneError, match="kinds uniform, static, adaptive"):
        tuner.plan_latency("adaptive-uniform", 10.0)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(agn.tune.TuneError, match="positive number of milliseconds"):
            tuner.plan_latency("static", bad)
    with pytest.raises(agn.tune.TuneError, match="give one target"):
        agn.tune.tune("unused.onnx", None, bits=6, latency_ms=1.0)


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
    # A generous latency target: the static plan keeps every unit at f32.
    proc = _cli(model, tmp_path / "calib.npy", "--latency-ms", "1000", "--kind", "static")
    assert proc.returncode == 0, proc.stderr
    assert "static policy for 1000 ms per call: predicted" in proc.stdout
    policies = read_policies(onnx.load(str(tmp_path / "tiny.tuned.onnx")))
    assert all(p.levels == ["f32"] for p in policies.values())


@requires_compiler
@requires_runtime
@pytest.mark.parametrize("case,message", [
    ("low", "outside what agn's levels can give"),
    ("model", "model file .* does not exist"),
    ("calibration", "calibration file .* does not exist"),
    ("shape", "calibration data for input 'x' has shape"),
    ("latency", "latency target must be a positive number"),
    ("both", "not allowed with argument"),
])
def test_cli_rejects_bad_input(tmp_path, case, message):
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
    elif case == "latency":
        args[2:4] = ["--latency-ms", "-2"]
    elif case == "both":
        args += ["--latency-ms", "2"]
    else:
        np.save(calib, np.zeros((8, 3, 5), np.float32))
    proc = _cli(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("agn.tune: error: ") or "agn.tune: error: " in proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
