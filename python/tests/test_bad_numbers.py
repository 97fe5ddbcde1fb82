"""Bad numbers at every level (issue 14, item 6).

NaN and infinite inputs must make every controller pick the most precise
level, so the adaptive model gives what IEEE arithmetic gives at f32; pinned
to a coarser level, such an input may not be laundered into a finite output.
Denormal, all-zero (zero variance), constant and empty inputs and a layer of
all-zero weights must give finite outputs within each level's bound: no scale
of zero is divided by, nothing traps.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import agn
from agn.testing import differential
from agn.testing.differential import grant_counters, granted_since, pin_all

torch = pytest.importorskip("torch")
nn = torch.nn
onnx = pytest.importorskip("onnx")

LEVELS = ["i4", "i8", "bf16", "f16", "f32"]


class ZeroBranchNet(nn.Module):
    """A convolution and two dense layers, the last of which has all-zero
    weights: its weight scale at i8 and i4 is zero. Its output is added to
    a slice of the live path so that every level still shows in the
    result."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 8 * 8, 10)
        self.zero = nn.Linear(10, 4)
        with torch.no_grad():
            self.zero.weight.zero_()

    def forward(self, x):
        h = torch.relu(self.fc(torch.relu(self.conv(x)).flatten(1)))
        return h[:, :4] + self.zero(h)


@pytest.fixture(scope="module")
def models():
    """The module, its plain f32 compile and its adaptive compile."""
    torch.manual_seed(0)
    module = ZeroBranchNet().eval()
    buffer = io.BytesIO()
    torch.onnx.export(module, torch.randn(1, 3, 8, 8), buffer, opset_version=13,
                      input_names=["x"], dynamic_axes={"x": {0: "n"}})
    proto = onnx.load_from_string(buffer.getvalue())
    plain = agn.compile(proto, name="bad_numbers_f32", input_shapes={"x": [1, 3, 8, 8]})
    adaptive = agn.compile(proto, name="bad_numbers", levels=LEVELS,
                           input_shapes={"x": [1, 3, 8, 8]})
    return module, plain, adaptive, proto


def reference(module, x: np.ndarray) -> np.ndarray:
    """The module in float64 (NaN and infinities as IEEE propagates them)."""
    with torch.no_grad():
        return module.double()(torch.from_numpy(x.astype(np.float64))).numpy()


def run_pinned(adaptive, level: str, x: np.ndarray) -> np.ndarray:
    """`adaptive(x)` with every unit pinned to `level`, unpinned after."""
    pin_all("bad_numbers", level)
    try:
        return adaptive(x)
    finally:
        pin_all("bad_numbers", None)


def sample() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)


def with_nan(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[0, 0, 2, 2] = np.nan
    return x


def with_inf(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[0, 1, 3, 3] = -np.inf
    return x


def with_nan_and_inf_apart(x: np.ndarray) -> np.ndarray:
    """NaN in one channel and +inf in another, far apart."""
    x = with_nan(x)
    x[0, 2, 7, 7] = np.inf
    return x


@pytest.mark.parametrize("make", [with_nan, with_inf, with_nan_and_inf_apart],
                         ids=["nan", "inf", "nan-and-inf"])
def test_non_finite_input_selects_f32(models, make):
    module, plain, adaptive, _ = models
    x = make(sample())
    before = grant_counters("bad_numbers")
    y = adaptive(x)
    granted = granted_since(before, "bad_numbers")
    # Every unit sees a non-finite input: the convolution directly, the
    # dense layers through the convolution's non-finite outputs.
    assert granted and set(granted.values()) == {"f32"}, granted
    y_plain = plain(x)
    # What IEEE arithmetic gives at f32: the adaptive model is the plain f32
    # model bit for bit, and both are non-finite where float64 is.
    np.testing.assert_array_equal(y, y_plain)
    expected = reference(module, x)
    np.testing.assert_array_equal(np.isfinite(y_plain), np.isfinite(expected))
    assert not np.all(np.isfinite(y_plain))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("make", [with_nan, with_inf], ids=["nan", "inf"])
def test_non_finite_input_is_never_hidden_at_a_pinned_level(models, make, level):
    _, plain, adaptive, _ = models
    x = make(sample())
    y = run_pinned(adaptive, level, x)
    y_plain = plain(x)
    hidden = ~np.isfinite(y_plain) & np.isfinite(y)
    assert not hidden.any(), f"{level}: finite outputs {y[hidden]} where f32 gives {y_plain[hidden]}"


def denormal(x: np.ndarray) -> np.ndarray:
    """Every element a denormal float (|x| < 2^-126) or zero."""
    y = (x.astype(np.float64) * 2.0**-130).astype(np.float32)
    assert np.all(np.abs(y) < np.finfo(np.float32).tiny)
    return y


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("make", [
    denormal,
    np.zeros_like,
    lambda x: np.full_like(x, 3.0),
], ids=["denormal", "zero", "constant"])
def test_degenerate_inputs_are_finite_and_within_bound(models, make, level):
    """Zero variance, denormals and the all-zero weight layer: finite and
    within the level's bound of float64 at every pinned level."""
    module, _, adaptive, _ = models
    x = make(sample())
    y = run_pinned(adaptive, level, x)
    assert np.all(np.isfinite(y)), f"{level}: {y}"
    units = len(differential.model_units("bad_numbers"))
    bound = differential.level_bound(level, units)
    error = differential.relative_error([y], [reference(module, x)])
    assert error <= bound, f"{level}: relative error {error:.3g} above {bound:.3g}"


def test_empty_batch_at_every_level(models):
    """A batch of zero rows: an empty result at every level, with no
    division by the zero element count of the statistics."""
    _, _, _, proto = models
    name = "bad_numbers_empty"
    compiled = agn.compile(proto, name=name, levels=LEVELS, input_shapes={"x": [0, 3, 8, 8]})
    for level in [None] + LEVELS:
        pin_all(name, level)
        y = compiled(np.zeros((0, 3, 8, 8), np.float32))
        assert y.shape == (0, 4), level
    pin_all(name, None)
