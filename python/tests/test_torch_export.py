"""Held-out models: networks exported by PyTorch's own ONNX exporter (not
written for these tests) import, compile and match PyTorch's outputs."""

from __future__ import annotations

import io

import numpy as np
import onnx
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from agn.onnx import import_onnx  # noqa: E402

torch.set_num_threads(1)


def _export(model: nn.Module, x: torch.Tensor, opset: int = 13) -> onnx.ModelProto:
    buffer = io.BytesIO()
    torch.onnx.export(model.eval(), x, buffer, opset_version=opset)
    return onnx.load_from_string(buffer.getvalue())


def _check(backend, model: nn.Module, x: torch.Tensor, opset: int = 13) -> None:
    proto = _export(model, x, opset)
    (got,) = backend(import_onnx(proto))(x.numpy())
    with torch.no_grad():
        want = model(x).numpy()
    assert got.shape == want.shape
    scale = max(float(np.abs(want).max()), 1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * scale)


class Glue(nn.Module):
    """The shape glue and activations exporters emit around the layers:
    x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Concat, Reshape), F.pad,
    ReLU6 (Clip), chunk (Split or Slice), mean (ReduceMean), cat, GELU (Erf),
    LogSoftmax."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 4 * 4 + 8, 10)

    def forward(self, x):
        x = F.pad(x, (1, 1, 1, 1))
        x = F.relu6(self.bn(self.conv(x)))
        a, b = x.chunk(2, dim=1)
        x = torch.cat([b, a * 0.5], dim=1)
        pooled = x.mean(dim=(2, 3))
        x = F.avg_pool2d(x, 2, ceil_mode=True)
        x = torch.cat([x.view(x.size(0), -1), pooled], dim=1)
        return F.log_softmax(F.gelu(self.fc(x)), dim=1)


@pytest.mark.parametrize("opset", [11, 13])
def test_exported_glue(backend, opset):
    torch.manual_seed(0)
    model = Glue()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    _check(backend, model, torch.randn(2, 3, 14, 14), opset)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "squeezenet1_0",
                                  "shufflenet_v2_x0_5"])
def test_torchvision(preferred_backend, name):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(num_classes=10)
    _check(preferred_backend, model, torch.randn(1, 3, 64, 64))
