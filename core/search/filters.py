"""Filters that combine with any search: date range, folder, camera and tags (``#tag``).

A filter narrows the photos a query may return; it never changes how they are ranked.
``split_query`` takes ``#tags`` out of a typed query, so ``#tuscany sunset`` ranks photos
for "sunset" among those tagged "tuscany" (a stored label of any origin: tag, keyword, hashtag,
zero-shot guess). Dates are the EXIF date taken, else the file's modification time; both ends of a
range are whole days and included. The camera is matched case-insensitively as a part of
the stored EXIF make and model (``canon`` matches ``Canon EOS 5D``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.errors import SearchFilterError
from core.media.captions import extract_hashtags
from core.store.database import Store

_TAG_TOKEN = re.compile(r"(?<![\w/&#])#(\S+)")
_DATE_EXPR = "COALESCE(m.taken_at, strftime('%Y-%m-%dT%H:%M:%S', m.mtime_ns / 1e9, 'unixepoch'))"


@dataclass(frozen=True, slots=True)
class PhotoFilter:
    """Which photos a search may return; an empty filter lets every photo through.

    Attributes:
        after: First day (included), or None.
        before: Last day (included), or None.
        folder: Only photos inside this folder (at any depth), or None.
        tags: Labels every photo must carry (compared without case).
        camera: Only photos whose camera (EXIF make and model) contains this text, without
            case, or None.
    """

    after: date | None = None
    before: date | None = None
    folder: str | None = None
    tags: tuple[str, ...] = field(default=())
    camera: str | None = None

    def __post_init__(self) -> None:
        if self.camera is not None and not self.camera.strip():
            object.__setattr__(self, "camera", None)
        if self.after is not None and self.before is not None and self.after > self.before:
            raise SearchFilterError(
                f"The date range is reversed: {self.after.isoformat()} is after "
                f"{self.before.isoformat()}. Swap the two dates."
            )

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets every photo through."""
        return not (self.after or self.before or self.folder or self.tags or self.camera)

    def describe(self) -> str:
        """The filter in words, for "no photo matches" messages: ``tagged #tuscany, after…``."""
        parts = []
        if self.tags:
            parts.append("tagged " + " and ".join(f"#{t}" for t in self.tags))
        if self.folder:
            parts.append(f"in {self.folder}")
        if self.camera:
            parts.append(f"taken with a camera named like “{self.camera.strip()}”")
        if self.after:
            parts.append(f"from {self.after.isoformat()}")
        if self.before:
            parts.append(f"until {self.before.isoformat()}")
        return ", ".join(parts)

    def with_tags(self, tags: tuple[str, ...]) -> PhotoFilter:
        """This filter with ``tags`` required too."""
        merged = tuple(dict.fromkeys((*self.tags, *(t.casefold() for t in tags))))
        return replace(self, tags=merged)


def parse_day(value: str, option: str) -> date:
    """A ``YYYY-MM-DD`` (or ``YYYY-MM`` / ``YYYY``: its first day) date given for ``option``.

    Raises:
        SearchFilterError: The value is not such a date.
    """
    text = value.strip()
    for pattern, pad in ((r"\d{4}-\d{2}-\d{2}", ""), (r"\d{4}-\d{2}", "-01"), (r"\d{4}", "-01-01")):
        if re.fullmatch(pattern, text):
            try:
                return date.fromisoformat(text + pad)
            except ValueError:
                break
    raise SearchFilterError(
        f"{option} needs a date like 2024-05-31 (or 2024-05, or 2024); got '{value}'."
    )


def last_day(value: str, option: str) -> date:
    """Like :func:`parse_day`, but ``YYYY-MM`` and ``YYYY`` mean their last day (``--before``)."""
    first = parse_day(value, option)
    text = value.strip()
    if len(text) == 4:
        return date(first.year, 12, 31)
    if len(text) == 7:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return following - timedelta(days=1)
    return first


