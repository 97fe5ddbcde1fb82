"""The differential harness (agn.testing.differential) on models agn did not
write: every level against a higher-precision reference, pinned-f32
adaptive code against plain f32 code, and the free adaptive path against
its policies. CI's slice of the corpus; scripts/differential_corpus.sh
runs the whole of it."""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np
import pytest

import agn
from agn.testing import corpus, differential

torch = pytest.importorskip("torch")
nn = torch.nn


class ConvNet(nn.Module):
    """A residual conv block with batch norm, pooling and a dense head: two
    units whose destinations CSE merges (the resnet18 miscompile)."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        y = torch.relu(self.bn(self.c1(x)))
        y = y + torch.relu(self.c2(y))
        y = nn.functional.max_pool2d(y, 2)
        return self.fc(y.flatten(1))


class AttentionBlock(nn.Module):
    """Multi-head self-attention (4-D MatMuls, Softmax), a residual, layer
    norm written out as ReduceMean/Sub/Pow/Sqrt/Div, and HardSwish: the
    shape of the text recognizer's attention that was wrong adaptively."""

    def __init__(self, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ff = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)

        def heads(z):
            return z.reshape(b, t, self.heads, c // self.heads).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        attention = torch.softmax(q @ k.transpose(-1, -2) / (c // self.heads) ** 0.5, dim=-1)
        y = x + self.out((attention @ v).transpose(1, 2).reshape(b, t, c))
        mean = y.mean(-1, keepdim=True)
        y = (y - mean) / torch.sqrt(((y - mean) ** 2).mean(-1, keepdim=True) + 1e-5)
        return y + nn.functional.hardswish(self.ff(y))


class GroupedConvNet(nn.Module):
    """A depthwise convolution (one filter per channel: its weight scales
    follow the groups) and a grouped one with four filters per group."""

    def __init__(self) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.grouped = nn.Conv2d(8, 16, 3, groups=2)
        self.fc = nn.Linear(16 * 6 * 6, 10)

    def forward(self, x):
        y = torch.relu(self.grouped(torch.relu(self.depthwise(x))))
        return self.fc(y.flatten(1))


class Conv1d3dNet(nn.Module):
    """A 3-D convolution whose output a 1-D convolution reads (depths and
    channels flattened into channels)."""

    def __init__(self) -> None:
        super().__init__()
        self.c3 = nn.Conv3d(3, 4, 3)
        self.c1 = nn.Conv1d(8, 4, 3)

    def forward(self, x):
        y = torch.relu(self.c3(x))
        return self.c1(y.reshape(1, 8, 36))


def _assert_passes(report: differential.Report) -> None:
    assert report.passed, "\n".join(report.lines())
    names = [c.name for c in report.checks]
    assert names == ["f32", "pinned f32", "pinned i4", "pinned i8", "pinned bf16",
                     "pinned f16", "adaptive", "units"]


@pytest.mark.parametrize("module,shape,units", [
    (ConvNet, (1, 3, 16, 16), 3),
    # qkv, q @ k^T, attention @ v, out, ff.
    (AttentionBlock, (1, 8, 32), 5),
    (GroupedConvNet, (1, 8, 8, 8), 3),
    (Conv1d3dNet, (1, 3, 4, 8, 8), 2),
])
def test_models_pass_every_level(module, shape, units):
    torch.manual_seed(0)
    x = torch.randn(*shape).numpy()
    report = differential.check_torch_module(module(), [x], f"diff_{module.__name__}")
    _assert_passes(report)
    assert report.units == units
    checks = {c.name: c for c in report.checks}
    # Each pinned run ran every unit at its level.
    for level in ("f32",) + differential.PINNED_LEVELS:
        assert checks[f"pinned {level}"].granted[level] == units
    # Pinned f32 adaptive code is the plain f32 code.
    assert checks["pinned f32"].error <= 1e-6
    # The report says where the adaptive compile's time went.
    assert list(report.compile_stages) == ["agn passes", "lowering", "translation to LLVM IR",
                                           "LLVM optimization", "machine code"]
    assert sum(report.compile_stages.values()) <= report.compile_seconds["adaptive"]
    assert any(line.startswith("  adaptive compile: agn passes") for line in report.lines())


@pytest.mark.skipif(not os.path.isdir("/usr/share/libonnx-testdata/data/pytorch-converted"),
                    reason="libonnx-testdata is not installed")
@pytest.mark.parametrize("name", ["test_Linear", "test_operator_addmm", "test_operator_conv",
                                  # Grouped 1-D and 3-D convolutions (no named linalg
                                  # op) form units: they formed none before.
                                  "test_Conv1d_groups", "test_Conv3d_groups",
                                  # ONNX's node tests: automatic pads; a ConvTranspose
                                  # whose weights are an input the importer binds.
                                  "test_conv_with_autopad_same",
                                  "test_convtranspose_output_shape"])
def test_onnx_testdata_models(name):
    """ONNX's models (node tests, PyTorch-converted ones) against the outputs
    they ship."""
    case = next(c for c in corpus.onnx_testdata_cases() if c.name == name)
    report = corpus.check_onnx_case(case)
    assert isinstance(report, differential.Report), report
    _assert_passes(report)
    assert report.units >= 1


def test_bounds_grow_with_step_and_units():
    assert differential.level_bound("i4", 1) > differential.level_bound("i8", 1)
    assert differential.level_bound("i8", 1) > differential.level_bound("f16", 1)
    assert differential.level_bound("f16", 1) > differential.level_bound("f32", 1)
    assert differential.level_bound("i8", 16) == pytest.approx(
        4 * differential.level_bound("i8", 1))
    assert differential.level_bound("f32", 1, f32_reference=True) > \
        differential.level_bound("f32", 1)


def test_relative_error():
    ref = [np.array([1.0, -2.0])]
    assert differential.relative_error([np.array([1.0, -2.0])], ref) == 0
    assert differential.relative_error([np.array([1.5, -2.0])], ref) == pytest.approx(0.25)
    assert differential.relative_error([np.array([np.nan, -2.0])], ref) == math.inf
    assert differential.relative_error([np.zeros(3)], ref) == math.inf


def test_policies_from_ir_and_bands():
    ir = ('%0 = agn.unit "m.fc" levels [i8, f32] policy #agn.policy<levels = [i8, f32], '
          'thresholds = [2.000000e-02]> costs []\n'
          '%1 = agn.unit "m.c" levels [i4, i8, f32] policy #agn.policy<statistic = abs_max, '
          'levels = [i4, i8, f32], thresholds = [1.0, 2.0], hysteresis = 0.1> costs []')
    policies = differential.unit_policies(ir)
    assert policies == {"m.fc": (["i8", "f32"], [0.02]),
                        "m.c": (["i4", "i8", "f32"], [1.0, 2.0])}
    levels, thresholds = policies["m.c"]
    assert differential.policy_level(levels, thresholds, 0.5) == "i4"
    assert differential.policy_level(levels, thresholds, 1.0) == "i8"
    assert differential.policy_level(levels, thresholds, 3.0) == "f32"
    assert differential.policy_level(levels, thresholds, math.nan) == "f32"


def test_unit_operands_are_added_in_graph_order():
    """with_unit_operands returns each contraction's output and the operands
    it computes from, once each, and says where every operand comes from."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="first"),
         helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "w"], ["y"], name="second")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1, 0, 0, 1])])
    model = helper.make_model(graph)
    augmented, nodes, sources = differential.with_unit_operands(model)
    assert [n.name for n in nodes] == ["first", "second"]
    # The model's own output is already one of the units' outputs.
    assert [o.name for o in augmented.graph.output] == ["y", "h", "r"]
    assert sources == [[("input", 0), ("initializer", "w")],
                       [("output", 2), ("initializer", "w")]]
    assert len(model.graph.output) == 1


def test_batched_matmul_with_odd_columns_at_every_level():
    """Softmax x V of an attention with 15 columns per head: at i4 the odd
    operand was sliced out of packed i4 storage and did not lower
    ('failed to legalize memref.subview')."""
    from onnx_builders import single_node

    rng = np.random.default_rng(0)
    a = rng.standard_normal((1, 2, 8, 8)).astype(np.float32)
    b = rng.standard_normal((1, 2, 8, 15)).astype(np.float32)
    model = single_node("MatMul", {"a": a, "b": b}, node_name="/attn/MatMul")
    report = differential.DifferentialTest(
        model, [a, b], lambda xs: [xs[0].astype(np.float64) @ xs[1]], "diff_odd").run()
    _assert_passes(report)


def test_f16_keeps_small_activations():
    """Activations around 1e-7 (deep random-weight networks reach them;
    mobilenet_v2's last layers do) are below f16's normal range: the f16
    version scales them by a power of two first instead of rounding them to
    zero (mobilenet_v2 pinned at f16 returned all zeros)."""
    torch.manual_seed(0)
    x = (torch.randn(1, 3, 16, 16) * 1e-7).numpy()
    report = differential.check_torch_module(ConvNet(), [x], "diff_tiny")
    _assert_passes(report)
    assert {c.name: c for c in report.checks}["pinned f16"].granted["f16"] == 3


def test_models_and_callers_in_parallel():
    """Two models, each compiled plain and adaptively on one and on two
    threads, called from two Python threads at once: every result right."""
    import threading

    torch.manual_seed(0)
    cases = []
    for index, (module, shape) in enumerate([(ConvNet, (1, 3, 16, 16)),
                                             (AttentionBlock, (1, 8, 32))]):
        net = module().eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            reference = net(x).numpy()
        with tempfile.TemporaryDirectory() as directory:
            path = f"{directory}/m.onnx"
            torch.onnx.export(net, (x,), path, opset_version=13)
            compiled = [agn.compile(path, name=f"par{index}_{threads}_{adaptive}",
                                    threads=threads, adaptive=adaptive,
                                    **({"levels": ["i8", "f32"]} if adaptive else {}))
                        for threads in (1, 2) for adaptive in (False, True)]
        cases.append((x.numpy(), reference, compiled))
    errors = []

    def call() -> None:
        for _ in range(10):
            for x, reference, compiled in cases:
                for model in compiled:
                    error = differential.relative_error([model(x)], [reference])
                    # i8 at most (the adaptive versions), f32 otherwise.
                    if error > differential.level_bound("i8", 5):
                        errors.append(error)

    callers = [threading.Thread(target=call) for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert not errors, errors


def test_photo_is_a_normalised_square_image():
    """The corpus's photographs: scikit-learn's, centre-cropped to 224 x 224
    and normalised with ImageNet's statistics (so about zero mean, unit
    spread per channel, and far from normal noise: neighbours correlate)."""
    pytest.importorskip("sklearn")
    x = differential.photo("china.jpg")
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    assert np.all(np.isfinite(x))
    assert 0.2 < float(x.std()) < 3.0
    neighbours = np.corrcoef(x[0, :, :, :-1].ravel(), x[0, :, :, 1:].ravel())[0, 1]
    assert neighbours > 0.8
