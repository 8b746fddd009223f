"""Give every photo and caption a code from a stored hasher, in committed batches.

Used after training (all items) and after each indexing run (new or re-encoded
items only), so stored codes never go stale: a feature write deletes the item's
codes (a trigger in the library), and this writer fills in whatever is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.hashing import Hasher
from core.progress import CancelToken, Progress, ProgressCallback
from core.store.database import Store
from core.store.records import EncoderRecord, HasherRecord

BATCH = 4096


@dataclass(frozen=True, slots=True)
class CodesWritten:
    """How many image and text codes one pass wrote."""

    images: int = 0
    texts: int = 0


@dataclass(frozen=True, slots=True)
class MissingItems:
    """Photo ids and caption ids of an encoder that a hasher has not coded yet."""

    images: list[int]
    texts: list[int]

    @property
    def total(self) -> int:
        """How many codes are missing."""
        return len(self.images) + len(self.texts)


def find_missing(store: Store, record: HasherRecord, encoder: EncoderRecord) -> MissingItems:
    """Items with features of ``encoder`` but no code from ``record``."""
    return MissingItems(
        store.codes.image_items_without_codes(record.id, encoder.id),
        store.codes.text_items_without_codes(record.id, encoder.id),
    )


def load_hasher(store: Store, record: HasherRecord) -> Hasher:
    """The fitted hasher saved with a stored record."""
    return Hasher.from_bytes(store.codes.model_bytes(record.id))


def write_missing_codes(
    store: Store,
    record: HasherRecord,
    hasher: Hasher,
    encoder: EncoderRecord,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    missing: MissingItems | None = None,
) -> CodesWritten:
    """Encode every item of ``encoder`` that has no code from ``record`` yet.

    ``missing`` is what :func:`find_missing` returned, when the caller already asked.
    """
    missing = missing or find_missing(store, record, encoder)
    images, texts, total = missing.images, missing.texts, missing.total
    done = 0
    sides: tuple[tuple[Literal["image", "text"], list[int]], ...] = (
        ("image", images),
        ("text", texts),
    )
    for modality, ids in sides:
        encode = hasher.encode_image if modality == "image" else hasher.encode_text
        for start in range(0, len(ids), BATCH):
            if cancel is not None:
                cancel.raise_if_cancelled()
            batch = ids[start : start + BATCH]
            codes = encode(store.vectors.vectors_of(encoder, modality, batch))
            with store.atomic():
                store.codes.put_codes(record.id, modality, batch, codes)
            done += len(batch)
            if progress is not None:
                progress(Progress("codes", done, total))
    return CodesWritten(len(images), len(texts))
