"""The camera filter: ``hashlens search --camera`` and the window's camera list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from desktop_app.cli.main import run
from tests.corpus import copy_real_photos
from tests.desktop_app.conftest import OpenWindow, open_library_window

TIMEOUT_MS = 30_000

CAMERAS = {
    "chelsea.jpg": ("Canon", "Canon EOS 5D"),
    "coffee.jpg": ("Canon", "Canon EOS R5"),
    "rocket.jpg": ("Apple", "iPhone 12"),
}


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """The real photos; three of them name a camera in their EXIF."""
    folder = tmp_path / "photos"
    copy_real_photos(folder)
    for name, (make, model) in CAMERAS.items():
        with Image.open(folder / name) as image:
            pixels = image.copy()
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = make, model
        pixels.save(folder / name, "JPEG", exif=exif, quality=90)
    return folder


def _search(capsys: pytest.CaptureFixture[str], library: Path, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--library", str(library), "search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _names(capsys: pytest.CaptureFixture[str], library: Path, *argv: str) -> list[str]:
    code, out, err = _search(capsys, library, *argv, "--json", "--k", "20")
    assert code == 0, err
    return [Path(hit["path"]).name for hit in json.loads(out)]


def test_camera_filters_a_search_and_alone_lists_that_cameras_photos(
    indexed_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sorted(_names(capsys, indexed_library, "a photo", "--camera", "CANON")) == [
        "chelsea.jpg", "coffee.jpg",
    ]  # fmt: skip
    assert _names(capsys, indexed_library, "--camera", "iphone") == ["rocket.jpg"]
    assert _names(capsys, indexed_library, "a cat + a rocket", "--camera", "eos r5") == [
        "coffee.jpg"
    ]
    assert len(_names(capsys, indexed_library, "a photo")) == 11  # no filter: every photo


def test_a_camera_no_photo_names_is_said(
    indexed_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _search(capsys, indexed_library, "a photo", "--camera", "nikon")
    assert code == 1
    assert out == ""
    assert "No photo is taken with a camera named like “nikon”." in err


def test_the_windows_camera_filter_lists_the_cameras_and_narrows_browsing_and_search(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    area = parts.window.search_area
    model = area.results_model
    qtbot.waitUntil(lambda: len(model.hits) == 11, timeout=TIMEOUT_MS)
    combo = area.filter_bar.camera_combo
    qtbot.waitUntil(lambda: combo.count() == 4, timeout=TIMEOUT_MS)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "All cameras", "Apple iPhone 12", "Canon EOS 5D", "Canon EOS R5",
    ]  # fmt: skip

    combo.setCurrentIndex(combo.findData("Canon EOS 5D"))
    combo.activated.emit(combo.currentIndex())

    qtbot.waitUntil(lambda: len(model.hits) == 1, timeout=TIMEOUT_MS)
    assert Path(model.hits[0].path).name == "chelsea.jpg"
    qtbot.keyClicks(parts.window.query_edit, "a rocket + a cup")  # a search keeps the filter
    qtbot.waitUntil(
        lambda: area.header_label.text() == "Photos for “a rocket + a cup”", timeout=TIMEOUT_MS
    )
    qtbot.waitUntil(lambda: len(model.hits) == 1, timeout=TIMEOUT_MS)
    assert Path(model.hits[0].path).name == "chelsea.jpg"

    area.filter_bar.clear_button.click()
    qtbot.waitUntil(lambda: len(model.hits) == 11, timeout=TIMEOUT_MS)
    assert combo.currentText() == "All cameras"
