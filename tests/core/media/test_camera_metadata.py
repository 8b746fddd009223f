"""The camera (EXIF Make and Model) read from a photo."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.media.metadata import camera_name, read_camera, read_embedded_metadata


def camera_jpeg(make: str | bytes | None, model: str | bytes | None) -> bytes:
    exif = Image.Exif()
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "model", "name"),
    [
        ("Canon", "Canon EOS 5D", "Canon EOS 5D"),
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        ("Apple", "iPhone 12", "Apple iPhone 12"),
        ("  Google ", "Pixel 7\x00", "Google Pixel 7"),
        ("FUJIFILM", None, "FUJIFILM"),
        (None, "X100V", "X100V"),
        ("", "", None),
        (None, None, None),
    ],
)
def test_make_and_model_make_one_name(make: str | None, model: str | None, name: str) -> None:
    assert camera_name(make, model) == name
    with Image.open(io.BytesIO(camera_jpeg(make, model))) as image:
        assert read_embedded_metadata(image).camera == name
        assert read_camera(image) == name


def test_odd_bytes_and_overlong_names_never_raise() -> None:
    odd = camera_name(b"Canon\xff", 42)  # bytes that are not UTF-8; a number for a model
    assert odd is not None
    assert odd.startswith("Canon")
    long_name = camera_name("Make", "M" * 500)
    assert long_name is not None
    assert len(long_name) <= 120
    with Image.open(io.BytesIO(camera_jpeg(None, None))) as image:
        assert read_camera(image) is None
