"""Exact cosine search over an immutable in-memory matrix of L2-normalised vectors.

A score is the cosine similarity of two unit vectors, so it lies in [-1, 1]. Vectors are
stored as float16, whose rounding moves a row's length off 1 by up to ~3e-4 (a photo
queried by itself scored 1.0003): :func:`unit_rows` makes decoded rows unit length
again, and scores are clipped to [-1, 1] against float32 rounding in the dot product.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class FloatIndex:
    """Row ``i`` of ``vectors`` belongs to item ``ids[i]``; rows are unit-norm float32."""

    ids: IdArray
    vectors: FloatArray

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.ids) != len(self.vectors):
            raise ValueError(
                f"ids {self.ids.shape} and vectors {self.vectors.shape} do not line up"
            )
        if len(self.ids) > 1 and not bool(np.all(np.diff(self.ids) > 0)):
            raise ValueError("ids must be strictly increasing")
        self.ids.setflags(write=False)
        self.vectors.setflags(write=False)

    def __len__(self) -> int:
        return len(self.ids)

    def top_k(self, query: FloatArray, k: int) -> tuple[IdArray, FloatArray]:
        """The ``k`` rows most similar to ``query`` (dim,): (ids, cosine scores), best first.

        Ties keep index order (stable sort), so results are deterministic.
        """
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = _cosine(self.vectors, query)
        k = min(k, len(scores))
        part = np.argpartition(-scores, k - 1)[:k]
        order = part[np.lexsort((part, -scores[part]))]
        return self.ids[order], scores[order].astype(np.float32)

    def scores_of(self, query: FloatArray, ids: IdArray) -> FloatArray:
        """Cosine scores of ``query`` against the rows of ``ids`` (all must be present)."""
        rows = np.searchsorted(self.ids, ids)
        if rows.size and (rows.max() >= len(self.ids) or (self.ids[rows] != ids).any()):
            raise KeyError("some ids have no vector in this index")
        return _cosine(self.vectors[rows], query)
