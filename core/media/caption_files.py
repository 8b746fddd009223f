"""Per-folder caption files: ``captions.csv``, ``captions.tsv`` and ``captions.jsonl``.

Each maps file names (relative to the folder) to one or more captions and,
optionally, labels. Bad rows are skipped and described, never raised.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from core.errors import CaptionFileError
from core.media.captions import (
    MAX_CAPTION_FILE_BYTES,
    SOURCE_CAPTIONS_FILE,
    Caption,
    caption_file_names,
    clip_caption,
    decode_caption_bytes,
    read_limited,
)
from core.media.confinement import outside_roots, real_roots, refusal

FILE_COLUMNS = ("file", "filename", "file_name", "image", "path", "name")
CAPTION_COLUMNS = ("caption", "text", "description", "title")
LABEL_COLUMNS = ("keywords", "tags", "labels")

_LABEL_SPLIT_RE = re.compile(r"[;,]")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


@dataclass(frozen=True)
class FolderCaptions:
    """Everything the caption files of one folder say, keyed by normalised relative name.

    Keys use forward slashes, are relative to the folder, NFC-normalised and case-sensitive;
    ``lookup`` adds a case-insensitive fallback.

    Attributes:
        by_name: Captions per photo name, in file order.
        labels_by_name: Keywords/tags/labels per photo name, deduplicated, in file order.
        problems: One line per skipped row or unreadable caption file, e.g.
            ``"captions.csv line 7: no caption"``.
    """

    by_name: Mapping[str, tuple[Caption, ...]]
    labels_by_name: Mapping[str, tuple[str, ...]]
    problems: tuple[str, ...] = ()
    _folded: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded: dict[str, list[str]] = {}
        for name in (*self.by_name, *self.labels_by_name):
            keys = folded.setdefault(name.casefold(), [])
            if name not in keys:
                keys.append(name)
        object.__setattr__(self, "_folded", {k: tuple(v) for k, v in folded.items()})

    def lookup(self, relative_name: str) -> tuple[Caption, ...]:
        """Return the captions of a photo, matching its name case-insensitively if need be.

        Args:
            relative_name: Photo path relative to the folder (slashes or backslashes).

        Returns:
            The captions of the exact name if it has any, else those of every name that
            differs only by case, else ``()``.
        """
        return _lookup(self.by_name, self._folded, relative_name)

    def lookup_labels(self, relative_name: str) -> tuple[str, ...]:
        """Return the labels of a photo with the same matching rules as ``lookup``."""
        return _lookup(self.labels_by_name, self._folded, relative_name)


def _lookup(
    table: Mapping[str, tuple[_T, ...]], folded: Mapping[str, tuple[str, ...]], relative_name: str
) -> tuple[_T, ...]:
    name = _clean_name(relative_name)
    if name in table:
        return table[name]
    found: list[_T] = []
    for key in folded.get(name.casefold(), ()):
        found.extend(item for item in table.get(key, ()) if item not in found)
    return tuple(found)


def _clean_name(raw: str) -> str:
    """Normalise a relative name: ``/`` separators, NFC, no empty or ``.`` parts."""
    parts = unicodedata.normalize("NFC", raw.strip()).replace("\\", "/").split("/")
    return "/".join(part for part in parts if part not in ("", "."))


def _checked_name(raw: str) -> tuple[str, str]:
    """Return ``(name, "")`` for a usable file-column value, else ``("", reason)``."""
    stripped = raw.strip().replace("\\", "/")
    if not stripped:
        return "", "no file name"
    if stripped.startswith("/") or _DRIVE_RE.match(stripped):
        return "", f"absolute path not allowed: {raw.strip()!r}"
    name = _clean_name(stripped)
    if ".." in name.split("/"):
        return "", f"'..' not allowed in file name: {raw.strip()!r}"
    return (name, "") if name else ("", "no file name")


def _split_labels(value: object) -> list[str]:
    """Labels from a ``;``/``,``-separated string or a list of strings (others are ignored)."""
    items = _LABEL_SPLIT_RE.split(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        return []
    return [unicodedata.normalize("NFC", s.strip()) for s in items if isinstance(s, str)]


@dataclass
class _Row:
    """One parsed row of a caption file, before merging."""

    line: int
    file: str
    captions: list[str]
    labels: list[str]


def read_folder_captions(
    folder: Path, allowed_roots: tuple[str, ...] | None = None
) -> FolderCaptions:
    """Read and merge every caption file (``CAPTION_FILE_NAMES``) present in a folder.

    File names match case-insensitively (``Captions.CSV`` counts). Bad rows and unreadable
    files are skipped and described in ``problems``, with one WARNING logged per file that
    had problems. A caption file that is a link to a file outside ``allowed_roots`` is
    not read (a problem says so).

    Args:
        folder: The photo folder.
        allowed_roots: Folders a caption file may really be in (the library folders);
            default: ``folder`` itself.

    Returns:
        The merged captions (source ``"captions-file"``), labels and problems. Never raises
        for content; a folder that cannot be listed gives an empty result with a problem.
    """
    try:
        names = caption_file_names(os.listdir(folder))
    except OSError as exc:
        return FolderCaptions({}, {}, (f"{folder}: cannot list folder ({exc})",))
    captions: dict[str, list[Caption]] = {}
    labels: dict[str, list[str]] = {}
    problems: list[str] = []
    allowed = real_roots(allowed_roots if allowed_roots is not None else (str(folder),))
    for name in names:
        real = outside_roots(folder / name, allowed)
        if real is not None:
            problems.append(f"{name}: skipped, {refusal(real)}")
            logger.warning("%s: %s", folder / name, refusal(real))
            continue
        file_problems: list[str] = []
        for row in _parse_caption_file(folder / name, file_problems):
            _merge_row(row, captions, labels, name, file_problems)
        if file_problems:
            logger.warning(
                "%s: %d problem(s), first: %s", folder / name, len(file_problems), file_problems[0]
            )
        problems.extend(file_problems)
    return FolderCaptions(
        MappingProxyType({k: tuple(v) for k, v in captions.items() if v}),
        MappingProxyType({k: tuple(v) for k, v in labels.items() if v}),
        tuple(problems),
    )


def _merge_row(
    row: _Row,
    captions: dict[str, list[Caption]],
    labels: dict[str, list[str]],
    file_name: str,
    problems: list[str],
) -> None:
    name, reason = _checked_name(row.file)
    texts = [text for text in map(clip_caption, row.captions) if text]
    row_labels = [label for label in row.labels if label]
    if not reason and not texts and not row_labels:
        reason = "no caption"
    if reason:
        problems.append(f"{file_name} line {row.line}: {reason}")
        return
    captions.setdefault(name, []).extend(Caption(text, SOURCE_CAPTIONS_FILE) for text in texts)
    known = labels.setdefault(name, [])
    known.extend(label for label in dict.fromkeys(row_labels) if label not in known)


def _parse_caption_file(path: Path, problems: list[str]) -> Iterator[_Row]:
    try:
        text = decode_caption_bytes(read_limited(path, MAX_CAPTION_FILE_BYTES))
    except CaptionFileError as exc:
        problems.append(f"{path.name}: skipped, {exc.details or 'not a regular file'}")
        return
    except (FileNotFoundError, NotADirectoryError):
        problems.append(f"{path.name}: skipped, it vanished while being read")
        return
    if path.name.casefold().endswith(".jsonl"):
        yield from _parse_jsonl(text, path.name, problems)
    else:
        delimiter = "\t" if path.name.casefold().endswith(".tsv") else ","
        yield from _parse_delimited(text, delimiter, path.name, problems)


def _parse_delimited(text: str, delimiter: str, name: str, problems: list[str]) -> Iterator[_Row]:
    """Parse CSV/TSV rows; the first row is a header when it names a file column."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: tuple[int, int | None, int | None] | None = None
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(f"{name} line {line}: {exc}")
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if columns is None:
            columns = _header_columns(cells)
            if columns is not None:
                continue
            columns = (0, 1, None)
        yield _delimited_row(cells, columns, start)


