#!/usr/bin/env python3
"""Data and elementwise error bounds for one dense layer y = x @ w per level.

  dense_bounds.py make DIR DIST        x.npy, w.npy with DIST in {gaussian,
                                       student_t} (t with 2 degrees of
                                       freedom: heavy tails, rare huge values)
  dense_bounds.py check DIR LEVEL Y    fail unless |Y - x @ w| <= bound
                                       elementwise (x, w and the reference in
                                       float64)

The bounds follow from each level's quantization step, on the data itself
(as the quantizer sees it):

  f16, bf16: both operands rounded to nearest, relative error u = 2^-11 or
      2^-8, so |x~ w~ - x w| <= (2u + u^2) |x| |w| per product.
  i8: activations per row, s_a = max|x_row| / 127; weights per output
      column, s_w = max|w_col| / 127; round to nearest, so |x~ - x| <= s_a/2,
      |w~ - w| <= s_w/2 and |x~ w~ - x w| <= |x| s_w/2 + |w| s_a/2 +
      s_a s_w / 4 per product.
  i4: as i8 with weights in blocks of 32 along K per column, s_w = max / 7.
  every level: the float32 arithmetic of the accumulation and rescale adds
      at most gamma_{K+2} * sum_k |x~_k| |w~_k|, gamma_n = n u32 / (1 - n u32),
      u32 = 2^-24 (integer accumulation is exact: |acc| < 2^24 here).

The bound is the sum over k of the per-product terms plus the rounding term.
Heavy tails make the steps large for the rows and columns that hold an
outlier: the bound grows with them, it is never loosened by hand.
"""

import sys

import numpy as np

U32 = 2.0 ** -24


def make(directory: str, dist: str) -> None:
    rng = np.random.default_rng(11)
    if dist == "gaussian":
        x = rng.standard_normal((32, 256))
        w = rng.standard_normal((256, 64)) / 16.0
    else:
        x = rng.standard_t(2, (32, 256))
        w = rng.standard_t(2, (256, 64)) / 16.0
    np.save(f"{directory}/x.npy", x.astype(np.float32))
    np.save(f"{directory}/w.npy", w.astype(np.float32))


def steps(x: np.ndarray, w: np.ndarray, level: str):
    """Returns per-element quantization steps of x (M,K) and w (K,N)."""
    if level in ("f32", "f16", "bf16"):
        return np.zeros_like(x), np.zeros_like(w)
    qmax = 127.0 if level == "i8" else 7.0
    s_a = np.abs(x).max(axis=1, keepdims=True) / 127.0  # activations: i8
    if level == "i8":
        s_w = np.abs(w).max(axis=0, keepdims=True) / qmax
        return np.broadcast_to(s_a, x.shape), np.broadcast_to(s_w, w.shape)
    k, n = w.shape
    blocks = np.abs(w).reshape(k // 32, 32, n).max(axis=1, keepdims=True) / qmax
    return (np.broadcast_to(s_a, x.shape),
            np.broadcast_to(blocks, (k // 32, 32, n)).reshape(k, n))


def bound(x: np.ndarray, w: np.ndarray, level: str) -> np.ndarray:
    ax, aw = np.abs(x), np.abs(w)
    s_a, s_w = steps(x, w, level)
    if level in ("f16", "bf16"):
        u = 2.0 ** -11 if level == "f16" else 2.0 ** -8
        per_product = (2 * u + u * u) * (ax @ aw)
        ax_q, aw_q = ax * (1 + u), aw * (1 + u)
    else:
        # sum_k |x_k| s_w(k,n)/2 + s_a(m)/2 |w_k| + s_a s_w / 4
        per_product = ax @ (s_w / 2) + (s_a / 2) @ aw + (s_a / 2) @ (s_w / 2)
        ax_q, aw_q = ax + s_a / 2, aw + s_w / 2
    k = x.shape[1]
    gamma = (k + 2) * U32 / (1 - (k + 2) * U32)
    return per_product + gamma * (ax_q @ aw_q)


def check(directory: str, level: str, out: str) -> None:
    x = np.load(f"{directory}/x.npy").astype(np.float64)
    w = np.load(f"{directory}/w.npy").astype(np.float64)
    y = np.load(f"{directory}/{out}").astype(np.float64)
    error = np.abs(y - x @ w)
    limit = bound(x, w, level)
    worst = float((error / limit).max())
    print(f"{level}: max |error| {error.max():.3g}, max error/bound {worst:.3f}")
    if not np.all(error <= limit):
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
