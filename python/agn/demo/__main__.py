"""`python3 -m agn.demo`: adaptive granularity on scikit-learn's digits.

Trains a small CNN whose layers are Granularity Units, first at f32, then
fine-tuned with the granularity penalty for each lambda of a sweep
(lambda = 0 is training without the penalty), exports each model to ONNX
with its learned policies, compiles it with agn (plain f32, and adaptive),
runs the test split one sample per call, and prints per lambda: accuracy at
f32 and adaptive, mean bits per MAC, share of calls per level, weight memory
and latency. Saves a plot of accuracy against mean bits
(`build/demo/accuracy_vs_bits.png`) and the numbers (`results.json`).

`--simulate-only` skips agn and reports PyTorch's simulation of the same
decisions (for machines without agn's compiler library).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence

DEFAULT_LAMBDAS = (0.0, 0.001, 0.002, 0.005, 0.01, 0.03, 0.1, 1.0)


def _default_out() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "build", "demo"))


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.rjust(w) for c, w in zip(cells, widths))


def format_table(rows: List[Dict], levels: Sequence[str]) -> str:
    """The demo's table, one row per lambda."""
    header = ["lambda", "acc f32", "acc adapt", "bits/MAC"] + [f"%{lv}" for lv in levels] + [
        "weights KiB f32", "adaptive", "latency ms f32", "adaptive"]
    widths = [max(len(h), 7) for h in header]
    lines = [_row(header, widths)]
    for r in rows:
        cells = [f"{r['lambda']:g}", f"{100 * r['acc_f32']:.2f}", f"{100 * r['acc_adaptive']:.2f}",
                 f"{r['bits']:.2f}"]
        cells += [f"{100 * r['shares'].get(lv, 0.0):.1f}" for lv in levels]
        cells += [f"{r['kib_f32']:.1f}" if r["kib_f32"] is not None else "-",
                  f"{r['kib_adaptive']:.1f}" if r["kib_adaptive"] is not None else "-",
                  f"{r['ms_f32']:.3f}" if r["ms_f32"] is not None else "-",
                  f"{r['ms_adaptive']:.3f}" if r["ms_adaptive"] is not None else "-"]
        lines.append(_row(cells, widths))
    return "\n".join(lines)


