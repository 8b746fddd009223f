"""Text and capture dates embedded in photos: EXIF, IPTC and XMP (in the file or a sidecar).

Everything here is defensive: camera firmware and old editors write strange bytes,
and a bad tag only means that tag is ignored. Nothing in this module raises for bad
metadata; the worst outcome is an empty :class:`ImageMetadata`.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import ExifTags, Image, ImageFile, IptcImagePlugin

from core.media.boilerplate import is_boilerplate
from core.media.xmp_text import MAX_XMP_BYTES, xmp_to_utf8

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2_000
MAX_SIDECAR_BYTES = MAX_XMP_BYTES
SOURCE_EXIF = "exif"
SOURCE_IPTC = "iptc"
SOURCE_XMP = "xmp"

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DATE = re.compile(r"(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")

_EXIF_IFD = ExifTags.IFD.Exif
_TAG_DATETIME = 0x0132
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
MAX_CAMERA_CHARS = 120
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_IMAGE_DESCRIPTION = 0x010E
_TAG_USER_COMMENT = 0x9286
_TAG_XP_TITLE = 0x9C9B
_TAG_XP_COMMENT = 0x9C9C
_TAG_XP_KEYWORDS = 0x9C9E
_TAG_XP_SUBJECT = 0x9C9F
_IPTC_KEYWORDS = (2, 25)
_IPTC_CAPTION = (2, 120)

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XMP_DESCRIPTION_TAGS = (f"{_DC}description", f"{_DC}title")
_XMP_DATE_TAGS = (
    "{http://ns.adobe.com/exif/1.0/}DateTimeOriginal",
    "{http://ns.adobe.com/xap/1.0/}CreateDate",
    "{http://ns.adobe.com/photoshop/1.0/}DateCreated",
)


@dataclass(frozen=True, slots=True)
class EmbeddedText:
    """A description found in a photo's metadata.

    Attributes:
        text: The cleaned text (whitespace collapsed, at most ``MAX_TEXT_CHARS``).
        source: Where it came from: ``"exif"``, ``"iptc"`` or ``"xmp"``.
    """

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class ImageMetadata:
    """What a photo says about itself.

    Attributes:
        taken_at: Capture time as ``"YYYY-MM-DDTHH:MM:SS"`` (local time, no zone), or ``None``.
        descriptions: Captions, deduplicated, XMP first, then IPTC, then EXIF.
        keywords: Tags, stripped and deduplicated case-insensitively.
        camera: The camera as EXIF names it, make and model (``Canon EOS 5D``), or ``None``.
    """

    taken_at: str | None = None
    descriptions: tuple[EmbeddedText, ...] = ()
    keywords: tuple[str, ...] = ()
    camera: str | None = None


def read_embedded_metadata(image: Image.Image) -> ImageMetadata:
    """Read EXIF, IPTC and XMP text and dates from an opened image.

    Call this on the image as opened (before ``convert``), since conversion drops the
    format-specific blocks. Bad or unreadable blocks are skipped, never raised.

    Args:
        image: An image from ``Image.open`` (loaded or not).

    Returns:
        The merged metadata; XMP descriptions come first, then IPTC, then EXIF.
    """
    xmp = _guarded(_read_embedded_xmp, image, "XMP")
    iptc = _guarded(_read_iptc, image, "IPTC")
    exif = _guarded(_read_exif, image, "EXIF")
    texts = merge_metadata(xmp, iptc, exif)
    camera = exif.camera if exif is not None else None
    return ImageMetadata(
        merge_metadata(exif, xmp).taken_at, texts.descriptions, texts.keywords, camera
    )


def read_camera(image: Image.Image) -> str | None:
    """The camera make and model in an opened image's EXIF, or ``None`` (never raises)."""
    found = _guarded(_read_exif, image, "EXIF")
    return None if found is None else found.camera


