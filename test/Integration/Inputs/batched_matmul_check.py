#!/usr/bin/env python3
"""Runs a batched matmul generic through agn-run and checks it against float64.

  batched_matmul_check.py DIR    (agn-run must be on PATH)

The contraction is the linalg.generic agn's importer writes for a MatMul with
two batch dimensions, one of them broadcast: agn-split-batch-matmuls makes
it loops of vectorized matmuls. Each element is a sum of K products in f32,
whose error against the float64 sum is at most gamma_K * sum |a| |b| with
gamma_K = K u / (1 - K u), u = 2^-24, in any order of the additions.
"""

import sys

import numpy as np

from float_products import rewrites, run_agn, worst_error_over_bound

B0, B1, M, K, N = 2, 3, 37, 50, 70


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(11)
    a = rng.standard_normal((B0, B1, M, K)).astype(np.float32)
    b = rng.standard_normal((B0, 1, K, N)).astype(np.float32)
    path = f"{directory}/bmm.mlir"
    ta, tb = f"tensor<{B0}x{B1}x{M}x{K}xf32>", f"tensor<{B0}x1x{K}x{N}xf32>"
    tc = f"tensor<{B0}x{B1}x{M}x{N}xf32>"
    with open(path, "w") as out:
        out.write(f"""func.func @bmm(%a: {ta}, %b: {tb}) -> {tc} {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : {tc}
  %f = linalg.fill ins(%zero : f32) outs(%e : {tc}) -> {tc}
  %r = linalg.generic {{indexing_maps = [
      affine_map<(b0, b1, m, n, k) -> (b0, b1, m, k)>,
      affine_map<(b0, b1, m, n, k) -> (b0, 0, k, n)>,
      affine_map<(b0, b1, m, n, k) -> (b0, b1, m, n)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}}
      ins(%a, %b : {ta}, {tb}) outs(%f : {tc}) {{
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }} -> {tc}
  return %r : {tc}
}}
""")
    if not rewrites(path, ["--agn-split-batch-matmuls", "--agn-cpu-configure-kernels",
                          "--agn-vectorize-contractions"], "linalg.generic", "vector.contract"):
        print("the batched generic was not vectorized")
        return 1
    worst = 0.0
    # One thread; two, which take a chunk of the first batch dimension each;
    # three, a matrix of the second each (agn-split-batch-matmuls{threads}).
    for threads in (1, 2, 3):
        got = run_agn(path, directory, [a, b], threads=threads)
        ratio = worst_error_over_bound(got, a, b, K)
        worst = max(worst, ratio)
        print(f"batched matmul {B0}x{B1}x{M}x{K}x{N} on {threads} threads: "
              f"worst error / bound {ratio:.2e}")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
