"""How well the active hasher retrieves across modalities on the user's own labelled photos.

The evaluation set is every (photo, caption) pair whose photo carries a label (keyword,
hashtag, tag, album folder...). Image→text: each pair's stored image code is a query
against the stored text codes of all evaluation pairs, ranked by Hamming distance;
text→image the other way round. An item is relevant when the two photos share a label
(``core.hashing.metrics``). Read-only: codes come from the library, nothing is written.

These are the photos the hasher was trained on (a supervised method also saw their
labels), so the figure is optimistic: it says whether training worked on this library,
not how well new photos will be found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.library.training.training_data import ALBUM_ORIGIN, load_training_set
from core.library.training.training_summary import TrainingSummary
from core.store.code_repo import Modality
from core.store.database import Store
from core.store.records import EncoderRecord, HasherRecord
from core.types import PackedCodes

MIN_LABELLED_PHOTOS = 20
"""Fewer labelled photos give an mAP too noisy to show."""
MIN_CLASSES = 2
"""With one class every item is relevant to every query, and mAP is trivially 1."""
MAX_QUERIES = 2_000
"""Queries per direction; a larger set is sampled (seeded), the database stays whole."""
_QUERY_CHUNK = 128
"""Queries per ranking pass. The window computes this on a worker thread, and some NumPy
steps (ufunc accumulate over strided views, boolean row selection) hold the GIL for their
whole run: 512 queries × 10,000 photos held it for up to 52 ms (the window stalled while
typing), 128 for at most 17 ms, at the same total time (benchmarks/gui_speed.py)."""


@dataclass(frozen=True, slots=True)
class OwnPhotosMap:
    """The measured figures, or None for both when there are too few labelled photos.

    Attributes:
        image_to_text: mAP of image queries against captions (None: not measured).
        text_to_image: mAP of caption queries against photos (None: not measured).
        labelled_photos: Photos with a caption and at least one label (and codes).
        pairs: (photo, caption) pairs evaluated.
        classes: Distinct labels among them.
        queries: Queries per direction (``pairs``, or a sample of ``MAX_QUERIES``).
        chance: Mean share of relevant items per query: the precision of a random order.
    """

    image_to_text: float | None
    text_to_image: float | None
    labelled_photos: int
    pairs: int
    classes: int
    queries: int = 0
    chance: float = 0.0

    @property
    def is_measured(self) -> bool:
        """Whether there were enough labelled photos to measure."""
        return self.image_to_text is not None and self.text_to_image is not None


def uses_album_labels(record: HasherRecord) -> bool:
    """Whether the hasher was trained with album folders as labels (from its details)."""
    try:
        return ALBUM_ORIGIN in TrainingSummary.from_json(record.details).labels_by_origin
    except ValueError:
        return False


def own_photos_map(store: Store, encoder: EncoderRecord, record: HasherRecord) -> OwnPhotosMap:
    """Measure ``record``'s stored codes on the labelled pairs of ``encoder``'s features."""
    data = load_training_set(store, encoder, albums=uses_album_labels(record))
    if data is None or data.features.labels is None:
        return OwnPhotosMap(None, None, 0, 0, 0)
    labelled = data.subset(data.labelled_rows)
    image_codes, image_found = _stored_codes(store, record, "image", labelled.media_ids)
    text_codes, text_found = _stored_codes(store, record, "text", labelled.caption_ids)
    keep = image_found & text_found
    labels = np.asarray(labelled.features.labels)[keep]
    photos = int(np.unique(labelled.media_ids[keep]).shape[0])
    classes = int(labels.any(axis=0).sum())
    pairs = int(keep.sum())
    if photos < MIN_LABELLED_PHOTOS or classes < MIN_CLASSES:
        return OwnPhotosMap(None, None, photos, pairs, classes)
    i2t, queries, chance = cross_modal_map(
        image_codes[keep], text_codes[keep], labels, record.n_bits
    )
    t2i, _, _ = cross_modal_map(text_codes[keep], image_codes[keep], labels, record.n_bits)
    return OwnPhotosMap(i2t, t2i, photos, pairs, classes, queries, chance)


def cross_modal_map(
    query_codes: PackedCodes,
    database_codes: PackedCodes,
    labels: npt.NDArray[np.uint8],
    n_bits: int,
    *,
    max_queries: int = MAX_QUERIES,
    seed: int = 0,
) -> tuple[float, int, float]:
    """Mean average precision of each ``query_codes`` row against all ``database_codes``.

    Row i of both code arrays belongs to the same pair, whose labels are ``labels[i]``
    (n, classes). Queries without any relevant item are skipped (``metrics`` convention).

    Returns:
        (mAP, number of queries, mean share of relevant items per query).
    """
    n = labels.shape[0]
    rows = np.arange(n)
    if n > max_queries:
        rows = np.sort(np.random.default_rng(seed).choice(n, max_queries, replace=False))
    weighted_ap, scored, relevant_share = 0.0, 0, 0.0
    for start in range(0, rows.shape[0], _QUERY_CHUNK):
        chunk = rows[start : start + _QUERY_CHUNK]
        distances = hamming_matrix(query_codes[chunk], database_codes, n_bits)
        relevant = relevance(labels[chunk], labels)
        metrics = evaluate_ranking(distances, relevant, precision_ks=(1,), recall_points=2)
        counted = metrics.n_queries - metrics.n_without_relevant
        weighted_ap += metrics.map * counted
        scored += counted
        relevant_share += float(relevant.mean(axis=1).sum())
    mean_ap = weighted_ap / scored if scored else 0.0
    return mean_ap, int(rows.shape[0]), relevant_share / max(int(rows.shape[0]), 1)


def _stored_codes(
    store: Store, record: HasherRecord, modality: Modality, item_ids: npt.NDArray[np.int64]
) -> tuple[PackedCodes, npt.NDArray[np.bool_]]:
    """Codes of ``item_ids`` in their order, and which of them have one (zeros where not)."""
    ids, codes = store.codes.codes(record.id, modality, record.n_bits // 8)
    out = np.zeros((item_ids.shape[0], record.n_bits // 8), dtype=np.uint8)
    if ids.shape[0] == 0:
        return out, np.zeros(item_ids.shape[0], dtype=np.bool_)
    at = np.clip(np.searchsorted(ids, item_ids), 0, ids.shape[0] - 1)
    found: npt.NDArray[np.bool_] = ids[at] == item_ids
    out[found] = codes[at[found]]
    return out, found
