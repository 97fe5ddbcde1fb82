#!/usr/bin/env python3
"""Runs f32 matmuls with constant weights through agn-run with `pack_b` (B
swept a panel at a time, packed at compile time) and without, and checks
both against a float64 reference.

  pack_constant_b_check.py DIR    (agn-run must be on PATH)

The packed tiles add in the same order as the unpacked ones, so the two must
agree bit for bit; each must be within the float32 bound of a K-term dot
product, gamma_K * sum_k |a_ik| |b_kj| with gamma_K = K u / (1 - K u) and u
= 2^-24 (Higham, Accuracy and Stability of Numerical Algorithms, 3.1).
"""

import subprocess
import sys

import numpy as np

# (name, M, K, N, B transposed, threads): whole panels; a partial last row
# tile and 8 columns past the last whole panel; B read transposed (Gemm's
# transB); one thread; three threads over four panels (uneven runs).
CASES = [("panels", 64, 96, 128, False, 2), ("remainders", 20, 40, 104, False, 2),
         ("transposed", 24, 64, 96, True, 2), ("one_thread", 20, 40, 104, False, 1),
         ("three_threads", 40, 32, 128, False, 3)]


def module(name: str, m: int, k: int, n: int, transposed: bool, b: np.ndarray) -> str:
    data = "0x" + np.ascontiguousarray(b).tobytes().hex().upper()
    b_type = f"tensor<{n}x{k}xf32>" if transposed else f"tensor<{k}x{n}xf32>"
    maps = ""
    if transposed:
        maps = ("indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, "
                "affine_map<(m, n, k) -> (m, n)>] ")
    return f"""func.func @{name}(%a: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %b = arith.constant dense<"{data}"> : {b_type}
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul {maps}ins(%a, %b : tensor<{m}x{k}xf32>, {b_type}) outs(%c : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}
"""


def run(path: str, directory: str, a: np.ndarray, threads: int, pack: bool) -> np.ndarray:
    np.save(f"{directory}/a.npy", a)
    subprocess.run(["agn-run", path, "--quiet", f"--kernel-threads={threads}",
                    f"--lowering-options=pack-constant-b={str(pack).lower()}",
                    "-i", f"{directory}/a.npy", "-o", f"{directory}/out.npy"], check=True)
    return np.load(f"{directory}/out.npy")


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(11)
    failed = 0
    for name, m, k, n, transposed, threads in CASES:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        path = f"{directory}/{name}.mlir"
        with open(path, "w") as out:
            out.write(module(name, m, k, n, transposed, b.T if transposed else b))
        # The configuration of this machine's target must choose pack_b, or
        # the comparison below would compare the unpacked tiles with
        # themselves.
        configured = subprocess.run(
            ["agn-opt", path, "--agn-set-target", f"--agn-cpu-configure-kernels=threads={threads}"],
            check=True, capture_output=True, text=True).stdout
        if "pack_b = true" not in configured:
            print(f"{name}: pack_b was not chosen")
            failed += 1
            continue
        packed = run(path, directory, a, threads, pack=True)
        unpacked = run(path, directory, a, threads, pack=False)
        reference = a.astype(np.float64) @ b.astype(np.float64)
        u = 2.0 ** -24
        bound = k * u / (1 - k * u) * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
        within = bool(np.all(np.abs(packed - reference) <= bound))
        same = np.array_equal(packed, unpacked)
        failed += not (within and same)
        print(f"{name} {m}x{k}x{n} threads={threads}: "
              f"{'bit-identical' if same else 'DIFFERENT'} packed and unpacked, "
              f"{'within' if within else 'OUTSIDE'} the float32 bound")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
