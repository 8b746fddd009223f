"""Packed binary codes: packing, uint64 word layout, Hamming distances, stable top-k.

Codes travel as ``(n, n_bits // 8)`` uint8 rows in ``np.packbits`` order. For search
they are re-laid as uint64 *words*, ``(n_words, n)`` with one contiguous row per word,
so a distance pass is one XOR and one ``np.bitwise_count`` per word over contiguous
memory. The byte order inside a word does not matter: Hamming distance is invariant
under any bit permutation applied to both sides.

``top_k`` never runs ``argpartition`` on small integer distances (slow in NumPy, see
docs/design/research/stack.md): it estimates the k-th smallest distance from a strided sample,
keeps the candidates at or below it with one comparison, and sorts only those. Ties
are broken by item position, so results are deterministic.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import HashingInputError
from core.types import PackedCodes

Words = npt.NDArray[np.uint64]
Distances = npt.NDArray[np.uint8] | npt.NDArray[np.uint16]
Indices = npt.NDArray[np.int64]
_SAMPLE = 16384
_BLOCK = 1 << 15
# row v: the 8 bits of byte value v in packbits order, as ±1
_SIGNED_BITS = (
    np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(np.float32) * 2 - 1
)


def pack_bits(bits: npt.NDArray[Any]) -> PackedCodes:
    """(n, r) booleans (or 0/1) → (n, r // 8) uint8 codes."""
    return np.packbits(np.asarray(bits, dtype=bool), axis=1)


def unpack_bits(codes: PackedCodes, n_bits: int) -> npt.NDArray[np.bool_]:
    """(n, r // 8) uint8 codes → (n, r) booleans."""
    return np.unpackbits(codes, axis=1, count=n_bits).astype(bool)


def check_codes(codes: npt.NDArray[Any], n_bits: int) -> PackedCodes:
    """Return ``codes`` as a C-contiguous uint8 matrix of ``n_bits // 8`` columns or raise."""
    array = np.asarray(codes)
    if array.dtype != np.uint8 or array.ndim != 2 or array.shape[1] * 8 != n_bits:
        raise HashingInputError(
            f"Codes must be packed {n_bits}-bit rows.",
            f"expected (n, {n_bits // 8}) uint8, got {array.shape} {array.dtype}",
        )
    return np.ascontiguousarray(array)


def to_words(codes: PackedCodes) -> Words:
    """(n, n_bytes) uint8 codes → (n_words, n) uint64, zero-padded to whole words."""
    n, n_bytes = codes.shape
    n_words = -(-n_bytes // 8)
    padded = np.zeros((n, n_words * 8), dtype=np.uint8)
    padded[:, :n_bytes] = codes
    return np.ascontiguousarray(padded.view(np.uint64).T)


def distance_dtype(n_bits: int) -> type[np.unsignedinteger[Any]]:
    """Smallest unsigned type that holds distances up to ``n_bits``."""
    return np.uint8 if n_bits < 256 else np.uint16


class _Workspace(threading.local):
    """Per-thread scratch buffers, reused across searches.

    Fresh multi-megabyte arrays per query would be mapped and zero-filled by the
    kernel on every call; that page-fault cost was larger than the scan itself.
    """

    def __init__(self) -> None:
        self.scratch = np.empty(_BLOCK, dtype=np.uint64)
        self.counts = np.empty(_BLOCK, dtype=np.uint8)
        self.distances: dict[type[np.unsignedinteger[Any]], npt.NDArray[Any]] = {}

    def distance_buffer(self, n: int, dtype: type[np.unsignedinteger[Any]]) -> Distances:
        buffer = self.distances.get(dtype)
        if buffer is None or buffer.shape[0] < n:
            buffer = np.empty(n, dtype=dtype)
            self.distances[dtype] = buffer
        view: Distances = buffer[:n]
        return view


_WORKSPACE = _Workspace()


def hamming_to_all(query: Words, database: Words, out: Distances | None = None) -> Distances:
    """Distances from one query (n_words,) to every database item (n_words, n).

    Works in cache-sized blocks so the XOR result never leaves the CPU cache.
    """
    n_words, n = database.shape
    dtype = distance_dtype(64 * n_words)
    distances: Distances = np.empty(n, dtype=dtype) if out is None else out
    scratch, counts = _WORKSPACE.scratch, _WORKSPACE.counts
    for start in range(0, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        size = stop - start
        target = distances[start:stop]
        for word in range(n_words):
            np.bitwise_xor(database[word, start:stop], query[word], out=scratch[:size])
            if word == 0 and dtype == np.uint8:
                np.bitwise_count(scratch[:size], out=target)
            elif word == 0:
                target[...] = np.bitwise_count(scratch[:size], out=counts[:size])
            else:
                np.add(target, np.bitwise_count(scratch[:size], out=counts[:size]), out=target)
    return distances


def nearest(query: Words, database: Words, k: int) -> tuple[Indices, Distances]:
    """The ``k`` items nearest to ``query``, ordered by (distance, position)."""
    n_words, n = database.shape
    buffer = _WORKSPACE.distance_buffer(n, distance_dtype(64 * n_words))
    distances = hamming_to_all(query, database, out=buffer)
    order = top_k(distances, k)
    return order, distances[order]


def asymmetric_scores(projection: npt.NDArray[Any], codes: PackedCodes) -> npt.NDArray[np.float32]:
    """Σ_k p_k·(2·b_k − 1) of a real-valued query projection against packed codes.

    Keeping the query real-valued ("asymmetric distance") ranks stored codes more
    faithfully than the query's own code does. Computed with one 256-entry table per
    code byte, so the cost is one gather per byte and item.

    Args:
        projection: (n_bits,) query projection, the bits of whose sign form its code.
        codes: (m, n_bytes) packed codes (zero padding beyond ``n_bits`` is ignored).
    """
    n_bits = projection.shape[0]
    n_bytes = -(-n_bits // 8)
    padded = np.zeros(n_bytes * 8, dtype=np.float32)
    padded[:n_bits] = projection
    tables = _SIGNED_BITS @ padded.reshape(n_bytes, 8).T  # (256, n_bytes)
    scores = np.zeros(codes.shape[0], dtype=np.float32)
    for byte in range(n_bytes):
        scores += tables[codes[:, byte], byte]
    return scores


def top_k(distances: Distances, k: int) -> Indices:
    """Positions of the ``k`` smallest distances, ordered by (distance, position)."""
    n = distances.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if n <= 4 * _SAMPLE or k * 8 > n:
        return np.argsort(distances, kind="stable")[:k].astype(np.int64)
    threshold = _estimate_threshold(distances, k)
    candidates = np.flatnonzero(distances <= threshold)
    if candidates.shape[0] < k:
        threshold = _exact_threshold(distances, k)
        candidates = np.flatnonzero(distances <= threshold)
    order = np.argsort(distances[candidates], kind="stable")[:k]
    return candidates[order].astype(np.int64)


def _estimate_threshold(distances: Distances, k: int) -> int:
    """A distance whose count of items at or below is very likely ≥ k (checked later)."""
    n = distances.shape[0]
    stride = max(1, n // _SAMPLE)
    sample = distances[::stride]
    histogram = np.cumsum(np.bincount(sample)) * (n / sample.shape[0])
    # aim for twice k so that sampling noise rarely forces the exact fallback
    return int(np.searchsorted(histogram, 2 * k + 64))


def _exact_threshold(distances: Distances, k: int) -> int:
    return int(np.searchsorted(np.cumsum(np.bincount(distances)), k))
