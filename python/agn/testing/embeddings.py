"""Sentence embeddings at every level: the task-level check of issue 11.

A sentence-embedding model, compiled plain (f32) and adaptively, embeds
each sentence at f32, with every unit pinned to each level, and with the
controllers free. Per level it reports the smallest cosine similarity
between a sentence's embedding and its f32 embedding, and whether the
paraphrase pairs still rank above every unrelated pair (the margin: the
least cosine of a paraphrase pair less the greatest of an unrelated pair).

**The bound.** `agn.testing.differential` bounds an output's relative
error at level L by b: the bound its noise model derives for the model at
L (the `pinned L` check's), or else the first-order `level_bound(L, n)`.
An embedding e' = e + d with |d| <= b |e| is at most arcsin(b) away from
e, so cos(e, e') >= sqrt(1 - b^2); for b >= 1 the bound says nothing (0). Paraphrase ranking is then guaranteed when every
embedding's angle arcsin(b) is under a quarter of the f32 embeddings'
angular gap between the closest unrelated pair and the farthest
paraphrase pair (each pair's angle moves by at most twice arcsin(b)); a
level that loses the ranking where it is guaranteed fails, elsewhere the
ranking is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import numpy as np

from agn import runtime
from agn.testing.differential import (PINNED_LEVELS, Check, grant_counters, level_bound,
                                      model_units, pin_all)

Rows = Sequence[Sequence[np.ndarray]]
Pairs = Sequence[Tuple[int, int]]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row i: the cosine similarity of a[i] and b[i]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def ranking_margin(embeddings: np.ndarray, pairs: Pairs) -> float:
    """The least cosine of a paraphrase pair less the greatest cosine of
    two sentences that are not a pair (> 0: every pair ranks first)."""
    e = np.asarray(embeddings, np.float64)
    e = e / np.linalg.norm(e, axis=1, keepdims=True)
    similarity = e @ e.T
    paired = {tuple(sorted(p)) for p in pairs}
    n = len(e)
    unrelated = [similarity[i, j] for i in range(n) for j in range(i + 1, n)
                 if (i, j) not in paired]
    return float(min(similarity[i, j] for i, j in paired) - max(unrelated))


def cosine_bound(level: str, units: int, bounds: Optional[Mapping[str, float]] = None) -> float:
    """The least cosine against f32 that a relative error bound b allows at
    `level`: b from `bounds` (the differential checks' derived bounds, by
    level), or else the first-order model `level_bound`."""
    b = (bounds or {}).get(level) or level_bound(level, units)
    return math.sqrt(1 - b * b) if b < 1 else 0.0


def ranking_cosine(f32: np.ndarray, pairs: Pairs) -> float:
    """The least cosine against `f32` that keeps the ranking of the pairs:
    each pair's angle moves by at most twice the embeddings' angle, so a
    quarter of f32's angular gap between the farthest paraphrase pair and
    the closest unrelated pair is safe (no gap: 1)."""
    e = np.asarray(f32, np.float64)
    e = e / np.linalg.norm(e, axis=1, keepdims=True)
    similarity = np.clip(e @ e.T, -1, 1)
    paired = {tuple(sorted(p)) for p in pairs}
    n = len(e)
    farthest_pair = max(math.acos(similarity[i, j]) for i, j in paired)
    closest_unrelated = min(math.acos(similarity[i, j]) for i in range(n)
                            for j in range(i + 1, n) if (i, j) not in paired)
    return math.cos(max(closest_unrelated - farthest_pair, 0.0) / 4)


@dataclass
class LevelSimilarity:
    """One level's embeddings against f32."""

    level: str
    min_cosine: float
    bound: float
    margin: float
    ranking_required: bool
    coarsest: str

    @property
    def passed(self) -> bool:
        return self.min_cosine >= self.bound and (self.margin > 0 or not self.ranking_required)

    def check(self) -> Check:
        """As a differential `Check`: the error is 1 - min cosine."""
        ranking = ("paraphrases rank first" if self.margin > 0 else "paraphrase ranking lost")
        detail = (f"min cosine {self.min_cosine:.6f} (bound {self.bound:.6f}); {ranking} "
                  f"(margin {self.margin:.3f}"
                  + ("" if self.ranking_required else ", not guaranteed at this level")
                  + ")" + (f"; coarsest unit {self.coarsest}" if self.coarsest != self.level
                           else ""))
        return Check(f"cosine {self.level}", 1 - self.min_cosine, 1 - self.bound, self.passed,
                     detail=detail)


def _granted_since(before: Dict[str, Dict[str, int]], prefix: str) -> Set[str]:
    """Every level a unit of `prefix` was granted since `before`."""
    return {level for unit in model_units(prefix) for level, count in unit["granted"].items()
            if count > before.get(unit["name"], {}).get(level, 0)}


def _embed(model: Callable, rows: Rows, output: int) -> np.ndarray:
    out = []
    for row in rows:
        y = model(*row)
        y = y if isinstance(y, (list, tuple)) else (y,)
        out.append(np.asarray(y[output], np.float64).reshape(-1))
    return np.stack(out)


def similarities(plain: Callable, adaptive: Callable, prefix: str, rows: Rows, output: int,
                 pairs: Pairs, units: Optional[int] = None,
                 bounds: Optional[Mapping[str, float]] = None) -> List[LevelSimilarity]:
    """Each level's embeddings of `rows` (one call's inputs each) against
    the f32 ones: every unit of `adaptive` (units named `prefix.*`) pinned
    to i4, i8, bf16, f16, then the controllers free ("adaptive", against
    the bound of the coarsest level granted on any sentence). `output` is
    the embedding's index among the model's outputs; `bounds` the relative
    error bound of each level (see `cosine_bound`)."""
    f32 = _embed(plain, rows, output)
    adaptive(*rows[0])  # Registers the units, if no call has yet.
    n = units if units is not None else len(grant_counters(prefix))
    results = []
    for level in PINNED_LEVELS + ("adaptive",):
        pin_all(prefix, None if level == "adaptive" else level)
        before = grant_counters(prefix)
        embeddings = _embed(adaptive, rows, output)
        coarsest = min(_granted_since(before, prefix), key=runtime.level_index,
                       default="f32" if level == "adaptive" else level)
        bound = cosine_bound(coarsest, n, bounds)
        results.append(LevelSimilarity(
            level, float(cosines(embeddings, f32).min()), bound,
            ranking_margin(embeddings, pairs), bound > ranking_cosine(f32, pairs),
            coarsest))
    pin_all(prefix, None)
    return results
