"""The bounds of one unit from its own operands (agn.testing.unit_bounds) and
the noise model built on them (agn.testing.differential): the operators
agree with agn's f32 code, a unit rounded as agn's scheme rounds stays
within its bound, and a unit that is wrong by a little leaves it."""

from __future__ import annotations

import math

import numpy as np
import onnx
import onnx.helper as helper
import onnx.numpy_helper
import pytest

import agn
from agn.testing import differential, unit_bounds
from conftest import requires_compiler, requires_runtime

torch = pytest.importorskip("torch")


def _node(op_type: str, inputs, **attributes) -> onnx.NodeProto:
    return helper.make_node(op_type, list(inputs), ["y"], name=f"the_{op_type}", **attributes)


def _single_node_model(node: onnx.NodeProto, values) -> onnx.ModelProto:
    """`node` as a model: its first operand the input, the rest constants."""
    initializers = [onnx.numpy_helper.from_array(np.asarray(v, np.float32), name)
                    for name, v in zip(node.input[1:], values[1:])]
    graph = helper.make_graph(
        [node], "unit", [helper.make_tensor_value_info(node.input[0], onnx.TensorProto.FLOAT,
                                                       list(values[0].shape))],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


RNG = np.random.default_rng(0)

#: Units with the attributes the bounds model: asymmetric pads, automatic
#: pads, strides, dilations, groups (depthwise with a multiplier), transposed
#: convolutions with output padding or an output shape, Einsum, Gemm's
#: transposes and scales, batched MatMul.
CASES = {
    "conv2d": (_node("Conv", ["x", "w", "b"], pads=[1, 0, 2, 1], strides=[2, 1],
                     dilations=[1, 2]),
               [RNG.standard_normal((1, 4, 9, 8)), RNG.standard_normal((6, 4, 3, 3)),
                RNG.standard_normal(6)]),
    "depthwise": (_node("Conv", ["x", "w"], group=4, pads=[1, 1, 1, 1]),
                  [RNG.standard_normal((1, 4, 7, 7)), RNG.standard_normal((8, 1, 3, 3))]),
    "conv1d": (_node("Conv", ["x", "w", "b"], pads=[0, 1]),
               [RNG.standard_normal((1, 3, 10)), RNG.standard_normal((5, 3, 1)),
                RNG.standard_normal(5)]),
    "conv3d": (_node("Conv", ["x", "w"], strides=[1, 2, 2]),
               [RNG.standard_normal((1, 2, 4, 6, 6)), RNG.standard_normal((3, 2, 2, 3, 3))]),
    "conv_transpose": (_node("ConvTranspose", ["x", "w", "b"], strides=[3, 2],
                             pads=[1, 0, 0, 1], output_padding=[1, 0]),
                       [RNG.standard_normal((1, 3, 5, 4)), RNG.standard_normal((3, 4, 3, 3)),
                        RNG.standard_normal(4)]),
    # Activations 5 orders of magnitude below the largest: subnormal in f16
    # even after scaling (their rounding is absolute, not relative).
    "small_activations": (_node("Conv", ["x", "w"], group=4, pads=[1, 1, 1, 1]),
                          [RNG.standard_normal((1, 4, 6, 6))
                           * np.where(RNG.random((1, 4, 6, 6)) < 0.5, 1e-5, 1.0),
                           RNG.standard_normal((4, 1, 3, 3))]),
    "conv_same_lower": (_node("Conv", ["x", "w"], auto_pad="SAME_LOWER", strides=[2, 2]),
                        [RNG.standard_normal((1, 2, 7, 8)), RNG.standard_normal((3, 2, 3, 2))]),
    "conv_transpose_output_shape": (_node("ConvTranspose", ["x", "w"], strides=[2, 2],
                                          output_shape=[10, 9]),
                                    [RNG.standard_normal((1, 2, 4, 4)),
                                     RNG.standard_normal((2, 3, 3, 3))]),
    "conv_transpose_same_upper": (_node("ConvTranspose", ["x", "w"], strides=[2],
                                        auto_pad="SAME_UPPER"),
                                  [RNG.standard_normal((1, 2, 5)), RNG.standard_normal((2, 3, 4))]),
    "einsum": (_node("Einsum", ["x", "w"], equation="bij,jk->bik"),
               [RNG.standard_normal((2, 3, 8)), RNG.standard_normal((8, 5))]),
    "gemm": (_node("Gemm", ["x", "w", "b"], transB=1, alpha=0.5, beta=2.0),
             [RNG.standard_normal((5, 16)), RNG.standard_normal((7, 16)),
              RNG.standard_normal(7)]),
    "matmul": (_node("MatMul", ["x", "w"]),
               [RNG.standard_normal((1, 6, 24)), RNG.standard_normal((24, 10))]),
}


@requires_compiler
@requires_runtime
@pytest.mark.parametrize("case", sorted(CASES))
def test_f32_units_within_their_bound(case):
    """agn's f32 code of each unit against the float64 operator: within the
    rounding-only bound of f32 (which a mistake in the operator, such as a
    misplaced pad, would leave by orders of magnitude)."""
    node, values = CASES[case]
    values = [np.asarray(v, np.float32) for v in values]
    compiled = agn.compile(_single_node_model(node, values), name=f"ub_{case}")
    output = compiled(values[0])
    check = unit_bounds.check_unit(node, values, output, "f32")
    assert check.passed, (case, check)
    assert check.error < 1e-6


def _fake_quantize(x: np.ndarray, group_max: np.ndarray, steps: int) -> np.ndarray:
    scale = group_max / steps
    return np.round(x / scale) * scale


def _emulate(node: onnx.NodeProto, values, level: str) -> np.ndarray:
    """The unit as agn's scheme computes it at `level`, in float64: operands
    rounded (i8: the activation per row or tensor, the weight per output
    channel; bf16, f16: each element), then the exact operator."""
    a, w = (np.asarray(v, np.float64) for v in values[:2])
    op, activation_max, weight_max, _ = unit_bounds._unit_op(node, a, w)
    if level == "i8":
        a = _fake_quantize(a, activation_max(a), 127)
        w = _fake_quantize(w, weight_max(w), 127)
    elif level == "bf16":
        a, w = (torch.from_numpy(v).to(torch.bfloat16).double().numpy() for v in (a, w))
    else:
        # f16 scales the activations by the power of two that brings their
        # largest magnitude into [1, 2) first.
        scale = 2.0 ** -math.floor(math.log2(np.abs(a).max()))
        a = (a * scale).astype(np.float16).astype(np.float64) / scale
        w = w.astype(np.float16).astype(np.float64)
    product = op(a, w)
    return product + unit_bounds._bias(node, values, product.shape)


#: One element moved by this much of the largest: about 8, 5 and 10 steps.
SHIFT = {"i8": 0.06, "bf16": 0.02, "f16": 0.005}


@pytest.mark.parametrize("level", ["i8", "bf16", "f16"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_rounded_units_within_and_wrong_ones_outside(case, level):
    """A unit rounded as the level rounds passes; the same unit with its
    result 3 % too large, or one element off by a few times the level's
    step (of the largest element: 6 % at i8, 2 % at bf16, 0.5 % at f16),
    fails."""
    node, values = CASES[case]
    output = _emulate(node, values, level)
    check = unit_bounds.check_unit(node, values, output, level)
    assert check.passed, (case, level, check)

    scaled = unit_bounds.check_unit(node, values, output * 1.03, level)
    assert not scaled.passed, (case, level, scaled)
    moved = output.copy()
    moved.flat[moved.size // 2] += SHIFT[level] * np.abs(output).max()
    assert not unit_bounds.check_unit(node, values, moved, level).passed


def test_sampled_errors_have_the_modelled_spread():
    """The noise model's draws of a unit's error have the standard deviation
    the bound uses (op(da^2, w^2) + op(a^2, dw^2)) / 3, to within the
    draws' own scatter, and no draw exceeds the worst case."""
    node, values = CASES["conv2d"]
    rounded = unit_bounds.rounded_operands(node, values, "i8")
    sigma, worst = rounded.sigma(), rounded.worst_case()
    rng = np.random.default_rng(1)
    draws = np.stack([unit_bounds.sample_error(node, values, "i8", rng) for _ in range(400)])
    assert np.all(np.abs(draws) <= worst * (1 + 1e-12))
    measured = draws.std(axis=0) / sigma
    # 400 draws: the ratio of standard deviations scatters by about 4 %.
    assert abs(float(np.median(measured)) - 1.0) < 0.05


def test_unsupported_units_are_named():
    node = _node("Einsum", ["x", "w"], equation="...ij,jk->...ik")
    with pytest.raises(unit_bounds.UnsupportedUnit, match="ellipsis"):
        unit_bounds.check_unit(node, [np.ones((2, 3)), np.ones((3, 2))], np.ones((2, 2)), "i8")
    node = _node("Einsum", ["x"], equation="ij->ji")
    with pytest.raises(unit_bounds.UnsupportedUnit, match="no contraction of two"):
        unit_bounds.check_unit(node, [np.ones((2, 3))], np.ones((3, 2)), "i8")


def test_false_alarm_quantile():
    """z = sqrt(2 ln(2 N / p)): a thousand elements 6.5, a million 7.5; and
    the check's bound is z sigma where that is below the worst case (a
    unit of 512 terms)."""
    assert unit_bounds.elementwise_quantile(1000) == pytest.approx(6.5, abs=0.05)
    assert unit_bounds.elementwise_quantile(10**6) == pytest.approx(7.5, abs=0.05)
    node = _node("MatMul", ["x", "w"])
    values = [RNG.standard_normal((4, 512)), RNG.standard_normal((512, 8))]
    rounded = unit_bounds.rounded_operands(node, values, "i8")
    z = unit_bounds.elementwise_quantile(4 * 8)
    assert np.all(z * rounded.sigma() < rounded.worst_case())
    # An error of 0.9 z sigma on every element passes; 1.1 z sigma fails.
    output = _emulate(node, values, "i8")
    exact = rounded.op(rounded.a, rounded.w) + unit_bounds._bias(node, values, output.shape)
    for factor, passes in ((0.9, True), (1.1, False)):
        moved = exact + factor * z * rounded.sigma()
        assert unit_bounds.check_unit(node, values, moved, "i8").passed == passes


@requires_compiler
@requires_runtime
def test_noise_inputs_add_to_unit_outputs():
    """with_unit_noise: zero noise leaves the model's outputs as they were;
    noise on the last unit (a Gemm) reaches the output unchanged."""
    node, values = CASES["gemm"]
    model = _single_node_model(node, values)
    x = np.asarray(values[0], np.float32)
    plain = agn.compile(model, name="ub_noise_plain")(x)
    noisy = agn.compile(differential.with_unit_noise(model, {"y": (5, 7)}), name="ub_noise")
    assert np.array_equal(noisy(x, np.zeros((5, 7), np.float32)), plain)
    noise = np.arange(35, dtype=np.float32).reshape(5, 7) / 100
    np.testing.assert_allclose(noisy(x, noise), plain + noise, rtol=1e-6, atol=1e-6)


def test_model_bound_from_draws():
    """The largest draw plus four standard deviations plus the f32 bound;
    without draws, the f32 bound alone."""
    draws = [1.0e-2, 1.2e-2, 1.1e-2, 0.9e-2]
    f32 = differential.level_bound("f32", 3)
    expected = 1.2e-2 + 4 * float(np.std(draws, ddof=1)) + f32
    assert differential.model_bound(draws, 3) == pytest.approx(expected)
    assert differential.model_bound([], 3) == f32
