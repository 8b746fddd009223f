"""Tests for core.media.metadata: EXIF, IPTC and XMP text and dates, sidecars, merging."""

from __future__ import annotations

import io
import logging
import struct
import warnings
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from core.media.image_io import open_image
from core.media.metadata import (
    MAX_TEXT_CHARS,
    EmbeddedText,
    ImageMetadata,
    merge_metadata,
    read_embedded_metadata,
    read_xmp_sidecar,
    xmp_sidecar_paths,
)

EXIF_IFD = 0x8769


def xmp_packet(body: str) -> bytes:
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"{body}
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


LIGHTROOM_XMP = xmp_packet(
    """>
   <exif:DateTimeOriginal>2019-08-17T16:05:09.50+02:00</exif:DateTimeOriginal>
   <dc:description>
    <rdf:Alt>
     <rdf:li xml:lang="de">Ein Leuchtturm im Nebel</rdf:li>
     <rdf:li xml:lang="x-default">A lighthouse in the fog</rdf:li>
    </rdf:Alt>
   </dc:description>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>lighthouse</rdf:li>
     <rdf:li>Fog</rdf:li>
     <rdf:li>fog</rdf:li>
     <rdf:li>  coast  </rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>"""
)


def jpeg_bytes(exif: Image.Exif | None = None, **save_options: object) -> bytes:
    buffer = io.BytesIO()
    options = dict(save_options)
    if exif is not None:
        options["exif"] = exif
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def iptc_dataset(dataset: int, value: bytes, record: int = 2) -> bytes:
    return bytes([0x1C, record, dataset]) + struct.pack(">H", len(value)) + value


def with_iptc(jpeg: bytes, iptc: bytes) -> bytes:
    """Insert IPTC in an APP13 "Photoshop 3.0" 8BIM block (resource 0x0404) after SOI."""
    padding = b"\x00" * (len(iptc) % 2)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00"
    resource += struct.pack(">I", len(iptc)) + iptc + padding
    payload = b"Photoshop 3.0\x00" + resource
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def read_bytes(data: bytes) -> ImageMetadata:
    with Image.open(io.BytesIO(data)) as image:
        return read_embedded_metadata(image)


def texts(metadata: ImageMetadata) -> list[tuple[str, str]]:
    return [(d.text, d.source) for d in metadata.descriptions]


def description_exif(value: str | bytes) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = value
    return exif


# --- EXIF ----------------------------------------------------------------------------------


def test_read_embedded_metadata_reads_exif_text_keywords_and_date() -> None:
    exif = Image.Exif()
    exif[0x010E] = "Harbour at dawn"
    exif[0x9C9C] = "Fishing boats coming home".encode("utf-16-le")
    exif[0x9C9E] = "harbour;boats; Dawn ;;".encode("utf-16-le")
    exif[0x0132] = "2020:01:01 00:00:00"
    details = exif.get_ifd(EXIF_IFD)
    details[0x9003] = "2019:06:30 05:12:44"
    details[0x9286] = b"ASCII\x00\x00\x00Taken from the pier"

    metadata = read_bytes(jpeg_bytes(exif))

    assert texts(metadata) == [
        ("Harbour at dawn", "exif"),
        ("Taken from the pier", "exif"),
        ("Fishing boats coming home", "exif"),
    ]
    assert metadata.keywords == ("harbour", "boats", "Dawn")
    assert metadata.taken_at == "2019-06-30T05:12:44"


def test_read_embedded_metadata_falls_back_to_exif_datetime() -> None:
    exif = Image.Exif()
    exif[0x0132] = "2018:02:03 04:05:06"

    assert read_bytes(jpeg_bytes(exif)).taken_at == "2018-02-03T04:05:06"