def split_query(text: str) -> tuple[str, tuple[str, ...]]:
    """The text to rank by, and the ``#tags`` the photos must carry.

    ``"#tuscany sunset"`` gives ``("sunset", ("tuscany",))``; a ``#`` that starts no tag
    (``C#``, ``#1``) stays in the text.
    """
    tags: list[str] = []

    def take(match: re.Match[str]) -> str:
        found = extract_hashtags(match.group(0))
        if not found:
            return match.group(0)
        tags.extend(t for t in found if t not in tags)
        return " "

    rest = _TAG_TOKEN.sub(take, text)
    return " ".join(rest.split()), tuple(tags)


def matching_photos(store: Store, photo_filter: PhotoFilter) -> npt.NDArray[np.int64]:
    """Ids of the photos that pass ``photo_filter``, ascending."""
    where, params = _conditions(photo_filter)
    sql = "SELECT m.id FROM media m" + (f" WHERE {' AND '.join(where)}" if where else "")
    rows = store.db.execute(sql + " ORDER BY m.id", params).fetchall()
    return np.asarray([r[0] for r in rows], dtype=np.int64)


def photos_by_date(
    store: Store, photo_filter: PhotoFilter, limit: int, *, newest_first: bool = True
) -> list[tuple[int, str]]:
    """``(id, date)`` of ready photos that pass the filter, by date taken (ties by id).

    ``limit`` -1 lists them all.
    """
    where, params = _conditions(photo_filter)
    where.append("m.status = 'ready'")
    order = "DESC" if newest_first else "ASC"
    rows = store.db.execute(
        f"SELECT m.id, {_DATE_EXPR} AS day FROM media m WHERE {' AND '.join(where)} "
        f"ORDER BY day {order}, m.id {order} LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [(int(r[0]), str(r[1] or "")) for r in rows]


def dates_of(store: Store, media_ids: list[int]) -> dict[int, str]:
    """Date taken (else modification time) of each photo, ISO text."""
    found: dict[int, str] = {}
    for start in range(0, len(media_ids), 900):
        chunk = media_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        rows = store.db.execute(
            f"SELECT m.id, {_DATE_EXPR} FROM media m WHERE m.id IN ({marks})", chunk
        ).fetchall()
        found.update((int(r[0]), str(r[1] or "")) for r in rows)
    return found


def _conditions(photo_filter: PhotoFilter) -> tuple[list[str], list[object]]:
    """SQL conditions on ``media m`` for ``photo_filter``.

    Each uses an index or compares plain columns: no date is formatted per row.
    """
    where: list[str] = []
    params: list[object] = []
    if photo_filter.after is not None:
        where.append(_ON_OR_AFTER)
        params += [photo_filter.after.isoformat(), _epoch_ns(photo_filter.after)]
    if photo_filter.before is not None:
        following = photo_filter.before + timedelta(days=1)
        where.append(_BEFORE)
        params += [following.isoformat(), _epoch_ns(following)]
    if photo_filter.folder:
        prefix = str(Path(photo_filter.folder).expanduser().resolve()).rstrip("/\\") + os.sep
        where.append("m.path >= ? AND m.path < ?")  # a range on the path index
        params += [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    if photo_filter.camera:
        where.append("m.camera LIKE ? ESCAPE '\\'")  # LIKE ignores ASCII case
        params.append(f"%{_like_escaped(photo_filter.camera.strip())}%")
    for tag in photo_filter.tags:
        where.append(
            "EXISTS (SELECT 1 FROM media_labels ml JOIN labels l ON l.id = ml.label_id "
            "WHERE ml.media_id = m.id AND l.name = ?)"
        )
        params.append(tag)
    return where, params


_ON_OR_AFTER = "(m.taken_at >= ? OR (m.taken_at IS NULL AND m.mtime_ns >= ?))"
_BEFORE = "(m.taken_at < ? OR (m.taken_at IS NULL AND m.mtime_ns < ?))"


def _like_escaped(text: str) -> str:
    """``text`` with LIKE's wildcards (and the escape, a backslash) taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _epoch_ns(day: date) -> int:
    """Nanoseconds from the epoch to the start of ``day`` (UTC, as file times are compared)."""
    return (day - date(1970, 1, 1)).days * 86_400 * 1_000_000_000
