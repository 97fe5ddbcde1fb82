"""Checks the two convolutions of padded_plane_module.py against a float64
reference: each output within K u sum |x| |w| (K products in f32, u = 2^-24),
the bound of a sum of K rounded fused multiply-adds."""
import sys

import numpy as np

directory = sys.argv[1]
x = np.load(f"{directory}/x.npy").astype(np.float64)
for name, padding in (("w3", 1), ("w1", 0)):
    w = np.load(f"{directory}/{name}.npy").astype(np.float64)
    y = np.load(f"{directory}/{name.replace('w', 'y')}.npy").astype(np.float64)
    f, c, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    ref = np.zeros((1, f, oh, ow))
    magnitude = np.zeros((1, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            window = xp[:, :, i:i + oh, j:j + ow]
            ref += np.einsum("nchw,fc->nfhw", window, w[:, :, i, j])
            magnitude += np.einsum("nchw,fc->nfhw", np.abs(window), np.abs(w[:, :, i, j]))
    if y.shape != ref.shape:
        print(f"{name}: shape {y.shape}, expected {ref.shape}")
        sys.exit(1)
    bound = c * kh * kw * 2.0**-24 * magnitude
    excess = np.abs(y - ref) - bound
    if excess.max() > 0:
        print(f"{name}: error above the bound by {excess.max():.3e}")
        sys.exit(1)
    print(f"{name}: ok, max error {np.abs(y - ref).max():.3e}")
