"""Online learning at indexing time: new items teach an online hasher, old codes stay.

Before an indexing run gives new photos and captions their codes, an online hasher
(registry ``online``, e.g. FPO-CMH) learns from their features, so the model that codes
a new item has seen it: a new photo with a new caption is a paired item, a new photo
without one is image-only, a new caption of a photo coded earlier is text-only. The updated model
replaces the stored one; no stored code is recomputed, so codes written before the
update keep matching the queries of later models only as far as the method keeps its
hash functions stable (FPO-CMH's rehearsal and codebook; docs/methods/fpo-cmh.md).

Items are learned once, right before they are coded. A batch the model rejects
(``HashingInputError``: features of another dimension) is skipped with a warning in
the log; its items are still coded and indexing or watching goes on. After each update
the hasher's own summary (items seen, bank rows, estimated drift of stored codes) is
kept in its details for ``status`` and the hashing card (``online_progress``). A run
cancelled while it learns keeps what was learned so far (the model is stored, every new
item is coded, then the cancellation goes on); the items it had not reached are never
learned from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

from core.errors import HashingInputError, TaskCancelled
from core.hashing import Hasher, StreamBatch
from core.hashing.registry import get_spec
from core.library.training.code_writer import MissingItems
from core.library.training.online_progress import summary_details
from core.library.training.training_summary import OnlineSummary, TrainingSummary
from core.progress import CancelToken, Progress, ProgressCallback
from core.store.database import Store
from core.store.media_repo import now_iso
from core.store.records import EncoderRecord, HasherRecord

logger = logging.getLogger(__name__)

CHUNK = 1024


@dataclass(frozen=True, slots=True)
class OnlineLearned:
    """How many items one online update learned from, by kind."""

    pairs: int = 0
    images: int = 0
    texts: int = 0

    @property
    def total(self) -> int:
        """Photos and captions learned from (a pair counts twice)."""
        return 2 * self.pairs + self.images + self.texts


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """New items grouped the way they reach ``partial_fit``: (photo, caption) pairs and singles."""

    pairs: list[tuple[int, int]]
    images: list[int]
    texts: list[int]


def plan_stream(store: Store, missing: MissingItems) -> StreamPlan:
    """Pair each new photo with its first new caption; the rest arrive alone."""
    new_images = set(missing.images)
    media_of = store.media.caption_media(missing.texts)
    paired_photo: dict[int, int] = {}
    texts: list[int] = []
    for caption_id in missing.texts:
        media_id = media_of.get(caption_id)
        if media_id in new_images and media_id not in paired_photo:
            paired_photo[media_id] = caption_id
        else:
            texts.append(caption_id)
    images = [m for m in missing.images if m not in paired_photo]
    return StreamPlan(sorted(paired_photo.items()), images, texts)


def learn_from_new_items(
    store: Store,
    record: HasherRecord,
    hasher: Hasher,
    encoder: EncoderRecord,
    missing: MissingItems,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> OnlineLearned | None:
    """Feed the new items to ``hasher.partial_fit`` and store the updated model.

    Returns None (and changes nothing) when the hasher does not learn online or when
    nothing is new.

    Raises:
        TaskCancelled: After storing what was learned before the cancellation.
    """
    if not get_spec(record.name).online or not missing.total:
        return None
    plan = plan_stream(store, missing)
    counts = [0, 0, 0]
    stopped: TaskCancelled | None = None
    total = len(plan.pairs) + len(plan.images) + len(plan.texts)
    for kind, batch in _batches(store, encoder, plan):
        if cancel is not None and cancel.is_cancelled:
            stopped = TaskCancelled("Indexing was cancelled.")
            break
        try:
            hasher.partial_fit(batch)
        except HashingInputError as exc:
            # a batch the model cannot take (e.g. features of another dimension) is
            # skipped whole; its items keep the codes just written, indexing goes on
            logger.warning("Online learning skipped %d items: %s", batch.n_items, exc)
            continue
        counts[kind] += batch.n_items
        if progress is not None:
            progress(Progress("learning", sum(counts), total))
    learned = OnlineLearned(*counts)
    is_stored = learned.total > 0 and _store_model(store, record, hasher, learned)
    if stopped is not None:
        raise stopped
    return learned if is_stored else None


def _store_model(
    store: Store, record: HasherRecord, hasher: Hasher, learned: OnlineLearned
) -> bool:
    details = _updated_details(record.details, learned, _summary(hasher))
    try:
        with store.atomic():
            store.codes.update_model(record.id, hasher.to_bytes(), details)
    except KeyError:
        logger.warning("Hasher %d was replaced while it learned; its update is dropped", record.id)
        return False
    logger.info("Online update of %s v%d: %s", record.name, record.version, learned)
    return True


def _batches(
    store: Store, encoder: EncoderRecord, plan: StreamPlan
) -> Iterator[tuple[int, StreamBatch]]:
    """(kind, batch): kind 0 pairs, 1 photos alone, 2 captions alone."""
    vectors = store.vectors
    for start in range(0, len(plan.pairs), CHUNK):
        chunk = plan.pairs[start : start + CHUNK]
        yield (
            0,
            StreamBatch(
                image=vectors.vectors_of(encoder, "image", [m for m, _ in chunk]),
                text=vectors.vectors_of(encoder, "text", [c for _, c in chunk]),
            ),
        )
    for start in range(0, len(plan.images), CHUNK):
        ids = plan.images[start : start + CHUNK]
        yield 1, StreamBatch(image=vectors.vectors_of(encoder, "image", ids))
    for start in range(0, len(plan.texts), CHUNK):
        ids = plan.texts[start : start + CHUNK]
        yield 2, StreamBatch(text=vectors.vectors_of(encoder, "text", ids))


def _summary(hasher: Hasher) -> dict[str, object]:
    """The hasher's own account of what it learned (``online_summary``), if it has one."""
    summary = getattr(hasher, "online_summary", None)
    if not callable(summary):
        return {}
    result = summary()
    return summary_details(result) if isinstance(result, dict) else {}


def _updated_details(details: str, learned: OnlineLearned, summary: dict[str, object]) -> str:
    """The stored summary with this update's counts added (unreadable details start afresh)."""
    try:
        current = TrainingSummary.from_json(details)
    except ValueError:
        current = TrainingSummary()
    before = current.online or OnlineSummary()
    online = replace(
        before,
        pairs=before.pairs + learned.pairs,
        images=before.images + learned.images,
        texts=before.texts + learned.texts,
        updates=before.updates + 1,
        updated_at=now_iso(),
        **summary,  # type: ignore[arg-type]
    )
    return current.with_online(online).to_json()
