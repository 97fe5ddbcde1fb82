"""Training with Granularity Units and the granularity penalty (PyTorch).

    from agn.training import GUConv2d, GULinear, calibrate, granularity_penalty, export_onnx

    model = nn.Sequential(GUConv2d(1, 16, 3, padding=1), nn.ReLU(), ...,
                          GULinear(128, 10))
    calibrate(model, x_train[:512])                 # thresholds from data
    loss = F.cross_entropy(model(x), y) + granularity_penalty(model, lam=0.5)
    export_onnx(model, x[:1], "model.onnx")         # with the learned policies
    agn.compile("model.onnx")                       # units take those policies

See the modules: `quant` (fake quantization with agn's semantics, STE),
`controller` (learnable thresholds), `layers` (GULinear, GUConv2d),
`penalty`, `calibrate`, `export`.
"""

from agn.training.calibrate import calibrate
from agn.training.controller import Controller, variance_statistic
from agn.training.export import export_onnx, policies
from agn.training.layers import GranularityUnit, GUConv2d, GULinear, units
from agn.training.penalty import expected_bits, granularity_penalty, hard_bits, level_shares
from agn.training.quant import BITS, LEVELS, fake_quant_activation, fake_quant_weight

__all__ = [
    "BITS",
    "Controller",
    "GUConv2d",
    "GULinear",
    "GranularityUnit",
    "LEVELS",
    "calibrate",
    "expected_bits",
    "export_onnx",
    "fake_quant_activation",
    "fake_quant_weight",
    "granularity_penalty",
    "hard_bits",
    "level_shares",
    "policies",
    "units",
    "variance_statistic",
]
