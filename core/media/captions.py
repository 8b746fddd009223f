"""Captions in text files: per-photo sidecars, hashtags, and change fingerprints.

Sidecars are ``IMG_1.txt`` or ``IMG_1.jpg.txt``; the per-folder ``captions.csv``, ``.tsv``
and ``.jsonl`` files are parsed in ``caption_files.py``; embedded EXIF/XMP/IPTC captions in
``metadata.py``. Decoding never fails on bad bytes: UTF-8 (BOM optional), UTF-16 with a
BOM, else cp1252.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path, PurePath

from core.errors import CaptionFileError

CAPTION_FILE_NAMES = ("captions.csv", "captions.tsv", "captions.jsonl")
MAX_CAPTION_CHARS = 2000
MAX_SIDECAR_BYTES = 1024 * 1024
MAX_CAPTION_FILE_BYTES = 64 * 1024 * 1024
SOURCE_SIDECAR = "sidecar"
SOURCE_CAPTIONS_FILE = "captions-file"


_URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.\-]*://|\bwww\.)\S*", re.IGNORECASE)
_HASHTAG_RE = re.compile(r"(?<![\w#&/])#(\S+)")

logger = logging.getLogger(__name__)


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
        data = read_limited(path, MAX_SIDECAR_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        return []
    captions = (clip_caption(line) for line in decode_caption_bytes(data).splitlines())
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


def read_limited(path: Path, max_bytes: int) -> bytes:
    """Read a whole regular file of at most ``max_bytes``; FileNotFoundError passes through.

    Raises:
        CaptionFileError: Not a regular file, too large, or unreadable.
    """
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


def clip_caption(text: str) -> str:
    """Strip, NFC-normalise and cut a caption to ``MAX_CAPTION_CHARS`` at a word boundary."""
    text = unicodedata.normalize("NFC", text.strip())
    if len(text) <= MAX_CAPTION_CHARS:
        return text
    head = text[: MAX_CAPTION_CHARS + 1]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    return (head[:cut] if cut > 0 else head[:MAX_CAPTION_CHARS]).rstrip()


def caption_file_names(names: Iterable[str]) -> list[str]:
    """Caption file names among ``names``, matched case-insensitively, in a stable order."""
    order = {name: index for index, name in enumerate(CAPTION_FILE_NAMES)}
    found = [name for name in names if name.casefold() in order]
    return sorted(found, key=lambda name: (order[name.casefold()], name))


def caption_file_signature(folder_entries: Mapping[str, tuple[int, int]]) -> str:
    """Fingerprint the caption files present in a folder listing.

    Args:
        folder_entries: ``{file name: (size, mtime_ns)}`` for the entries of one folder.

    Returns:
        A 16-character hex digest that changes when a caption file appears, disappears or
        changes size or mtime; ``""`` when the folder has no caption file.
    """
    return _signature(caption_file_names(folder_entries), folder_entries)


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
