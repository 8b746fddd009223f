"""Hashing jobs: read what the hashing panel shows, train a method, switch the active one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from core.encoders.encoder import LazyEncoder
from core.errors import HashingInputError
from core.hashing.registry import hasher_specs
from core.library.training.hasher_switch import GONE, switch_to
from core.library.training.online_progress import OnlineProgress, online_progress
from core.library.training.own_map import OwnPhotosMap, own_photos_map
from core.library.training.trainer import Trainer, TrainOptions, TrainReport
from core.library.training.training_summary import TrainingSummary
from core.progress import CancelToken, ProgressCallback
from core.store.code_footprint import CodeFootprint, code_footprint
from core.store.database import Store
from core.store.records import HasherRecord

logger = logging.getLogger(__name__)

NOT_INDEXED = (
    "Nothing is indexed with this model yet: add a folder and let indexing finish, then train."
)


@dataclass(frozen=True, slots=True)
class TrainedHasher:
    """A stored hasher in words: method, title, supervision, code length, version, when."""

    id: int
    key: str
    title: str
    supervision: str
    n_bits: int
    version: int
    created_at: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class TrainingDetails:
    """What the active hasher learned from (its stored training summary)."""

    rows: int = 0
    photos: int = 0
    classes: int = 0
    labels_by_origin: tuple[tuple[str, int], ...] = ()
    excluded_unlabelled: int = 0
    unlabelled_rows: int = 0
    pseudo_pairs: int = 0
    """Rows paired with a pseudo-caption (the library had no captions)."""
    settings: str = ""
    """How the settings were chosen (self-tuning), or empty."""
    picked: str = ""
    """Why ``auto`` picked this method, or empty."""
    online: OnlineProgress | None = None


@dataclass(frozen=True, slots=True)
class HashingOverview:
    """Everything the hashing panel shows.

    Attributes:
        is_indexed: Photos are indexed with the library's model, so training can start.
        trained: Hashers of this model, newest first (the active one among them).
        active: The hasher search uses, if any.
        details: Its training summary.
        footprint: Its stored codes.
        own_map: Its mAP on the user's labelled photos (or why there is none).
        feature_dim: Length of the stored CLIP features (0 before indexing).
        labelled_photos: Photos with at least one stored label (album folders not counted).
    """

    is_indexed: bool
    trained: tuple[TrainedHasher, ...] = ()
    active: TrainedHasher | None = None
    details: TrainingDetails = TrainingDetails()
    footprint: CodeFootprint | None = None
    own_map: OwnPhotosMap | None = None
    feature_dim: int = 0
    labelled_photos: int = 0


def short_title(title: str) -> str:
    """``BATCH`` from ``BATCH, label-based … (Wang et al., TKDE 2020)``."""
    return title.split(" (")[0].split(",")[0].strip()


def trained_hasher(record: HasherRecord) -> TrainedHasher:
    """A stored hasher in words (its registry title and supervision)."""
    spec = next((s for s in hasher_specs() if s.key == record.name), None)
    return TrainedHasher(
        record.id, record.name, spec.title if spec else record.name,
        spec.supervision if spec else "", record.n_bits, record.version, record.created_at,
        record.is_active,
    )  # fmt: skip


def training_details(record: HasherRecord) -> TrainingDetails:
    """The training summary stored with a hasher (empty where it cannot be read)."""
    try:
        summary = TrainingSummary.from_json(record.details)
    except ValueError:
        logger.warning("Unreadable training details of hasher %d", record.id)
        return TrainingDetails()
    return TrainingDetails(
        rows=summary.rows,
        photos=summary.photos,
        classes=summary.classes,
        labels_by_origin=tuple(sorted(summary.labels_by_origin.items())),
        excluded_unlabelled=summary.excluded_unlabelled,
        unlabelled_rows=summary.unlabelled_rows,
        pseudo_pairs=summary.pseudo_pairs,
        settings=summary.tuning.summary if summary.tuning else "",
        picked=summary.auto.reason if summary.auto else "",
        online=online_progress(record.details),
    )


def read_hashing_overview(store: Store, encoder_key: str) -> HashingOverview:
    """The hashing state of an open library for the model named by ``encoder_key``."""
    encoder = store.known_encoder(encoder_key)
    if encoder is None or store.stats().photos_ready == 0:
        return HashingOverview(is_indexed=False)
    records = [h for h in store.codes.hashers() if h.encoder_id == encoder.id]
    trained = tuple(trained_hasher(h) for h in records)
    record = next((h for h in records if h.is_active), None)
    row = store.db.execute("SELECT COUNT(DISTINCT media_id) FROM media_labels").fetchone()
    dim, labelled = encoder.dim, int(row[0])
    if record is None:
        return HashingOverview(
            is_indexed=True, trained=trained, feature_dim=dim, labelled_photos=labelled
        )
    return HashingOverview(
        is_indexed=True,
        feature_dim=dim,
        labelled_photos=labelled,
        trained=trained,
        active=trained_hasher(record),
        details=training_details(record),
        footprint=code_footprint(store, record.id),
        own_map=own_photos_map(store, encoder, record),
    )


def load_hashing_overview(library_path: Path, encoder_key: str) -> HashingOverview:
    """Open the library and read its hashing state (a read: runs on the shared pool)."""
    with Store.open(library_path) as store:
        return read_hashing_overview(store, encoder_key)


def train_hasher(
    library_path: Path,
    encoder_key: str,
    options: TrainOptions,
    progress: ProgressCallback,
    cancel: CancelToken,
    text_encoder: LazyEncoder | None = None,
) -> TrainReport:
    """Fit ``options.method`` on the stored features, write every code, make it active.

    ``text_encoder`` embeds concept prompts for methods that use them (FPO-CMH).

    A run that fails or is cancelled leaves the library as it was: the hasher it stored
    (inactive, with part of its codes) is removed again.

    Raises:
        HashingInputError: Nothing indexed, no captions, or no labels for a supervised method.
        TaskCancelled: The user cancelled.
    """
    with Store.open(library_path) as store:
        encoder = store.known_encoder(encoder_key)
        if encoder is None:
            raise HashingInputError(NOT_INDEXED, "no features for this model")
        before = {h.id for h in store.codes.hashers()}
        try:
            trainer = Trainer(store, encoder, text_encoder=text_encoder)
            return trainer.train(options, progress=progress, cancel=cancel)
        except Exception:
            with store.atomic():
                for record in store.codes.hashers():
                    if record.id not in before and not record.is_active:
                        store.codes.delete_hasher(record.id)
            raise


def activate_hasher(library_path: Path, encoder_key: str, hasher_id: int) -> TrainedHasher:
    """Switch search to a hasher trained earlier, first coding photos added since.

    Raises:
        HashingInputError: The hasher is gone or belongs to another model.
        HasherFileError: Its stored model cannot be read.
    """
    with Store.open(library_path) as store:
        encoder = store.known_encoder(encoder_key)
        if encoder is None:
            raise HashingInputError(GONE, f"hasher {hasher_id}")
        record, _ = switch_to(store, encoder, hasher_id)
        return trained_hasher(record)