@pytest.mark.parametrize(
    "value", ["0000:00:00 00:00:00", "    :  :     :  :  ", "2021:13:01 00:00:00", "garbage"]
)
def test_read_embedded_metadata_ignores_placeholder_dates(value: str) -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[0x9003] = value

    assert read_bytes(jpeg_bytes(exif)).taken_at is None


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        (b"ASCII\x00\x00\x00Sunset", "Sunset"),
        (b"UNICODE\x00" + "Sonnenuntergang über".encode("utf-16-le"), "Sonnenuntergang über"),
        (b"UNICODE\x00" + "Sunset glow".encode("utf-16-be"), "Sunset glow"),
        (b"JIS\x00\x00\x00\x00\x00" + "夕焼け".encode("shift_jis"), "夕焼け"),
        (b"\x00" * 8 + b"Undefined charset", "Undefined charset"),
        (b"ASCII\x00\x00\x00" + b" " * 60, None),
        (b"\x00" * 40, None),
    ],
)
def test_read_embedded_metadata_decodes_user_comment_charsets(
    comment: bytes, expected: str | None
) -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[0x9286] = comment

    metadata = read_bytes(jpeg_bytes(exif))

    assert [d.text for d in metadata.descriptions] == ([expected] if expected else [])


def test_read_embedded_metadata_decodes_xp_tags_given_as_int_tuples() -> None:
    image = Image.new("RGB", (4, 4))
    image.getexif()[0x9C9C] = tuple("Comment as ints".encode("utf-16-le"))
    image.getexif()[0x9C9E] = tuple("a;b".encode("utf-16-le"))

    metadata = read_embedded_metadata(image)

    assert [d.text for d in metadata.descriptions] == ["Comment as ints"]
    assert metadata.keywords == ("a", "b")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Café crème ☕".encode(), "Café crème ☕"),
        ("Café “au lait”".encode("cp1252"), "Café “au lait”"),
        (b"Caf\xe9 \x81 odd byte", "Café odd byte"),
        (b"Padded with NULs\x00\x00\x00\x00", "Padded with NULs"),
    ],
)
def test_read_embedded_metadata_decodes_non_utf8_description_bytes(
    raw: bytes, expected: str
) -> None:
    metadata = read_bytes(jpeg_bytes(description_exif(raw)))

    assert [d.text for d in metadata.descriptions] == [expected]


@pytest.mark.parametrize(
    "boilerplate",
    [
        "OLYMPUS DIGITAL CAMERA         ",
        "SONY DSC",
        "sony dsc",
        "DCIM",
        "default",
        "   ",
        "",
        "IMG_1234",
        "DSC_0042",
        "----",
        # seen in real libraries (issue 13): maker defaults, Samsung placeholders, hex
        "SANYO DIGITAL CAMERA",
        "SAMSUNG CSC",  # Pillow's Tests/images/ignore_frame_size.mpo, a Galaxy photo
        "<Digimax i50 MP3, Samsung #1 MP3>",
        "<KENOX S630  / Samsung S630>",
        "KODAK EasyShare Digital Camera",
        "FUJIFILM DIGITAL CAMERA",
        "Konica Minolta Digital Camera",
        "0x1F2E3D4C5B6A7988",
        "48 65 6c 6c 6f 00 00 00",
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "DSCF0042.JPG",
        "P1010001.JPG",
        "100_0001",
        "DCIM/100OLYMP",
        "Exif_JPEG_420",
    ],
)
def test_read_embedded_metadata_drops_camera_boilerplate(boilerplate: str) -> None:
    metadata = read_bytes(jpeg_bytes(description_exif(boilerplate)))

    assert metadata.descriptions == ()


@pytest.mark.parametrize(
    "caption",
    [
        "My old Olympus digital camera on the shelf",
        "Cafe 2019",
        "decaf facade",
        "Grandma's 80th birthday, 2019",
        "Photo 1 of the garden",
        "<3 beach day",
        "Sony Center, Berlin",
        "IMG of the week: the red door",
        "Canon EOS 5D on a tripod at dawn",
    ],
)
def test_read_embedded_metadata_keeps_real_captions_that_look_a_little_like_defaults(
    caption: str,
) -> None:
    metadata = read_bytes(jpeg_bytes(description_exif(caption)))

    assert [d.text for d in metadata.descriptions] == [caption]


def test_boilerplate_in_xmp_is_dropped_too() -> None:
    packet = xmp_packet(
        """>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">SANYO DIGITAL CAMERA</rdf:li>
   </rdf:Alt></dc:description>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour at night</rdf:li>
   </rdf:Alt></dc:title>
  </rdf:Description>"""
    )
    metadata = read_bytes(jpeg_bytes(xmp=packet))

    assert [d.text for d in metadata.descriptions] == ["Harbour at night"]


