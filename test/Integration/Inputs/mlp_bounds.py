#!/usr/bin/env python3
"""Error bounds of examples/mlp.mlir at each precision level, for mlp.mlir.

Rebuilds the test's inputs (the same f32 formulas as @data_* in mlp.mlir),
computes the f64 reference, and bounds the error of every version that
agn-multiversion emits, from each level's quantization step:

  f32         fl32 sums: |err| <= gamma_K |A| |B|, gamma_K = K u / (1 - K u),
              u = 2^-24 (Higham, Accuracy and Stability, 3.1).
  f16, bf16   A and B rounded to the format (relative error u_t = 2^-11 or
              2^-8, plus half the subnormal spacing), exact products in f32,
              f32 sums.
  i8          per-row activations and per-column weights: a dequantized value
              q * fl32(max / 127) is within max * (1/254 + u) of the value;
              i32 sums are exact (|sum| < 2^24, so also their conversion);
              two f32 roundings (scale product, rescale).
  i4          i8 activations, weights per block of 32 rows with qmax = 7:
              within max_block * (1/14 + u); per-block partial sums rescaled
              and summed in f32 (gamma over the blocks).

Errors propagate: |P^ - A B| <= E_in |B~| + |A| |B~ - B| + rounding, then the
bias add (one f32 rounding) and relu (1-Lipschitz). Each bound is a matrix
over the outputs; the test checks the largest error against the largest
bound. Run with Debian's python3 (numpy):  /usr/bin/python3 mlp_bounds.py
"""

import math

import numpy as np

M, K, N, O = 16, 64, 128, 10
U32 = 2.0 ** -24
FLOAT_FORMATS = {  # unit roundoff, half the subnormal spacing
    "f16": (2.0 ** -11, 2.0 ** -25),
    "bf16": (2.0 ** -8, 2.0 ** -134),
}
THRESHOLDS = [0.02, 0.08, 0.32, 1.28]  # agn-form-units' default policy
LEVELS = ["i4", "i8", "bf16", "f16", "f32"]


def f32_ratio(numerators, denominator):
    return (np.asarray(numerators, dtype=np.float32) /
            np.float32(denominator)).astype(np.float32)


def data():
    m, k = np.meshgrid(np.arange(M), np.arange(K), indexing="ij")
    x = f32_ratio((m * 13 + k * 7) % 17 - 8, 7.0)
    k, n = np.meshgrid(np.arange(K), np.arange(N), indexing="ij")
    w1 = f32_ratio((k * 5 + n * 3) % 23 - 11, 60.0)
    b1 = f32_ratio(np.arange(N) % 7 - 3, 10.0)
    n, o = np.meshgrid(np.arange(N), np.arange(O), indexing="ij")
    w2 = f32_ratio((n * 7 + o * 5) % 19 - 9, 40.0)
    b2 = f32_ratio(np.arange(O) - 5, 4.0)
    return [v.astype(np.float64) for v in (x, w1, b1, w2, b2)]


def gamma(n, u=U32):
    return n * u / (1 - n * u)


def contraction_bound(level, a, e_in, b):
    """Bounds |computed(a^ b) - a b| where |a^ - a| <= e_in, elementwise."""
    k = a.shape[1]
    abs_a, abs_b = np.abs(a), np.abs(b)
    hat_a = abs_a + e_in  # bounds |a^|
    if level == "f32":
        return e_in @ abs_b + gamma(k) * (hat_a @ abs_b)
    if level in FLOAT_FORMATS:
        u_t, eta = FLOAT_FORMATS[level]
        e_a = e_in + u_t * hat_a + eta  # |a~ - a|
        e_b = u_t * abs_b + eta         # |b~ - b|
        return (e_a @ (abs_b + e_b) + abs_a @ e_b +
                gamma(k) * ((abs_a + e_a) @ (abs_b + e_b)))
    # Integer levels: activations per row to i8.
    alpha = hat_a.max(axis=1, keepdims=True)
    e_a = e_in + alpha * (1 / 254 + U32)
    if level == "i8":
        beta = abs_b.max(axis=0, keepdims=True)
        e_b = np.broadcast_to(beta * (1 / 254 + U32), b.shape)
        rounding = 2 * U32 + U32 ** 2
    else:  # i4, blocks of 32 along K
        blocks = abs_b.reshape(k // 32, 32, -1).max(axis=1)
        e_b = np.repeat(blocks, 32, axis=0) * (1 / 14 + U32)
        rounding = 3 * U32 + gamma(k // 32)
    return (e_a @ (abs_b + e_b) + abs_a @ e_b +
            rounding * ((abs_a + e_a) @ (abs_b + e_b)))


def bias_add_bound(pre, e_pre, bias):
    """One f32 rounding of (pre^ + bias)."""
    return e_pre + U32 * (np.abs(pre + bias) + e_pre)


def mlp_bound(levels, x, w1, b1, w2, b2):
    p1 = x @ w1
    h = np.maximum(p1 + b1, 0)
    e_h = bias_add_bound(p1, contraction_bound(levels[0], x, 0 * x, w1), b1)
    p2 = h @ w2
    e_y = bias_add_bound(p2, contraction_bound(levels[1], h, e_h, w2), b2)
    # The f64 reference's own rounding: far below everything above.
    e_ref = gamma(K, 2.0 ** -53) * (np.abs(x) @ np.abs(w1)).max() * \
        np.abs(w2).sum(axis=0).max() * 4
    return e_y.max() + e_ref, h


def dense_bound(level, x, w1, b1):
    """The first layer alone, relu(x @ w1 + b1), as the test's @dense."""
    p1 = x @ w1
    return bias_add_bound(p1, contraction_bound(level, x, 0 * x, w1),
                          b1).max()


def band(statistic):
    return LEVELS[sum(statistic >= t for t in THRESHOLDS)]


def round_up(value, digits=4):
    """`value` rounded up to `digits` significant digits, for the test."""
    exponent = math.floor(math.log10(value)) - digits + 1
    return math.ceil(value / 10.0 ** exponent) * 10.0 ** exponent


def main():
    x, w1, b1, w2, b2 = data()
    for level in LEVELS:
        bound, _ = mlp_bound((level, level), x, w1, b1, w2, b2)
        print(f"{level:5s} bound {bound:.6g} (test: {round_up(bound):.4g})")
    for level in LEVELS:
        bound = dense_bound(level, x, w1, b1)
        print(f"{level:5s} dense bound {bound:.6g} (test: {round_up(bound):.4g})")
    # The adaptive run: each unit's controller picks the band of its input's
    # variance. The margins to the nearest threshold must dwarf the effect of
    # the first layer's error on the hidden layer's variance.
    var_x = x.var()
    level0 = band(var_x)
    _, h = mlp_bound((level0, level0), x, w1, b1, w2, b2)
    var_h = h.var()
    level1 = band(var_h)
    print(f"variance x {var_x:.6g} -> {level0}; variance h {var_h:.6g} -> "
          f"{level1}")
    bound, _ = mlp_bound((level0, level1), x, w1, b1, w2, b2)
    print(f"adaptive ({level0}, {level1}) bound {bound:.6g} "
          f"(test: {round_up(bound):.4g})")


if __name__ == "__main__":
    main()
