#!/usr/bin/env python3
"""Runs a convolution with constant weights at every level through agn-run
on one thread and on two, and checks the two give the same bits.

  threads_levels_check.py DIR    (agn-run must be on PATH)

The filter (256x128x3x3, 294,912 weights) is large enough for
agn-cpu-parallelize-ops to split the ops around the kernels, the i4
version's per-call widening of its weights among them where the CPU has no
VNNI (which failed to compile on two threads). Each level runs for the host
and for x86-64-v3 (AVX2, no VNNI: the generic integer code on any host).
Threads change which core computes an element, never how: the outputs must
be equal bit for bit at every level.
"""

import subprocess
import sys

import numpy as np

LEVELS = ["f32", "f16", "bf16", "i8", "i4"]
C, F, H = 128, 256, 12


def module(weights: np.ndarray) -> str:
    x = f"tensor<1x{C}x{H}x{H}xf32>"
    w = f"tensor<{F}x{C}x3x3xf32>"
    y = f"tensor<1x{F}x{H - 2}x{H - 2}xf32>"
    data = "0x" + weights.astype("<f4").tobytes().hex().upper()
    return (f"func.func @main(%x: {x}) -> {y} {{\n"
            f"  %w = arith.constant dense<\"{data}\"> : {w}\n"
            f"  %zero = arith.constant 0.0 : f32\n"
            f"  %e = tensor.empty() : {y}\n"
            f"  %z = linalg.fill ins(%zero : f32) outs(%e : {y}) -> {y}\n"
            f"  %r = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : "
            f"tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} "
            f"ins(%x, %w : {x}, {w}) outs(%z : {y}) -> {y}\n"
            f"  return %r : {y}\n}}\n")


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(7)
    weights = rng.standard_normal((F, C, 3, 3)).astype(np.float32) * 0.05
    x = rng.standard_normal((1, C, H, H)).astype(np.float32)
    with open(f"{directory}/conv.mlir", "w") as f:
        f.write(module(weights))
    np.save(f"{directory}/x.npy", x)
    failed = []
    for level in LEVELS:
        for target in ("host", "x86-64-v3"):
            outputs = []
            for threads in (1, 2):
                out = f"{directory}/y_{level}_{target}_{threads}.npy"
                options = [] if target == "host" else [
                    f"--lowering-options=target-cpu={target}"]
                subprocess.run(
                    ["agn-run", f"{directory}/conv.mlir", "--quiet",
                     f"--passes=agn-adaptive-pipeline{{levels={level}}}",
                     f"--kernel-threads={threads}", "-i", f"{directory}/x.npy",
                     "-o", out] + options, check=True)
                outputs.append(np.load(out))
            same = np.array_equal(outputs[0], outputs[1])
            print(f"{level} ({target}): one and two threads "
                  f"{'bit-identical' if same else 'DIFFER'}")
            if not same:
                failed.append(f"{level} ({target})")
    if failed:
        print(f"threads changed the result at: {', '.join(failed)}")
        return 1
    print("every level the same on one thread and on two")
    return 0


if __name__ == "__main__":
    sys.exit(main())
