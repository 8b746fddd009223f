"""Decode photos in a thread pool while the encoder runs batches; write each batch atomically.

Decoding (JPEG DCT scaling, EXIF transpose, preprocessing into the model's input
tensor) overlaps inference: while batch i is encoded, the pool decodes batch
i + 1. Each batch's vectors, metadata and errors commit in one transaction, so
a crash loses at most one batch and the next run resumes where this one stopped.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.encoders.encoder import Encoder
from core.errors import ImageUnreadableError, UnsupportedImageError
from core.library.indexing.caption_sync import (
    EMBEDDED_SOURCES,
    ORIGIN_EMBEDDED_KEYWORDS,
    refresh_hashtags,
)
from core.media.image_io import open_image
from core.media.metadata import ImageMetadata
from core.progress import CancelToken, Progress, RateLimitedReporter
from core.store.database import Store
from core.types import SkippedFile

logger = logging.getLogger(__name__)

FIRST_BATCH = 8
"""A short first batch starts the encoder before a whole batch has been decoded."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A photo ready for the encoder."""

    media_id: int
    tensor: Any
    width: int
    height: int
    metadata: ImageMetadata


@dataclass(frozen=True, slots=True)
class Failed:
    """A photo that could not be decoded, with the reason shown to the user.

    ``retry``: the failure may pass (moved, no permission, I/O), so later scans try again.
    """

    media_id: int
    path: str
    reason: str
    retry: bool = False


@dataclass(slots=True)
class ImageStageResult:
    """Counts of one image stage."""

    encoded: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)


def decode_one(encoder: Encoder, media_id: int, path: str, max_pixels: int) -> Decoded | Failed:
    """Decode and preprocess one photo; every failure becomes a :class:`Failed`."""
    try:
        decoded = open_image(Path(path), max_pixels=max_pixels)
        tensor = encoder.preprocess(decoded.image)
    except ImageUnreadableError as exc:
        return Failed(media_id, path, exc.user_message, retry=True)
    except UnsupportedImageError as exc:
        return Failed(media_id, path, exc.user_message)
    except Exception as exc:  # a per-file failure must never abort the run
        logger.exception("Unexpected error decoding %s", path)
        return Failed(media_id, path, f"could not be decoded ({type(exc).__name__}: {exc})")
    return Decoded(media_id, tensor, decoded.width, decoded.height, decoded.metadata)


class ImageStage:
    """Encodes every photo that has no vector from the current encoder."""

    def __init__(
        self,
        store: Store,
        encoder: Encoder,
        encoder_id: int,
        *,
        batch_size: int,
        workers: int,
        max_pixels: int,
    ) -> None:
        self._store = store
        self._encoder = encoder
        self._encoder_id = encoder_id
        self._batch_size = max(1, batch_size)
        self._first = min(self._batch_size, FIRST_BATCH)
        self._workers = max(1, workers)
        self._max_pixels = max_pixels

    def run(
        self,
        items: Sequence[tuple[int, str]],
        report: RateLimitedReporter,
        cancel: CancelToken | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> ImageStageResult:
        """Encode ``items`` ((media id, path) pairs) batch by batch."""
        result = ImageStageResult()
        total = len(items)
        pool = ThreadPoolExecutor(self._workers, thread_name_prefix="hashlens-decode")
        pending: deque[Future[Decoded | Failed]] = deque()
        queue = iter(items)
        try:
            self._fill(pool, pending, queue, 2 * self._batch_size)
            while pending:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                want = self._batch_size if result.encoded or result.skipped else self._first
                batch = [pending.popleft().result() for _ in range(min(want, len(pending)))]
                self._fill(pool, pending, queue, 2 * self._batch_size)
                self._write_batch(batch, result)
                done = result.encoded + len(result.skipped)
                report(Progress("images", done, total, batch_path(batch)))
                if on_batch is not None:
                    on_batch(done)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return result

    def _fill(
        self,
        pool: ThreadPoolExecutor,
        pending: deque[Future[Decoded | Failed]],
        queue: Iterator[tuple[int, str]],
        window: int,
    ) -> None:
        while len(pending) < window:
            item = next(queue, None)
            if item is None:
                return
            pending.append(
                pool.submit(decode_one, self._encoder, item[0], item[1], self._max_pixels)
            )

    def _write_batch(self, batch: list[Decoded | Failed], result: ImageStageResult) -> None:
        ok = [b for b in batch if isinstance(b, Decoded)]
        failed = [b for b in batch if isinstance(b, Failed)]
        vectors = self._encoder.encode_preprocessed([d.tensor for d in ok]) if ok else None
        media, labels = self._store.media, self._store.labels
        with self._store.atomic():
            if vectors is not None:
                ids = [d.media_id for d in ok]
                self._store.vectors.put_image_features(self._encoder_id, ids, vectors)
            for d in ok:
                meta = d.metadata
                media.mark_ready(d.media_id, d.width, d.height, meta.taken_at, meta.camera)
                texts = [(t.text, t.source) for t in d.metadata.descriptions]
                media.replace_captions(d.media_id, texts, sources=EMBEDDED_SOURCES)
                labels.set_labels(d.media_id, d.metadata.keywords, ORIGIN_EMBEDDED_KEYWORDS)
                refresh_hashtags(self._store, d.media_id)
            for f in failed:
                media.mark_error(f.media_id, f.reason, retry=f.retry)
                logger.warning("Skipped %s: %s", f.path, f.reason)
        result.encoded += len(ok)
        result.skipped += [SkippedFile(f.path, f.reason) for f in failed]


def batch_path(batch: list[Decoded | Failed]) -> str:
    """A short note for progress displays (the last failure's path, if any)."""
    failures = [b for b in batch if isinstance(b, Failed)]
    return failures[-1].path if failures else ""
