"""Thumbnails: EXIF orientation applied, cached by content (renames keep them), made off-thread."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from core.errors import UnsupportedImageError
from desktop_app.application.thumbnail_files import make_thumbnail, thumbnail_path
from desktop_app.gui.tasks import TaskRunner
from desktop_app.gui.thumbnails import ThumbnailLoader
from tests.corpus import copy_real_photos, make_format_variants

MAX_PIXELS = 120_000_000


@pytest.fixture
def rocket(tmp_path: Path) -> Path:
    copy_real_photos(tmp_path / "real")
    return tmp_path / "real" / "rocket.jpg"


def test_thumbnail_of_an_exif_rotated_photo_is_upright(tmp_path: Path, rocket: Path) -> None:
    variants = make_format_variants(rocket, tmp_path / "variants")
    rotated = next(p for p in variants if p.name.endswith("_exif_rotated.jpg"))
    with Image.open(rotated) as stored, Image.open(rocket) as upright:
        assert stored.size == (upright.height, upright.width)  # pixels are stored on their side
        upright_landscape = upright.width > upright.height

    made = make_thumbnail(tmp_path / "cache", rotated, 128, MAX_PIXELS)

    with Image.open(made) as thumb:
        assert max(thumb.size) == 128
        assert (thumb.width > thumb.height) == upright_landscape


def test_renamed_photo_keeps_its_cached_thumbnail(tmp_path: Path, rocket: Path) -> None:
    cache = tmp_path / "cache"
    first = make_thumbnail(cache, rocket, 96, MAX_PIXELS)
    made_ns = first.stat().st_mtime_ns
    renamed = rocket.rename(rocket.with_name("launch-day.jpg"))

    again = make_thumbnail(cache, renamed, 96, MAX_PIXELS)

    assert again == first
    assert again.stat().st_mtime_ns == made_ns  # found, not made again
    assert thumbnail_path(cache, renamed, 192) != first  # each size has its own file


def test_changed_photo_gets_a_new_thumbnail(tmp_path: Path, rocket: Path) -> None:
    cache = tmp_path / "cache"
    first = make_thumbnail(cache, rocket, 96, MAX_PIXELS)
    with Image.open(rocket) as image:
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(rocket, quality=80)

    assert make_thumbnail(cache, rocket, 96, MAX_PIXELS) != first


def test_unreadable_photo_raises_a_core_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really")

    with pytest.raises(UnsupportedImageError):
        make_thumbnail(tmp_path / "cache", broken, 96, MAX_PIXELS)


def test_loader_makes_thumbnails_in_the_background_and_bounds_memory(
    qtbot: QtBot, tmp_path: Path
) -> None:
    photos = copy_real_photos(tmp_path / "real")
    tasks = TaskRunner()
    loader = ThumbnailLoader(tasks, tmp_path / "cache", MAX_PIXELS, capacity=4)
    ready: list[str] = []
    loader.thumbnail_ready.connect(lambda path, _side: ready.append(path))

    assert loader.pixmap(str(photos[0])) is None  # not made yet: asked for in the background
    qtbot.waitUntil(lambda: ready == [str(photos[0])])
    pixmap = loader.pixmap(str(photos[0]))
    assert pixmap is not None
    assert max(pixmap.width(), pixmap.height()) == 192

    for photo in photos[1:]:
        loader.pixmap(str(photo))
    qtbot.waitUntil(lambda: len(ready) == len(photos))
    assert loader.cached_count == 4
    tasks.wait_for_done()


def test_loader_remembers_why_a_file_has_no_thumbnail(qtbot: QtBot, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    tasks = TaskRunner()
    loader = ThumbnailLoader(tasks, tmp_path / "cache", MAX_PIXELS)

    with qtbot.waitSignal(loader.thumbnail_ready):
        assert loader.pixmap(str(broken)) is None
    assert loader.pixmap(str(broken)) is None
    assert "broken.png" in loader.problem(str(broken))
    tasks.wait_for_done()
