#!/usr/bin/env python3
"""Runs the GPU kernels' tiling on the CPU and checks its numbers.

  gpu_strategies_check.py DIR    (agn-opt and agn-run must be on PATH)

agn-gpu-configure-kernels and agn-gpu-tile-contractions turn each matmul
into the loops a GPU kernel runs (blocks, threads or warps, K steps, the
tensor-core step as a mixed-precision vector.contract). Those loops are
plain scf.forall/scf.for on tensors, which the CPU pipeline runs too: this
checks that the tiles cover every output once with the right sums (ragged
edges included), on a machine without a GPU. Float results must be within
the rounding bound of a K-term f32 sum of the (exact) products of their f32,
f16 or bf16 inputs; i8 results must be exact.
"""

import re
import subprocess
import sys

import numpy as np

from float_products import run_agn, worst_error_over_bound

PASSES = ("builtin.module(func.func(agn-gpu-configure-kernels,"
          "agn-gpu-tile-contractions))")
MATMUL = """func.func @mm(%a: tensor<{a}>, %b: tensor<{b}>) -> tensor<{c}> {{
  %zero = arith.constant {zero} : {acc}
  %e = tensor.empty() : tensor<{c}>
  %f = linalg.fill ins(%zero : {acc}) outs(%e : tensor<{c}>) -> tensor<{c}>
  %r = linalg.{op} ins(%a, %b : tensor<{a}>, tensor<{b}>) outs(%f : tensor<{c}>) -> tensor<{c}>
  return %r : tensor<{c}>
}}
"""
# bf16 matmuls take f32 arrays (agn-run reads no bf16 .npy) of values that
# are bf16 already, so that the truncation is exact.
BF16_MATMUL = """func.func @mm(%a32: tensor<{a32}>, %b32: tensor<{b32}>) -> tensor<{c}> {{
  %a = arith.truncf %a32 : tensor<{a32}> to tensor<{a}>
  %b = arith.truncf %b32 : tensor<{b32}> to tensor<{b}>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{c}>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<{c}>) -> tensor<{c}>
  %r = linalg.{op} ins(%a, %b : tensor<{a}>, tensor<{b}>) outs(%f : tensor<{c}>) -> tensor<{c}>
  return %r : tensor<{c}>
}}
"""

# (name, op, batch, M, K, N, input type, kernel the configuration picks)
CASES = [
    ("f32 ragged", "matmul", None, 100, 64, 48, "f32", "gpu_simt"),
    ("f32 batched", "batch_matmul", 3, 40, 24, 20, "f32", "gpu_simt"),
    ("bf16", "matmul", None, 64, 96, 40, "bf16", "gpu_simt"),
    ("f16 tensor cores", "matmul", None, 128, 64, 64, "f16", "gpu_mma_sync"),
    ("f16 ragged", "matmul", None, 70, 48, 24, "f16", "gpu_simt"),
    ("i8 tensor cores", "matmul", None, 128, 96, 64, "i8", "gpu_mma_sync"),
]


def bf16_round(values):
    """Returns float32 `values` rounded to bfloat16 (nearest even), as
    float32."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint32)
    return (rounded << 16).view(np.float32)


def make_inputs(rng, shape, element):
    """Returns (what agn-run reads, the same values in float64 or int64)."""
    if element == "i8":
        values = rng.integers(-128, 128, shape).astype(np.int8)
        return values, values.astype(np.int64)
    values = rng.standard_normal(shape).astype(np.float32)
    if element == "f16":
        values = values.astype(np.float16)
        return values, values.astype(np.float64)
    if element == "bf16":
        values = bf16_round(values)
        return values, values.astype(np.float64)
    return values, values.astype(np.float64)


def configured_kernel(path):
    """Returns the GPU kernel agn-gpu-configure-kernels picks for the one
    matmul of the module at `path`."""
    ir = subprocess.run(["agn-opt", path, "--agn-gpu-configure-kernels"],
                        check=True, capture_output=True, text=True).stdout
    match = re.search(r"kernel = (\w+)", ir)
    return match.group(1) if match else None


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(13)
    failures = 0
    for name, op, batch, m, k, n, element, kernel in CASES:
        lead = f"{batch}x" if batch else ""
        acc = "i32" if element == "i8" else "f32"
        path = f"{directory}/{name.replace(' ', '_')}.mlir"
        with open(path, "w") as out:
            out.write((BF16_MATMUL if element == "bf16" else MATMUL).format(
                a=f"{lead}{m}x{k}x{element}", b=f"{lead}{k}x{n}x{element}",
                a32=f"{lead}{m}x{k}xf32", b32=f"{lead}{k}x{n}xf32",
                c=f"{lead}{m}x{n}x{acc}", zero="0" if acc == "i32" else "0.0",
                acc=acc, op=op))
        tiled = configured_kernel(path) == kernel
        a, a_exact = make_inputs(rng, (batch, m, k) if batch else (m, k),
                                 element)
        b, b_exact = make_inputs(rng, (batch, k, n) if batch else (k, n),
                                 element)
        got = run_agn(path, directory, [a, b], PASSES)
        if element == "i8":
            ok = tiled and bool(np.array_equal(got, a_exact @ b_exact))
            print(f"{name} ({kernel}): exact {ok}")
        else:
            ratio = worst_error_over_bound(got, a_exact, b_exact, k)
            ok = tiled and ratio <= 1.0
            print(f"{name} ({kernel}): worst error / bound {ratio:.2e}")
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