def camera_name(make: object, model: object) -> str | None:
    """One camera name from EXIF Make and Model; ``None`` when both are empty.

    ``Canon`` + ``Canon EOS 5D`` is ``Canon EOS 5D``, ``NIKON CORPORATION`` + ``NIKON D750`` is
    ``NIKON D750``, ``Apple`` + ``iPhone 12`` is ``Apple iPhone 12``.
    """
    make_text = _clean_text(_undo_latin1(make)) or ""
    model_text = _clean_text(_undo_latin1(model)) or ""
    first_word = make_text.split(" ")[0].casefold() if make_text else ""
    if model_text and first_word and model_text.casefold().startswith(first_word):
        name = model_text
    else:
        name = f"{make_text} {model_text}".strip()
    return name[:MAX_CAMERA_CHARS].rstrip() or None


def read_xmp_sidecar(path: Path) -> ImageMetadata | None:
    """Read a ``.xmp`` sidecar file written by Lightroom, darktable, digiKam and others.

    Args:
        path: The sidecar file.

    Returns:
        Its metadata, or ``None`` when the file is missing, unreadable, too large or not
        well-formed XML (a WARNING is logged except for a missing file).
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SIDECAR_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("Cannot read XMP sidecar %s: %s", path, exc)
        return None
    if len(data) > MAX_SIDECAR_BYTES:
        logger.warning("Ignoring XMP sidecar %s: larger than %d bytes", path, MAX_SIDECAR_BYTES)
        return None
    try:
        return _parse_xmp(data)
    except (ET.ParseError, LookupError, ValueError) as exc:
        logger.warning("Ignoring malformed XMP sidecar %s: %s", path, exc)
        return None


def xmp_sidecar_paths(image_path: Path) -> tuple[Path, Path]:
    """Name the two places a photo's XMP sidecar may live.

    Args:
        image_path: The photo, e.g. ``IMG_1.jpg``.

    Returns:
        ``(IMG_1.xmp, IMG_1.jpg.xmp)``: the Lightroom style, then the darktable style.
    """
    return image_path.with_suffix(".xmp"), image_path.with_name(image_path.name + ".xmp")


def merge_metadata(*items: ImageMetadata | None) -> ImageMetadata:
    """Combine metadata from several sources, earlier items winning.

    Args:
        *items: Metadata in order of preference; ``None`` entries are skipped.

    Returns:
        The first ``taken_at`` and ``camera`` found, and every description and keyword once.
    """
    present = [item for item in items if item is not None]
    taken_at = next((item.taken_at for item in present if item.taken_at), None)
    descriptions = _unique_descriptions(d for item in present for d in item.descriptions)
    keywords = _unique_keywords(k for item in present for k in item.keywords)
    camera = next((item.camera for item in present if item.camera), None)
    return ImageMetadata(taken_at, descriptions, keywords, camera)


def _guarded(
    reader: Callable[[Image.Image], ImageMetadata | None], image: Image.Image, kind: str
) -> ImageMetadata | None:
    # Broad on purpose: Pillow's metadata parsers raise many types on bad bytes.
    try:
        return reader(image)
    except Exception as exc:
        name = getattr(image, "filename", "") or "image"
        logger.debug("Ignoring unreadable %s metadata in %s: %r", kind, name, exc)
        return None


# --- text cleaning ---------------------------------------------------------------------


def _decode_bytes(data: bytes) -> str:
    """Decode metadata bytes: UTF-8, else Windows-1252, else Latin-1 (never fails)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _clean_text(value: object) -> str | None:
    """Normalise one tag value to a single-line string, or ``None`` if it holds no text."""
    if isinstance(value, bytes):
        value = _decode_bytes(value)
    if not isinstance(value, str):
        return None
    text = " ".join(_CONTROL_CHARS.sub(" ", value).split())
    return text[:MAX_TEXT_CHARS].rstrip() or None


def _clean_description(value: object) -> str | None:
    text = _clean_text(value)
    return None if text is None or is_boilerplate(text) else text