def plot(rows: List[Dict], baseline: float, path: str, source: str) -> None:
    """Accuracy against mean bits per MAC, one marker per lambda, with the
    f32 baseline and the aim's region (under 8 bits, within 1 point)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    top = 100 * baseline
    ax.fill_between([3.5, 8], top - 1, 101, color="tab:green", alpha=0.08,
                    label="aim: < 8 bits, within 1 point of f32")
    ax.axhline(top, color="tab:green", linestyle="--",
               label=f"f32, no penalty ({top:.2f}%)")
    ax.axhline(top - 1, color="tab:green", linestyle=":", linewidth=1)
    ax.axvline(8, color="tab:red", linestyle=":", linewidth=1)
    colors = plt.cm.viridis([i / max(len(rows) - 1, 1) for i in range(len(rows))])
    markers = "osD^vP*X"
    for i, r in enumerate(rows):
        ax.scatter(r["bits"], 100 * r["acc_adaptive"], s=60, color=colors[i],
                   marker=markers[i % len(markers)], edgecolors="black", linewidths=0.5,
                   label=f"λ = {r['lambda']:g}", zorder=3)
    ax.set_xscale("log", base=2)
    ax.set_xticks([4, 8, 16, 32])
    ax.set_xticklabels(["4", "8", "16", "32"])
    ax.set_xlim(3.5, 36)
    acc = [100 * r["acc_adaptive"] for r in rows]
    ax.set_ylim(max(0.0, min(acc + [top - 1]) - 1.5), min(100.5, max(acc + [top]) + 1.5))
    ax.set_xlabel("mean bits per MAC (test split, one sample per call)")
    ax.set_ylabel("test accuracy, adaptive (%)")
    ax.set_title(f"digits CNN: accuracy against precision over a sweep of λ ({source})",
                 fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the demo; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python3 -m agn.demo",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--lambdas", default=",".join(f"{v:g}" for v in DEFAULT_LAMBDAS),
                        help="comma-separated penalty weights (0: no penalty)")
    parser.add_argument("--epochs", type=int, default=20, help="f32 pre-training epochs")
    parser.add_argument("--finetune-epochs", type=int, default=8,
                        help="epochs with the controllers, per lambda")
    parser.add_argument("--out", default=_default_out(), help="output directory")
    parser.add_argument("--simulate-only", action="store_true",
                        help="skip agn; report PyTorch's simulation")
    args = parser.parse_args(argv)
    lambdas = [float(v) for v in args.lambdas.split(",") if v.strip()]

    import torch

    torch.set_num_threads(1)
    from agn.demo.train import (DEMO_LEVELS, accuracy_at, finetune, load_digits, pretrain,
                                simulate)
    from agn.training import export_onnx

    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    data = load_digits()
    print(f"digits: {len(data.x_train)} train, {len(data.x_test)} test images (8x8)")
    base = pretrain(data, epochs=args.epochs)
    print(f"pre-trained at f32 in {time.perf_counter() - start:.1f}s: test accuracy "
          f"{100 * accuracy_at(base, data, 'f32'):.2f}%")

    x_test = data.x_test.numpy()
    y_test = data.y_test.numpy()
    rows: List[Dict] = []
    notes: List[str] = []
    for index, lam in enumerate(lambdas):
        model = finetune(base, data, lam, epochs=args.finetune_epochs)
        sim_acc, sim_bits, sim_shares = simulate(model, data)
        name = f"digits_l{index}"
        path = os.path.join(args.out, f"{name}.onnx")
        export_onnx(model, data.x_test[:1], path, graph_name=name)
        row = {"lambda": lam, "onnx": path, "sim_acc": sim_acc, "sim_bits": sim_bits,
               "sim_shares": sim_shares, "sim_acc_f32": accuracy_at(model, data, "f32")}
        if args.simulate_only:
            row.update(acc_f32=row["sim_acc_f32"], acc_adaptive=sim_acc, bits=sim_bits,
                       shares=sim_shares, kib_f32=None, kib_adaptive=None, ms_f32=None,
                       ms_adaptive=None)
        else:
            from agn.demo.evaluate import evaluate_with_agn

            result = evaluate_with_agn(path, name, x_test, y_test, DEMO_LEVELS)
            notes.extend(result.notes)
            row.update(acc_f32=result.accuracy_f32, acc_adaptive=result.accuracy_adaptive,
                       bits=result.mean_bits, shares=result.shares,
                       kib_f32=result.weight_bytes_f32 / 1024,
                       kib_adaptive=result.weight_bytes_adaptive / 1024,
                       kib_stored=result.weight_bytes_stored / 1024,
                       ms_f32=result.latency_f32_ms, ms_adaptive=result.latency_adaptive_ms,
                       agn=asdict(result))
        rows.append(row)
        print(f"  lambda {lam:g}: trained and measured ({time.perf_counter() - start:.0f}s)",
              flush=True)

    source = "PyTorch simulation" if args.simulate_only else "agn"
    print()
    print(f"Test split, one sample per call ({source}); shares are of all unit calls:")
    print(format_table(rows, DEMO_LEVELS))
    baseline = rows[0]["acc_f32"] if rows else 0.0
    good = [r for r in rows if r["bits"] < 8 and r["acc_adaptive"] >= baseline - 0.01]
    print()
    if good:
        best = min(good, key=lambda r: r["bits"])
        print(f"Aim met: lambda {best['lambda']:g} runs at {best['bits']:.2f} bits per MAC with "
              f"{100 * best['acc_adaptive']:.2f}% against {100 * baseline:.2f}% at f32 "
              "without the penalty.")
    else:
        print("Aim not met: no lambda stays within 1 point of f32 under 8 bits per MAC.")
    if not args.simulate_only and rows:
        same = [r for r in rows if abs(r["bits"] - r["sim_bits"]) < 1e-6
                and abs(r["acc_adaptive"] - r["sim_acc"]) < 1e-6]
        print(f"agn's per-call decisions and accuracy equal PyTorch's simulation (same mean "
              f"bits, same accuracy) for {len(same)} of {len(rows)} models.")
    for note in notes:
        print(f"note: {note}")
    png = os.path.join(args.out, "accuracy_vs_bits.png")
    plot(rows, baseline, png, source)
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2, default=float)
    print(f"Plot: {png}")
    print(f"Numbers: {os.path.join(args.out, 'results.json')}; models: {args.out}/digits_l*.onnx")
    print(f"Total {time.perf_counter() - start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
