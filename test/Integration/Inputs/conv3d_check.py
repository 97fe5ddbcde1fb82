#!/usr/bin/env python3
"""Runs a 3-D convolution through agn-run and checks it against float64.

  conv3d_check.py DIR    (agn-run must be on PATH)

agn-vectorize-convolutions makes the NCDHW/FCDHW convolution loops over the
output and kernel depths of im2col matmuls of planes, which sum each
output's K = C KD KH KW products in another order than linalg's loops: the
error of each output against the float64 sum is at most gamma_K sum |w| |x|
over its window (gamma_K = K u / (1 - K u), u = 2^-24), in any order.
"""

import sys

import numpy as np

from float_products import rewrites, run_agn, worst_error_over_bound

N, C, D, H, W = 2, 3, 7, 8, 9
F, KD, KH, KW = 4, 2, 3, 2
STRIDES, DILATIONS = (2, 1, 2), (2, 1, 1)


def output_size(size, kernel, stride, dilation):
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, C, D, H, W)).astype(np.float32)
    w = rng.standard_normal((F, C, KD, KH, KW)).astype(np.float32)
    out = [output_size(s, k, st, dl) for s, k, st, dl in
           zip((D, H, W), (KD, KH, KW), STRIDES, DILATIONS)]
    tx, tw = f"tensor<{N}x{C}x{D}x{H}x{W}xf32>", f"tensor<{F}x{C}x{KD}x{KH}x{KW}xf32>"
    ty = f"tensor<{N}x{F}x{out[0]}x{out[1]}x{out[2]}xf32>"
    path = f"{directory}/conv3d.mlir"
    with open(path, "w") as module:
        module.write(f"""func.func @conv(%x: {tx}, %w: {tw}) -> {ty} {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : {ty}
  %f = linalg.fill ins(%zero : f32) outs(%e : {ty}) -> {ty}
  %r = linalg.conv_3d_ncdhw_fcdhw {{dilations = dense<{list(DILATIONS)}> : tensor<3xi64>,
                                   strides = dense<{list(STRIDES)}> : tensor<3xi64>}}
      ins(%x, %w : {tx}, {tw}) outs(%f : {ty}) -> {ty}
  return %r : {ty}
}}
""")
    if not rewrites(path, ["--agn-cpu-configure-kernels", "--agn-vectorize-convolutions"], "linalg.conv_3d", "linalg.matmul"):
        print("the 3-D convolution was not rewritten")
        return 1
    got = run_agn(path, directory, [x, w])
    # The same products as matrices: W [F, K] times the windows [K, outputs].
    windows = np.empty((N, C, KD, KH, KW, *out), dtype=np.float32)
    for kd in range(KD):
        for kh in range(KH):
            for kw in range(KW):
                d0, h0, w0 = (k * dl for k, dl in zip((kd, kh, kw), DILATIONS))
                windows[:, :, kd, kh, kw] = x[:, :,
                                              d0:d0 + STRIDES[0] * (out[0] - 1) + 1:STRIDES[0],
                                              h0:h0 + STRIDES[1] * (out[1] - 1) + 1:STRIDES[1],
                                              w0:w0 + STRIDES[2] * (out[2] - 1) + 1:STRIDES[2]]
    k = C * KD * KH * KW
    ratio = max(worst_error_over_bound(got[n].reshape(F, -1), w.reshape(F, k),
                                       windows[n].reshape(k, -1), k) for n in range(N))
    print(f"conv3d {N}x{C}x{D}x{H}x{W} * {F}x{C}x{KD}x{KH}x{KW}: worst error / bound {ratio:.2e}")
    return 0 if ratio <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
