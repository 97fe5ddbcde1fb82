#!/usr/bin/env python3
"""Runs 2-D convolutions (f32; NCHW/FCHW, and NHWC/FHWC as TOSA writes them)
through agn-run and checks them against a float64 reference.

  conv_check.py DIR    (agn-run must be on PATH)

Each output element is a sum of K = C * KH * KW products computed in f32;
its error against the float64 sum is at most gamma_K * sum |x| |w| with
gamma_K = K u / (1 - K u), u = 2^-24 (the standard bound for a recursive or
blocked sum, whatever the order of the additions), which the check uses
elementwise.
"""

import subprocess
import sys

import numpy as np

# (N, C, H, W, F, KH, KW, stride, dilation): whole tiles, channel counts the
# tiles do not divide, strides and dilations, 1x1 kernels, and a 7x7 stride-2
# first layer on a 63x63 image (many iterations of every loop).
CASES = [
    (1, 16, 10, 10, 32, 3, 3, 1, 1),
    (1, 3, 63, 63, 96, 7, 7, 2, 1),
    (1, 96, 14, 14, 16, 1, 1, 1, 1),
    (2, 8, 12, 12, 24, 3, 3, 2, 2),
    (1, 5, 9, 11, 7, 3, 2, 1, 1),
]
# The same shapes in NHWC/FHWC (one image: an im2col matmul).
NHWC_CASES = [(1, 5, 9, 11, 7, 3, 2, 1, 1), (1, 8, 12, 12, 24, 3, 3, 2, 2)]


def module(n, c, h, w, f, kh, kw, s, d, channels_last=False):
    oh = (h - d * (kh - 1) - 1) // s + 1
    ow = (w - d * (kw - 1) - 1) // s + 1
    if channels_last:
        x, wt = f"tensor<{n}x{h}x{w}x{c}xf32>", f"tensor<{f}x{kh}x{kw}x{c}xf32>"
        y = f"tensor<{n}x{oh}x{ow}x{f}xf32>"
        op = "linalg.conv_2d_nhwc_fhwc"
    else:
        x, wt = f"tensor<{n}x{c}x{h}x{w}xf32>", f"tensor<{f}x{c}x{kh}x{kw}xf32>"
        y = f"tensor<{n}x{f}x{oh}x{ow}xf32>"
        op = "linalg.conv_2d_nchw_fchw"
    return (f"func.func @conv(%x: {x}, %w: {wt}) -> {y} {{\n"
            f"  %zero = arith.constant 0.0 : f32\n"
            f"  %e = tensor.empty() : {y}\n"
            f"  %z = linalg.fill ins(%zero : f32) outs(%e : {y}) -> {y}\n"
            f"  %r = {op} {{dilations = dense<{d}> : tensor<2xi64>, "
            f"strides = dense<{s}> : tensor<2xi64>}} ins(%x, %w : {x}, {wt}) "
            f"outs(%z : {y}) -> {y}\n"
            f"  return %r : {y}\n}}\n"), (oh, ow)


def reference(x, wt, s, d, oh, ow):
    """Returns the float64 convolution and the sums of |x| |w|."""
    total = np.zeros((x.shape[0], wt.shape[0], oh, ow))
    magnitude = np.zeros_like(total)
    for i in range(wt.shape[2]):
        for j in range(wt.shape[3]):
            patch = x[:, :, i * d:i * d + s * (oh - 1) + 1:s,
                      j * d:j * d + s * (ow - 1) + 1:s].astype(np.float64)
            tap = wt[:, :, i, j].astype(np.float64)
            total += np.einsum("nchw,fc->nfhw", patch, tap)
            magnitude += np.einsum("nchw,fc->nfhw", np.abs(patch), np.abs(tap))
    return total, magnitude


def main() -> int:
    directory = sys.argv[1]
    rng = np.random.default_rng(5)
    failed = 0
    for case, channels_last in ([(c, False) for c in CASES] +
                                [(c, True) for c in NHWC_CASES]):
        n, c, h, w, f, kh, kw, s, d = case
        text, (oh, ow) = module(*case, channels_last=channels_last)
        path = f"{directory}/conv.mlir"
        with open(path, "w") as out:
            out.write(text)
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        wt = rng.standard_normal((f, c, kh, kw)).astype(np.float32)
        if channels_last:
            np.save(f"{directory}/x.npy", np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
            np.save(f"{directory}/w.npy", np.ascontiguousarray(wt.transpose(0, 2, 3, 1)))
        else:
            np.save(f"{directory}/x.npy", x)
            np.save(f"{directory}/w.npy", wt)
        subprocess.run(["agn-run", path, "--quiet", "-i", f"{directory}/x.npy",
                        "-i", f"{directory}/w.npy", "-o", f"{directory}/y.npy"],
                       check=True)
        got = np.load(f"{directory}/y.npy").astype(np.float64)
        if channels_last:
            got = got.transpose(0, 3, 1, 2)
        want, magnitude = reference(x, wt, s, d, oh, ow)
        k = c * kh * kw
        u = 2.0 ** -24
        bound = k * u / (1 - k * u) * magnitude
        ratio = float(np.max(np.abs(got - want) / bound))
        ok = got.shape == want.shape and ratio <= 1.0
        failed += not ok
        layout = "nhwc" if channels_last else "nchw"
        print(f"conv {layout} {case}: worst error / bound {ratio:.3f}: "
              f"{'ok' if ok else 'FAILED'}")
    print("all convolutions within their bounds" if not failed else f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