def test_read_embedded_metadata_caps_text_length() -> None:
    metadata = read_bytes(jpeg_bytes(description_exif("word " * 1000)))

    assert len(metadata.descriptions[0].text) <= MAX_TEXT_CHARS
    assert metadata.descriptions[0].text.startswith("word word")


# --- IPTC ----------------------------------------------------------------------------------


def test_read_embedded_metadata_reads_iptc_caption_and_keywords() -> None:
    iptc = (
        iptc_dataset(90, b"\x1b%G", record=1)
        + iptc_dataset(120, "Market stall in Lisboa, façade".encode())
        + iptc_dataset(25, b"market")
        + iptc_dataset(25, b"Portugal")
        + iptc_dataset(25, b"MARKET")
    )

    metadata = read_bytes(with_iptc(jpeg_bytes(), iptc))

    assert texts(metadata) == [("Market stall in Lisboa, façade", "iptc")]
    assert metadata.keywords == ("market", "Portugal")


def test_read_embedded_metadata_reads_single_iptc_keyword_in_cp1252() -> None:
    iptc = iptc_dataset(25, "Zürich".encode("cp1252"))

    assert read_bytes(with_iptc(jpeg_bytes(), iptc)).keywords == ("Zürich",)


def test_read_embedded_metadata_survives_garbage_iptc() -> None:
    garbage = b"\x1c\x02\x78\xff\xff" + b"\x00" * 10  # length far past the end
    data = with_iptc(jpeg_bytes(description_exif("Still read")), garbage)

    assert [d.text for d in read_bytes(data).descriptions] == ["Still read"]


# --- XMP -----------------------------------------------------------------------------------


def test_read_embedded_metadata_reads_xmp_from_jpeg() -> None:
    metadata = read_bytes(jpeg_bytes(xmp=LIGHTROOM_XMP))

    assert texts(metadata) == [("A lighthouse in the fog", "xmp")]
    assert metadata.keywords == ("lighthouse", "Fog", "coast")
    assert metadata.taken_at == "2019-08-17T16:05:09"


def test_read_embedded_metadata_reads_xmp_from_webp() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "WEBP", xmp=LIGHTROOM_XMP)

    assert [d.text for d in read_bytes(buffer.getvalue()).descriptions] == [
        "A lighthouse in the fog"
    ]


def test_read_embedded_metadata_reads_xmp_from_png_itxt() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", LIGHTROOM_XMP.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "PNG", pnginfo=info)

    assert read_bytes(buffer.getvalue()).keywords == ("lighthouse", "Fog", "coast")


def test_read_embedded_metadata_reads_xmp_attribute_form() -> None:
    packet = xmp_packet(
        """
    dc:description="Snow on the ridge"
    xmp:CreateDate="2021-02-03T04:05:06Z"/>"""
    )

    metadata = read_bytes(jpeg_bytes(xmp=packet))

    assert texts(metadata) == [("Snow on the ridge", "xmp")]
    assert metadata.taken_at == "2021-02-03T04:05:06"


def test_read_embedded_metadata_reads_photoshop_date_and_plain_description() -> None:
    packet = xmp_packet(
        """>
   <photoshop:DateCreated>2017-05-06</photoshop:DateCreated>
   <dc:description>Plain text description</dc:description>
  </rdf:Description>"""
    )

    metadata = read_bytes(jpeg_bytes(xmp=packet))

    assert metadata.taken_at == "2017-05-06T00:00:00"
    assert [d.text for d in metadata.descriptions] == ["Plain text description"]


def test_read_embedded_metadata_orders_xmp_iptc_exif_and_prefers_exif_date() -> None:
    exif = description_exif("Same caption everywhere")
    exif.get_ifd(EXIF_IFD)[0x9003] = "2001:02:03 04:05:06"
    data = with_iptc(jpeg_bytes(exif, xmp=LIGHTROOM_XMP), iptc_dataset(120, b"IPTC caption"))

    metadata = read_bytes(data)

    assert texts(metadata) == [
        ("A lighthouse in the fog", "xmp"),
        ("IPTC caption", "iptc"),
        ("Same caption everywhere", "exif"),
    ]
    assert metadata.taken_at == "2001-02-03T04:05:06"


