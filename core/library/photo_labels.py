"""Labels as the user sees and edits them: photos chosen by path, their labels, their tags.

A path names one photo of the library, or a folder: every photo of the library below
it. Listing shows every label a photo has with its origin and confidence, including
its album when its library folder is opted in as an album source (album labels are
derived from the path, not stored). Changing only ever touches the user's own tags
(origin ``user``); keywords, hashtags and zero-shot guesses come from elsewhere and
are reported, not removed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.errors import LabelError
from core.library.folders import is_inside
from core.library.training.training_data import ALBUM_ORIGIN, album_label
from core.store.database import Store
from core.store.media_repo import USER_SOURCE
from core.store.records import LabelRecord

MAX_TAG_LENGTH = 200


def photos_at(store: Store, path: str) -> list[int]:
    """Ids of the library's photos at ``path`` (absolute): the photo, or those below it."""
    exact = store.media.media_by_path(path)
    if exact is not None:
        return [exact.id]
    found: list[tuple[str, int]] = []
    for folder in store.media.folders():
        if is_inside(path, folder.path) or is_inside(folder.path, path):
            media = store.media.media_in_folder(folder.id).values()
            found += [(m.path, m.id) for m in media if is_inside(m.path, path)]
    return [media_id for _, media_id in sorted(found)]


def clean_tag_names(names: Iterable[str]) -> tuple[str, ...]:
    """Tag names with surrounding space removed, repeats (in any case) dropped.

    Raises:
        LabelError: A name is empty, too long, or holds line breaks or control characters.
    """
    out: dict[str, str] = {}
    for raw in names:
        name = unicodedata.normalize("NFC", raw.strip())
        if not name:
            raise LabelError("A tag name cannot be empty.", repr(raw))
        if any(unicodedata.category(c).startswith("C") for c in name):
            raise LabelError(
                f"The tag name {name!r} holds a line break or a control character.", repr(raw)
            )
        if len(name) > MAX_TAG_LENGTH:
            raise LabelError(
                f"A tag name can be at most {MAX_TAG_LENGTH} characters long.", name[:40]
            )
        out.setdefault(name.casefold(), name)
    return tuple(out.values())


def labels_of_photos(store: Store, media_ids: Sequence[int]) -> dict[int, list[LabelRecord]]:
    """Every label of each photo (stored ones and its album), sorted by name then origin."""
    stored = store.labels.of_photos(media_ids)
    albums = _albums(store, set(media_ids))
    out: dict[int, list[LabelRecord]] = {}
    for media_id in media_ids:
        labels = list(stored.get(media_id, []))
        if media_id in albums:
            labels.append(LabelRecord(albums[media_id], ALBUM_ORIGIN, 1.0))
        out[media_id] = sorted(labels, key=lambda r: (r.name.casefold(), r.origin))
    return out


def _albums(store: Store, media_ids: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for folder in store.media.folders():
        if folder.is_album_source:
            for media in store.media.media_in_folder(folder.id).values():
                album = album_label(folder.path, media.path)
                if media.id in media_ids and album is not None:
                    out[media.id] = album
    return out


@dataclass(frozen=True)
class TagChange:
    """What adding and removing the user's tags did on a set of photos.

    Attributes:
        photos: Photos changed.
        added: Per added name, photos that did not have it yet.
        removed: Per removed name, photos it was taken off.
        kept: Per removed name, the other origins (keyword, hashtag, zero-shot...) that
            still give it to some of the photos; ``tag`` cannot remove those.
    """

    photos: int
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, tuple[str, ...]] = field(default_factory=dict)


def change_user_tags(
    store: Store, media_ids: Sequence[int], add: Sequence[str], remove: Sequence[str]
) -> TagChange:
    """Add and remove the user's tags on photos in one transaction.

    Args:
        store: The library.
        media_ids: The photos.
        add: Names from :func:`clean_tag_names` to add.
        remove: Names from :func:`clean_tag_names` to remove.

    Raises:
        LabelError: A name is both added and removed.
    """
    both = {n.casefold() for n in add} & {n.casefold() for n in remove}
    if both:
        raise LabelError(
            f"A tag cannot be added and removed at once: {', '.join(sorted(both))}.",
            repr((add, remove)),
        )
    with store.atomic():
        added = {n: store.labels.add_labels(media_ids, [n], USER_SOURCE) for n in add}
        removed = {n: store.labels.remove_labels(media_ids, [n], USER_SOURCE) for n in remove}
    remaining = store.labels.of_photos(media_ids)
    kept: dict[str, tuple[str, ...]] = {}
    for name in remove:
        origins = {
            r.origin
            for labels in remaining.values()
            for r in labels
            if r.name.casefold() == name.casefold()
        }
        if origins:
            kept[name] = tuple(sorted(origins))
    return TagChange(len(media_ids), added, removed, kept)
