#!/usr/bin/env python3
"""Runs a convolution and a batched product with constant weights at every
level through agn-run on one thread and on two, and checks the two give the
same bits.

  threads_levels_check.py DIR    (agn-run must be on PATH)

The filter (256x128x3x3, 294,912 weights) is large enough for
agn-cpu-parallelize-ops to split the ops around the kernels, the i4
version's per-call widening of its weights among them where the CPU has no
VNNI (which failed to compile on two threads). Each level runs for the host
and for x86-64-v3 (AVX2, no VNNI: the generic integer code on any host).
Threads change which core computes an element, never how: the outputs must
be equal bit for bit at every level.
"""

import sys

import numpy as np

from float_products import dense_constant, run_agn

LEVELS = ["f32", "f16", "bf16", "i8", "i4"]


def conv_module(rng: np.random.Generator) -> str:
    """A 3x3 convolution, 128 -> 256 channels on a 12x12 image."""
    c, f, h = 128, 256, 12
    x = f"tensor<1x{c}x{h}x{h}xf32>"
    w = f"tensor<{f}x{c}x3x3xf32>"
    y = f"tensor<1x{f}x{h - 2}x{h - 2}xf32>"
    weights = rng.standard_normal((f, c, 3, 3)).astype(np.float32) * 0.05
    return (f"func.func @main(%x: {x}) -> {y} {{\n"
            f"  %w = {dense_constant(weights, w)}\n"
            f"  %zero = arith.constant 0.0 : f32\n"
            f"  %e = tensor.empty() : {y}\n"
            f"  %z = linalg.fill ins(%zero : f32) outs(%e : {y}) -> {y}\n"
            f"  %r = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : "
            f"tensor<2xi64>, strides = dense<1> : tensor<2xi64>}} "
            f"ins(%x, %w : {x}, {w}) outs(%z : {y}) -> {y}\n"
            f"  return %r : {y}\n}}\n"), (1, c, h, h)


def batch_matmul_module(rng: np.random.Generator) -> str:
    """A batched product with constant weights, which
    agn-split-batch-matmuls splits into the threads by batch."""
    x, w, y = ("tensor<4x64x128xf32>", "tensor<4x128x256xf32>",
               "tensor<4x64x256xf32>")
    weights = rng.standard_normal((4, 128, 256)).astype(np.float32) * 0.05
    return (f"func.func @main(%x: {x}) -> {y} {{\n"
            f"  %w = {dense_constant(weights, w)}\n"
            f"  %zero = arith.constant 0.0 : f32\n"
            f"  %e = tensor.empty() : {y}\n"
            f"  %z = linalg.fill ins(%zero : f32) outs(%e : {y}) -> {y}\n"
            f"  %r = linalg.batch_matmul ins(%x, %w : {x}, {w}) "
            f"outs(%z : {y}) -> {y}\n"
            f"  return %r : {y}\n}}\n"), (4, 64, 128)


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(7)
    failed = []
    for name, build in (("conv", conv_module), ("batch_matmul",
                                                 batch_matmul_module)):
        text, shape = build(rng)
        path = f"{directory}/{name}.mlir"
        with open(path, "w") as f:
            f.write(text)
        x = rng.standard_normal(shape).astype(np.float32)
        for level in LEVELS:
            for target in ("host", "x86-64-v3"):
                lowering = None if target == "host" else f"target-cpu={target}"
                one, two = (run_agn(path, directory, [x],
                                    f"agn-adaptive-pipeline{{levels={level}}}",
                                    threads, lowering) for threads in (1, 2))
                same = np.array_equal(one, two)
                print(f"{name} {level} ({target}): one and two threads "
                      f"{'bit-identical' if same else 'DIFFER'}")
                if not same:
                    failed.append(f"{name} {level} ({target})")
    if failed:
        print(f"threads changed the result of: {', '.join(failed)}")
        return 1
    print("every level the same on one thread and on two")
    return 0


if __name__ == "__main__":
    sys.exit(main())