def _header_columns(cells: list[str]) -> tuple[int, int | None, int | None] | None:
    """Return (file, caption, labels) column indexes if ``cells`` is a header row."""
    lowered = [cell.strip().casefold() for cell in cells]
    file_index, caption_index, label_index = (
        next((i for i, cell in enumerate(lowered) if cell in names), None)
        for names in (FILE_COLUMNS, CAPTION_COLUMNS, LABEL_COLUMNS)
    )
    return None if file_index is None else (file_index, caption_index, label_index)


def _delimited_row(
    cells: list[str], columns: tuple[int, int | None, int | None], line: int
) -> _Row:
    def cell(index: int | None) -> str:
        return cells[index] if index is not None and index < len(cells) else ""

    file_index, caption_index, label_index = columns
    return _Row(line, cell(file_index), [cell(caption_index)], _split_labels(cell(label_index)))


def _parse_jsonl(text: str, name: str, problems: list[str]) -> Iterator[_Row]:
    """Parse one JSON object per line; blank lines are ignored."""
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            problems.append(f"{name} line {line}: invalid JSON")
            continue
        row, reason = _json_row(obj, line)
        if row is None:
            problems.append(f"{name} line {line}: {reason}")
        else:
            yield row


def _json_row(obj: object, line: int) -> tuple[_Row | None, str]:
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    fields = {str(key).casefold(): value for key, value in obj.items()}
    file_value = next((fields[key] for key in FILE_COLUMNS if key in fields), "")
    if not isinstance(file_value, str):
        return None, "file name is not a string"
    texts: list[object] = [fields[key] for key in CAPTION_COLUMNS if key in fields]
    many = fields.get("captions", [])
    texts.extend(many if isinstance(many, list) else [many])
    if not all(isinstance(text, str) for text in texts):
        return None, "caption is not a string"
    label_values = [fields[key] for key in LABEL_COLUMNS if key in fields]
    labels = [label for value in label_values for label in _split_labels(value)]
    return _Row(line, file_value, [str(text) for text in texts], labels), ""
