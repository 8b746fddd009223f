"""The Hamming stage of search: codes of the active hasher, and how a query uses them.

Modes (``[search] mode`` or ``--mode``):
* ``exact`` — cosine over every float vector (no codes).
* ``hamming`` — rank by Hamming distance of the codes alone (ties by item id).
* ``rerank`` — Hamming top-(``CANDIDATE_FACTOR`` × ``shortlist``) candidates, narrowed
  to ``shortlist`` by asymmetric scores (the query's real-valued projection against the
  stored codes, still no float vectors read), then cosine re-rank of that shortlist.
* ``auto`` — ``rerank`` when the library has a trained hasher for the model, else ``exact``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from core.errors import ConfigError, HasherFileError, IncompatibleCodesError
from core.hashing import Hasher
from core.hashing.codes import asymmetric_scores
from core.search.code_index import CodeIndex
from core.search.float_index import FloatIndex, tie_key
from core.store.database import Store
from core.store.records import EncoderRecord, HasherRecord
from core.types import FloatArray

logger = logging.getLogger(__name__)
SearchMode = Literal["auto", "exact", "hamming", "rerank"]
Modality = Literal["image", "text"]
SEARCH_MODES: tuple[str, ...] = ("auto", "exact", "hamming", "rerank")
CANDIDATE_FACTOR = 8
"""Hamming candidates per shortlist slot. Measured on the emoji set at 64 bits
(benchmarks/two_stage_recall.py): recall@10 at a 1,000 shortlist rises from 0.92
(Hamming alone picks the shortlist) to 0.97–0.98 with the asymmetric narrowing."""


@dataclass(frozen=True)
class CodedQuery:
    """A query's packed code (for Hamming) and real-valued projection (asymmetric)."""

    code: npt.NDArray[np.uint8]
    projection: FloatArray


@dataclass(frozen=True)
class Ranked:
    """Ranked item ids with cosine scores and (when codes were used) Hamming distances."""

    ids: npt.NDArray[np.int64]
    scores: FloatArray
    distances: npt.NDArray[np.int64] | None


@dataclass(frozen=True)
class HashSnapshot:
    """The active hasher and the code indexes of photos (image) and captions (text)."""

    record: HasherRecord
    hasher: Hasher
    photos: CodeIndex
    captions: CodeIndex

    def encode(self, query: FloatArray, modality: Modality) -> CodedQuery:
        """The code and projection of one query vector."""
        row = np.asarray(query, dtype=np.float32).reshape(1, -1)
        if modality == "image":
            projection = self.hasher.project_image(row)[0]
        else:
            projection = self.hasher.project_text(row)[0]
        return CodedQuery(np.packbits(projection > 0), projection)


def load_hash_snapshot(store: Store, encoder: EncoderRecord) -> HashSnapshot | None:
    """Codes of the encoder's active hasher, or None when none was trained."""
    record = store.codes.active_hasher(encoder.id)
    if record is None:
        return None
    try:
        hasher = Hasher.from_bytes(store.codes.model_bytes(record.id))
    except HasherFileError as exc:
        raise IncompatibleCodesError(
            f"The trained {record.name} model in this library cannot be used; retrain it.",
            exc.details,
        ) from exc
    if hasher.dims != (encoder.dim, encoder.dim) or hasher.n_bits != record.n_bits:
        raise IncompatibleCodesError(
            f"The trained {record.name} model does not match the model {encoder.model_id}; "
            "retrain it with `hashlens train`.",
            f"hasher dims {hasher.dims}, encoder dim {encoder.dim}",
        )
    n_bytes = record.n_bits // 8
    photo_ids, photo_codes = store.codes.codes(record.id, "image", n_bytes)
    caption_ids, caption_codes = store.codes.codes(record.id, "text", n_bytes)
    return HashSnapshot(
        record,
        hasher,
        CodeIndex.build(photo_ids, photo_codes, record.n_bits),
        CodeIndex.build(caption_ids, caption_codes, record.n_bits),
    )


def try_load_hash_snapshot(
    store: Store, encoder: EncoderRecord
) -> tuple[HashSnapshot | None, IncompatibleCodesError | None]:
    """Like :func:`load_hash_snapshot`, but an unusable model is returned, not raised.

    Exact search must keep working when the stored hasher is damaged or stale; only a
    request that needs codes reports the problem.
    """
    try:
        return load_hash_snapshot(store, encoder), None
    except IncompatibleCodesError as exc:
        logger.warning("Search falls back to exact: %s (%s)", exc.user_message, exc.details)
        return None, exc


def resolve_mode(
    mode: str,
    hashing: HashSnapshot | None,
    encoder: EncoderRecord,
    problem: IncompatibleCodesError | None = None,
) -> SearchMode:
    """The concrete mode for a request; raises when codes are asked for but unusable."""
    if mode not in SEARCH_MODES:
        raise ConfigError(
            f"Unknown search mode '{mode}'. Use one of: {', '.join(SEARCH_MODES)}.", mode
        )
    if mode == "auto":
        return "rerank" if hashing is not None else "exact"
    if mode != "exact" and problem is not None:
        raise problem
    if mode != "exact" and hashing is None:
        raise IncompatibleCodesError(
            f"No hashing model is trained for {encoder.model_id} in this library, so "
            f"'{mode}' search is not available. Run `hashlens train --method KEY --bits N`.",
            "no active hasher",
        )
    return mode  # type: ignore[return-value]


def rank(
    floats: FloatIndex,
    codes: CodeIndex | None,
    coded: CodedQuery | None,
    query: FloatArray,
    k: int,
    mode: SearchMode,
    shortlist: int,
    candidate_factor: int = CANDIDATE_FACTOR,
) -> Ranked:
    """Rank one index's items for a query vector (and its code) in the given mode."""
    if mode == "exact" or codes is None or coded is None:
        ids, scores = floats.top_k(query, k)
        return Ranked(ids, scores, None)
    if mode == "hamming":
        positions, found = codes.search_positions(codes.query_words(coded.code), k)
        distances = found.astype(np.int64)
    else:
        positions, distances = _shortlist(codes, coded, max(shortlist, k), candidate_factor)
    ids = codes.item_ids[positions]
    scores = floats.scores_of(query, ids)
    if mode == "rerank":
        order = np.lexsort((ids, -tie_key(scores)))[:k]  # ties by item id, as exact search
        ids, scores, distances = ids[order], scores[order], distances[order]
    return Ranked(ids, scores.astype(np.float32), distances.astype(np.int64))


def _shortlist(
    codes: CodeIndex, coded: CodedQuery, shortlist: int, candidate_factor: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Hamming candidates narrowed to ``shortlist`` by asymmetric scores (stable)."""
    wide = shortlist * max(candidate_factor, 1)
    positions, distances = codes.search_positions(codes.query_words(coded.code), wide)
    if positions.shape[0] <= shortlist:
        return positions, distances.astype(np.int64)
    scores = asymmetric_scores(coded.projection, codes.codes_at(positions))
    keep = np.argsort(-scores, kind="stable")[:shortlist]
    return positions[keep], distances[keep].astype(np.int64)
