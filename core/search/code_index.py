"""An immutable in-memory index of packed codes, searched by Hamming distance.

One ``CodeIndex`` holds the codes of one (hasher, modality) pair as uint64 words
(see core.hashing.codes) and answers exact top-k queries with ties broken by storage
position. Searches run on the calling thread: splitting a scan over a thread pool was
measured slower than one thread (GIL hand-offs between the many short NumPy calls
cost more than the second core saves; see docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.hashing.codes import Distances, Indices, Words, check_codes, nearest, to_words
from core.types import PackedCodes


@dataclass(frozen=True)
class CodeIndex:
    """Codes of ``item_ids`` for exact Hamming top-k search (immutable snapshot).

    Attributes:
        n_bits: Code length.
        item_ids: (n,) int64 ids of the indexed items, in storage order.
        words: (n_words, n) uint64 codes, one contiguous row per 64-bit word.
    """

    n_bits: int
    item_ids: npt.NDArray[np.int64]
    words: Words

    @classmethod
    def build(cls, item_ids: npt.ArrayLike, codes: PackedCodes, n_bits: int) -> CodeIndex:
        """Index ``codes`` (n, n_bits // 8) uint8 of the items ``item_ids`` (n,)."""
        checked = check_codes(codes, n_bits)
        ids = np.asarray(item_ids, dtype=np.int64).copy()
        if ids.shape != (checked.shape[0],):
            raise ValueError(f"{ids.shape[0]} ids for {checked.shape[0]} codes")
        words = to_words(checked)
        ids.setflags(write=False)
        words.setflags(write=False)
        return cls(n_bits, ids, words)

    def __len__(self) -> int:
        return int(self.item_ids.shape[0])

    def query_words(self, query: PackedCodes) -> Words:
        """One packed query code (n_bits // 8,) as (n_words,) uint64."""
        row = check_codes(np.asarray(query).reshape(1, -1), self.n_bits)
        return to_words(row)[:, 0]

    def search(self, query: PackedCodes, k: int) -> tuple[npt.NDArray[np.int64], Distances]:
        """Item ids and distances of the ``k`` nearest codes to one packed query code."""
        positions, distances = self.search_positions(self.query_words(query), k)
        return self.item_ids[positions], distances

    def codes_at(self, positions: Indices) -> PackedCodes:
        """Packed codes (m, n_bits // 8) of the items at ``positions``."""
        words = np.ascontiguousarray(self.words[:, positions].T)
        packed: PackedCodes = words.view(np.uint8)[:, : self.n_bits // 8]
        return packed

    def search_positions(self, query_words: Words, k: int) -> tuple[Indices, Distances]:
        """Positions (into ``item_ids``) and distances of the ``k`` nearest codes."""
        return nearest(query_words, self.words, k)
