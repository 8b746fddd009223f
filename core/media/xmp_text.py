"""Turn an XMP packet in any encoding into UTF-8 that is safe to hand to the XML parser.

XMP is UTF-8, UTF-16 or UTF-32 (XMP spec part 1, 7.1), with or without a byte order
mark. A check for ``<!DOCTYPE`` in the raw bytes misses a DTD written in UTF-16 or
UTF-32, and the parser then expands its entities (a 15.6 MB sidecar reached 2 GB of
memory). :func:`xmp_to_utf8` therefore first decodes the packet to text, refuses any
DTD in that text, and returns it as UTF-8; the caller parses exactly those bytes with
the encoding forced to UTF-8, so no declaration inside the packet can change what the
check saw. Packets over ``MAX_XMP_BYTES`` are refused before any decoding.
"""

from __future__ import annotations

import codecs
import re

MAX_XMP_BYTES = 16 * 1024 * 1024
"""The largest packet or sidecar read. Parsing costs about 3-4 bytes of memory per byte
of UTF-8 once no DTD can expand; a caption never needs more than a few kilobytes."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),  # before UTF-16: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# XML 1.0 appendix F: the first '<' (or '<?') tells the width and byte order without a BOM.
_NO_BOM: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXmpError(ValueError):
    """The packet is too large or declares a DTD (XMP never needs one)."""


def xmp_to_utf8(data: bytes) -> bytes:
    """Decode an XMP packet, refuse what is unsafe, and return it as UTF-8.

    Args:
        data: The packet or sidecar as stored (possibly padded with NULs or spaces).

    Returns:
        The packet as UTF-8 without a byte order mark.

    Raises:
        UnsafeXmpError: Larger than ``MAX_XMP_BYTES``, or it declares a DTD or an entity.
        UnicodeDecodeError: The bytes are not valid in the packet's encoding.
        LookupError: The XML declaration names an encoding Python does not know.
    """
    if len(data) > MAX_XMP_BYTES:
        raise UnsafeXmpError(f"XMP larger than {MAX_XMP_BYTES} bytes is not read")
    text = data.decode(_encoding_of(data)).lstrip("\ufeff")
    text = text.strip("\x00 \t\r\n")
    if _DTD.search(text):
        raise UnsafeXmpError("XMP with a DTD is not accepted")
    return text.encode("utf-8")


def _encoding_of(data: bytes) -> str:
    """The packet's encoding: its byte order mark, else its first bytes, else its declaration."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    start = data.lstrip(b" \t\r\n")
    for prefix, encoding in _NO_BOM:
        if start.startswith(prefix):
            return encoding
    declared = _DECLARED.match(start)
    if declared is not None:
        name = codecs.lookup(declared.group(1).decode("ascii")).name
        if not name.startswith(("utf-16", "utf-32")):  # those would have matched above
            return name
    return "utf-8"
