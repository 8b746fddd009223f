"""CodeIndex: exact Hamming top-k by item id, independent of storage quirks."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import HashingInputError
from core.search.code_index import CodeIndex


@pytest.mark.parametrize("n_bits", [32, 64, 128])
def test_search_returns_the_brute_force_nearest_ids(n_bits: int) -> None:
    rng = np.random.default_rng(n_bits)
    codes = rng.integers(0, 256, (150_000, n_bits // 8), dtype=np.uint8)
    ids = rng.permutation(10_000_000)[:150_000]
    index = CodeIndex.build(ids, codes, n_bits)
    query = codes[4242]
    found, distances = index.search(query, 50)
    brute = (np.unpackbits(codes, axis=1) != np.unpackbits(query)).sum(axis=1)
    order = np.argsort(brute, kind="stable")[:50]
    np.testing.assert_array_equal(found, ids[order])
    np.testing.assert_array_equal(distances, brute[order])
    assert found[0] == ids[4242]
    assert distances[0] == 0


def test_index_is_read_only_and_validates_input() -> None:
    codes = np.zeros((3, 8), dtype=np.uint8)
    index = CodeIndex.build([7, 8, 9], codes, 64)
    assert len(index) == 3
    with pytest.raises(ValueError, match="read-only"):
        index.words[0, 0] = 1
    with pytest.raises(HashingInputError):
        index.search(np.zeros(4, dtype=np.uint8), 2)
    with pytest.raises(ValueError, match="2 ids for 3 codes"):
        CodeIndex.build([1, 2], codes, 64)