def _descriptions(values: Iterable[object], source: str) -> tuple[EmbeddedText, ...]:
    texts = (_clean_description(value) for value in values)
    return _unique_descriptions(EmbeddedText(text, source) for text in texts if text)


def _keywords(values: Iterable[object]) -> tuple[str, ...]:
    return _unique_keywords(text for text in map(_clean_text, values) if text)


def _unique_descriptions(items: Iterable[EmbeddedText]) -> tuple[EmbeddedText, ...]:
    seen: dict[str, EmbeddedText] = {}
    for item in items:
        seen.setdefault(item.text.casefold(), item)
    return tuple(seen.values())


def _unique_keywords(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        text = item.strip()
        if text:
            seen.setdefault(text.casefold(), text)
    return tuple(seen.values())


def _parse_date(value: object) -> str | None:
    """Turn an EXIF or XMP date into ``YYYY-MM-DDTHH:MM:SS``; ``None`` if absent or invalid."""
    text = _clean_text(value)
    match = _DATE.match(text) if text else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second).isoformat(timespec="seconds")
    except ValueError:  # "0000:00:00 00:00:00" and other placeholders
        return None


# --- EXIF ------------------------------------------------------------------------------


def read_exif_block(data: bytes) -> ImageMetadata | None:
    r"""Read EXIF from a TIFF structure's bytes (TIFF-based RAW files: DNG, CR2, NEF, ARW...).

    Args:
        data: The file's first bytes, from its TIFF header (``II*\0`` or ``MM\0*``) on;
            tags whose values lie past the end of ``data`` are not read.

    Returns:
        The date, camera and EXIF texts of IFD0 and its EXIF IFD; ``None`` when ``data``
        is not a TIFF structure or cannot be parsed (never raises).
    """
    if not data.startswith((b"II*\x00", b"MM\x00*")):
        return None
    try:
        exif = Image.Exif()
        exif.load(data)
        return _exif_metadata(exif)
    except Exception as exc:  # broad on purpose, as _guarded
        logger.debug("Ignoring unreadable EXIF block: %r", exc)
        return None


def _read_exif(image: Image.Image) -> ImageMetadata:
    return _exif_metadata(image.getexif())


def _exif_metadata(exif: Image.Exif) -> ImageMetadata:
    details = exif.get_ifd(_EXIF_IFD)
    taken_at = _parse_date(details.get(_TAG_DATETIME_ORIGINAL)) or _parse_date(
        exif.get(_TAG_DATETIME)
    )
    texts = [
        _undo_latin1(exif.get(_TAG_IMAGE_DESCRIPTION)),
        _decode_user_comment(details.get(_TAG_USER_COMMENT)),
        _decode_xp(exif.get(_TAG_XP_COMMENT)),
        _decode_xp(exif.get(_TAG_XP_TITLE)),
        _decode_xp(exif.get(_TAG_XP_SUBJECT)),
    ]
    keywords = (_decode_xp(exif.get(_TAG_XP_KEYWORDS)) or "").split(";")
    camera = camera_name(exif.get(_TAG_MAKE), exif.get(_TAG_MODEL))
    return ImageMetadata(taken_at, _descriptions(texts, SOURCE_EXIF), _keywords(keywords), camera)


def _undo_latin1(value: object) -> object:
    """Re-decode an EXIF ASCII tag, which Pillow reads as Latin-1 even when it holds UTF-8."""
    if not isinstance(value, str):
        return value
    try:
        return _decode_bytes(value.encode("latin-1"))
    except UnicodeEncodeError:  # not from Pillow's Latin-1 reading: keep it
        return value


def _decode_xp(value: object) -> str | None:
    """Decode a Windows XP* tag: UTF-16LE bytes, sometimes given as a tuple of ints."""
    if isinstance(value, tuple) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        value = bytes(value)
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return None
    usable = value[: len(value) - len(value) % 2]
    return usable.decode("utf-16-le", errors="replace").replace("\x00", "")


