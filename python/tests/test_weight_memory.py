"""Memory that follows the levels (issue 14, item 4), JIT and AOT.

A three-layer MLP (about 5 MiB of f32 weights, five levels each) runs under a
memory budget of 40 % of its all-f32 weights, then with the budget lifted.
Each mode runs in a process of its own (agn.testing.weight_memory); resident
bytes come from /proc/self/pagemap through the runtime, and Rss from
/proc/self/smaps.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import REPO_DIR

PAGE = os.sysconf("SC_PAGE_SIZE")
# The bound: resident weights within a page per unit of the granted
# levels. agn-place-level-weights starts each level at a 64 KiB boundary
# (Linux's fault-around window), the JIT's constants file keeps that
# alignment, and the AOT library is linked with -z max-page-size=65536 so
# that its segments do too.
JIT_SLACK_PER_UNIT = PAGE
AOT_SLACK_PER_UNIT = PAGE

# The MLP's layers, K x N, by unit name.
SIZES = [256, 1024, 1024, 64]
LAYERS = {f"mlp.fc{i}": (SIZES[i], SIZES[i + 1]) for i in range(3)}
I4_BLOCK = 32  # agn-adaptive-pipeline's default i4-block-size


def host_has_vnni():
    """Whether this CPU has AVX512-VNNI: the JIT and agn-aot (target-cpu
    native) then run i8 and i4 matmuls as agn-vnni-matmuls kernels."""
    with open("/proc/cpuinfo") as cpuinfo:
        return "avx512_vnni" in cpuinfo.read().split()


def vnni_packing_bytes(level, k, n):
    """The bytes agn's VNNI kernels store beside a level's packed K x N
    weights (lib/Codegen/X86/VnniPacking.h), which the target-independent
    cost table does not count: the sign-flip corrections, one i32 per column
    of each 64-column panel (per K block at i4), and the padding of K to
    groups of 4 and of N to whole panels (i8)."""
    columns = -(-n // 64) * 64
    if level == "i8":
        return 4 * columns + (-(-k // 4) * 4 * columns - k * n)
    if level == "i4":
        return 4 * columns * (k // I4_BLOCK) + (k * columns - k * n) // 2
    return 0


def expected_placed(unit):
    """The bytes agn-place-level-weights places per level of `unit`: its
    cost table's, plus the VNNI kernels' packing on CPUs that have them."""
    placed = dict(unit["weight_bytes"])
    if host_has_vnni():
        k, n = LAYERS[unit["name"]]
        for level in placed:
            placed[level] += vnni_packing_bytes(level, k, n)
    return placed


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    rng = np.random.default_rng(0)
    sizes = SIZES
    nodes, inits = [], []
    previous = "x"
    for i in range(3):
        w = (rng.standard_normal((sizes[i], sizes[i + 1])) / np.sqrt(sizes[i])).astype(np.float32)
        b = (rng.standard_normal(sizes[i + 1]) * 0.1).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        out = f"h{i}" if i < 2 else "y"
        nodes.append(helper.make_node("Gemm", [previous, f"w{i}", f"b{i}"], [f"g{i}" if i < 2 else out],
                                      name=f"fc{i}"))
        if i < 2:
            nodes.append(helper.make_node("Relu", [f"g{i}"], [out], name=f"relu{i}"))
        previous = out
    graph = helper.make_graph(nodes, "mlp",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 256])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 64])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path_factory.mktemp("weight-memory") / "mlp.onnx"
    onnx.save(model, str(path))
    return str(path)


def measure(model_path, mode):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(REPO_DIR, "python") + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-m", "agn.testing.weight_memory", model_path, "--mode", mode,
         "--budget-fraction", "0.4"],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def check_follows_levels(report, slack_per_unit):
    free, budget, lifted = report["free"], report["budget"], report["lifted"]
    units = len(free["units"])
    assert units == 3
    slack = slack_per_unit * units
    # No budget: every unit runs at f32, fully resident. (Without a budget
    # the runtime promises nothing about the other levels: it hands them back
    # once, at registration, and pages the kernel maps around later faults
    # may stay.)
    assert all(u["ceiling"] == "f32" for u in free["units"])
    assert free["ceiling_weight_bytes"] == free["all_f32_weight_bytes"]
    for u in free["units"]:
        assert u["resident"]["f32"] == u["placed"]["f32"], u["name"]
    # The compiled code placed exactly the bytes of the cost tables (and,
    # with VNNI kernels, their packing).
    for u in free["units"]:
        assert u["placed"] == expected_placed(u), u["name"]
    # Under the budget: the granted levels fit it, and the resident weights
    # are those of the granted levels.
    assert budget["ceiling_weight_bytes"] <= budget["budget_bytes"] < free["all_f32_weight_bytes"]
    assert budget["ceiling_weight_bytes"] <= budget["resident_weight_bytes"] <= \
        budget["ceiling_weight_bytes"] + slack
    lowered = [u for u in budget["units"] if u["ceiling"] != "f32"]
    assert lowered
    for u in lowered:
        assert u["resident"]["f32"] == 0, u["name"]
    for u in budget["units"]:
        assert u["resident"][u["ceiling"]] == u["placed"][u["ceiling"]], u["name"]
    # Rss of the mappings that hold the weights falls by at least what the
    # resident weights fell by, less the slack.
    # (Those mappings also hold the model's other constants, which the
    # release of a level's last window may take and the next call reads back:
    # up to one fault-around window per unit.)
    window_slack = 64 * 1024 * units
    fell = free["resident_weight_bytes"] - budget["resident_weight_bytes"]
    assert free["smaps_rss"] - budget["smaps_rss"] >= fell - slack - window_slack
    # Lifted: f32 comes back, read from the file, with the same answers.
    for u in lifted["units"]:
        assert u["ceiling"] == "f32"
        assert u["resident"]["f32"] == u["placed"]["f32"], u["name"]
    assert lifted["smaps_rss"] >= budget["smaps_rss"] + free["all_f32_weight_bytes"] \
        - budget["resident_weight_bytes"] - slack - window_slack
    assert report["lifted_equals_free"]


def test_jit_weights_follow_the_granted_levels(mlp):
    check_follows_levels(measure(mlp, "jit"), JIT_SLACK_PER_UNIT)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler to link the AOT library")
def test_aot_weights_follow_the_granted_levels(mlp):
    """A library's constants are a private mapping: the runtime releases its
    pages once /proc/self/smaps shows it holds no private copy (no RELRO)."""
    if not os.path.exists(os.path.join(REPO_DIR, "build", "bin", "agn-aot")):
        pytest.skip("build/bin/agn-aot is not built")
    check_follows_levels(measure(mlp, "aot"), AOT_SLACK_PER_UNIT)
