"""agn.training: fake quantization, the controller, GU layers, the penalty
and ONNX export with policies."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from agn.onnx import import_onnx, read_policies  # noqa: E402
from agn.training import (Controller, GUConv2d, GULinear, calibrate, expected_bits,  # noqa: E402
                          export_onnx, fake_quant_activation, fake_quant_weight,
                          granularity_penalty, hard_bits, units)
from agn.training.quant import quantize_symmetric  # noqa: E402

torch.set_num_threads(1)


def test_int8_error_bounded_by_half_a_step():
    w = torch.randn(16, 40)
    q = fake_quant_weight(w, "i8", channel_dim=0)
    step = w.abs().amax(dim=1, keepdim=True) / 127
    assert torch.all((q - w).abs() <= step / 2 + 1e-7)
    # Every value is on the grid of its row.
    assert torch.allclose(torch.round(q / step), q / step, atol=1e-4)


def test_int4_blocks_along_reduction():
    w = torch.randn(8, 64)
    q = fake_quant_weight(w, "i4", channel_dim=0, reduction_dim=1)
    blocks = w.reshape(8, 2, 32)
    step = (blocks.abs().amax(dim=2, keepdim=True) / 7).expand(-1, -1, 32).reshape(8, 64)
    assert torch.all((q - w).abs() <= step / 2 + 1e-7)
    # A reduction of 40 does not split into 32-blocks: per output channel.
    w2 = torch.randn(8, 40)
    q2 = fake_quant_weight(w2, "i4", channel_dim=0, reduction_dim=1)
    step2 = w2.abs().amax(dim=1, keepdim=True) / 7
    assert torch.all((q2 - w2).abs() <= step2 / 2 + 1e-7)


def test_activation_per_row_and_zero_rows():
    x = torch.randn(4, 10)
    x[2] = 0
    q = fake_quant_activation(x, "i4", row_dim=0)  # integer levels use i8 activations
    step = x.abs().amax(dim=1, keepdim=True).clamp_min(1e-30) / 127
    assert torch.all((q - x).abs() <= step / 2 + 1e-7)
    assert torch.all(q[2] == 0)


def test_round_half_even_like_agn():
    x = torch.tensor([[127.0, 0.5, 1.5, 2.5, -0.5]])
    # scale = 1: half-way values round to even.
    assert quantize_symmetric(x, 127, axis=0).tolist() == [[127.0, 0.0, 2.0, 2.0, -0.0]]


def test_float_levels_round_trip():
    x = torch.tensor([1.0 + 2 ** -12, 3.14159])
    assert fake_quant_activation(x, "f16")[0] == 1.0
    assert fake_quant_activation(x, "bf16")[1] == torch.tensor(3.14159).bfloat16().float()


@pytest.mark.parametrize("level", ["i4", "i8", "f16", "bf16"])
def test_straight_through_gradient(level):
    w = torch.randn(6, 64, requires_grad=True)
    q = fake_quant_weight(w, level, channel_dim=0, reduction_dim=1)
    (q * torch.arange(64.0)).sum().backward()
    assert torch.equal(w.grad, torch.arange(64.0).expand(6, 64))


def test_controller_rule_matches_agn_select():
    c = Controller(("i4", "i8", "f32"))
    c.set_thresholds([0.1, 1.0])
    assert c.thresholds() == pytest.approx([0.1, 1.0])
    stats = torch.tensor([0.05, 0.1, 0.5, 1.0, 7.0, float("nan"), float("inf")])
    assert c.select(stats).tolist() == [0, 1, 1, 2, 2, 2, 2]
    p = c.probabilities(stats)
    assert torch.allclose(p.sum(1), torch.ones(7))
    assert torch.all(p >= 0)


def test_thresholds_stay_increasing_under_any_parameters():
    c = Controller(("i4", "i8", "f16", "f32"))
    with torch.no_grad():
        c.gaps.fill_(-30.0)
    t = c.log_thresholds()
    assert torch.all(t[1:] > t[:-1])


def test_calibration_shares():
    c = Controller(("i4", "i8", "f32"))
    stats = torch.logspace(-3, 1, 1000)
    c.calibrate(stats, [0.5, 0.25, 0.25])
    levels = c.select(stats)
    shares = torch.bincount(levels, minlength=3).float() / 1000
    assert shares.tolist() == pytest.approx([0.5, 0.25, 0.25], abs=0.01)


def test_gu_layers_match_plain_layers_at_f32():
    torch.manual_seed(0)
    lin = GULinear(8, 4)
    conv = GUConv2d(2, 3, 3, padding=1, stride=2)
    x, xc = torch.randn(5, 8), torch.randn(5, 2, 6, 6)
    for layer in (lin, conv):
        layer.forced_level = "f32"
    assert torch.allclose(lin(x), F.linear(x, lin.weight, lin.bias), atol=1e-6)
    assert torch.allclose(conv(xc), F.conv2d(xc, conv.weight, conv.bias, 2, 1), atol=1e-6)
    assert conv.macs_per_sample == 3 * 3 * 3 * 2 * 3 * 3


def test_hard_forward_soft_gradient():
    torch.manual_seed(0)
    layer = GULinear(16, 4, levels=("i4", "f32"))
    x = torch.randn(32, 16) * torch.linspace(0.1, 3, 32)[:, None]
    layer.controller.calibrate(x.var(dim=1, unbiased=False), [0.5, 0.5])
    layer.train()
    y = layer(x)
    chosen = layer.last_levels
    want = torch.stack([layer.level_output(x[i:i + 1], layer.controller.levels[int(c)])[0]
                        for i, c in enumerate(chosen)])
    assert torch.allclose(y, want, atol=1e-5)  # per sample = a batch-1 call
    (y.sum() + granularity_penalty(layer, 1.0)).backward()
    assert layer.controller.first.grad is not None
    assert layer.weight.grad is not None


def _tiny_problem():
    torch.manual_seed(0)
    x = torch.randn(256, 1, 6, 6) * torch.rand(256, 1, 1, 1) * 3
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    model = nn.Sequential(GUConv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          GULinear(144, 2))
    return model, x, y


def _train(model, x, y, lam, steps=40):
    calibrate(model, x)
    weights = [p for n, p in model.named_parameters() if "controller" not in n]
    thresholds = [p for n, p in model.named_parameters() if "controller" in n]
    opt = torch.optim.Adam([{"params": weights, "lr": 2e-2},
                            {"params": thresholds, "lr": 0.15}])
    model.train()
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y) + granularity_penalty(model, lam)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    model(x)
    return hard_bits(model), float(expected_bits(model))


def test_penalty_lowers_mean_bits_as_lambda_grows():
    results = []
    for lam in (0.0, 0.3, 3.0):
        model, x, y = _tiny_problem()
        results.append(_train(model, x, y, lam))
    hard = [r[0] for r in results]
    expected = [r[1] for r in results]
    assert expected[0] > expected[1] > expected[2]
    assert hard[0] > hard[1] >= hard[2]
    assert hard[2] < 8


def test_export_carries_policies_into_the_ir(tmp_path):
    model, x, _ = _tiny_problem()
    calibrate(model, x)
    proto = export_onnx(model, x[:1], tmp_path / "m.onnx", graph_name="tiny")
    policies = read_policies(proto)
    assert len(policies) == 2
    conv_policy = policies[next(n.name for n in proto.graph.node if n.op_type == "Conv")]
    assert conv_policy.thresholds == pytest.approx(units(model)[0][1].controller.thresholds())
    text = import_onnx(str(tmp_path / "m.onnx"))
    assert text.count("agn.policy = #agn.policy<statistic = variance, levels = [i4, i8, f16, "
                      "f32]") == 2
    # The exported graph is the f32 model.
    import onnx
    from agn.testing.upstream import available, compile_upstream

    onnx.checker.check_model(proto)
    if available():
        (out,) = compile_upstream(text)(x[:1].numpy())
        with torch.no_grad():
            for _, unit in units(model):
                unit.adaptive = False
            want = model(x[:1]).numpy()
        np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
