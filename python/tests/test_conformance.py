"""ONNX's backend node tests for the issue's ops, through agn at f32.

The expected counts are per op: every case passes except those listed as
skipped, with their reasons, by agn.testing.conformance. Held-out model
suites (pytorch-converted, pytorch-operator) must have no failures.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from agn.testing import conformance
from conftest import agn_opt_path, compiler_available, requires_agn_opt

ROOT = conformance.DEFAULT_ROOT
DATA = os.path.dirname(ROOT)

pytestmark = pytest.mark.skipif(not os.path.isdir(ROOT),
                                reason="libonnx-testdata is not installed")

#: op -> (passed, skipped). Skipped: BatchNormalization's two training-mode
#: cases, Identity's optional and sequence cases.
EXPECTED = {
    "MatMul": (3, 0), "Gemm": (11, 0), "Conv": (6, 0), "Relu": (1, 0), "LeakyRelu": (3, 0),
    "Sigmoid": (2, 0), "Tanh": (2, 0), "Add": (3, 0), "Sub": (4, 0), "Mul": (4, 0),
    "Div": (4, 0), "BatchNormalization": (2, 2), "MaxPool": (15, 0), "AveragePool": (13, 0),
    "GlobalAveragePool": (2, 0), "Flatten": (9, 0), "Reshape": (10, 0), "Transpose": (7, 0),
    "Concat": (12, 0), "Softmax": (7, 0), "Identity": (1, 2), "Constant": (1, 0),
}

#: The ops with many cases run only with the slow marker.
HEAVY = {"MaxPool", "AveragePool", "Gemm", "Concat", "Reshape", "Flatten"}


def _backend() -> str:
    backend = os.environ.get("AGN_CONFORMANCE_BACKEND", "agn")
    if backend == "agn" and not compiler_available():
        pytest.skip("libAGNCAPI.so is not built (AGN_CONFORMANCE_BACKEND=upstream runs the "
                    "cases without agn's compiler)")
    return backend


def _report(results) -> str:
    return "\n".join(f"{r.case.name}: {r.status} {r.reason}" for r in results)


@pytest.mark.parametrize("op", [pytest.param(op, marks=pytest.mark.slow) if op in HEAVY else op
                                for op in conformance.OPS])
def test_node_conformance(op):
    backend = _backend()
    results = conformance.run_all(ROOT, [op], backend)
    counts = conformance.summarize(results)[op]
    assert counts["failed"] == 0, _report(results)
    assert (counts["passed"], counts["skipped"]) == EXPECTED[op], _report(results)
    for r in results:
        if r.status == "skipped":
            assert r.reason


def test_every_case_is_accounted_for():
    cases = conformance.discover(ROOT)
    assert len(cases) == sum(p + s for p, s in EXPECTED.values())


@requires_agn_opt
def test_imported_node_tests_verify_with_agn_opt(tmp_path):
    """Every non-skipped case imports to IR that agn-opt parses and verifies
    (no compiler library needed)."""
    from agn.onnx import ImportOptions, import_model

    failures = []
    for case in conformance.discover(ROOT):
        if conformance.skip_reason(case):
            continue
        inputs, _ = conformance.data_sets(case)[0]
        static = conformance.static_inputs(case, inputs)
        names = conformance._fed_inputs(case)
        shapes = {n: a.shape for n, a in zip(names, inputs) if n not in static}
        text = import_model(case.model, ImportOptions(input_shapes=shapes,
                                                      static_inputs=static)).mlir
        proc = subprocess.run([agn_opt_path(), "-o", os.devnull], input=text, text=True,
                              capture_output=True)
        if proc.returncode:
            failures.append(f"{case.name}: {proc.stderr[:300]}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("suite", ["pytorch-converted", "pytorch-operator"])
def test_held_out_model_suites(suite):
    """Models exported by PyTorch that these tests were not written for: every
    one whose ops the importer supports matches ONNX's expected outputs."""
    backend = _backend()
    results = conformance.run_all(os.path.join(DATA, suite), conformance.OPS, backend,
                                  whole_models=True)
    assert not [r for r in results if r.status == "failed"], _report(results)
    assert sum(r.status == "passed" for r in results) >= (80 if suite == "pytorch-converted"
                                                          else 33)


@pytest.mark.slow
def test_more_ops_fail_only_by_refusing():
    """The node tests of the ops the importer supports beyond the issue's
    list: a case may be refused at import with a clear message (bfloat16,
    strings, training-mode Dropout, ...), but never give wrong numbers or
    fail to compile."""
    from agn.onnx import supported_ops

    backend = _backend()
    extra = [op for op in supported_ops() if op not in conformance.OPS]
    results = conformance.run_all(ROOT, extra, backend)
    bad = [r for r in results if r.status == "failed" and not r.reason.startswith("import:")]
    assert not bad, _report(bad)
    assert sum(r.status == "passed" for r in results) >= 310


#: Ops beyond the issue's list whose every node test passes, with the count.
COMPLETE = {"ReduceL1": 8, "ReduceL2": 8, "ReduceSumSquare": 8, "ReduceLogSum": 5,
            "ReduceLogSumExp": 8, "Upsample": 1}


@pytest.mark.parametrize("op", sorted(COMPLETE))
def test_complete_ops(op):
    """The reductions sentence embeddings end with (ReduceL2 is
    F.normalize's norm) and Upsample: every node test passes."""
    backend = _backend()
    results = conformance.run_all(ROOT, [op], backend)
    assert [r.status for r in results] == ["passed"] * COMPLETE[op], _report(results)
