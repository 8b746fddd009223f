"""Recognise the text cameras, phones and editors write into photos by default.

EXIF ``ImageDescription``, ``UserComment``, the XP tags, IPTC captions and XMP
``dc:description``/``dc:title`` often hold a default that says nothing about the photo
("OLYMPUS DIGITAL CAMERA"). Stored as captions, such texts pair thousands of photos
with one meaningless sentence. :func:`is_boilerplate` applies these rules, in order, to
a cleaned single-line text (whitespace collapsed):

1. **Known defaults**: the text equals, ignoring case, one of ``KNOWN_DEFAULTS``.
2. **Maker defaults**: a camera maker's name (``CAMERA_MAKERS``), optionally up to three
   model words, then ``digital camera``, ``digital still camera``, ``dsc``, ``csc``,
   ``camera``, ``image`` or ``picture`` ("SANYO DIGITAL CAMERA", "SAMSUNG CSC",
   "KODAK EasyShare Digital Camera").
3. **Placeholders in angle brackets**: the whole text is ``<...>`` ("<Digimax i50 MP3,
   Samsung #1 MP3>", "<KENOX S630  / Samsung S630>"): Samsung firmware's model name.
4. **Hex and binary dumps**: split at spaces, ``-``, ``:``, ``.`` and ``_``, every part
   is hex digits (``0x`` allowed), together at least 8 of them, and every part longer
   than 2 holds a decimal digit ("0x1F2E3D4C", "48 65 6c 6c 6f 00 00", a UUID). Words of
   the letters a-f alone stay ("decaf facade", "Cafe 2019").
5. **No letters**: digits, punctuation or symbols only ("2019:03:12", "????").
6. **File and folder names**: the camera's own file name or folder, with or without an
   extension ("IMG_1234", "DSCF0042.JPG", "P1010001", "DCIM/100OLYMP", "100_0001").
7. **Format labels**: "Exif_JPEG_420", "JPEG Exif", "EXIF_JPEG_PICTURE".

Each rule matches the whole text, never a part of it, so a real caption that mentions a
camera ("My old Olympus digital camera on the shelf") is kept. What these rules cannot
tell apart: a caption that is exactly a maker's name plus "camera" ("Nikon camera") is
dropped.
"""

from __future__ import annotations

import re

KNOWN_DEFAULTS: frozenset[str] = frozenset(
    text.casefold()
    for text in (
        "OLYMPUS DIGITAL CAMERA",
        "SONY DSC",
        "DCIM",
        "default",
        "DIGITAL CAMERA",
        "DIGITAL STILL CAMERA",
        "KODAK Digital Still Camera",
        "PENTAX Image",
        "EXIF_JPEG_PICTURE",
        "Exif JPEG",
        "DSC",
        "Image",
        "Picture",
        "Photo",
        "untitled",
        "Untitled-1",
        "My beautiful picture",
        "Created with GIMP",
        "LEAD Technologies Inc. V1.01",
    )
)
"""Defaults written verbatim by cameras, phones and editors (compared ignoring case)."""

CAMERA_MAKERS: tuple[str, ...] = (
    "agfa", "agfaphoto", "benq", "canon", "casio", "concord", "contax", "epson", "fuji",
    "fujifilm", "ge", "hp", "jenoptik", "kodak", "konica", "konica minolta", "kyocera",
    "leica", "minolta", "nikon", "olympus", "panasonic", "pentax", "polaroid", "praktica",
    "ricoh", "rollei", "samsung", "sanyo", "sigma", "sony", "toshiba", "vivitar", "yashica",
)  # fmt: skip
"""Makers whose firmware writes "<MAKER> DIGITAL CAMERA"-style descriptions."""

_MAKERS = "|".join(re.escape(m).replace(r"\ ", r"\s+") for m in CAMERA_MAKERS)
_MAKER_DEFAULT = re.compile(
    rf"(?:{_MAKERS})(?:[\s_-]+[\w.-]+){{0,3}}?[\s_-]+"
    r"(?:digital(?:\s+still)?\s+camera|dsc|csc|camera|image|picture)",
    re.IGNORECASE,
)
_ANGLE_PLACEHOLDER = re.compile(r"<[^<>]*>")
_HEX_SEPARATORS = re.compile(r"[\s\-:._]+")
_HEX_PART = re.compile(r"(?:0x)?([0-9a-f]+)", re.IGNORECASE)
_IMAGE_EXTENSION = r"(?:\.(?:jpe?g|jpe|png|tiff?|heic|heif|dng|raw|mpo|bmp|gif|webp))?"
_FILE_NAME = re.compile(
    r"(?:img|imgp|dsc[nf]?|_dsc|pict?|p|imag|photo|mvimg|pxl|sam|gopr|gp|dji|cimg|dcim"
    r"|pana|sdc|hpim|kif|mvc|\d{3}_?)[_-]?[\d_-]+" + _IMAGE_EXTENSION,
    re.IGNORECASE,
)
_FOLDER_NAME = re.compile(r"dcim(?:[\\/][\w-]+)*(?:[\\/][\w.-]+)?", re.IGNORECASE)
_FORMAT_LABEL = re.compile(r"(?:exif[\s_]jpeg(?:[\s_]\w+)?|jpeg[\s_]exif)", re.IGNORECASE)


def is_boilerplate(text: str) -> bool:
    """Whether a cleaned description is a camera's or editor's default (see module rules).

    Args:
        text: One description, whitespace already collapsed to single spaces.

    Returns:
        True when it says nothing about the photo and must not become a caption.
    """
    if text.casefold() in KNOWN_DEFAULTS:
        return True
    if not any(ch.isalpha() for ch in text):
        return True
    if _is_hex_dump(text):
        return True
    return any(
        pattern.fullmatch(text)
        for pattern in (_MAKER_DEFAULT, _ANGLE_PLACEHOLDER, _FILE_NAME, _FOLDER_NAME, _FORMAT_LABEL)
    )


def _is_hex_dump(text: str) -> bool:
    digits: list[str] = []
    for part in filter(None, _HEX_SEPARATORS.split(text)):
        match = _HEX_PART.fullmatch(part)
        if match is None or (len(part) > 2 and not any(ch.isdigit() for ch in part)):
            return False
        digits.append(match.group(1))
    return len("".join(digits)) >= 8
