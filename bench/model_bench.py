#!/usr/bin/env python3
"""Whole models: agn against ONNX Runtime, PyTorch and IREE, in one run.

    scripts/setup.sh --peers        # .venv-peers (ONNX Runtime), .venv-iree
    AGN_LIBRARY_DIR=build/lib PYTHONPATH=python \\
        .venv-peers/bin/python bench/model_bench.py [--threads 2] [--repeat 20]
        [--models resnet18 mobilenet_v2 minilm] [--profile]

For each model (torchvision resnet18 and mobilenet_v2 with random weights,
seed 0, batch 1; the pretrained all-MiniLM-L6-v2 sentence encoder at
sequence 128), exported to ONNX opset 13, it times in the same process and
run, each on --threads threads:

- agn: `f32` (the model as written), `i8` and `i4` (every unit at that
  level: levels=[...] of one level), `adaptive` (levels i8 and f32, the
  default policy);
- ONNX Runtime: `f32`, its dynamic int8 quantization (`quantize_dynamic`,
  QInt8 weights for the encoder; QUInt8 for the CNNs, since ORT's CPU
  ConvInteger has no int8-weight kernel) and, for the encoder, its 4-bit weight-only MatMulNBits
  (`MatMul4BitsQuantizer`, block 32, symmetric), quantized by
  bench/ort_quantize.py in .venv-iree (ORT's tools need a newer onnx than
  Debian's);
- PyTorch: the eager module in f32 (`torch.set_num_threads`);
- IREE: iree-import-onnx, iree-compile for llvm-cpu with
  --iree-llvmcpu-target-cpu=host, the local-task driver (bench/iree_runner.py,
  in .venv-iree; skipped when that environment is missing).

Every time is the median of --repeat calls after --warmup calls, inputs in
memory, outputs copied out. Every configuration's output (the CNNs' logits,
the encoder's sentence embedding) is compared with ONNX Runtime's f32 one (max |y - ref| / max |ref|) and printed: what is
timed is checked, not assumed (the error bounds per level are the
differential harness's, python -m agn.testing.differential). The table gives
each time and its ratio to ORT f32 (> 1: faster than ORT); docs/Benchmarks.md
records one run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IREE_PYTHON = os.path.join(REPO, ".venv-iree", "bin", "python")


# Idle worker threads of every peer may spin for a while after their last
# call (libomp, agn's parallel runtime, for 200 ms; ONNX Runtime's and
# PyTorch's pools too): each configuration waits that long before it starts,
# so that none is timed while another's threads still hold the cores.
SETTLE_S = 0.5


def median_ms(call: Callable[[], object], warmup: int, repeat: int) -> float:
    """The median time of `repeat` calls after `warmup` ones, in ms."""
    time.sleep(SETTLE_S)
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def relative_error(y: np.ndarray, reference: np.ndarray) -> float:
    y, reference = np.asarray(y, np.float64), np.asarray(reference, np.float64)
    scale = float(np.max(np.abs(reference))) or 1.0
    return float(np.max(np.abs(y - reference))) / scale


def export_models(names: Sequence[str], directory: str):
    """{name: (onnx path, inputs, torch module, index of the output to
    compare)} for the models asked."""
    import onnx
    import torch
    import torchvision

    models = {}
    for name in names:
        if name == "minilm":
            from agn.testing import minilm
            encoder = minilm.load(seq_len=128)
            path = os.path.join(directory, "minilm.onnx")
            onnx.save(encoder.model, path)
            models[name] = (path, list(encoder.rows()[0]), encoder.module,
                            minilm.EMBEDDING)
            continue
        torch.manual_seed(0)
        module = getattr(torchvision.models, name)().eval()
        x = torch.randn(1, 3, 224, 224)
        path = os.path.join(directory, f"{name}.onnx")
        with torch.no_grad():
            torch.onnx.export(module, x, path, opset_version=13)
        models[name] = (path, [x.numpy()], module, 0)
    return models


def ort_session(path: str, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # (Its workers spin while idle, its default, as agn's do: median_ms lets
    # them settle before the next configuration.)
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def ort_configs(path: str, name: str, directory: str, threads: int):
    """(label, session) for ORT f32 and, when .venv-iree has ORT's
    quantization tools, its dynamic int8 and, for the encoder, int4."""
    configs = [("ORT f32", ort_session(path, threads))]
    if not os.path.exists(IREE_PYTHON):
        return configs
    int8 = os.path.join(directory, f"{name}.int8.onnx")
    int4 = os.path.join(directory, f"{name}.int4.onnx")
    command = [IREE_PYTHON, os.path.join(REPO, "bench", "ort_quantize.py"), path,
               "--int8", int8]
    if name == "minilm":
        command += ["--int4", int4]
    else:
        command += ["--unsigned-weights"]
    subprocess.run(command, check=True, capture_output=True)
    configs.append(("ORT int8 (dynamic)", ort_session(int8, threads)))
    if name == "minilm":
        configs.append(("ORT int4 (MatMulNBits)", ort_session(int4, threads)))
    return configs


def run_iree(path: str, inputs: Sequence[np.ndarray], directory: str, threads: int,
             warmup: int, repeat: int) -> Optional[Tuple[float, Optional[List[np.ndarray]], str]]:
    if not os.path.exists(IREE_PYTHON):
        return None
    npz, out = os.path.join(directory, "inputs.npz"), os.path.join(directory, "iree_out.npz")
    np.savez(npz, *inputs)
    result = subprocess.run(
        [IREE_PYTHON, os.path.join(REPO, "bench", "iree_runner.py"), path, npz,
         "--threads", str(threads), "--repeat", str(repeat), "--warmup", str(warmup),
         "--out", out], capture_output=True, text=True)
    if result.returncode != 0:
        return (float("nan"), None, "failed: " + result.stderr.strip().splitlines()[-1])
    timing = json.loads(result.stdout.strip().splitlines()[-1])
    outputs = np.load(out)
    return (timing["median_ms"], [outputs[f"arr_{i}"] for i in range(len(outputs.files))],
            f"compile {timing['compile_s']:.1f} s")


def bench_model(name: str, path: str, inputs: List[np.ndarray], module, output: int,
                directory: str, args) -> List[Tuple[str, float, float, str]]:
    """Rows (configuration, median ms, error of output #`output` against ORT
    f32's, note)."""
    import torch

    import agn

    rows = []
    reference = None
    configs = ort_configs(path, name, directory, args.threads)
    while configs:
        # Each session goes once timed: its threads are gone before the next.
        label, session = configs.pop(0)
        feed = {i.name: x for i, x in zip(session.get_inputs(), inputs)}
        y = session.run(None, feed)[output]
        if reference is None:
            reference = y
        rows.append((label, median_ms(lambda: session.run(None, feed), args.warmup,
                                      args.repeat), relative_error(y, reference), ""))

    torch.set_num_threads(args.threads)
    tensors = [torch.from_numpy(x) for x in inputs]
    with torch.inference_mode():
        out = module(*tensors)
        y = (out[output] if isinstance(out, (tuple, list)) else out).numpy()
        rows.append(("PyTorch f32", median_ms(lambda: module(*tensors), args.warmup,
                                              args.repeat), relative_error(y, reference), ""))

    iree = run_iree(path, inputs, directory, args.threads, args.warmup, args.repeat)
    if iree is not None:
        error = relative_error(iree[1][output], reference) if iree[1] else float("nan")
        rows.append(("IREE f32 (llvm-cpu)", iree[0], error, iree[2]))

    agn_configs = [("agn f32", {}), ("agn i8", {"levels": ["i8"]}),
                   ("agn i4", {"levels": ["i4"]}),
                   ("agn adaptive (i8, f32)", {"levels": ["i8", "f32"]})]
    for label, options in agn_configs:
        start = time.perf_counter()
        model = agn.compile(path, name=f"bench_{name}_{len(rows)}", threads=args.threads,
                            profile=args.profile, **options)
        compile_s = time.perf_counter() - start
        out = model(*inputs)
        y = out[output] if isinstance(out, tuple) else out
        note = f"compile {compile_s:.1f} s"
        if args.profile:
            agn.runtime.reset_profile()
        rows.append((label, median_ms(lambda: model(*inputs), args.warmup, args.repeat),
                     relative_error(y, reference), note))
        if args.profile:
            print(f"\n### {name}, {label}\n\n```\n{model.profile()}```\n", flush=True)
        model.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["resnet18", "mobilenet_v2", "minilm"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="also print agn's profile of each configuration (slower)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="agn-model-bench-") as directory:
        models = export_models(args.models, directory)
        print(f"threads {args.threads}, batch 1, median of {args.repeat} calls after "
              f"{args.warmup}; ratio = ORT f32 time / this time (> 1 is faster)\n")
        print("| model | configuration | median ms | vs ORT f32 | error vs ORT f32 | note |")
        print("| --- | --- | ---: | ---: | ---: | --- |")
        for name, (path, inputs, module, output) in models.items():
            rows = bench_model(name, path, inputs, module, output, directory, args)
            base = rows[0][1]
            for label, ms, error, note in rows:
                print(f"| {name} | {label} | {ms:.2f} | {base / ms:.2f}x | {error:.1e} | "
                      f"{note} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
