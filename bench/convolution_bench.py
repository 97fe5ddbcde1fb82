#!/usr/bin/env python3
"""Times agn's f32 2-D convolutions against PyTorch's, in the same run.

    PATH=build/bin:$PATH /usr/bin/python3 bench/convolution_bench.py [--repeat N]

For each convolution (NCHW/FCHW, grouped ones NGCHW/GFCHW, as agn's ONNX
importer writes them) it times, one thread each:

- `agn`: the module compiled by agn-run (agn-lower-to-llvm-pipeline), whose
  static shapes go through agn-vectorize-convolutions (an im2col copy and a
  vectorized matmul per image and group);
- `agn scalar`: the same convolution with a dynamic batch size (in the
  function's signature), which the pass leaves alone (linalg's loops,
  vectorized by LLVM where it can): the code before
  agn-vectorize-convolutions;
- `torch`: torch.nn.functional.conv2d with torch.set_num_threads(1).

agn-run reports the median of `--repeat` calls (the JIT code and its
allocations, inputs already in memory, the result copied out; agn-run keeps
freed memory in glibc's heap, so that calls do not page-fault fresh
buffers); PyTorch's time is the median of as many calls after one warm-up. Results are checked against each other (relative error < 1e-4).
Prints a Markdown table; docs/Benchmarks.md records one run.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

# (N, C, H, W, F, KH, KW, stride, groups): ResNet-like 3x3 layers, a 7x7
# stride-2 first layer, a 1x1 layer, MobileNet-like depthwise 3x3 layers
# (groups = C) and a ResNeXt-like grouped 3x3 layer (32 groups).
CASES = [
    (1, 64, 58, 58, 64, 3, 3, 1, 1),
    (1, 128, 30, 30, 128, 3, 3, 1, 1),
    (1, 3, 69, 69, 64, 7, 7, 2, 1),
    (1, 256, 14, 14, 256, 1, 1, 1, 1),
    (1, 32, 114, 114, 32, 3, 3, 1, 32),
    (1, 256, 30, 30, 256, 3, 3, 2, 256),
    (1, 128, 30, 30, 128, 3, 3, 1, 32),
]


def module(case, dynamic_batch):
    """The convolution as agn's importer writes it: conv_2d_nchw_fchw, or for
    groups > 1 conv_2d_ngchw_gfchw between reshapes to and from groups."""
    n, c, h, w, f, kh, kw, s, g = case
    oh, ow = (h - kh) // s + 1, (w - kw) // s + 1
    batch = "?" if dynamic_batch else str(n)
    x, wt = f"tensor<{batch}x{c}x{h}x{w}xf32>", f"tensor<{f}x{c // g}x{kh}x{kw}xf32>"
    y = f"tensor<{batch}x{f}x{oh}x{ow}xf32>"
    lines = [f"func.func @conv(%x: {x}, %w: {wt}) -> {y} {{",
             "  %zero = arith.constant 0.0 : f32"]
    sizes = "%n" if dynamic_batch else str(n)
    if dynamic_batch:
        lines += ["  %c0 = arith.constant 0 : index", f"  %n = tensor.dim %x, %c0 : {x}"]
    window = ("{dilations = dense<1> : tensor<2xi64>, "
              f"strides = dense<{s}> : tensor<2xi64>}}")
    if g == 1:
        lines += [f"  %e = tensor.empty({'%n' if dynamic_batch else ''}) : {y}",
                  f"  %z = linalg.fill ins(%zero : f32) outs(%e : {y}) -> {y}",
                  f"  %r = linalg.conv_2d_nchw_fchw {window} ins(%x, %w : {x}, {wt}) "
                  f"outs(%z : {y}) -> {y}"]
    else:
        xg = f"tensor<{batch}x{g}x{c // g}x{h}x{w}xf32>"
        wg = f"tensor<{g}x{f // g}x{c // g}x{kh}x{kw}xf32>"
        yg = f"tensor<{batch}x{g}x{f // g}x{oh}x{ow}xf32>"
        lines += [f"  %xg = tensor.expand_shape %x [[0], [1, 2], [3], [4]] output_shape "
                  f"[{sizes}, {g}, {c // g}, {h}, {w}] : {x} into {xg}",
                  f"  %wg = tensor.expand_shape %w [[0, 1], [2], [3], [4]] output_shape "
                  f"[{g}, {f // g}, {c // g}, {kh}, {kw}] : {wt} into {wg}",
                  f"  %e = tensor.empty({'%n' if dynamic_batch else ''}) : {yg}",
                  f"  %z = linalg.fill ins(%zero : f32) outs(%e : {yg}) -> {yg}",
                  f"  %rg = linalg.conv_2d_ngchw_gfchw {window} ins(%xg, %wg : {xg}, {wg}) "
                  f"outs(%z : {yg}) -> {yg}",
                  f"  %r = tensor.collapse_shape %rg [[0], [1, 2], [3], [4]] : {yg} into {y}"]
    lines += [f"  return %r : {y}", "}", ""]
    return "\n".join(lines)


def time_agn(case, dynamic_batch, directory, repeat):
    path = os.path.join(directory, "conv.mlir")
    with open(path, "w") as out:
        out.write(module(case, dynamic_batch))
    result = subprocess.run(
        ["agn-run", path, f"--repeat={repeat}", "-i", os.path.join(directory, "x.npy"),
         "-i", os.path.join(directory, "w.npy"), "-o", os.path.join(directory, "y.npy")],
        check=True, capture_output=True, text=True)
    median = float(re.search(r"median ([0-9.]+) ms", result.stdout).group(1))
    return median, np.load(os.path.join(directory, "y.npy"))


def time_torch(x, w, stride, groups, repeat):
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    with torch.no_grad():
        y = torch.nn.functional.conv2d(xt, wt, stride=stride, groups=groups)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            y = torch.nn.functional.conv2d(xt, wt, stride=stride, groups=groups)
            times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times)), y.numpy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print("| N C H W F KH KW stride groups | GFLOP | agn ms | agn scalar ms | torch ms "
          "| agn GFLOP/s | agn vs scalar | agn vs torch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as directory:
        for case in CASES:
            n, c, h, w, f, kh, kw, s, g = case
            x = rng.standard_normal((n, c, h, w)).astype(np.float32)
            wt = rng.standard_normal((f, c // g, kh, kw)).astype(np.float32)
            np.save(os.path.join(directory, "x.npy"), x)
            np.save(os.path.join(directory, "w.npy"), wt)
            agn_ms, y = time_agn(case, False, directory, args.repeat)
            scalar_ms, y_scalar = time_agn(case, True, directory, args.repeat)
            torch_ms, y_torch = time_torch(x, wt, s, g, args.repeat)
            scale = float(np.abs(y_torch).max())
            for other in (y, y_scalar):
                if float(np.abs(other - y_torch).max()) > 1e-4 * scale:
                    print(f"results differ for {case}", file=sys.stderr)
                    return 1
            oh, ow = (h - kh) // s + 1, (w - kw) // s + 1
            gflop = 2 * n * f * oh * ow * (c // g) * kh * kw * 1e-9
            print(f"| {' '.join(map(str, case))} | {gflop:.3f} | {agn_ms:.3f} | "
                  f"{scalar_ms:.3f} | {torch_ms:.3f} | {gflop / agn_ms * 1e3:.1f} | "
                  f"{scalar_ms / agn_ms:.2f}x | {torch_ms / agn_ms:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
