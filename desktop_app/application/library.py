"""Library jobs: read the overview, add and remove folders, index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.config import AppConfig, EncoderConfig
from core.encoders.encoder import LazyEncoder
from core.library.folders import register_folder
from core.library.indexing.file_walk import describe_not_indexed
from core.library.indexing.indexer import Indexer, IndexOptions
from core.progress import CancelToken, ProgressCallback
from core.store.database import Store
from core.store.lock import WriterLock
from core.types import IndexReport, SkippedFile
from desktop_app.application.model_choice import (
    download_bytes,
    encoder_config_key,
    has_local_weights,
    remembered_encoder_config,
)


@dataclass(frozen=True, slots=True)
class FolderRow:
    """One library folder with its counts, and whether its sub-folders are album labels."""

    id: int
    path: str
    photos: int
    pending: int
    errors: int
    captions: int
    is_album_source: bool = False


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """The model the library uses and whether it can run without a download.

    Attributes:
        config: Architecture and weights (the library's last model, else the settings).
        is_known: The library was indexed with this model before.
        has_local_weights: The weights are a file or folder on this computer.
        download_bytes: Size of the download where known, else None.
    """

    config: EncoderConfig
    is_known: bool
    has_local_weights: bool
    download_bytes: int | None

    @property
    def is_ready(self) -> bool:
        """Whether indexing can start without asking the user for a model first."""
        return self.is_known or self.has_local_weights


@dataclass(frozen=True, slots=True)
class LibraryOverview:
    """Everything the library panel shows."""

    library_path: Path
    folders: tuple[FolderRow, ...]
    photos: int
    pending: int
    errors: int
    captions: int
    skipped: tuple[SkippedFile, ...]
    model: ModelStatus
    cameras: tuple[str, ...] = ()
    """The cameras the photos name (EXIF make and model), for the camera filter."""
    raw_photos: int = 0
    """Of the searchable items (``photos``), how many are camera RAW files."""
    videos: int = 0
    """Of the searchable items (``photos``), how many are videos."""


@dataclass(frozen=True, slots=True)
class FoldersAdded:
    """Outcome of adding folders: which were added, which refused (one message each)."""

    added: tuple[str, ...]
    rejected: tuple[str, ...]
    overview: LibraryOverview


def model_status(store: Store, default: EncoderConfig) -> ModelStatus:
    """Which model the library would use now, read without loading it."""
    cfg = remembered_encoder_config(default, store)
    is_known = store.known_encoder(encoder_config_key(cfg)) is not None
    return ModelStatus(cfg, is_known, has_local_weights(cfg), download_bytes(cfg))


def read_overview(store: Store, default: EncoderConfig) -> LibraryOverview:
    """The overview of an open library (runs on a pool thread)."""
    stats = store.stats()
    counts = store.media.folder_counts()
    empty = {"photos": 0, "pending": 0, "errors": 0, "captions": 0}
    folders = tuple(
        FolderRow(f.id, f.path, **counts.get(f.id, empty), is_album_source=f.is_album_source)
        for f in store.media.folders()
    )
    skipped = [SkippedFile(p, r) for p, r in store.media.errors()]
    skipped += [SkippedFile(p, m) for p, m in store.media.problems()]
    paths = {f.id: f.path for f in store.media.folders()}
    ready = store.media.ready_kinds()
    for folder_id, by_kind in store.media.unsupported().items():
        if folder_id in paths and (kinds := describe_not_indexed(by_kind)):
            skipped.append(SkippedFile(paths[folder_id], f"Not indexed: {kinds}"))
    return LibraryOverview(
        library_path=store.path,
        folders=folders,
        photos=stats.photos_ready,
        pending=stats.photos_pending,
        errors=stats.photos_error,
        captions=stats.captions,
        skipped=tuple(skipped),
        model=model_status(store, default),
        cameras=tuple(store.media.cameras()),
        raw_photos=ready.get("raw", 0),
        videos=ready.get("video", 0),
    )


def load_overview(library_path: Path, default: EncoderConfig) -> LibraryOverview:
    """Open the library (creating or migrating it if needed) and read its overview."""
    with Store.open(library_path) as store:
        return read_overview(store, default)


def add_folders(library_path: Path, paths: Sequence[Path], default: EncoderConfig) -> FoldersAdded:
    """Register the folders among ``paths``; anything else is refused with a reason."""
    added: list[str] = []
    rejected: list[str] = []
    with Store.open(library_path) as store:
        for path in paths:
            resolved = path.expanduser().resolve()
            if not resolved.is_dir():
                rejected.append(f"{path} is not a folder, so it was not added.")
                continue
            registration = register_folder(store, str(resolved))
            if registration.covered_by_existing:
                rejected.append(
                    f"{path} is already in the library as part of {registration.folder.path}."
                )
            else:
                added.append(registration.folder.path)
        return FoldersAdded(tuple(added), tuple(rejected), read_overview(store, default))


def remove_folder(library_path: Path, folder_id: int, default: EncoderConfig) -> LibraryOverview:
    """Forget a folder and what was indexed from it (the files are not touched)."""
    with Store.open(library_path) as store:
        with store.atomic():
            store.media.remove_folder(folder_id)
        return read_overview(store, default)


def set_album_labels(
    library_path: Path, folder_id: int, is_on: bool, default: EncoderConfig
) -> LibraryOverview:
    """Whether a folder's first-level sub-folders count as labels (albums) in training."""
    with Store.open(library_path) as store:
        with store.atomic():
            store.media.set_album_source(folder_id, is_on)
        return read_overview(store, default)


def index_library(
    library_path: Path,
    config: AppConfig,
    encoder: LazyEncoder,
    progress: ProgressCallback,
    cancel: CancelToken,
    unsettled: Callable[[], frozenset[str]] = frozenset,
) -> IndexReport:
    """Bring every folder up to date; cancelling keeps each finished batch.

    ``unsettled`` names files still being written (folder watching knows them): they wait.
    """
    options = IndexOptions(batch_size=config.encoder.batch_size, unsettled=unsettled)
    with Store.open(library_path) as store, WriterLock(store.path):
        indexer = Indexer(store, encoder, config.indexing, options)
        return indexer.run(progress=progress, cancel=cancel)
