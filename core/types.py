"""Shared value types: array aliases and the immutable records passed across layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
PackedCodes = npt.NDArray[np.uint8]

HitKind = Literal["photo", "caption"]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result.

    Attributes:
        kind: ``"photo"`` for an image result, ``"caption"`` for a caption result.
        media_id: Row id of the photo (for a caption: the photo it describes).
        path: Absolute path of the photo.
        caption: The caption text (for a photo: its first caption, or "").
        score: Cosine similarity of the float features (higher is better).
        distance: Hamming distance of the codes, or ``None`` for exact float search.
        caption_id: Row id of the caption for caption hits.
        media: What the item is: ``"photo"``, ``"raw"`` (a camera RAW file) or ``"video"``
            (indexed by one frame); ``--json`` writes it beside ``kind``.
    """

    kind: HitKind
    media_id: int
    path: str
    caption: str
    score: float
    distance: int | None = None
    caption_id: int | None = None
    media: str = "photo"


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file the indexer could not use, with the reason shown to the user."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    copies: int = 0
    encoded_images: int = 0
    encoded_captions: int = 0
    hashed: int = 0
    skipped: tuple[SkippedFile, ...] = ()
    withheld_deletions: tuple[str, ...] = ()
    cancelled: bool = False
