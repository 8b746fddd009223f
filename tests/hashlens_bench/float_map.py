"""Brute-force mAP of float features by cosine similarity: the reference the tests check data with.

Relevance: query and database row share at least one label. Ranking: cosine
similarity, descending, ties broken by database index (stable sort). AP uses every
relevant database row; queries without any relevant row are skipped.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hashlens_bench.dataset import FeatureDataset


def cosine_map(
    queries: npt.NDArray[np.floating],
    database: npt.NDArray[np.floating],
    query_labels: npt.NDArray[np.uint8],
    database_labels: npt.NDArray[np.uint8],
    batch: int = 256,
) -> float:
    """Mean average precision of ranking ``database`` for every query by cosine similarity."""
    q = _normalised(queries)
    d = _normalised(database)
    ranks = np.arange(1, d.shape[0] + 1, dtype=np.float64)
    scores: list[float] = []
    for start in range(0, q.shape[0], batch):
        sims = q[start : start + batch] @ d.T
        relevant = (
            query_labels[start : start + batch].astype(np.int32)
            @ database_labels.T.astype(np.int32)
        ) > 0
        order = np.argsort(-sims, axis=1, kind="stable")
        hits = np.take_along_axis(relevant, order, axis=1)
        counts = hits.sum(axis=1)
        precision = np.cumsum(hits, axis=1) / ranks
        ap = (precision * hits).sum(axis=1)
        scores.extend((ap[counts > 0] / counts[counts > 0]).tolist())
    return float(np.mean(scores))


def dataset_maps(data: FeatureDataset) -> dict[str, float]:
    """Float cosine mAP on the dataset's query/database split.

    I->I and T->T always; I->T and T->I only when both modalities share a dimension
    (cosine across different spaces is undefined otherwise).
    """
    q, db = data.query, data.database
    lq, ldb = data.labels[q], data.labels[db]
    maps = {
        "i2i": cosine_map(data.image[q], data.image[db], lq, ldb),
        "t2t": cosine_map(data.text[q], data.text[db], lq, ldb),
    }
    if data.image.shape[1] == data.text.shape[1]:
        maps["i2t"] = cosine_map(data.image[q], data.text[db], lq, ldb)
        maps["t2i"] = cosine_map(data.text[q], data.image[db], lq, ldb)
    return maps


def chance_map(data: FeatureDataset) -> float:
    """Expected mAP of a random ranking: mean share of relevant database rows per query."""
    relevant = (
        data.labels[data.query].astype(np.int32) @ data.labels[data.database].T.astype(np.int32)
    ) > 0
    share = relevant.mean(axis=1)
    return float(share[share > 0].mean())


def _normalised(x: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)
