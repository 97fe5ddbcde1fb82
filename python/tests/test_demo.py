"""The digits demo, small: it trains, exports, compiles, prints its table
and saves the plot."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import PYTHON_DIR, requires_compiler

pytest.importorskip("torch")
pytest.importorskip("sklearn")


def _demo(tmp_path, *extra):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.run([sys.executable, "-m", "agn.demo", "--lambdas", "0,0.3",
                           "--epochs", "4", "--finetune-epochs", "2", "--out", str(tmp_path),
                           *extra], capture_output=True, text=True, env=env, timeout=600)


def _check(tmp_path, proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "acc f32" in proc.stdout and "bits/MAC" in proc.stdout
    assert (tmp_path / "accuracy_vs_bits.png").stat().st_size > 10000
    rows = json.loads((tmp_path / "results.json").read_text())
    assert [r["lambda"] for r in rows] == [0.0, 0.3]
    # The penalty lowers the bits the controllers choose.
    assert rows[1]["sim_bits"] < rows[0]["sim_bits"]
    return rows


def test_demo_simulated(tmp_path):
    _check(tmp_path, _demo(tmp_path, "--simulate-only"))


@requires_compiler
def test_demo_with_agn(tmp_path):
    rows = _check(tmp_path, _demo(tmp_path))
    for row in rows:
        assert 0.5 < row["acc_f32"] <= 1.0 and 4.0 <= row["bits"] <= 32.0
        assert abs(sum(row["shares"].values()) - 1.0) < 1e-6
        assert row["kib_f32"] >= row["kib_adaptive"] > 0
