"""The digits CNN and its training, with and without the granularity
penalty (the PyTorch half of the demo)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from agn.training import (GUConv2d, GULinear, calibrate, granularity_penalty, hard_bits,
                          units)

#: The levels every unit of the demo may use.
DEMO_LEVELS = ("i4", "i8", "f16", "f32")


@dataclass
class Digits:
    """An image set split into train and test (scikit-learn's 8x8 digits,
    or `agn.demo.mnist`'s 28x28 MNIST)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits(test_size: float = 0.2, seed: int = 0) -> Digits:
    """The digits (1797 images; pixel values 0-16 scaled to [0, 1]),
    stratified split."""
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    data = sk_load_digits()
    x = (data.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y)
    return Digits(torch.from_numpy(x_train), torch.from_numpy(y_train),
                  torch.from_numpy(x_test), torch.from_numpy(y_test))


def digits_cnn(levels: Sequence[str] = DEMO_LEVELS) -> nn.Sequential:
    """A small CNN: two unpadded 3x3 convolutions (8x8 -> 6x6 -> 4x4, 16 and
    32 channels), 2x2 max pooling, then two dense layers (128 -> 64 -> 10);
    every contraction is a Granularity Unit."""
    return nn.Sequential(
        GUConv2d(1, 16, 3, levels=levels), nn.ReLU(),
        GUConv2d(16, 32, 3, levels=levels), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        GULinear(128, 64, levels=levels), nn.ReLU(),
        GULinear(64, 10, levels=levels))


def set_forced_level(model: nn.Module, level) -> None:
    """Fixes every unit at `level` (None: adaptive)."""
    for _, unit in units(model):
        unit.forced_level = level


def _batches(n: int, batch_size: int, generator: torch.Generator) -> List[torch.Tensor]:
    return list(torch.randperm(n, generator=generator).split(batch_size))


def pretrain(data: Digits, epochs: int = 15, batch_size: int = 64, lr: float = 3e-3,
             seed: int = 0, architecture: Callable[[], nn.Module] = digits_cnn) -> nn.Module:
    """Trains a fresh `architecture()` (default the digits CNN) at f32
    (every unit fixed at f32)."""
    torch.manual_seed(seed)
    model = architecture()
    set_forced_level(model, "f32")
    weights = [p for n, p in model.named_parameters() if "controller" not in n]
    optimizer = torch.optim.Adam(weights, lr=lr)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for idx in _batches(len(data.x_train), batch_size, generator):
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def finetune(base: nn.Sequential, data: Digits, lam: float, epochs: int = 8,
             batch_size: int = 64, lr: float = 1e-3, threshold_lr: float = 3e-2,
             seed: int = 0) -> nn.Sequential:
    """Copies `base`, calibrates its controllers (equal shares per level),
    and trains weights and thresholds with the adaptive forward pass and
    `lam` times the granularity penalty."""
    torch.manual_seed(seed)
    model = copy.deepcopy(base)
    set_forced_level(model, None)
    calibrate(model, data.x_train)
    weights = [p for n, p in model.named_parameters() if "controller" not in n]
    thresholds = [p for n, p in model.named_parameters() if "controller" in n]
    optimizer = torch.optim.Adam([{"params": weights, "lr": lr},
                                  {"params": thresholds, "lr": threshold_lr}])
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for idx in _batches(len(data.x_train), batch_size, generator):
            logits = model(data.x_train[idx])
            loss = F.cross_entropy(logits, data.y_train[idx]) + granularity_penalty(model, lam)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    return model


@torch.no_grad()
def simulate(model: nn.Module, data: Digits) -> Tuple[float, float, Dict[str, float]]:
    """PyTorch's view of the adaptive model on the test split: accuracy,
    mean bits per MAC and share of calls per level (MAC-weighted over the
    units), all under the hard per-sample choices."""
    model.eval()
    logits = model(data.x_test)
    accuracy = float((logits.argmax(1) == data.y_test).float().mean())
    bits = hard_bits(model)
    shares: Dict[str, float] = {}
    total = 0
    for _, unit in units(model):
        counts = torch.bincount(unit.last_levels, minlength=unit.controller.num_levels)
        for level, count in zip(unit.controller.levels, counts.tolist()):
            shares[level] = shares.get(level, 0) + count
            total += count
    return accuracy, bits, {k: v / total for k, v in shares.items()}


@torch.no_grad()
def accuracy_at(model: nn.Module, data: Digits, level) -> float:
    """Test accuracy with every unit fixed at `level`."""
    saved = [(u, u.forced_level) for _, u in units(model)]
    set_forced_level(model, level)
    try:
        logits = model.eval()(data.x_test)
    finally:
        for unit, forced in saved:
            unit.forced_level = forced
    return float((logits.argmax(1) == data.y_test).float().mean())