def test_read_embedded_metadata_deduplicates_descriptions_across_sources() -> None:
    data = with_iptc(
        jpeg_bytes(description_exif("a lighthouse in the FOG"), xmp=LIGHTROOM_XMP),
        iptc_dataset(120, b"A lighthouse in the fog"),
    )

    assert texts(read_bytes(data)) == [("A lighthouse in the fog", "xmp")]


def test_read_embedded_metadata_ignores_malformed_xmp_but_keeps_exif() -> None:
    data = jpeg_bytes(description_exif("EXIF survives"), xmp=b"<x:xmpmeta><unclosed>")

    assert texts(read_bytes(data)) == [("EXIF survives", "exif")]


def test_read_embedded_metadata_never_raises_on_garbage_blocks() -> None:
    image = Image.new("RGB", (8, 8))
    image.info["exif"] = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff" + b"\x01" * 50
    image.info["xmp"] = b"\xff\xfe\x00<\x00x garbage"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about the corrupt EXIF itself
        metadata = read_embedded_metadata(image)

    assert metadata == ImageMetadata()


def test_open_image_returns_iptc_and_xmp_metadata(tmp_path: Path) -> None:
    path = tmp_path / "lighthouse.jpg"
    path.write_bytes(with_iptc(jpeg_bytes(xmp=LIGHTROOM_XMP), iptc_dataset(25, b"beacon")))

    metadata = open_image(path, max_pixels=10**8).metadata

    assert metadata.keywords == ("lighthouse", "Fog", "coast", "beacon")


# --- sidecars ------------------------------------------------------------------------------


def test_xmp_sidecar_paths_offers_both_naming_schemes() -> None:
    assert xmp_sidecar_paths(Path("/photos/IMG_1.jpg")) == (
        Path("/photos/IMG_1.xmp"),
        Path("/photos/IMG_1.jpg.xmp"),
    )


def test_read_xmp_sidecar_reads_lightroom_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "IMG_1.xmp"
    path.write_bytes(LIGHTROOM_XMP)

    metadata = read_xmp_sidecar(path)

    assert metadata == ImageMetadata(
        "2019-08-17T16:05:09",
        (EmbeddedText("A lighthouse in the fog", "xmp"),),
        ("lighthouse", "Fog", "coast"),
    )


def test_read_xmp_sidecar_returns_none_and_warns_on_malformed_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "IMG_2.jpg.xmp"
    path.write_bytes(LIGHTROOM_XMP[:-60])

    with caplog.at_level(logging.WARNING, logger="core.media.metadata"):
        assert read_xmp_sidecar(path) is None

    assert "IMG_2.jpg.xmp" in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0" encoding="no-such-codec"?><a/>',
        b"",
        b"\x00\x00\x00",
        b"\xff\xd8\xff\xe0 this is a JPEG, not XMP",
        "<x>caf\xe9</x>".encode("cp1252"),
    ],
)
def test_read_xmp_sidecar_returns_none_for_bad_content(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.xmp"
    path.write_bytes(content)

    assert read_xmp_sidecar(path) is None


def test_read_xmp_sidecar_reads_utf16_packet(tmp_path: Path) -> None:
    path = tmp_path / "utf16.xmp"
    path.write_bytes(LIGHTROOM_XMP.decode().replace("\ufeff", "").encode("utf-16"))

    metadata = read_xmp_sidecar(path)

    assert metadata is not None
    assert metadata.keywords == ("lighthouse", "Fog", "coast")


def test_read_xmp_sidecar_refuses_entity_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xmp"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
        encoding="utf-8",
    )

    assert read_xmp_sidecar(path) is None


BOMB_DTD = (
    '<!DOCTYPE x:xmpmeta [<!ENTITY a "a lighthouse in the fog ">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
)
BOMB_BODY = """>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">&b;</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>"""
UNICODE_ENCODINGS = [
    ("utf-16", "utf-16"),  # with a byte order mark
    ("utf-16-le", "utf-16-le"),  # none: told from the first bytes
    ("utf-16-be", "utf-16-be"),
    ("utf-32", "utf-32"),
    ("utf-32-le", "utf-32-le"),
    ("utf-32-be", "utf-32-be"),
    ("utf-8-sig", "utf-8"),
]


