"""Two-stage ranking: Hamming candidates, asymmetric narrowing, cosine re-rank."""

from __future__ import annotations

import numpy as np
import pytest

from core.hashing import Hasher, PairedFeatures, create_hasher
from core.search.code_index import CodeIndex
from core.search.float_index import FloatIndex
from core.search.hash_stage import CodedQuery, rank

Setup = tuple[FloatIndex, CodeIndex, np.ndarray, Hasher]


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def setup() -> Setup:
    rng = np.random.default_rng(0)
    vectors = unit(rng.standard_normal((3000, 32)))
    hasher = create_hasher("itq", 32).fit(PairedFeatures(vectors, vectors))
    ids = np.arange(10, 3010, dtype=np.int64)
    floats = FloatIndex(ids, vectors)
    codes = CodeIndex.build(ids, hasher.encode_image(vectors), 32)
    return floats, codes, vectors, hasher


def coded(hasher: Hasher, query: np.ndarray) -> CodedQuery:
    projection = hasher.project_text(query[None])[0]
    return CodedQuery(np.packbits(projection > 0), projection)


def test_rerank_over_a_shortlist_covering_everything_is_exact(setup: Setup) -> None:
    floats, codes, vectors, hasher = setup
    query = vectors[5] + 0.1
    exact = rank(floats, None, None, query, 10, "exact", 0)
    full = rank(floats, codes, coded(hasher, query), query, 10, "rerank", 3000, 1)
    np.testing.assert_array_equal(full.ids, exact.ids)
    np.testing.assert_allclose(full.scores, exact.scores, rtol=1e-6)
    assert exact.distances is None
    assert full.distances is not None


def test_hamming_mode_orders_by_distance_and_finds_the_item_itself(setup: Setup) -> None:
    floats, codes, vectors, hasher = setup
    ranked = rank(floats, codes, coded(hasher, vectors[42]), vectors[42], 20, "hamming", 0)
    assert ranked.distances is not None
    assert ranked.distances[0] == 0
    assert 52 in ranked.ids[ranked.distances == 0]
    assert (np.diff(ranked.distances) >= 0).all()


def test_asymmetric_narrowing_keeps_more_true_neighbours_than_hamming_alone(setup: Setup) -> None:
    floats, codes, vectors, hasher = setup
    rng = np.random.default_rng(1)
    gained = 0
    for row in rng.choice(3000, 40, replace=False):
        query = unit(vectors[row][None] + 0.5 * rng.standard_normal((1, 32)))[0]
        exact = set(rank(floats, None, None, query, 10, "exact", 0).ids.tolist())
        q = coded(hasher, query)
        plain = set(rank(floats, codes, q, query, 10, "rerank", 50, 1).ids.tolist())
        narrowed = set(rank(floats, codes, q, query, 10, "rerank", 50, 8).ids.tolist())
        gained += len(narrowed & exact) - len(plain & exact)
    assert gained > 0
