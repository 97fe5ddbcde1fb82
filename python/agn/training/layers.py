"""Granularity Unit layers: `GULinear` and `GUConv2d`.

Each is a drop-in `nn.Linear` / `nn.Conv2d` with a `Controller`. On every
call it measures the variance of its input per sample, picks a level per
sample, and returns what agn's version for that level would compute (fake
quantization, see `agn.training.quant`):

- forward: the output of each sample's *hard* level, exactly the level
  agn's controller would select for that sample alone (a batch-1 call);
- backward: through the weights and inputs with straight-through rounding,
  and into the thresholds through the relaxed level distribution (the
  forward value is the hard choice, the gradient that of the expectation
  over the relaxed distribution).

Convolutions pad before measuring, as the unit agn forms sees the padded
input (the importer writes the padding as a `tensor.pad` before the
contraction). Layers remember their last call's level distribution, for
`granularity_penalty`, and can be fixed at one level (`force_level`) or run
as plain f32 layers (`adaptive = False`, also used by ONNX export).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from agn.training.controller import Controller, variance_statistic
from agn.training.quant import fake_quant_activation, fake_quant_weight


class GranularityUnit(nn.Module):
    """What GULinear and GUConv2d share: the controller, the per-level
    forward, and the record of the last call."""

    controller: Controller

    def _init_unit(self, levels: Sequence[str], temperature: float) -> None:
        self.controller = Controller(levels, temperature=temperature)
        self.adaptive = True
        self.forced_level: Optional[str] = None
        self.collect_statistics = False
        self.observed: List[torch.Tensor] = []
        #: Relaxed level distribution of the last call, [batch, L] (with grad).
        self.last_probabilities: Optional[torch.Tensor] = None
        #: Hard level index per sample of the last call, [batch].
        self.last_levels: Optional[torch.Tensor] = None
        #: Multiply-accumulates of one sample through this layer (last call).
        self.macs_per_sample: int = 0

    # -- To be provided by the layer --------------------------------------

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        """The contraction's input (padded for convolutions)."""
        raise NotImplementedError

    def _contract(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """The f32 contraction plus bias on prepared input."""
        raise NotImplementedError

    def _plain(self, x: torch.Tensor) -> torch.Tensor:
        """The layer as plain PyTorch (export, adaptive off)."""
        raise NotImplementedError

    def _weight_dims(self) -> Tuple[int, Optional[int]]:
        """(output channel dim, single reduction dim or None) of the weight."""
        raise NotImplementedError

    def _count_macs(self, x: torch.Tensor, y: torch.Tensor) -> int:
        raise NotImplementedError

    # -- The unit ------------------------------------------------------------

    def level_output(self, x: torch.Tensor, level: str) -> torch.Tensor:
        """The output of the `level` version on prepared input `x`."""
        channel_dim, reduction_dim = self._weight_dims()
        xq = fake_quant_activation(x, level, row_dim=0)
        wq = fake_quant_weight(self.weight, level, channel_dim, reduction_dim)
        return self._contract(xq, wq)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D401
        """See the module docstring."""
        if not self.adaptive:
            return self._plain(x)
        xin = self._prepare(x)
        levels = self.controller.levels
        statistic = variance_statistic(xin)
        if self.collect_statistics:
            self.observed.append(statistic.detach().cpu())
        if self.forced_level is not None:
            y = self.level_output(xin, self.forced_level)
            index = levels.index(self.forced_level) if self.forced_level in levels else None
            chosen = torch.full((x.shape[0],), index if index is not None else len(levels) - 1,
                                dtype=torch.long, device=x.device)
            self.last_levels = chosen
            self.last_probabilities = F.one_hot(chosen, len(levels)).to(y.dtype)
            self.macs_per_sample = self._count_macs(xin, y)
            return y
        probabilities = self.controller.probabilities(statistic)
        chosen = self.controller.select(statistic)
        outputs = torch.stack([self.level_output(xin, level) for level in levels])
        shape = (len(levels), x.shape[0]) + (1,) * (outputs.dim() - 2)
        hard = F.one_hot(chosen, len(levels)).T.to(outputs.dtype).reshape(shape)
        y_hard = (outputs * hard).sum(0)
        if self.training:
            soft = probabilities.T.reshape(shape)
            y_soft = (outputs * soft).sum(0)
            y = y_hard + (y_soft - y_soft.detach())
        else:
            y = y_hard
        self.last_probabilities = probabilities
        self.last_levels = chosen
        self.macs_per_sample = self._count_macs(xin, y)
        return y


class GULinear(GranularityUnit, nn.Linear):
    """`nn.Linear` as a Granularity Unit (see the module docstring)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 levels: Sequence[str] = ("i4", "i8", "f16", "f32"),
                 temperature: float = 0.5) -> None:
        nn.Linear.__init__(self, in_features, out_features, bias)
        self._init_unit(levels, temperature)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def _contract(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return F.linear(x, weight, self.bias)

    def _plain(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)

    def _weight_dims(self) -> Tuple[int, Optional[int]]:
        return 0, 1

    def _count_macs(self, x: torch.Tensor, y: torch.Tensor) -> int:
        rows = int(x[0].numel() // self.in_features)
        return rows * self.in_features * self.out_features


class GUConv2d(GranularityUnit, nn.Conv2d):
    """`nn.Conv2d` (zero padding) as a Granularity Unit."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, groups: int = 1, bias: bool = True,
                 levels: Sequence[str] = ("i4", "i8", "f16", "f32"),
                 temperature: float = 0.5) -> None:
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride, padding,
                           dilation, groups, bias)
        if isinstance(self.padding, str):
            raise ValueError("GUConv2d takes explicit padding, not 'same'/'valid'")
        self._init_unit(levels, temperature)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        ph, pw = self.padding
        return F.pad(x, (pw, pw, ph, ph)) if ph or pw else x

    def _contract(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def _plain(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def _weight_dims(self) -> Tuple[int, Optional[int]]:
        return 0, None

    def _count_macs(self, x: torch.Tensor, y: torch.Tensor) -> int:
        per_output = (self.in_channels // self.groups) * self.kernel_size[0] * self.kernel_size[1]
        return int(y[0].numel()) * per_output


def units(model: nn.Module) -> List[Tuple[str, GranularityUnit]]:
    """The (qualified name, layer) of every Granularity Unit in `model`, in
    registration order."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, GranularityUnit)]
