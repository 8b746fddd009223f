"""Tests for core.media.image_io: formats, orientation, draft decoding and every failure."""

from __future__ import annotations

import errno
import io
import os
import struct
import warnings
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.errors import ImageUnreadableError, UnsupportedImageError
from core.media.image_io import (
    SUPPORTED_EXTENSIONS,
    DecodedImage,
    open_image,
    register_openers,
)

BIG = 10**9
RED = (255, 0, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


@pytest.fixture(autouse=True)
def _openers_registered() -> None:
    register_openers()  # so the tests can also *write* HEIF files


def close_to(actual: Any, expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(int(a) - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def red_corner_image() -> Image.Image:
    """40x30 blue image whose top-left 10x10 corner is red."""
    image = Image.new("RGB", (40, 30), BLUE)
    image.paste(RED, (0, 0, 10, 10))
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds (almost) no pixels: a cheap decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def decode_or_error(path: Path) -> DecodedImage | UnsupportedImageError:
    try:
        return open_image(path, max_pixels=BIG)
    except UnsupportedImageError as error:
        return error


def decode_error(path: Path, **kwargs: Any) -> UnsupportedImageError:
    kwargs.setdefault("max_pixels", BIG)
    with pytest.raises(UnsupportedImageError) as caught:
        open_image(path, **kwargs)
    return caught.value


# --- formats and modes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "save_format"),
    [
        (".jpg", "JPEG"),
        (".png", "PNG"),
        (".webp", "WEBP"),
        (".heic", "HEIF"),
        (".avif", "AVIF"),
        (".tif", "TIFF"),
        (".bmp", "BMP"),
        (".gif", "GIF"),
    ],
)
def test_open_image_decodes_each_supported_format(
    tmp_path: Path, extension: str, save_format: str
) -> None:
    path = tmp_path / f"photo{extension}"
    red_corner_image().save(path, save_format)

    decoded = open_image(path, max_pixels=BIG, min_side=None)

    assert isinstance(decoded, DecodedImage)
    assert decoded.image.mode == "RGB"
    assert (decoded.width, decoded.height) == decoded.image.size == (40, 30)
    assert close_to(decoded.image.getpixel((2, 2)), RED, tolerance=40)
    assert close_to(decoded.image.getpixel((30, 20)), BLUE, tolerance=40)


@pytest.mark.parametrize("save_format", ["JPEG", "PNG", "WEBP", "TIFF", "AVIF"])
def test_open_image_applies_exif_orientation_6(tmp_path: Path, save_format: str) -> None:
    """Orientation 6 means "rotate 90° clockwise to display": the red top-left goes top-right."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / f"rotated.{save_format.lower()}"
    red_corner_image().save(path, save_format, exif=exif)

    decoded = open_image(path, max_pixels=BIG, min_side=None)

    assert (decoded.width, decoded.height) == decoded.image.size == (30, 40)
    assert close_to(decoded.image.getpixel((27, 2)), RED, tolerance=40)
    assert close_to(decoded.image.getpixel((2, 2)), BLUE, tolerance=40)


def test_open_image_composites_png_alpha_on_white(tmp_path: Path) -> None:
    image = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    image.paste((255, 0, 0, 128), (10, 0, 20, 10))
    path = tmp_path / "alpha.png"
    image.save(path)

    decoded = open_image(path, max_pixels=BIG)

    assert decoded.image.getpixel((2, 5)) == WHITE
    assert close_to(decoded.image.getpixel((15, 5)), (255, 127, 127), tolerance=2)


def test_open_image_composites_transparent_palette_png_on_white(tmp_path: Path) -> None:
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 0, 0, 255, 0])
    image.paste(1, (5, 0, 10, 10))
    path = tmp_path / "palette.png"
    image.save(path, transparency=0)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decoded = open_image(path, max_pixels=BIG)

    assert decoded.image.getpixel((1, 1)) == WHITE
    assert decoded.image.getpixel((8, 1)) == (0, 255, 0)


def test_open_image_converts_opaque_palette_png(tmp_path: Path) -> None:
    path = tmp_path / "palette.png"
    red_corner_image().convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(path)

    decoded = open_image(path, max_pixels=BIG)

    assert decoded.image.mode == "RGB"
    assert close_to(decoded.image.getpixel((2, 2)), RED)


def test_open_image_takes_the_first_frame_of_an_animated_gif(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, (0, 255, 0), BLUE)]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)

    decoded = open_image(path, max_pixels=BIG)

    assert decoded.image.getpixel((8, 8)) == RED


def test_open_image_scales_16_bit_grey_png_to_8_bit(tmp_path: Path) -> None:
    levels = np.array([[0, 32768, 65535]], dtype=np.uint16).repeat(4, axis=0)
    path = tmp_path / "deep.png"
    Image.fromarray(levels).save(path)
    with Image.open(path) as written:
        assert written.mode.startswith("I")

    decoded = open_image(path, max_pixels=BIG)

    assert [decoded.image.getpixel((x, 0)) for x in range(3)] == [
        (0, 0, 0),
        (128, 128, 128),
        (255, 255, 255),
    ]


def test_open_image_converts_cmyk_jpeg_to_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(path, quality=95)

    decoded = open_image(path, max_pixels=BIG)

    assert decoded.image.mode == "RGB"
    assert close_to(decoded.image.getpixel((8, 8)), RED, tolerance=20)


def test_open_image_converts_grey_and_grey_alpha(tmp_path: Path) -> None:
    Image.new("L", (8, 8), 100).save(tmp_path / "grey.png")
    Image.new("LA", (8, 8), (0, 0)).save(tmp_path / "grey_alpha.png")

    assert open_image(tmp_path / "grey.png", max_pixels=BIG).image.getpixel((1, 1)) == (
        100,
        100,
        100,
    )
    assert open_image(tmp_path / "grey_alpha.png", max_pixels=BIG).image.getpixel((1, 1)) == WHITE


@pytest.mark.parametrize(
    "name",
    [
        "chelsea.png",
        "coffee.png",
        "astronaut.png",
        "motorcycle_left.png",
        "camera.png",
        "logo.png",
        "rocket.jpg",
        "retina.jpg",
        "hubble_deep_field.jpg",
    ],
)
def test_open_image_decodes_real_photos_at_their_true_size(skimage_dir: Path, name: str) -> None:
    path = skimage_dir / name
    if not path.is_file():
        pytest.skip(f"scikit-image does not ship {name}")
    with Image.open(path) as reference:
        expected_size = reference.size

    full = open_image(path, max_pixels=BIG, min_side=None)
    small = open_image(path, max_pixels=BIG, min_side=224)

    assert full.image.mode == small.image.mode == "RGB"
    assert full.image.size == (full.width, full.height) == expected_size
    assert (small.width, small.height) == expected_size
    assert min(small.image.size) >= min(224, *expected_size)


# --- draft and reduce ----------------------------------------------------------------------


def test_open_image_decodes_large_jpeg_in_draft_mode_but_reports_full_size(
    large_jpeg: Path,
) -> None:
    decoded = open_image(large_jpeg, max_pixels=BIG, min_side=224)

    assert 224 <= min(decoded.image.size) < 3000
    assert (decoded.width, decoded.height) == (4000, 3000)
    assert decoded.image.width / decoded.image.height == pytest.approx(4 / 3, rel=0.01)


def test_open_image_draft_keeps_the_picture_content(large_jpeg: Path) -> None:
    small = open_image(large_jpeg, max_pixels=BIG, min_side=224).image
    full = open_image(large_jpeg, max_pixels=BIG, min_side=None).image
    reference = np.asarray(full.resize(small.size, Image.Resampling.BOX), dtype=np.float32)

    assert full.size == (4000, 3000)
    assert np.abs(np.asarray(small, dtype=np.float32) - reference).mean() < 8.0


def test_open_image_reduces_large_png_keeping_shorter_side_above_min_side(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (1200, 900), RED).save(path)

    decoded = open_image(path, max_pixels=BIG, min_side=224)

    assert 224 <= min(decoded.image.size) < 900
    assert (decoded.width, decoded.height) == (1200, 900)
    assert decoded.image.getpixel((10, 10)) == RED


def test_open_image_keeps_small_images_untouched(real_jpeg: Path) -> None:
    decoded = open_image(real_jpeg, max_pixels=BIG, min_side=224)

    assert decoded.image.size == (451, 300)


# --- bad input -----------------------------------------------------------------------------


def test_open_image_refuses_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()

    error = decode_error(path)

    assert error.user_message == "empty.jpg is empty (0 bytes)."


def test_open_image_refuses_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n", encoding="utf-8")

    error = decode_error(path)

    assert error.user_message == "notes.jpg is not an image format HashLens can read."


def test_open_image_refuses_truncated_jpeg(tmp_path: Path, real_jpeg: Path) -> None:
    data = real_jpeg.read_bytes()
    path = tmp_path / "half.jpg"
    path.write_bytes(data[: len(data) // 2])

    error = decode_error(path)

    assert error.user_message == "half.jpg is truncated or its image data is corrupt."
    assert "truncated" in error.details


def test_open_image_decodes_or_refuses_jpeg_with_corrupted_middle(
    tmp_path: Path, real_jpeg: Path
) -> None:
    data = bytearray(real_jpeg.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = np.random.default_rng(0).bytes(400)
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data))

    outcome = decode_or_error(path)

    if isinstance(outcome, UnsupportedImageError):
        assert outcome.user_message == "damaged.jpg is truncated or its image data is corrupt."
    else:
        assert outcome.image.size == (451, 300)


@pytest.mark.parametrize("save_format", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "HEIF"])
def test_open_image_never_leaks_pillow_errors_on_damaged_files(
    tmp_path: Path, skimage_dir: Path, save_format: str
) -> None:
    buffer = io.BytesIO()
    with Image.open(skimage_dir / "chelsea.png") as cat:
        cat.convert("RGB").resize((96, 64)).save(buffer, save_format)
    original = buffer.getvalue()
    rng = np.random.default_rng(1)
    path = tmp_path / f"damaged.{save_format.lower()}"

    for _ in range(40):
        data = bytearray(original)
        for position in rng.integers(0, len(data), size=int(rng.integers(1, 12))):
            data[position] = int(rng.integers(0, 256))
        cut = int(rng.integers(len(data) // 3, len(data) + 1))
        path.write_bytes(bytes(data[:cut]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow may warn about bad EXIF; not our concern
            outcome = decode_or_error(path)
        if isinstance(outcome, UnsupportedImageError):
            assert outcome.user_message.startswith(path.name)
        else:
            assert outcome.image.mode == "RGB"


def test_open_image_refuses_image_over_pixel_cap_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(10_000, 10_000))
    limit_before = Image.MAX_IMAGE_PIXELS

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning must not escape
        error = decode_error(path, max_pixels=50_000_000)

    assert error.user_message == (
        "bomb.png is too large: 100.0 megapixels, the limit is 50.0 megapixels."
    )
    assert limit_before == Image.MAX_IMAGE_PIXELS


def test_open_image_reports_our_limit_even_beyond_pillows_hard_limit(tmp_path: Path) -> None:
    """50000x50000 would make Image.open raise DecompressionBombError; we say it our way."""
    path = tmp_path / "huge.png"
    path.write_bytes(png_header_only(50_000, 50_000))

    error = decode_error(path, max_pixels=120_000_000)

    assert error.user_message == (
        "huge.png is too large: 2500.0 megapixels, the limit is 120.0 megapixels."
    )


def test_open_image_accepts_image_exactly_at_pixel_cap(tmp_path: Path) -> None:
    path = tmp_path / "exact.png"
    Image.new("RGB", (100, 50), RED).save(path)

    assert open_image(path, max_pixels=5_000).width == 100
    assert "too large" in decode_error(path, max_pixels=4_999).user_message


def test_open_image_reports_file_deleted_before_decoding(tmp_path: Path, real_jpeg: Path) -> None:
    path = tmp_path / "gone.jpg"
    path.write_bytes(real_jpeg.read_bytes())
    path.unlink()

    error = decode_error(path)

    assert error.user_message == "gone.jpg was moved or deleted before it could be read."
    assert isinstance(error, ImageUnreadableError)  # tried again by the next scan


def test_open_image_refuses_directory_named_like_a_photo(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.mkdir()

    error = decode_error(path)

    assert error.user_message == "x.jpg is a folder, not an image."


def patch_path_open(
    monkeypatch: pytest.MonkeyPatch, target: Path, opener: Callable[[Path], Any]
) -> None:
    real_open = Path.open

    def fake_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == target:
            return opener(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", fake_open)


def test_open_image_reports_permission_denied(
    tmp_path: Path, real_jpeg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests run as root, where chmod cannot deny reading, so Path.open is patched."""
    path = tmp_path / "private.jpg"
    path.write_bytes(real_jpeg.read_bytes())

    def deny(p: Path) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(p))

    patch_path_open(monkeypatch, path, deny)

    error = decode_error(path)

    assert error.user_message == "private.jpg cannot be read: permission denied."
    assert isinstance(error, ImageUnreadableError)


def test_open_image_reports_other_os_errors_with_their_reason(
    tmp_path: Path, real_jpeg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nas.jpg"
    path.write_bytes(real_jpeg.read_bytes())

    def fail(p: Path) -> Any:
        raise OSError(errno.EIO, "Input/output error", str(p))

    patch_path_open(monkeypatch, path, fail)

    error = decode_error(path)

    assert error.user_message == "nas.jpg could not be read (Input/output error)."
    assert isinstance(error, ImageUnreadableError)


class FailingDuringDecode(io.FileIO):
    """A file whose big reads (the pixel data) fail like a disk error, after the header."""

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0 or size >= 65536:
            raise OSError(errno.EIO, "Input/output error")
        return super().read(size)


def test_open_image_tells_disk_errors_during_decode_from_corrupt_data(
    tmp_path: Path, real_jpeg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "flaky.jpg"
    path.write_bytes(real_jpeg.read_bytes())
    patch_path_open(monkeypatch, path, lambda p: FailingDuringDecode(os.fspath(p), "r"))

    error = decode_error(path)

    assert error.user_message == "flaky.jpg could not be read (Input/output error)."


def test_open_image_error_messages_are_distinct(tmp_path: Path, real_jpeg: Path) -> None:
    (tmp_path / "empty.jpg").touch()
    (tmp_path / "text.jpg").write_text("hello", encoding="utf-8")
    (tmp_path / "half.jpg").write_bytes(real_jpeg.read_bytes()[:5000])
    (tmp_path / "bomb.png").write_bytes(png_header_only(5000, 5000))
    (tmp_path / "dir.jpg").mkdir()
    names = ["empty.jpg", "text.jpg", "half.jpg", "bomb.png", "missing.jpg", "dir.jpg"]

    messages = {
        decode_error(tmp_path / name, max_pixels=1_000_000).user_message.split(" ", 1)[1]
        for name in names
    }

    assert len(messages) == len(names)


# --- file names ----------------------------------------------------------------------------


def test_open_image_reads_file_with_non_utf8_name(tmp_path: Path, real_jpeg: Path) -> None:
    path = tmp_path / os.fsdecode(b"caf\xe9.jpg")
    path.write_bytes(real_jpeg.read_bytes())

    assert open_image(path, max_pixels=BIG).width == 451


def test_open_image_error_for_non_utf8_name_is_printable(tmp_path: Path) -> None:
    path = tmp_path / os.fsdecode(b"caf\xe9.jpg")
    path.touch()

    error = decode_error(path)

    assert error.user_message == "caf\ufffd.jpg is empty (0 bytes)."
    error.user_message.encode("utf-8")
    assert "caf\\xe9.jpg" in error.details
    error.details.encode("utf-8")


def test_open_image_reads_file_with_240_character_name(tmp_path: Path, real_jpeg: Path) -> None:
    path = tmp_path / ("a" * 236 + ".jpg")
    path.write_bytes(real_jpeg.read_bytes())

    assert open_image(path, max_pixels=BIG).height == 300


def test_open_image_shortens_very_long_names_in_messages(tmp_path: Path) -> None:
    name = "holiday-" + "b" * 228 + ".jpg"
    path = tmp_path / name
    path.write_text("not an image", encoding="utf-8")

    error = decode_error(path)

    shown = error.user_message.split(" ", 1)[0]
    assert shown.startswith("holiday-")
    assert shown.endswith("b.jpg")
    assert "…" in shown
    assert len(shown) <= 80
    assert name in error.details


# --- metadata, threads, registration ------------------------------------------------------


def test_open_image_reads_metadata_before_conversion(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010E] = "Cat asleep on a red sofa"
    exif.get_ifd(0x8769)[0x9003] = "2022:07:01 18:30:00"
    path = tmp_path / "cat.jpg"
    red_corner_image().save(path, exif=exif)

    decoded = open_image(path, max_pixels=BIG)

    assert [d.text for d in decoded.metadata.descriptions] == ["Cat asleep on a red sofa"]
    assert decoded.metadata.taken_at == "2022-07-01T18:30:00"


def test_open_image_gives_the_same_pixels_from_many_threads(
    tmp_path: Path, real_jpeg: Path, skimage_dir: Path
) -> None:
    png = tmp_path / "alpha.png"
    Image.new("RGBA", (300, 300), (10, 200, 30, 100)).save(png)
    paths = [real_jpeg, png, skimage_dir / "astronaut.png"] * 8

    def decode(path: Path) -> bytes:
        return open_image(path, max_pixels=BIG, min_side=128).image.tobytes()

    expected = [decode(path) for path in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(decode, paths)) == expected


def test_register_openers_is_idempotent() -> None:
    register_openers()
    count = len(Image.ID)
    register_openers()

    assert len(Image.ID) == count == len(set(Image.ID))
    assert {"HEIF", "AVIF"} <= set(Image.ID)


def test_supported_extensions_are_lower_case_with_a_dot() -> None:
    assert all(ext.startswith(".") and ext == ext.lower() for ext in SUPPORTED_EXTENSIONS)
    assert {".jpg", ".heic", ".avif", ".tiff", ".gif"} <= SUPPORTED_EXTENSIONS


@pytest.mark.parametrize(("max_pixels", "min_side"), [(0, 224), (1000, 0)])
def test_open_image_rejects_nonsense_limits(
    real_jpeg: Path, max_pixels: int, min_side: int
) -> None:
    with pytest.raises(ValueError, match="positive"):
        open_image(real_jpeg, max_pixels=max_pixels, min_side=min_side)


def test_bad_content_is_a_lasting_error_not_a_passing_one(tmp_path: Path, real_jpeg: Path) -> None:
    path = tmp_path / "cut.jpg"
    path.write_bytes(real_jpeg.read_bytes()[:300])

    error = decode_error(path)

    assert not isinstance(error, ImageUnreadableError)  # not retried until the file changes


def test_an_mpo_decodes_its_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "stereo.mpo"
    left, right = Image.new("RGB", (300, 240), "red"), Image.new("RGB", (300, 240), "blue")
    left.save(path, "MPO", save_all=True, append_images=[right])

    decoded = open_image(path, max_pixels=BIG)

    assert (decoded.width, decoded.height) == (300, 240)
    assert decoded.image.getpixel((10, 10))[0] > 200
