"""Packing, word layout, Hamming distances and stable top-k against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing import codes


def _brute_distances(query: np.ndarray, database: np.ndarray) -> np.ndarray:
    bits_q = np.unpackbits(query)
    bits_d = np.unpackbits(database, axis=1)
    return (bits_d != bits_q).sum(axis=1)


@pytest.mark.parametrize("n_bits", [8, 24, 64, 72, 128, 256, 1024])
def test_word_distances_match_bit_by_bit_count(n_bits: int) -> None:
    rng = np.random.default_rng(n_bits)
    database = rng.integers(0, 256, (300, n_bits // 8), dtype=np.uint8)
    query = database[17]
    words = codes.to_words(database)
    assert words.shape == (-(-n_bits // 64), 300)
    distances = codes.hamming_to_all(codes.to_words(query[None])[:, 0], words)
    np.testing.assert_array_equal(distances, _brute_distances(query, database))
    assert distances[17] == 0
    assert distances.dtype == (np.uint8 if n_bits < 256 else np.uint16)


def test_pack_unpack_round_trip_uses_packbits_order() -> None:
    bits = np.zeros((2, 16), dtype=bool)
    bits[0, 0] = True  # most significant bit of the first byte
    bits[1, 15] = True
    packed = codes.pack_bits(bits)
    assert packed.tolist() == [[128, 0], [0, 1]]
    np.testing.assert_array_equal(codes.unpack_bits(packed, 16), bits)


@pytest.mark.parametrize("n", [50, 300_000])
@pytest.mark.parametrize("k", [1, 10, 100, 1000])
def test_top_k_equals_stable_argsort_with_ties(n: int, k: int) -> None:
    rng = np.random.default_rng(k)
    distances = rng.binomial(64, 0.5, n).astype(np.uint8)
    expected = np.argsort(distances, kind="stable")[:k]
    np.testing.assert_array_equal(codes.top_k(distances, k), expected)


def test_top_k_falls_back_when_the_sample_misses_the_nearest_items() -> None:
    # every item is far except a block the strided sample never visits
    distances = np.full(400_000, 60, dtype=np.uint8)
    distances[1:20] = 3
    distances[5] = 0
    result = codes.top_k(distances, 30)
    np.testing.assert_array_equal(result, np.argsort(distances, kind="stable")[:30])
    assert result[0] == 5


def test_top_k_handles_k_beyond_n_and_zero() -> None:
    distances = np.array([3, 1, 2], dtype=np.uint8)
    assert codes.top_k(distances, 10).tolist() == [1, 2, 0]
    assert codes.top_k(distances, 0).tolist() == []


def test_check_codes_rejects_wrong_width_and_dtype() -> None:
    with pytest.raises(HashingInputError, match="64-bit"):
        codes.check_codes(np.zeros((3, 4), dtype=np.uint8), 64)
    with pytest.raises(HashingInputError):
        codes.check_codes(np.zeros((3, 8), dtype=np.int64), 64)


@pytest.mark.parametrize("n_bits", [8, 24, 64, 72])
def test_asymmetric_scores_equal_projection_dot_signed_bits(n_bits: int) -> None:
    rng = np.random.default_rng(n_bits)
    projection = rng.standard_normal(n_bits).astype(np.float32)
    packed = np.packbits(rng.random((40, n_bits)) > 0.5, axis=1)
    signed = np.unpackbits(packed, axis=1, count=n_bits).astype(np.float32) * 2 - 1
    np.testing.assert_allclose(
        codes.asymmetric_scores(projection, packed), signed @ projection, atol=1e-4
    )
    # the query's own code scores highest among all codes: sum of |projection|
    own = np.packbits(projection > 0)[None]
    assert codes.asymmetric_scores(projection, own)[0] == pytest.approx(np.abs(projection).sum())
