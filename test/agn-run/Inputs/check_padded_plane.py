"""Checks the convolutions of padded_plane_module.py against a float64
reference: each output within K u sum |x| |w| (K products in f32, u = 2^-24),
the bound of a sum of K rounded fused multiply-adds; with a bias, (K + 1) u
(sum |x| |w| + |b|), one rounded addition more (the clip rounds nothing)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from padded_plane_module import CONVOLUTIONS  # noqa: E402

directory = sys.argv[1]
for name, _, _, padding, stride, clipped, reads in CONVOLUTIONS:
    # A convolution of another's result reads agn's result (f32, as given).
    x = np.load(f"{directory}/{reads}.npy" if reads else f"{directory}/x.npy")
    x = x.astype(np.float64)
    w = np.load(f"{directory}/{name}_w.npy").astype(np.float64)
    y = np.load(f"{directory}/{name}.npy").astype(np.float64)
    f, c, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (xp.shape[2] - kh) // stride + 1
    ow = (xp.shape[3] - kw) // stride + 1
    ref = np.zeros((1, f, oh, ow))
    magnitude = np.zeros((1, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            window = xp[:, :, i:i + stride * (oh - 1) + 1:stride,
                        j:j + stride * (ow - 1) + 1:stride]
            ref += np.einsum("nchw,fc->nfhw", window, w[:, :, i, j])
            magnitude += np.einsum("nchw,fc->nfhw", np.abs(window), np.abs(w[:, :, i, j]))
    if y.shape != ref.shape:
        print(f"{name}: shape {y.shape}, expected {ref.shape}")
        sys.exit(1)
    steps = c * kh * kw
    if clipped:
        bias = np.load(f"{directory}/{name}_b.npy").astype(np.float64)[None, :, None, None]
        ref = np.clip(ref + bias, 0.0, 6.0)
        magnitude += np.abs(bias)
        steps += 1
    bound = steps * 2.0**-24 * magnitude
    excess = np.abs(y - ref) - bound
    if excess.max() > 0:
        print(f"{name}: error above the bound by {excess.max():.3e}")
        sys.exit(1)
    print(f"{name}: ok, max error {np.abs(y - ref).max():.3e}")
