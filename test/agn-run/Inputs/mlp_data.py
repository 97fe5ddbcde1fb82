#!/usr/bin/env python3
"""Inputs and a float64 reference for examples/mlp.mlir.

  mlp_data.py make DIR                     write x_calm.npy, w1.npy, ... to DIR
  mlp_data.py check DIR X OUT BOUND        fail if |OUT - mlp64(X)| > BOUND
"""

import sys

import numpy as np


def make(directory: str) -> None:
    rng = np.random.default_rng(7)
    arrays = {
        "x_calm": rng.standard_normal((16, 64)) * 0.1,
        "w1": rng.standard_normal((64, 128)) * 0.1,
        "b1": rng.standard_normal(128) * 0.1,
        "w2": rng.standard_normal((128, 10)) * 0.1,
        "b2": rng.standard_normal(10) * 0.1,
    }
    for name, value in arrays.items():
        np.save(f"{directory}/{name}.npy", value.astype(np.float32))


def check(directory: str, x_name: str, out_name: str, bound: float) -> None:
    def load(name: str) -> np.ndarray:
        return np.load(f"{directory}/{name}.npy").astype(np.float64)

    x, w1, b1, w2, b2 = (load(n) for n in (x_name, "w1", "b1", "w2", "b2"))
    reference = np.maximum(x @ w1 + b1, 0.0) @ w2 + b2
    out = np.load(f"{directory}/{out_name}").astype(np.float64)
    error = float(np.abs(out - reference).max())
    print(f"max |error| = {error:.3g} (bound {bound:g})")
    if not error <= bound:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
