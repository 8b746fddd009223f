"""Row dataclasses and ndarray <-> BLOB converters for the library file."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from core.types import FloatArray

FEATURE_DTYPE = np.dtype("<f2")
"""Features are stored as little-endian float16: half the bytes, ample precision for cosine."""


def vector_to_blob(vector: FloatArray) -> bytes:
    """Encode one float vector as a float16 little-endian BLOB."""
    return np.asarray(vector, dtype=FEATURE_DTYPE).tobytes()


def blobs_to_matrix(blobs: list[bytes], dim: int) -> FloatArray:
    """Decode float16 BLOBs (one per row) into a ``(len(blobs), dim)`` float32 matrix."""
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    flat = np.frombuffer(b"".join(blobs), dtype=FEATURE_DTYPE)
    return flat.reshape(len(blobs), dim).astype(np.float32)


@dataclass(frozen=True, slots=True)
class FolderRecord:
    """A folder the user added to the library."""

    id: int
    path: str
    is_watched: bool
    is_album_source: bool
    added_at: str


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """What the scanner needs to know about one stored photo."""

    id: int
    folder_id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str
    status: str
    sidecar_sig: str
    retry: bool = False
    """An ``error`` that may pass (moved, no permission, I/O): the scan tries again."""


@dataclass(frozen=True, slots=True)
class FileFacts:
    """A ready photo's file identity and size, as duplicate grouping needs them."""

    id: int
    path: str
    size: int
    content_hash: str
    width: int | None
    height: int | None
    taken_at: str | None


@dataclass(frozen=True, slots=True)
class MediaDetails:
    """A photo with everything the user sees about it."""

    id: int
    path: str
    width: int | None
    height: int | None
    taken_at: str | None
    status: str
    error: str | None
    captions: tuple[str, ...]
    labels: tuple[str, ...]
    kind: str = "photo"
    """``photo``, ``raw`` (a camera RAW file) or ``video``."""


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """A label on a photo: its name, where it came from, and how sure that origin is.

    Attributes:
        name: The label as first written ("Beach"); names compare case-insensitively.
        origin: ``user``, ``keyword``, ``keyword-file``, ``hashtag`` or ``zero-shot``.
        confidence: 1.0 for labels a person wrote; a zero-shot concept's probability.
    """

    name: str
    origin: str
    confidence: float


@dataclass(frozen=True, slots=True)
class EncoderRecord:
    """An encoder that produced stored vectors (open_clip model id and its output size)."""

    id: int
    model_id: str
    dim: int


@dataclass(frozen=True, slots=True)
class LibraryStats:
    """Counts shown by ``hashlens status``."""

    folders: int
    photos: int
    photos_ready: int
    photos_pending: int
    photos_error: int
    captions: int
    labels: int
    image_vectors: int
    caption_vectors: int
    file_bytes: int
    raw_photos: int = 0
    """Of ``photos``, how many are camera RAW files."""
    videos: int = 0
    """Of ``photos``, how many are videos (each indexed by one frame)."""


def path_to_db(path: str) -> str | bytes:
    """A path as stored: UTF-8 text, or the raw bytes for names that are not valid UTF-8.

    Linux file names are bytes; Python shows undecodable ones with surrogate escapes,
    which SQLite text cannot hold. Storing those few as BLOBs keeps them exact.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def path_from_db(value: str | bytes) -> str:
    """Inverse of :func:`path_to_db`."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def printable(text: str) -> str:
    """Text safe to store or show: undecodable bytes written as backslash escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class HasherRecord:
    """A trained hasher stored in the library.

    Attributes:
        id: Row id; codes are keyed by it.
        name: Registry key of the method.
        version: Increases with every training of the same method for the same encoder.
        encoder_id: The encoder whose features it was trained on.
        n_bits: Code length.
        created_at: ISO time of training.
        is_active: Whether search and indexing use it.
        details: Training summary (items, labels by origin, fit seconds), JSON text.
    """

    id: int
    name: str
    version: int
    encoder_id: int
    n_bits: int
    created_at: str
    is_active: bool
    details: str
