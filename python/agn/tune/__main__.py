"""`python3 -m agn.tune MODEL.onnx CALIB.np[yz] (--bits B | --latency-ms T) [-o OUT.onnx]`.

Measures the model with agn on the calibration inputs, makes the policy
of `--kind` (uniform, static, adaptive, adaptive-uniform) for B mean bits
per MAC or for T milliseconds per call (each unit timed at each level;
kinds uniform, static, adaptive), writes the model with the policies in its ONNX metadata (default
`MODEL.tuned.onnx`), and prints the plan: per unit its MACs, levels,
threshold and predicted share of calls per level. Exit status 0 on
success, 2 on bad input (with the reason on stderr).

Calibration inputs: a .npy array (models with one input; its first axis
indexes the calls) or a .npz archive with one such array per input name.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

import numpy as np


def _load_calibration(path: str):
    if not os.path.exists(path):
        raise FileNotFoundError(f"calibration file '{path}' does not exist; give a .npy array "
                                "(one input) or a .npz archive (an array per input name)")
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:  # ValueError, OSError, zipfile errors
        raise ValueError(f"cannot read calibration file '{path}' as .npy or .npz: {exc}") \
            from None
    if isinstance(data, np.lib.npyio.NpzFile):
        return {key: data[key] for key in data.files}
    return data


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command; returns the exit status."""
    from agn.tune.plans import DEFAULT_LEVELS, KINDS

    parser = argparse.ArgumentParser(prog="python3 -m agn.tune",
                                     description=__doc__.split("\n\n")[1])
    parser.add_argument("model", help="the ONNX model")
    parser.add_argument("calibration", help=".npy (one input) or .npz (by input name)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--bits", type=float, help="budget: mean bits per MAC (4 to 32)")
    target.add_argument("--latency-ms", type=float,
                        help="target: milliseconds per call (measured per unit and level)")
    parser.add_argument("--kind", default="adaptive", choices=KINDS, help="policy kind")
    parser.add_argument("--levels", default=",".join(DEFAULT_LEVELS),
                        help="candidate levels, increasing, f32 among them")
    parser.add_argument("--output-index", type=int, action="append", default=None,
                        help="model output the error counts (repeatable; default all)")
    parser.add_argument("--refine", type=int, default=1,
                        help="rounds of threshold recalibration on the tuned model")
    parser.add_argument("-o", "--out", help="the tuned model (default MODEL.tuned.onnx)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    from agn.tune import TuneError, check_latency, tune
    from agn.tune.cost import check_budget

    def fail(message: str) -> int:
        print(f"agn.tune: error: {message}", file=sys.stderr)
        return 2

    if args.bits is not None:
        try:
            check_budget(args.bits)
        except ValueError as exc:
            return fail(str(exc))
    else:
        try:
            check_latency(args.latency_ms, args.kind)
        except TuneError as exc:
            return fail(f"--latency-ms: {exc}")
    if not os.path.exists(args.model):
        return fail(f"model file '{args.model}' does not exist")
    try:
        calibration = _load_calibration(args.calibration)
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    out = args.out or os.path.splitext(args.model)[0] + ".tuned.onnx"
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    from agn.onnx import OnnxImportError

    try:
        result = tune(args.model, calibration, args.bits, kind=args.kind, out=out,
                      levels=[lv for lv in args.levels.split(",") if lv],
                      output=args.output_index, refine=args.refine, progress=progress,
                      latency_ms=args.latency_ms)
    except (TuneError, OnnxImportError) as exc:
        return fail(str(exc))
    plan = result.plan
    if plan.for_latency:
        print(f"{plan.kind} policy for {plan.budget:g} ms per call: predicted "
              f"{plan.detail['predicted_ms']:.4g} ms and {plan.predicted_bits:.3f} mean bits per "
              f"MAC on the calibration inputs, summed sensitivity {plan.predicted_error:.3g}")
    else:
        print(f"{plan.kind} policy for {plan.budget:g} mean bits per MAC: predicted "
              f"{plan.predicted_bits:.3f} bits on the calibration inputs, summed sensitivity "
              f"{plan.predicted_error:.3g}")
    print(f"{'node':40} {'levels':>14} {'threshold':>11}  shares")
    for node, policy in plan.policies.items():
        threshold = f"{policy.thresholds[0]:.4g}" if policy.thresholds else "-"
        shares = ", ".join(f"{lv} {100 * s:.0f}%" for lv, s in plan.shares[node].items())
        print(f"{node:40} {'/'.join(policy.levels):>14} {threshold:>11}  {shares}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
