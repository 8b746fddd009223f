"""One query vector from several: weighted terms and photos, summed and normalised.

Each input vector is normalised first, so a term's weight alone decides how much it counts
(a photo embedding and a text embedding differ in length); the weighted sum is normalised
again, so the result is searched like any single query: the active hasher projects it
(Hamming shortlist) and cosine re-ranks the shortlist. Subtracting a term moves the query
away from it: photos that match it lose score, most of all those that match it best.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.errors import QueryError
from core.search.float_index import unit_rows
from core.types import FloatArray

MIN_NORM = 1e-4
"""Below this the terms cancel out (``sunset - sunset``): there is no direction to search."""


def combine(vectors: FloatArray, weights: Sequence[float], query: str = "") -> FloatArray:
    """The unit vector of ``sum(weight_i * vectors_i / |vectors_i|)``.

    Args:
        vectors: One row per term or photo.
        weights: One weight per row; negative subtracts the row.
        query: The query as typed, for messages.

    Raises:
        QueryError: No row, only negative weights (nothing to look for), or the rows cancel out.
    """
    if len(weights) == 0 or vectors.shape[0] != len(weights):
        raise QueryError("Say what to look for, e.g. sunset + beach.", query)
    if not any(w > 0 for w in weights):
        raise QueryError(
            "The query only says what to leave out (every term starts with '-'). Add what to "
            "look for, e.g. beach -people, or search with a photo.",
            query,
        )
    column = np.asarray(weights, dtype=np.float32).reshape(-1, 1)
    summed = (unit_rows(np.asarray(vectors, dtype=np.float32)) * column).sum(axis=0)
    norm = float(np.linalg.norm(summed))
    if not np.isfinite(norm) or norm < MIN_NORM:
        raise QueryError(
            "The terms cancel each other out, so there is nothing left to search for. "
            "Change a weight or drop a term.",
            query,
        )
    result: FloatArray = (summed / norm).astype(np.float32)
    return result
