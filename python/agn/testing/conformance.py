"""ONNX's backend node tests for the ops agn imports, run through agn.

Each case under `/usr/share/libonnx-testdata/data/node/test_*` (Debian's
`libonnx-testdata`) whose model is a single node of a supported op type is
imported, compiled at f32 (no agn passes), run on every `test_data_set_*`,
and compared with the expected outputs within the backend tests' own
tolerances (rtol=1e-3, atol=1e-7). Cases that test something outside the
importer's scope are reported as skipped with the reason, never dropped.

    python3 -m agn.testing.conformance                 # all ops, agn backend
    python3 -m agn.testing.conformance --op Conv -v    # one op, details
    python3 -m agn.testing.conformance --backend upstream   # no agn compiler
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_ROOT = "/usr/share/libonnx-testdata/data/node"

#: The op types issue 6 lists, in its order (the importer supports more:
#: `agn.onnx.supported_ops()`; `--op` runs any of them).
OPS = ("MatMul", "Gemm", "Conv", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Add", "Sub",
       "Mul", "Div", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool",
       "Flatten", "Reshape", "Transpose", "Concat", "Softmax", "Identity", "Constant")

RTOL, ATOL = 1e-3, 1e-7

Runner = Callable[..., Tuple[np.ndarray, ...]]


@dataclass
class Case:
    """One backend node test."""

    name: str
    path: str
    op: str
    model: onnx.ModelProto = field(repr=False)


@dataclass
class CaseResult:
    """The outcome of one case: passed, failed or skipped, and why."""

    case: Case
    status: str
    reason: str = ""
    seconds: float = 0.0


def discover(root: str = DEFAULT_ROOT, ops: Sequence[str] = OPS,
             whole_models: bool = False) -> List[Case]:
    """The cases under `root`, sorted by name: node tests whose model is one
    node of an op in `ops`, or (`whole_models`, for the model suites such as
    `pytorch-converted`) every model, filed under its first op in `ops`."""
    cases = []
    for path in sorted(glob.glob(os.path.join(root, "test_*"))):
        model_path = os.path.join(path, "model.onnx")
        if not os.path.exists(model_path):
            continue
        model = onnx.load(model_path)
        types = [node.op_type for node in model.graph.node]
        if whole_models:
            op = next((t for t in types if t in ops), types[0] if types else "none")
            cases.append(Case(os.path.basename(path), path, op, model))
        elif len(types) == 1 and types[0] in ops:
            cases.append(Case(os.path.basename(path), path, types[0], model))
    return cases


def skip_reason(case: Case) -> Optional[str]:
    """Why `case` is outside the importer's scope, or None."""
    from agn.onnx import supported_ops

    missing = sorted({n.op_type for n in case.model.graph.node} - set(supported_ops()))
    if missing:
        return f"uses ops the importer does not support: {', '.join(missing)}"
    for inp in case.model.graph.input:
        kind = inp.type.WhichOneof("value")
        if kind != "tensor_type":
            return f"input '{inp.name}' has {kind.replace('_type', '')} type, not a tensor type"
    node = case.model.graph.node[0]
    if node.op_type == "BatchNormalization":
        training = any(a.name == "training_mode" and a.i for a in node.attribute)
        if training or len([o for o in node.output if o]) > 1:
            return "BatchNormalization in training mode (the issue lists inference only)"
    return None


def _read_tensor(path: str) -> np.ndarray:
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def data_sets(case: Case) -> List[Tuple[List[np.ndarray], List[np.ndarray]]]:
    """(inputs, expected outputs) of every test_data_set_* of `case`."""
    sets = []
    n_in, n_out = len(_fed_inputs(case)), len(case.model.graph.output)
    for directory in sorted(glob.glob(os.path.join(case.path, "test_data_set_*"))):
        inputs = [_read_tensor(os.path.join(directory, f"input_{i}.pb")) for i in range(n_in)]
        outputs = [_read_tensor(os.path.join(directory, f"output_{i}.pb"))
                   for i in range(n_out)]
        sets.append((inputs, outputs))
    return sets


def _fed_inputs(case: Case) -> List[str]:
    """The graph inputs the data sets feed: those without an initializer
    (older models list their initializers as inputs too)."""
    initialized = {init.name for init in case.model.graph.initializer}
    return [i.name for i in case.model.graph.input if i.name not in initialized]


#: Operands that shape the result (target shapes, axes, slice bounds, pad
#: amounts, Resize's scales and sizes, Upsample's scales, Range's bounds),
#: by op type and input position, and ConvTranspose's weights (rearranged
#: into a convolution kernel at import): the importer needs them as
#: constants, and the node tests feed them as graph inputs.
PARAMETER_INPUTS = {"Reshape": (1,), "Unsqueeze": (1,), "Squeeze": (1,), "Expand": (1,),
                    "Slice": (1, 2, 3, 4), "Pad": (1, 2, 3), "Split": (1,), "Tile": (1,),
                    "ReduceSum": (1,), "ReduceMean": (1,), "ReduceMax": (1,),
                    "ReduceMin": (1,), "ReduceL1": (1,), "ReduceL2": (1,),
                    "ReduceSumSquare": (1,), "ReduceLogSum": (1,), "ReduceLogSumExp": (1,),
                    "Upsample": (1,),
                    "ConstantOfShape": (0,), "Resize": (1, 2, 3), "Range": (0, 1, 2),
                    "ConvTranspose": (1,)}


