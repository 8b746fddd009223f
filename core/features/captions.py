"""Captions in text files: per-photo sidecars and per-folder caption files.

Sidecars are ``IMG_1.txt`` or ``IMG_1.jpg.txt``; caption files are ``captions.csv``, ``.tsv``
or ``.jsonl``. Embedded EXIF/XMP/IPTC captions are read elsewhere. Decoding never fails on
bad bytes: UTF-8 (BOM optional), UTF-16 with a BOM, else cp1252.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import TypeVar

from core.errors import CaptionFileError

CAPTION_FILE_NAMES = ("captions.csv", "captions.tsv", "captions.jsonl")
MAX_CAPTION_CHARS = 2000
MAX_SIDECAR_BYTES = 1024 * 1024
MAX_CAPTION_FILE_BYTES = 64 * 1024 * 1024
SOURCE_SIDECAR = "sidecar"
SOURCE_CAPTIONS_FILE = "captions-file"

FILE_COLUMNS = ("file", "filename", "file_name", "image", "path", "name")
CAPTION_COLUMNS = ("caption", "text", "description", "title")
LABEL_COLUMNS = ("keywords", "tags", "labels")

_URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.\-]*://|\bwww\.)\S*", re.IGNORECASE)
_HASHTAG_RE = re.compile(r"(?<![\w#&/])#(\S+)")
_LABEL_SPLIT_RE = re.compile(r"[;,]")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Caption:
    """One caption of a photo.

    Attributes:
        text: The caption, stripped, NFC-normalised, at most ``MAX_CAPTION_CHARS`` long.
        source: Where it came from: ``"sidecar"``, ``"captions-file"``, ``"xmp"``, ``"exif"``,
            ``"iptc"`` or ``"user"``.
    """

    text: str
    source: str


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


def extract_hashtags(text: str) -> list[str]:
    """Return the hashtags of a text, lower-cased, deduplicated, in order of appearance.

    A hashtag is ``#`` followed by a letter, then letters, digits, marks, ``_`` or ``-``;
    trailing ``-``/``_`` are dropped. A ``#`` glued to a preceding word character, ``/``, ``&``
    or ``#`` (``C#``, ``page#top``, ``&#x27;``) starts no hashtag, nor does ``#1``, and URLs
    (``http://x.com/#frag``, ``www.x.com/#a``) are ignored entirely.

    Args:
        text: Any caption text.

    Returns:
        Tags without the ``#``, e.g. ``["brighton", "summer2024"]``.
    """
    cleaned = _URL_RE.sub(" ", unicodedata.normalize("NFC", text))
    tags: list[str] = []
    for match in _HASHTAG_RE.finditer(cleaned):
        tag = _hashtag_body(match.group(1)).lower()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _hashtag_body(candidate: str) -> str:
    if not unicodedata.category(candidate[0]).startswith("L"):
        return ""
    return "".join(takewhile(_is_hashtag_char, candidate)).rstrip("_-")


def _is_hashtag_char(char: str) -> bool:
    return char in "_-" or unicodedata.category(char)[0] in "LMN"


def sidecar_text_paths(image_path: Path) -> tuple[Path, Path]:
    """Return the two places a photo's text sidecar may live.

    Args:
        image_path: The photo, e.g. ``/p/IMG_1.jpg``.

    Returns:
        ``(/p/IMG_1.txt, /p/IMG_1.jpg.txt)``; both are the same path for a name without suffix.
    """
    return image_path.with_suffix(".txt"), image_path.with_name(image_path.name + ".txt")


def read_sidecar_captions(path: Path) -> list[Caption]:
    """Read a text sidecar: every non-blank line is one caption.

    Args:
        path: The sidecar file.

    Returns:
        The captions in file order (source ``"sidecar"``); ``[]`` if the file does not exist.

    Raises:
        CaptionFileError: The file exists but cannot be read (a folder, no permission, or
            larger than ``MAX_SIDECAR_BYTES``).
    """
    try:
        data = _read_limited(path, MAX_SIDECAR_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        return []
    captions = (_clip_caption(line) for line in decode_caption_bytes(data).splitlines())
    return [Caption(text, SOURCE_SIDECAR) for text in captions if text]


def decode_caption_bytes(data: bytes) -> str:
    """Decode caption file bytes: UTF-8 (BOM optional), UTF-16 with a BOM, else cp1252.

    Args:
        data: Raw file content.

    Returns:
        The text, without BOM; undecodable bytes become U+FFFD. Never raises.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_limited(path: Path, max_bytes: int) -> bytes:
    """Read a whole regular file of at most ``max_bytes``; FileNotFoundError passes through."""
    too_large = CaptionFileError(
        f"The caption file {path} is too large to hold captions and was not read.",
        f"larger than {max_bytes} bytes",
    )
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise CaptionFileError(f"The caption file {path} is not a file and was not read.")
        if info.st_size > max_bytes:
            raise too_large
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except (FileNotFoundError, NotADirectoryError):
        raise
    except OSError as exc:
        raise CaptionFileError(f"The caption file {path} cannot be read.", str(exc)) from exc
    if len(data) > max_bytes:
        raise too_large
    return data


def _clip_caption(text: str) -> str:
    """Strip, NFC-normalise and cut a caption to ``MAX_CAPTION_CHARS`` at a word boundary."""
    text = unicodedata.normalize("NFC", text.strip())
    if len(text) <= MAX_CAPTION_CHARS:
        return text
    head = text[: MAX_CAPTION_CHARS + 1]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    return (head[:cut] if cut > 0 else head[:MAX_CAPTION_CHARS]).rstrip()


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


def read_folder_captions(folder: Path) -> FolderCaptions:
    """Read and merge every caption file (``CAPTION_FILE_NAMES``) present in a folder.

    File names match case-insensitively (``Captions.CSV`` counts). Bad rows and unreadable
    files are skipped and described in ``problems``, with one WARNING logged per file that
    had problems.

    Args:
        folder: The photo folder.

    Returns:
        The merged captions (source ``"captions-file"``), labels and problems. Never raises
        for content; a folder that cannot be listed gives an empty result with a problem.
    """
    try:
        names = _caption_file_names(os.listdir(folder))
    except OSError as exc:
        return FolderCaptions({}, {}, (f"{folder}: cannot list folder ({exc})",))
    captions: dict[str, list[Caption]] = {}
    labels: dict[str, list[str]] = {}
    problems: list[str] = []
    for name in names:
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


def _caption_file_names(names: Iterable[str]) -> list[str]:
    """Caption file names among ``names``, matched case-insensitively, in a stable order."""
    order = {name: index for index, name in enumerate(CAPTION_FILE_NAMES)}
    found = [name for name in names if name.casefold() in order]
    return sorted(found, key=lambda name: (order[name.casefold()], name))


def _merge_row(
    row: _Row,
    captions: dict[str, list[Caption]],
    labels: dict[str, list[str]],
    file_name: str,
    problems: list[str],
) -> None:
    name, reason = _checked_name(row.file)
    texts = [text for text in map(_clip_caption, row.captions) if text]
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
        text = decode_caption_bytes(_read_limited(path, MAX_CAPTION_FILE_BYTES))
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


def caption_file_signature(folder_entries: Mapping[str, tuple[int, int]]) -> str:
    """Fingerprint the caption files present in a folder listing.

    Args:
        folder_entries: ``{file name: (size, mtime_ns)}`` for the entries of one folder.

    Returns:
        A 16-character hex digest that changes when a caption file appears, disappears or
        changes size or mtime; ``""`` when the folder has no caption file.
    """
    return _signature(_caption_file_names(folder_entries), folder_entries)


def sidecar_signature(image_name: str, folder_entries: Mapping[str, tuple[int, int]]) -> str:
    """Fingerprint a photo's ``.txt`` and ``.xmp`` sidecars in a folder listing.

    Looks for ``name.txt``, ``name.ext.txt``, ``name.xmp`` and ``name.ext.xmp``, each with
    a lower- or upper-case sidecar extension (``IMG_1.XMP`` counts).

    Args:
        image_name: The photo's file name, e.g. ``"IMG_1.jpg"``.
        folder_entries: ``{file name: (size, mtime_ns)}`` for the entries of its folder.

    Returns:
        A 16-character hex digest, or ``""`` when the photo has no such sidecar.
    """
    bases = dict.fromkeys((PurePath(image_name).stem, image_name))
    candidates = [f"{base}{ext}" for base in bases for ext in (".txt", ".TXT", ".xmp", ".XMP")]
    return _signature(sorted(set(candidates) & folder_entries.keys()), folder_entries)


def _signature(names: list[str], folder_entries: Mapping[str, tuple[int, int]]) -> str:
    if not names:
        return ""
    digest = hashlib.blake2b(digest_size=8)
    for name in names:
        size, mtime_ns = folder_entries[name]
        digest.update(f"{name}\0{size}\0{mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
