"""A differentiable controller with learnable thresholds.

agn's controller (`agn.variance` + `agn.select`) measures the variance of a
unit's input on each call and picks `levels[i]` where `i` is the number of
thresholds at or below it: low variance, low precision. This module keeps
those thresholds as parameters, in the log domain (variances span orders of
magnitude), kept strictly increasing by construction:

    log t_1 = a,   log t_{i+1} = log t_i + softplus(b_i) + min_gap

For training it relaxes the hard rule into an ordinal (cumulative logistic)
distribution over the levels, with u = log(statistic):

    P(level >= i) = sigmoid((u - log t_i) / T),     i = 1 .. L-1
    p(level_i)    = P(level >= i) - P(level >= i+1)

which becomes the hard rule as the temperature T goes to 0. T is
`temperature` times the spread (standard deviation) of the log statistic
seen at calibration, so one setting suits every unit.
"""

from __future__ import annotations

import math
from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from agn.training.quant import BITS, LEVELS


def variance_statistic(x: torch.Tensor) -> torch.Tensor:
    """The population variance of each sample's elements (agn.variance on a
    batch-1 call), shape [batch]."""
    return x.detach().flatten(1).var(dim=1, unbiased=False)


def _inverse_softplus(y: float) -> float:
    return y + math.log(-math.expm1(-y)) if y < 20 else y


class Controller(nn.Module):
    """Thresholds on the input statistic for the levels `levels` (increasing).

    Parameters: `levels` (e.g. ("i4", "i8", "f16", "f32")), `temperature`
    of the relaxation (relative to the calibrated spread), `min_gap` between
    consecutive log thresholds.
    """

    def __init__(self, levels: Sequence[str] = ("i4", "i8", "f16", "f32"),
                 temperature: float = 0.5, min_gap: float = 1e-3) -> None:
        super().__init__()
        levels = tuple(levels)
        order = [LEVELS.index(level) for level in levels]
        if len(levels) < 1 or order != sorted(set(order)):
            raise ValueError(f"levels must be distinct and increasing ({' < '.join(LEVELS)}), "
                             f"got {levels}")
        self.levels = levels
        self.temperature = float(temperature)
        self.min_gap = float(min_gap)
        n = max(len(levels) - 1, 0)
        self.first = nn.Parameter(torch.zeros(()))
        self.gaps = nn.Parameter(torch.full((max(n - 1, 0),), _inverse_softplus(1.0)))
        self.register_buffer("spread", torch.ones(()))
        self.register_buffer("bits", torch.tensor([float(BITS[lv]) for lv in levels]))

    @property
    def num_levels(self) -> int:
        """The number of levels."""
        return len(self.levels)

    def log_thresholds(self) -> torch.Tensor:
        """The log thresholds, strictly increasing, shape [L-1]."""
        if self.num_levels < 2:
            return self.first.new_zeros((0,))
        steps = F.softplus(self.gaps) + self.min_gap
        return torch.cat([self.first.reshape(1), self.first + torch.cumsum(steps, 0)])

    def thresholds(self) -> List[float]:
        """The thresholds on the statistic itself (for agn's policy)."""
        return [float(math.exp(t)) for t in self.log_thresholds().detach().cpu().tolist()]

    def set_thresholds(self, thresholds: Sequence[float]) -> None:
        """Sets the thresholds (on the statistic, increasing, positive)."""
        logs = [math.log(max(float(t), 1e-30)) for t in thresholds]
        if len(logs) != self.num_levels - 1:
            raise ValueError(f"{self.num_levels} levels need {self.num_levels - 1} "
                             f"thresholds, got {len(logs)}")
        with torch.no_grad():
            if logs:
                self.first.fill_(logs[0])
            for i in range(1, len(logs)):
                step = max(logs[i] - logs[i - 1] - self.min_gap, 1e-6)
                self.gaps[i - 1] = _inverse_softplus(step)

    def _log_statistic(self, statistic: torch.Tensor) -> torch.Tensor:
        # NaN or infinite statistics select the most precise level (agn's
        # rule): map them to +inf.
        finite = torch.isfinite(statistic)
        safe = torch.where(finite, statistic, torch.ones_like(statistic))
        u = torch.log(safe.clamp_min(1e-30))
        return torch.where(finite, u, torch.full_like(u, float("inf")))

    def probabilities(self, statistic: torch.Tensor) -> torch.Tensor:
        """The relaxed level distribution per sample, shape [batch, L]."""
        if self.num_levels == 1:
            return statistic.new_ones((statistic.shape[0], 1))
        u = self._log_statistic(statistic)
        temperature = self.temperature * self.spread
        above = torch.sigmoid((u[:, None] - self.log_thresholds()[None, :]) / temperature)
        ones = above.new_ones((above.shape[0], 1))
        zeros = above.new_zeros((above.shape[0], 1))
        at_least = torch.cat([ones, above, zeros], dim=1)
        return (at_least[:, :-1] - at_least[:, 1:]).clamp_min(0.0)

    def select(self, statistic: torch.Tensor) -> torch.Tensor:
        """The hard level index per sample, as agn.select computes it: the
        number of thresholds at or below the statistic."""
        if self.num_levels == 1:
            return torch.zeros(statistic.shape[0], dtype=torch.long, device=statistic.device)
        u = self._log_statistic(statistic)
        return (u[:, None] >= self.log_thresholds().detach()[None, :]).sum(dim=1)

    def calibrate(self, statistics: torch.Tensor, shares: Sequence[float]) -> None:
        """Places the thresholds at the quantiles of `statistics` (observed
        values, any shape) that give each level the share `shares[i]` of the
        calls (normalised), and sets the relaxation's spread."""
        if len(shares) != self.num_levels:
            raise ValueError(f"need {self.num_levels} shares, got {len(shares)}")
        values = statistics.detach().flatten()
        values = values[torch.isfinite(values)].double()
        if values.numel() == 0:
            return
        logs = torch.log(values.clamp_min(1e-30))
        self.spread.fill_(float(max(logs.std().item() if logs.numel() > 1 else 1.0, 0.05)))
        total = float(sum(shares))
        cumulative = torch.tensor([sum(shares[:i + 1]) / total
                                   for i in range(self.num_levels - 1)], dtype=torch.float64)
        quantiles = torch.quantile(logs, cumulative.clamp(0.0, 1.0))
        # Keep them strictly increasing even when shares are 0 or ties exist.
        adjusted = []
        for q in quantiles.tolist():
            if adjusted and q <= adjusted[-1] + self.min_gap:
                q = adjusted[-1] + 2 * self.min_gap
            adjusted.append(q)
        self.set_thresholds([math.exp(q) for q in adjusted])

    def extra_repr(self) -> str:
        t = ", ".join(f"{v:.3g}" for v in self.thresholds())
        return f"levels={list(self.levels)}, thresholds=[{t}], temperature={self.temperature}"