@pytest.mark.parametrize(("codec", "declared"), UNICODE_ENCODINGS)
def test_read_xmp_sidecar_refuses_a_dtd_in_any_unicode_encoding(
    tmp_path: Path, codec: str, declared: str
) -> None:
    """A DTD in UTF-16 slipped past a byte check and its entities were expanded (issue 13)."""
    packet = xmp_packet(BOMB_BODY).decode().replace("<x:xmpmeta", BOMB_DTD + "<x:xmpmeta", 1)
    text = f'<?xml version="1.0" encoding="{declared}"?>' + packet.split("?>", 1)[1]
    path = tmp_path / "bomb.xmp"
    path.write_bytes(text.encode(codec))

    assert read_xmp_sidecar(path) is None


@pytest.mark.parametrize(("codec", "declared"), UNICODE_ENCODINGS)
def test_read_xmp_sidecar_reads_every_unicode_encoding(
    tmp_path: Path, codec: str, declared: str
) -> None:
    text = f'<?xml version="1.0" encoding="{declared}"?>' + LIGHTROOM_XMP.decode()
    path = tmp_path / "IMG_1.xmp"
    path.write_bytes(text.encode(codec))

    metadata = read_xmp_sidecar(path)

    assert metadata is not None
    assert [d.text for d in metadata.descriptions] == ["A lighthouse in the fog"]


def test_read_xmp_sidecar_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    from core.media.xmp_text import MAX_XMP_BYTES

    padding = "<!-- " + "x" * MAX_XMP_BYTES + " -->"
    path = tmp_path / "big.xmp"
    path.write_bytes(LIGHTROOM_XMP.replace(b"<x:xmpmeta", padding.encode() + b"<x:xmpmeta", 1))

    assert read_xmp_sidecar(path) is None


def test_embedded_xmp_over_the_size_limit_is_ignored() -> None:
    from core.media.xmp_text import MAX_XMP_BYTES

    padding = b"<!-- " + b"x" * MAX_XMP_BYTES + b" -->"
    image = Image.new("RGB", (4, 4))
    image.info["xmp"] = LIGHTROOM_XMP.replace(b"<x:xmpmeta", padding + b"<x:xmpmeta", 1)

    assert read_embedded_metadata(image).descriptions == ()


def test_read_xmp_sidecar_returns_none_for_missing_file_without_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert read_xmp_sidecar(tmp_path / "absent.xmp") is None

    assert caplog.records == []


def test_read_xmp_sidecar_returns_none_for_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "odd.xmp"
    folder.mkdir()

    assert read_xmp_sidecar(folder) is None


def test_read_xmp_sidecar_reads_empty_but_valid_xml_as_empty_metadata(tmp_path: Path) -> None:
    path = tmp_path / "empty.xmp"
    path.write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>", encoding="utf-8")

    assert read_xmp_sidecar(path) == ImageMetadata()


# --- merging -------------------------------------------------------------------------------


def test_merge_metadata_takes_first_date_and_deduplicates() -> None:
    sidecar = ImageMetadata(None, (EmbeddedText("Dog on a beach", "xmp"),), ("dog", "Beach"))
    embedded = ImageMetadata(
        "2020-01-02T03:04:05",
        (EmbeddedText("dog on a beach", "exif"), EmbeddedText("Waves", "exif")),
        ("beach", "sea"),
    )
    later = ImageMetadata("1999-01-01T00:00:00")

    merged = merge_metadata(sidecar, None, embedded, later)

    assert merged.taken_at == "2020-01-02T03:04:05"
    assert merged.descriptions == (
        EmbeddedText("Dog on a beach", "xmp"),
        EmbeddedText("Waves", "exif"),
    )
    assert merged.keywords == ("dog", "Beach", "sea")


def test_merge_metadata_of_nothing_is_empty() -> None:
    assert merge_metadata() == merge_metadata(None, None) == ImageMetadata()
