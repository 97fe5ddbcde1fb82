"""Calibration of the controllers' thresholds from data.

Runs the model on calibration inputs, records each unit's input statistic
per sample, and places its thresholds at the quantiles that give each level
the requested share of the calls (and sets the relaxation's spread). This
is a starting point that training with the penalty then moves; it is also a
policy on its own ("calibrated" rather than learned thresholds).
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence, Union

import torch
from torch import nn

from agn.training.layers import units

Batches = Union[torch.Tensor, Iterable[torch.Tensor]]


@torch.no_grad()
def calibrate(model: nn.Module, data: Batches, shares: Optional[Sequence[float]] = None,
              batch_size: int = 256) -> None:
    """Calibrates every unit of `model` on `data` (a tensor of inputs or an
    iterable of input batches). `shares`: the intended share of calls per
    level (default: equal)."""
    was_training = model.training
    model.eval()
    layers = units(model)
    for _, unit in layers:
        unit.collect_statistics = True
        unit.observed = []
    saved = [(unit, unit.forced_level) for _, unit in layers]
    try:
        for _, unit in layers:
            unit.forced_level = "f32"  # statistics of the f32 network
        batches = (data.split(batch_size) if isinstance(data, torch.Tensor) else data)
        for batch in batches:
            model(batch)
        for _, unit in layers:
            levels = unit.controller.num_levels
            wanted = list(shares) if shares is not None else [1.0] * levels
            if unit.observed:
                unit.controller.calibrate(torch.cat(unit.observed), wanted)
    finally:
        for unit, forced in saved:
            unit.forced_level = forced
        for _, unit in layers:
            unit.collect_statistics = False
            unit.observed = []
        model.train(was_training)
