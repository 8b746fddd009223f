"""Detail jobs: read one photo's details; add and edit its captions; set its tags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import LibraryError
from core.library.indexing.caption_sync import refresh_hashtags
from core.library.photo_labels import clean_tag_names
from core.store.database import Store
from core.store.media_repo import USER_SOURCE
from core.store.records import MediaDetails


@dataclass(frozen=True, slots=True)
class CaptionRow:
    """A caption of a photo and where it came from (``user`` for the user's own)."""

    id: int
    text: str
    source: str

    @property
    def is_user(self) -> bool:
        """Whether the user typed it (only those can be edited here)."""
        return self.source == USER_SOURCE


@dataclass(frozen=True, slots=True)
class LabelRow:
    """A label on a photo, its origin (``user`` tag, ``keyword``, ``hashtag``...) and how
    sure that origin is (1.0 but for zero-shot guesses)."""

    name: str
    origin: str
    confidence: float = 1.0

    @property
    def is_user(self) -> bool:
        """Whether the user added it as a tag (only those can be removed here)."""
        return self.origin == USER_SOURCE


@dataclass(frozen=True, slots=True)
class PhotoDetail:
    """Everything the detail view shows about one photo: the stored details, plus where each
    caption and label came from."""

    media: MediaDetails
    captions: tuple[CaptionRow, ...]
    labels: tuple[LabelRow, ...]

    @property
    def media_id(self) -> int:
        """The photo's id."""
        return self.media.id

    @property
    def path(self) -> str:
        """The photo's file."""
        return self.media.path

    @property
    def user_tags(self) -> tuple[str, ...]:
        """The labels the user added, by name."""
        return tuple(label.name for label in self.labels if label.is_user)


def read_detail(store: Store, media_id: int) -> PhotoDetail:
    """The details of one photo from an open library.

    Raises:
        LibraryError: The photo is no longer in the library.
    """
    found = store.media.details(media_id)
    if found is None:
        raise LibraryError("This photo is no longer in the library (it was removed or moved).")
    return PhotoDetail(
        media=found,
        captions=tuple(CaptionRow(*row) for row in store.media.captions_of(media_id)),
        labels=tuple(LabelRow(r.name, r.origin, r.confidence) for r in store.labels.of(media_id)),
    )


def load_detail(library_path: Path, media_id: int) -> PhotoDetail:
    """Read one photo's details."""
    with Store.open(library_path) as store:
        return read_detail(store, media_id)


def set_user_tags(library_path: Path, media_id: int, tags: Sequence[str]) -> PhotoDetail:
    """Make the user's tags on a photo exactly ``tags`` (other labels are kept).

    Raises:
        LabelError: A tag is empty or holds a line break (as ``hashlens tag`` refuses).
    """
    names = clean_tag_names(tags)
    with Store.open(library_path) as store:
        read_detail(store, media_id)
        with store.atomic():
            store.labels.set_labels(media_id, names, USER_SOURCE)
        return read_detail(store, media_id)


def add_caption(library_path: Path, media_id: int, text: str) -> PhotoDetail:
    """Add a caption typed by the user; it becomes searchable at the next indexing run.

    Its ``#hashtags`` become labels at once, as those of captions read from files do.
    """
    with Store.open(library_path) as store:
        read_detail(store, media_id)
        with store.atomic():
            store.media.add_user_caption(media_id, text.strip())
            refresh_hashtags(store, media_id)
        return read_detail(store, media_id)


def edit_caption(library_path: Path, media_id: int, caption_id: int, text: str) -> PhotoDetail:
    """Change (or, with empty ``text``, remove) one of the user's captions.

    Raises:
        LibraryError: The caption is not one the user typed (those come from files).
    """
    with Store.open(library_path) as store:
        with store.atomic():
            text = text.strip()
            media = store.media
            changed = (
                media.update_user_caption(caption_id, text)
                if text
                else media.delete_user_caption(caption_id)
            )
            if changed:  # a hashtag typed, changed or removed changes the labels with it
                refresh_hashtags(store, media_id)
        if not changed:
            raise LibraryError(
                "Only your own captions can be changed here; the others come from files "
                "next to the photo or inside it."
            )
        return read_detail(store, media_id)
