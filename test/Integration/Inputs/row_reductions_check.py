#!/usr/bin/env python3
"""Runs row reductions through agn-run and checks them bit for bit against
the sequential loop, with agn-cpu-vectorize-row-reductions and without.

  row_reductions_check.py DIR    (agn-run must be on PATH)

Each row of a sum, a max and a product is combined in the loop's order
starting from its init: numpy's float32 cumulative sum (and max, product)
over [init, x0, x1, ...] is that order. A reduction whose sizes are not
multiples of the vector lanes stays a scalar loop and must match too.
"""

import subprocess
import sys

import numpy as np

SHAPES = {"sum": (2, 48, 64), "max": (2, 48, 64), "product": (2, 48, 64), "odd": (3, 20, 37)}
COMBINE = {"sum": ("arith.addf %out, %in", np.add), "max": ("arith.maximumf %in, %out", np.maximum),
           "product": ("arith.mulf %out, %in", np.multiply), "odd": ("arith.addf %in, %out", np.add)}


def module(name: str) -> str:
    b, r, c = SHAPES[name]
    body = COMBINE[name][0]
    return f"""func.func @{name}(%x: tensor<{b}x{r}x{c}xf32>, %init: tensor<{b}x{r}xf32>) -> tensor<{b}x{r}xf32> {{
  %y = linalg.generic {{indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}} ins(%x : tensor<{b}x{r}x{c}xf32>) outs(%init : tensor<{b}x{r}xf32>) {{
  ^bb0(%in: f32, %out: f32):
    %s = {body} : f32
    linalg.yield %s : f32
  }} -> tensor<{b}x{r}xf32>
  return %y : tensor<{b}x{r}xf32>
}}
"""


def run(path: str, directory: str, inputs, rows: bool) -> np.ndarray:
    command = ["agn-run", path, "--quiet", f"--lowering-options=row-reductions={str(rows).lower()}"]
    for index, array in enumerate(inputs):
        np.save(f"{directory}/input{index}.npy", array)
        command += ["-i", f"{directory}/input{index}.npy"]
    command += ["-o", f"{directory}/output.npy"]
    subprocess.run(command, check=True)
    return np.load(f"{directory}/output.npy")


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(3)
    failed = 0
    for name, (b, r, c) in SHAPES.items():
        # Values over many magnitudes, so that a different order of the
        # additions would round differently.
        x = (rng.standard_normal((b, r, c)) * 10.0 ** rng.integers(-3, 4, (b, r, c))).astype(np.float32)
        if name == "product":
            x = (1.0 + 0.01 * rng.standard_normal((b, r, c))).astype(np.float32)
        init = rng.standard_normal((b, r)).astype(np.float32)
        path = f"{directory}/{name}.mlir"
        with open(path, "w") as out:
            out.write(module(name))
        sequence = np.concatenate([init[..., None], x], axis=-1)
        want = COMBINE[name][1].accumulate(sequence, axis=-1, dtype=np.float32)[..., -1]
        on = run(path, directory, [x, init], rows=True)
        off = run(path, directory, [x, init], rows=False)
        same = np.array_equal(on, want) and np.array_equal(off, want)
        failed += not same
        print(f"{name} {b}x{r}x{c}: {'bit-identical' if same else 'DIFFERENT'} to the sequential loop")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
