#!/usr/bin/env python3
"""Runs a float matvec through agn-run and checks it against float64.

  matvec_check.py DIR    (agn-run must be on PATH)

agn-vectorize-contractions lets LLVM reassociate the sum over K (vector
partial sums); each element is still a sum of K products in f32, whose error
against the float64 sum is at most gamma_K * sum |a| |x| with
gamma_K = K u / (1 - K u), u = 2^-24, in any order of the additions.
"""

import sys

import numpy as np

from float_products import run_agn, worst_error_over_bound

M, K = 37, 1000


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(9)
    a = rng.standard_normal((M, K)).astype(np.float32)
    x = rng.standard_normal(K).astype(np.float32)
    path = f"{directory}/matvec.mlir"
    with open(path, "w") as out:
        out.write(f"""func.func @mv(%a: tensor<{M}x{K}xf32>, %x: tensor<{K}xf32>) -> tensor<{M}xf32> {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{M}xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<{M}xf32>) -> tensor<{M}xf32>
  %r = linalg.matvec ins(%a, %x : tensor<{M}x{K}xf32>, tensor<{K}xf32>) outs(%f : tensor<{M}xf32>) -> tensor<{M}xf32>
  return %r : tensor<{M}xf32>
}}
""")
    got = run_agn(path, directory, [a, x])
    ratio = worst_error_over_bound(got, a, x, K)
    print(f"matvec {M}x{K}: worst error / bound {ratio:.2e}")
    return 0 if ratio <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
