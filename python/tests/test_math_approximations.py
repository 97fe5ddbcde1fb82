"""exp and erf as agn compiles them (agn-cpu-approximate-math: upstream's
polynomial approximations instead of libm calls, so that the loops
vectorize), swept against float64 over every input range that matters:
the accuracy the pass documents, and the special values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from onnx import TensorProto, helper

from conftest import requires_compiler, requires_runtime

N = 1 << 20


def _unary(op: str, name: str, approximate_math: bool = True):
    import agn

    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"])], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [N])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [N])])
    model = agn.compile(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
                        name=name, approximate_math=approximate_math)
    return lambda x: np.asarray(model(np.resize(np.asarray(x, np.float32), N)))


def _ulps(y: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|y - exact| in units of the last place of float32 at `exact`."""
    return np.abs(y.astype(np.float64) - exact) / np.spacing(np.abs(exact).astype(np.float32))


@requires_compiler
@requires_runtime
def test_exp_is_within_four_ulps():
    """Every result in float32's normal range within 4 ulp (2.4e-7
    relative; libm's expf is within 1); results below the smallest normal
    flush to zero; overflow, infinities and NaN as IEEE has them."""
    exp = _unary("Exp", "approx_exp")
    x = np.linspace(-87.3, 88.7, N).astype(np.float32)
    exact = np.exp(x.astype(np.float64))
    assert _ulps(exp(x), exact).max() <= 4.0
    specials = [-np.inf, np.inf, np.nan, -1e38, 1e38, 0.0, -0.0, 89.0, -104.0, -3.4e38]
    got = exp(specials)[:len(specials)]
    with np.errstate(over="ignore"):
        want = np.exp(np.array(specials, np.float32))
    np.testing.assert_array_equal(got, want)
    tiny = exp([-103.9])[0]
    assert tiny == 0.0  # exp(-103.9) = 1.4e-45, a denormal: flushed


@requires_compiler
@requires_runtime
def test_erf_is_within_its_absolute_bound():
    """erf within 2.5e-7 of the exact value everywhere (a few ulp of
    results near one); odd, saturating at +-1, NaN in NaN out."""
    erf = _unary("Erf", "approx_erf")
    x = np.linspace(-6, 6, N).astype(np.float32)
    exact = np.array([math.erf(v) for v in x.astype(np.float64)])
    y = erf(x)
    assert np.abs(y - exact).max() <= 2.5e-7
    np.testing.assert_array_equal(y, -y[::-1])  # the sweep is symmetric
    specials = [-np.inf, np.inf, 10.0, -10.0, 3e38, 1e-30]
    got = erf(specials)[:len(specials)]
    np.testing.assert_allclose(got, [-1, 1, 1, -1, 1, 1.1283791e-30], rtol=1e-6)
    assert np.isnan(erf([np.nan])[0])


@requires_compiler
@requires_runtime
def test_softmax_and_gelu_stay_within_f32_tolerance():
    """A softmax over attention-sized rows and an erf GELU, against
    float64: the approximations keep them at f32's usual error."""
    import agn

    rows, cols = 1536, 128
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["s"], axis=-1),
         helper.make_node("Div", ["x", "sqrt2"], ["d"]),
         helper.make_node("Erf", ["d"], ["e"]),
         helper.make_node("Add", ["e", "one"], ["p"]),
         helper.make_node("Mul", ["x", "p"], ["m"]),
         helper.make_node("Mul", ["m", "half"], ["g"])], "softmax_gelu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, cols])],
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [rows, cols]),
         helper.make_tensor_value_info("g", TensorProto.FLOAT, [rows, cols])],
        [helper.make_tensor("sqrt2", TensorProto.FLOAT, [], [math.sqrt(2.0)]),
         helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
         helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])])
    model = agn.compile(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
                        name="approx_softmax_gelu")
    x = (np.random.default_rng(0).standard_normal((rows, cols)) * 4).astype(np.float32)
    s, g = model(x)
    x64 = x.astype(np.float64)
    z = np.exp(x64 - x64.max(-1, keepdims=True))
    softmax = z / z.sum(-1, keepdims=True)
    gelu = 0.5 * x64 * (1 + np.vectorize(math.erf)(x64 / math.sqrt(2)))
    assert np.abs(s - softmax).max() / softmax.max() <= 2e-6
    assert np.abs(g - gelu).max() / np.abs(gelu).max() <= 1e-6


@requires_compiler
@requires_runtime
def test_libm_on_request():
    """approximate_math=False keeps libm: exp correctly rounded but for a
    hair (libm's expf is within 1 ulp), denormal results kept."""
    import agn

    exp = _unary("Exp", "libm_exp", approximate_math=False)
    x = np.linspace(-87.3, 88.7, N).astype(np.float32)
    assert _ulps(exp(x), np.exp(x.astype(np.float64))).max() <= 1.0
    assert exp([-103.9])[0] == np.float32(np.exp(np.float64(np.float32(-103.9))))
    with pytest.raises(ValueError, match="approximate_math must be True or False"):
        agn.compile("func.func @f() { return }", approximate_math="no")
