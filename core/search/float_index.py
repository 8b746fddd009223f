"""Exact cosine search over an immutable in-memory matrix of L2-normalised vectors.

A score is the cosine similarity of two unit vectors, so it lies in [-1, 1]. Vectors are
stored as float16, whose rounding moves a row's length off 1 by up to ~3e-4 (a photo
queried by itself scored 1.0003): :func:`unit_rows` makes decoded rows unit length
again, and scores are clipped to [-1, 1] against float32 rounding in the dot product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.types import FloatArray

IdArray = npt.NDArray[np.int64]


def unit_rows(vectors: FloatArray) -> FloatArray:
    """``vectors`` (n, dim) as float32 rows of length 1 (all-zero rows stay zero)."""
    x = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit: FloatArray = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    return unit


def _cosine(vectors: FloatArray, query: FloatArray) -> FloatArray:
    scores = vectors @ np.asarray(query, dtype=np.float32).reshape(-1)
    clipped: FloatArray = np.clip(scores, -1.0, 1.0).astype(np.float32, copy=False)
    return clipped


TIE_DECIMALS = 6
"""Cosine scores that agree to this many decimals rank as ties (broken by item id)."""


def tie_key(scores: FloatArray) -> npt.NDArray[np.floating[Any]]:
    """The sort key of scores: rounded so that last-bit BLAS noise cannot reorder ties."""
    return np.round(np.asarray(scores, dtype=np.float64), TIE_DECIMALS)


@dataclass(frozen=True)
class FloatIndex:
    """Row ``i`` of ``vectors`` belongs to item ``ids[i]``; rows are made unit-norm float32.

    Rows are normalised again here: features are stored as float16, whose rounding moves
    a row's norm by up to ~3e-4, and that first-order error ranked a near-copy of a photo
    (cosine 0.99997, with a norm rounded up) above the photo itself, with scores above 1.
    """

    ids: IdArray
    vectors: FloatArray

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.ids) != len(self.vectors):
            raise ValueError(
                f"ids {self.ids.shape} and vectors {self.vectors.shape} do not line up"
            )
        if len(self.ids) > 1 and not bool(np.all(np.diff(self.ids) > 0)):
            raise ValueError("ids must be strictly increasing")
        object.__setattr__(self, "vectors", unit_rows(self.vectors))
        self.ids.setflags(write=False)
        self.vectors.setflags(write=False)

    def __len__(self) -> int:
        return len(self.ids)

    def top_k(self, query: FloatArray, k: int) -> tuple[IdArray, FloatArray]:
        """The ``k`` rows most similar to ``query`` (dim,): (ids, cosine scores), best first.

        Ties keep index order, so results are deterministic. Scores equal to
        :data:`TIE_DECIMALS` decimals are ties: identical vectors (a photo and its lossless
        copy) get dot products that differ in the last bit depending on where BLAS puts
        their rows, which made exact and re-ranked results order them differently.
        """
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = _cosine(self.vectors, query)
        k = min(k, len(scores))
        key = tie_key(scores)
        # every row tied with the k-th best is a candidate, so ties at the cut go by id too
        kth = np.partition(-key, k - 1)[k - 1]
        candidates = np.flatnonzero(-key <= kth)
        order = candidates[np.lexsort((candidates, -key[candidates]))][:k]
        return self.ids[order], scores[order].astype(np.float32)

    def scores_of(self, query: FloatArray, ids: IdArray) -> FloatArray:
        """Cosine scores of ``query`` against the rows of ``ids`` (all must be present)."""
        rows = np.searchsorted(self.ids, ids)
        if rows.size and (rows.max() >= len(self.ids) or (self.ids[rows] != ids).any()):
            raise KeyError("some ids have no vector in this index")
        return _cosine(self.vectors[rows], query)
