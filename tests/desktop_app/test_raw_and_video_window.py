"""RAW photos and videos in the window: thumbnails, a badge that says what they are, Open."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer
from core.store.database import Store
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.gui.views import results_view
from desktop_app.gui.views.results_view import badge_text
from tests.desktop_app.conftest import OpenWindow, open_library_window, show_active
from tests.media_files import distinct_colours, write_dng, write_video

TIMEOUT_MS = 30_000
NAMES = ("green.jpg", "IMG_0001.dng", "clip.mp4")


@pytest.fixture
def mixed_library(tmp_path: Path, tiny_model: EncoderConfig) -> Path:
    """A photo, a RAW photo and a video, indexed with the tiny model."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.new("RGB", (96, 64), (40, 220, 40)).save(folder / "green.jpg")
    write_dng(folder / "IMG_0001.dng", (220, 40, 40), size=(96, 64))
    write_video(folder / "clip.mp4", distinct_colours(20, black_intro=0), size=(96, 64))
    library = tmp_path / "library.sqlite"
    with Store.open(library) as store:
        register_folder(store, str(folder.resolve()))
        report = Indexer(store, lazy_encoder(tiny_model), IndexingConfig()).run()
    assert report.encoded_images == 3
    return library


def _pixels(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    stride, height, width = rgb.bytesPerLine(), rgb.height(), rgb.width()
    data = np.frombuffer(rgb.constBits(), np.uint8)[: stride * height]
    return data.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def test_raw_and_video_items_are_listed_with_a_badge_and_named_for_screen_readers(
    qtbot: QtBot, open_window: OpenWindow, mixed_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = open_library_window(qtbot, open_window, mixed_library)
    window = parts.window
    show_active(qtbot, window)
    area = window.search_area
    model, view = area.results_model, area.results_view
    qtbot.waitUntil(lambda: len(model.hits) == 3, timeout=TIMEOUT_MS)
    kinds = {Path(h.path).name: h.media for h in model.hits}
    assert kinds == {"green.jpg": "photo", "IMG_0001.dng": "raw", "clip.mp4": "video"}
    assert {Path(h.path).name: badge_text(h) for h in model.hits} == {
        "green.jpg": "", "IMG_0001.dng": "RAW", "clip.mp4": "▶",
    }  # fmt: skip
    rows = {Path(h.path).name: row for row, h in enumerate(model.hits)}
    spoken = {
        name: model.index(row, 0).data(Qt.ItemDataRole.AccessibleTextRole)
        for name, row in rows.items()
    }
    assert spoken == {"green.jpg": "green.jpg", "IMG_0001.dng": "IMG_0001.dng, RAW photo",
                      "clip.mp4": "clip.mp4, video"}  # fmt: skip
    qtbot.waitUntil(lambda: model.thumbnail_count() == 3, timeout=TIMEOUT_MS)

    with_badges = _pixels(view.viewport().grab().toImage())
    monkeypatch.setattr(results_view, "BADGES", {})
    without = _pixels(view.viewport().grab().toImage())

    changed = np.argwhere((with_badges != without).any(axis=2))  # (y, x) of badge pixels
    for name, row in rows.items():
        cell = view.visualRect(model.index(row, 0))
        inside = changed[
            (changed[:, 1] >= cell.left()) & (changed[:, 1] <= cell.right())
            & (changed[:, 0] >= cell.top()) & (changed[:, 0] <= cell.bottom())
        ]  # fmt: skip
        if name == "green.jpg":
            assert len(inside) == 0
            continue
        assert len(inside) > 50, name
        # in the thumbnail's lower left corner
        assert inside[:, 1].max() < cell.center().x(), name
        assert inside[:, 0].min() > cell.top() + view.delegate.side_px // 2, name


def test_the_library_panel_says_how_many_items_are_raw_photos_and_videos(
    qtbot: QtBot, open_window: OpenWindow, mixed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, mixed_library)
    label = parts.window.library_panel.totals_label
    qtbot.waitUntil(lambda: label.text().startswith("3 photos"), timeout=TIMEOUT_MS)
    assert label.text().startswith("3 photos (1 RAW, 1 video) · ")


def test_the_detail_page_says_an_item_is_a_raw_photo_or_a_video(mixed_library: Path) -> None:
    from desktop_app.application.detail import read_detail
    from desktop_app.gui.views.detail_page import DetailPage

    with Store.open(mixed_library) as store:
        folder = store.media.folders()[0]
        ids = {Path(p).name: m.id for p, m in store.media.media_in_folder(folder.id).items()}
        facts = {name: DetailPage._facts(read_detail(store, i)) for name, i in ids.items()}
    assert "Video (indexed and shown by its frame" in facts["clip.mp4"]
    assert "Camera RAW photo" in facts["IMG_0001.dng"]
    assert "RAW" not in facts["green.jpg"]
    assert "Video" not in facts["green.jpg"]