def static_inputs(case: Case, inputs: Sequence[np.ndarray]) -> Dict[str, np.ndarray]:
    """Graph inputs to bind as constants: the shape-giving operands in
    PARAMETER_INPUTS (ONNX Runtime constant-folds them the same way when they
    are initializers)."""
    names = _fed_inputs(case)
    static = {}
    for node in case.model.graph.node:
        for index in PARAMETER_INPUTS.get(node.op_type, ()):
            if index < len(node.input) and node.input[index] in names:
                static[node.input[index]] = inputs[names.index(node.input[index])]
    return static


def _compile(text: str, backend: str) -> Runner:
    if backend == "upstream":
        from agn.testing.upstream import compile_upstream

        return compile_upstream(text)
    from agn.compiler import compile_mlir

    return compile_mlir(text).run


def run_case(case: Case, backend: str = "agn") -> CaseResult:
    """Imports, compiles and runs `case`; compares every data set."""
    from agn.onnx import ImportOptions, OnnxImportError, import_model

    start = time.perf_counter()
    reason = skip_reason(case)
    if reason:
        return CaseResult(case, "skipped", reason)
    try:
        sets = data_sets(case)
        names = _fed_inputs(case)
        runner: Optional[Runner] = None
        for inputs, expected in sets:
            static = static_inputs(case, inputs)
            shapes = {n: a.shape for n, a in zip(names, inputs) if n not in static}
            if runner is None:
                imported = import_model(case.model, ImportOptions(
                    input_shapes=shapes, static_inputs=static, name=case.name))
                runner = _compile(imported.mlir, backend)
            args = [a.view(np.int8) if a.dtype == np.uint8 else a
                    for n, a in zip(names, inputs) if n not in static]
            results = runner(*args)
            if len(results) != len(expected):
                raise AssertionError(f"{len(results)} results, expected {len(expected)}")
            for i, (got, want) in enumerate(zip(results, expected)):
                if want.dtype == np.uint8:
                    got = got.view(np.uint8)
                if got.shape != want.shape:
                    raise AssertionError(f"output {i} has shape {got.shape}, expected "
                                         f"{want.shape}")
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                           err_msg=f"output {i}")
    except OnnxImportError as exc:
        return CaseResult(case, "failed", f"import: {exc}", time.perf_counter() - start)
    except AssertionError as exc:
        first = " ".join(str(exc).split())[:300]
        return CaseResult(case, "failed", f"mismatch: {first}", time.perf_counter() - start)
    except Exception as exc:  # compile or run errors: report, keep going
        first = " ".join(str(exc).split())[:300]
        return CaseResult(case, "failed", f"{type(exc).__name__}: {first}",
                          time.perf_counter() - start)
    return CaseResult(case, "passed", seconds=time.perf_counter() - start)


def run_all(root: str = DEFAULT_ROOT, ops: Sequence[str] = OPS, backend: str = "agn",
            progress: Optional[Callable[[CaseResult], None]] = None,
            whole_models: bool = False) -> List[CaseResult]:
    """Runs every case of `ops` (see `discover`)."""
    results = []
    for case in discover(root, ops, whole_models):
        result = run_case(case, backend)
        if progress:
            progress(result)
        results.append(result)
    return results


def summarize(results: Sequence[CaseResult]) -> "OrderedDict[str, Dict[str, int]]":
    """Counts per op: {"Conv": {"passed": 6, "skipped": 0, "failed": 0}}."""
    table: "OrderedDict[str, Dict[str, int]]" = OrderedDict(
        (op, {"passed": 0, "skipped": 0, "failed": 0}) for op in OPS)
    for r in results:
        table.setdefault(r.case.op, {"passed": 0, "skipped": 0, "failed": 0})
        table[r.case.op][r.status] += 1
    return table


def format_report(results: Sequence[CaseResult]) -> str:
    """The per-op table followed by every skipped and failed case."""
    lines = [f"{'op':<20}{'passed':>8}{'skipped':>9}{'failed':>8}"]
    total = {"passed": 0, "skipped": 0, "failed": 0}
    for op, counts in summarize(results).items():
        if not any(counts.values()):
            continue
        lines.append(f"{op:<20}{counts['passed']:>8}{counts['skipped']:>9}"
                     f"{counts['failed']:>8}")
        for key in total:
            total[key] += counts[key]
    lines.append(f"{'total':<20}{total['passed']:>8}{total['skipped']:>9}{total['failed']:>8}")
    for status in ("skipped", "failed"):
        chosen = [r for r in results if r.status == status]
        if chosen:
            lines.append("")
            lines.append(f"{status}:")
            lines.extend(f"  {r.case.name}: {r.reason}" for r in chosen)
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: runs the cases, prints the report; exit 1 on a failure."""
    parser = argparse.ArgumentParser(prog="python3 -m agn.testing.conformance",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=DEFAULT_ROOT, help="the node tests' directory")
    parser.add_argument("--models", action="store_true",
                        help="--root holds whole models (e.g. .../data/pytorch-converted): "
                             "run every one")
    parser.add_argument("--op", action="append", default=None, help="only this op type")
    parser.add_argument("--backend", choices=("agn", "upstream"), default="agn",
                        help="agn's compiler (default) or upstream MLIR + clang")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.root):
        print(f"no ONNX node tests at {args.root} (install libonnx-testdata)", file=sys.stderr)
        return 2
    if args.backend == "agn":
        from agn import _library

        try:
            _library.find_library(_library.COMPILER_LIBRARY)
        except _library.LibraryNotFoundError as exc:
            print(f"agn.testing.conformance: {exc}", file=sys.stderr)
            return 2

    def progress(result: CaseResult) -> None:
        if args.verbose:
            print(f"{result.status:>8} {result.case.name} ({result.seconds:.2f}s) "
                  f"{result.reason}", flush=True)

    results = run_all(args.root, args.op or OPS, args.backend, progress, args.models)
    print(format_report(results))
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
