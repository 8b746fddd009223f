"""One indexing run: scan, apply the diff, encode new photos and captions, report.

The encoder is loaded only when something needs encoding, so a re-scan of an
unchanged library never imports torch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.config import IndexingConfig
from core.encoders.encoder import LazyEncoder
from core.errors import CoreError, ModelNotAvailableError, TaskCancelled
from core.library.indexing.camera_backfill import backfill_cameras
from core.library.indexing.caption_stage import encode_captions
from core.library.indexing.image_stage import ImageStage
from core.library.indexing.plan_apply import AppliedPlan, PlanWriter
from core.library.indexing.scanner import Scanner, ScanPlan
from core.library.training.code_writer import find_missing, load_hasher, write_missing_codes
from core.library.training.online_update import learn_from_new_items
from core.progress import CancelToken, Progress, ProgressCallback, RateLimitedReporter
from core.store.database import Store
from core.store.records import EncoderRecord, FolderRecord
from core.types import IndexReport, SkippedFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IndexOptions:
    """Knobs of one run.

    Attributes:
        batch_size: Photos per encoder batch.
        unsettled: Paths of files still being written, asked for when the scan starts
            (folder watching knows them); the scan leaves them, and every deletion, for
            the next run.
    """

    batch_size: int = 32
    unsettled: Callable[[], frozenset[str]] = frozenset


class Indexer:
    """Brings the library up to date with its folders."""

    def __init__(
        self,
        store: Store,
        encoder: LazyEncoder,
        config: IndexingConfig,
        options: IndexOptions | None = None,
    ) -> None:
        self._store = store
        self._encoder = encoder
        self._config = config
        self._options = options or IndexOptions()
        self._earlier_request: str | None = None

    def run(
        self,
        folders: list[FolderRecord] | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> IndexReport:
        """Index ``folders`` (default: all registered). Cancellation keeps finished batches."""
        started = time.monotonic()
        report = RateLimitedReporter(progress)
        targets = self._store.media.folders() if folders is None else folders
        # Stored before anything slow, so a run cancelled before the model has loaded
        # still leaves the model the user asked for to the next run.
        self._earlier_request = self._store.request_encoder(self._encoder.config_key)
        report(Progress("scan", 0, len(targets)), force=True)
        try:
            plan, applied = self._scan(targets, cancel)
            report(Progress("scan", len(targets), len(targets)), force=True)
            encoded, captions, skipped = self._encode(report, cancel)
            backfill_cameras(self._store, cancel)  # once, for photos indexed before m004
            hashed = self._hash_new_items(report, cancel)
        except TaskCancelled:
            logger.info("Indexing cancelled after %.1f s", time.monotonic() - started)
            self._hash_kept_batches(report)
            return IndexReport(cancelled=True)
        out = IndexReport(
            added=applied.added, updated=applied.updated, moved=applied.moved,
            removed=applied.removed, unchanged=plan.unchanged, copies=applied.copies,
            encoded_images=encoded,
            encoded_captions=captions, hashed=hashed, skipped=tuple(skipped),
            withheld_deletions=tuple(f"{w.folder_path}: {w.reason}" for w in plan.withheld),
        )  # fmt: skip
        logger.info("Indexed in %.1f s: %s", time.monotonic() - started, out)
        return out

    def _scan(
        self, targets: list[FolderRecord], cancel: CancelToken | None
    ) -> tuple[ScanPlan, AppliedPlan]:
        stored = {f.id: self._store.media.media_in_folder(f.id) for f in targets}
        everywhere = tuple(f.path for f in self._store.media.folders())  # where links may lead
        plan = Scanner(self._config).plan(
            targets, stored, unsettled=self._options.unsettled(), allowed_roots=everywhere
        )
        return plan, PlanWriter(self._store, cancel).apply(plan, targets)

    def _encode(
        self, report: RateLimitedReporter, cancel: CancelToken | None
    ) -> tuple[int, int, list[SkippedFile]]:
        record = self._store.known_encoder(self._encoder.config_key)
        if record is not None and not self._has_work(record):
            return 0, 0, []
        if not self._encoder.is_loaded:
            report(Progress("model", 0, 1), force=True)
        try:
            encoder = self._encoder.get()
        except ModelNotAvailableError:  # a model that cannot load is not worth remembering
            self._store.restore_encoder_request(self._earlier_request)
            raise
        report(Progress("model", 1, 1), force=True)
        record = self._store.remember_encoder(
            self._encoder.config_key, encoder.model_id, encoder.dim
        )
        items = self._store.vectors.media_to_encode(record.id)
        stage = ImageStage(
            self._store, encoder, record.id,
            batch_size=self._options.batch_size, workers=self._config.decode_workers,
            max_pixels=self._config.max_image_pixels,
        )  # fmt: skip
        images = stage.run(items, report, cancel)
        texts = self._store.vectors.captions_to_encode(record.id)
        n_captions = encode_captions(self._store, encoder, record.id, texts, report, cancel)
        return images.encoded, n_captions, images.skipped

    def _hash_new_items(self, report: RateLimitedReporter, cancel: CancelToken | None) -> int:
        """Codes for items the active hasher has not seen (new or re-encoded ones).

        An online hasher first learns from those items (``online_update``), then codes
        them: the model that codes a new item has seen it, as online hashing codes each
        new chunk after its update (FPO-CMH's codebook places a photo of a new kind by
        its caption, so the photo's code is its kind's codeword). Codes are written even
        when the learning is cancelled or fails, so every item can be found.
        """
        record = self._store.known_encoder(self._encoder.config_key)
        active = None if record is None else self._store.codes.active_hasher(record.id)
        if record is None or active is None:
            return 0
        missing = find_missing(self._store, active, record)
        if not missing.total:
            return 0  # the model file is not even read
        hasher = load_hasher(self._store, active)
        try:
            learn_from_new_items(
                self._store, active, hasher, record, missing, progress=report, cancel=cancel
            )
        finally:
            written = write_missing_codes(
                self._store, active, hasher, record, progress=report, missing=missing
            )
        return written.images + written.texts

    def _hash_kept_batches(self, report: RateLimitedReporter) -> None:
        """After a cancel, give the kept batches codes from the active hasher.

        Those photos can then be found at once rather than after the next run; coding is
        fast (no CLIP, one matrix product per batch).
        """
        try:
            self._hash_new_items(report, None)
        except CoreError as exc:  # the cancel is what the user asked for; report it anyway
            logger.warning("Codes for the kept batches were not written: %s", exc)

    def _has_work(self, record: EncoderRecord) -> bool:
        vectors = self._store.vectors
        return bool(vectors.media_to_encode(record.id) or vectors.captions_to_encode(record.id))