def _decode_user_comment(value: object) -> str | None:
    """Decode EXIF UserComment, whose first 8 bytes name the character set."""
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return None
    prefix, body = value[:8], value[8:]
    if prefix == b"UNICODE\x00":
        return _decode_utf16_guessing_order(body)
    if prefix == b"JIS\x00\x00\x00\x00\x00":
        return body.decode("shift_jis", errors="replace")
    if prefix in (b"ASCII\x00\x00\x00", b"\x00" * 8):
        return _decode_bytes(body)
    return _decode_bytes(value)


def _decode_utf16_guessing_order(body: bytes) -> str:
    """Decode UTF-16 text whose byte order follows the (unknown) TIFF byte order."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body[: len(body) - len(body) % 2].decode("utf-16", errors="replace")
    usable = body[: len(body) - len(body) % 2]
    zeros_first = usable[0::2].count(0)
    zeros_second = usable[1::2].count(0)
    encoding = "utf-16-be" if zeros_first > zeros_second else "utf-16-le"
    return usable.decode(encoding, errors="replace")


# --- IPTC ------------------------------------------------------------------------------


def _read_iptc(image: Image.Image) -> ImageMetadata | None:
    if not isinstance(image, ImageFile.ImageFile):
        return None
    info = IptcImagePlugin.getiptcinfo(image)
    if not info:
        return None
    captions = _as_list(info.get(_IPTC_CAPTION))
    keywords = _as_list(info.get(_IPTC_KEYWORDS))
    return ImageMetadata(None, _descriptions(captions, SOURCE_IPTC), _keywords(keywords))


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# --- XMP -------------------------------------------------------------------------------


def _read_embedded_xmp(image: Image.Image) -> ImageMetadata | None:
    for key in ("xmp", "XML:com.adobe.xmp"):
        data = _xmp_bytes(image.info.get(key))
        if data:
            return _parse_xmp(data)
    return None


def _xmp_bytes(value: object) -> bytes | None:
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace")
    if isinstance(value, tuple) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        return bytes(value)
    return value if isinstance(value, bytes) else None


def _parse_xmp(data: bytes) -> ImageMetadata:
    """Parse an XMP packet in UTF-8, UTF-16 or UTF-32 (see ``xmp_text``).

    Raises:
        ET.ParseError: The packet is not well-formed XML.
        LookupError: The XML declaration names an unknown encoding.
        ValueError: The packet is too large or declares a DTD (``UnsafeXmpError``).
    """
    parser = ET.XMLParser(encoding="utf-8")  # the bytes checked are the bytes parsed
    parser.feed(xmp_to_utf8(data))
    root = parser.close()
    dates = (_parse_date(value) for tag in _XMP_DATE_TAGS for value in _xmp_values(root, tag))
    texts = [value for tag in _XMP_DESCRIPTION_TAGS for value in _xmp_values(root, tag)]
    keywords = _xmp_values(root, f"{_DC}subject")
    return ImageMetadata(
        next((date for date in dates if date), None),
        _descriptions(texts, SOURCE_XMP),
        _keywords(keywords),
    )


def _xmp_values(root: ET.Element, tag: str) -> list[str]:
    """Values of one property, in attribute form or as an element (plain, Alt, Bag or Seq)."""
    values = [value for desc in root.iter(f"{_RDF}Description") if (value := desc.get(tag))]
    for element in root.iter(tag):
        items = list(element.iter(f"{_RDF}li"))
        if not items:
            values.append(element.text or "")
        elif element.find(f"{_RDF}Alt") is not None:
            values.append(_preferred_language(items))
        else:
            values.extend(item.text or "" for item in items)
    return values


def _preferred_language(items: list[ET.Element]) -> str:
    """Pick the ``x-default`` entry of a language alternative, else the first one."""
    default = next((item for item in items if item.get(_XML_LANG) == "x-default"), items[0])
    return default.text or ""
