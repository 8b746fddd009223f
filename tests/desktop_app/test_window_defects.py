"""Regression tests for the window defects found trying it as a new user (issue 17)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.library.folders import register_folder
from core.library.indexing.image_stage import ImageStage
from core.library.indexing.indexer import Indexer, IndexOptions
from core.library.training.trainer import TrainOptions
from core.progress import CancelToken
from core.store.database import Store
from desktop_app.application.hashing import train_hasher
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.gui.app import NO_MODEL_TO_INDEX
from desktop_app.gui.controllers.model_controller import MODEL_STARTING as CARD_STARTING
from desktop_app.gui.views.main_window import MINIMUM_SIZE
from desktop_app.gui.views.search_area import MODEL_STARTING
from tests.conftest import TinyClip, save_tiny_weights
from tests.desktop_app.conftest import (
    OpenWindow,
    RecordingDialogs,
    mime_with,
    open_library_window,
    wait_for_view,
)
from tests.desktop_app.test_detail_flow import _open_first_result

TIMEOUT_MS = 30_000
MODEL_TIMEOUT_MS = 90_000
"""The model process imports torch first: 5-10 s alone, far more on a loaded 2-core machine."""


def _labels(library: Path, media_id: int) -> set[tuple[str, str]]:
    with Store.open(library) as store:
        return {(label.name, label.origin) for label in store.labels.of(media_id)}


def test_a_hashtag_typed_into_a_caption_becomes_a_tag_and_leaves_with_it(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    _open_first_result(qtbot, parts)
    page, detail = parts.window.search_area.detail_page, parts.controllers.detail  # type: ignore[union-attr]
    assert page.detail is not None
    media_id = page.detail.media_id

    with qtbot.waitSignal(detail.detail_changed):
        qtbot.keyClicks(page.caption_edit, "Lunch in Siena #Tuscany")
        qtbot.keyClick(page.caption_edit, Qt.Key.Key_Return)
    assert ("tuscany", "hashtag") in _labels(indexed_library, media_id)
    tags = [page.tag_list.item(i).text() for i in range(page.tag_list.count())]
    assert "tuscany  (hashtag in a caption)" in tags

    mine = page.caption_list.item(page.caption_list.count() - 1)
    with qtbot.waitSignal(detail.detail_changed):
        mine.setText("Lunch in Siena")
    assert ("tuscany", "hashtag") not in _labels(indexed_library, media_id)


def test_typing_a_hashtag_in_the_search_box_finds_the_tagged_photos(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    with Store.open(indexed_library) as store, store.atomic():
        chosen = sorted(store.media.paths_of(list(range(1, 100))))[:3]
        for media_id in chosen:
            store.labels.set_labels(media_id, ["tuscany"], "user")
    window = open_library_window(qtbot, open_window, indexed_library).window

    qtbot.keyClicks(window.query_edit, "#tuscany")

    wait_for_view(qtbot, window, "resultsPage")
    model = window.search_area.results_model
    qtbot.waitUntil(lambda: len(model.hits) == 3, timeout=TIMEOUT_MS)
    assert sorted(h.media_id for h in model.hits) == chosen


def test_removing_a_folder_takes_its_photos_out_of_the_open_results_and_detail(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    _open_first_result(qtbot, parts)
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.folder_table.rowCount() == 1)

    library = parts.controllers.library  # type: ignore[union-attr]
    with qtbot.waitSignal(
        library.overview_changed, timeout=TIMEOUT_MS, check_params_cb=lambda o: not o.folders
    ):
        window.folder_removal_confirmed.emit(library.overview.folders[0].id)  # type: ignore[union-attr]

    qtbot.waitUntil(lambda: window.current_view != "detailPage", timeout=5_000)
    assert window.search_area.results_model.hits == ()
    qtbot.wait(500)  # the rerun search must not bring them back
    assert window.search_area.results_model.hits == ()


def test_photos_indexed_before_a_cancel_get_codes_from_the_active_hasher(
    tmp_path: Path,
    indexed_library: Path,
    photos: Path,
    tiny_model: EncoderConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoder = lazy_encoder(tiny_model)
    train_hasher(
        indexed_library, encoder.config_key, TrainOptions("lsh", 16), lambda _p: None,
        CancelToken(),
    )  # fmt: skip
    more = tmp_path / "more"
    more.mkdir()
    for i, photo in enumerate(sorted(photos.glob("*.jpg"))[:6]):
        with Image.open(photo) as image:
            image.convert("RGB").rotate(90, expand=True).save(more / f"turned_{i}.png")
    cancel = CancelToken()

    real_write = ImageStage._write_batch

    def write_then_cancel(stage: ImageStage, *args: Any, **kwargs: Any) -> None:
        real_write(stage, *args, **kwargs)  # progress reports are rate-limited: cancel here
        cancel.cancel()

    monkeypatch.setattr(ImageStage, "_write_batch", write_then_cancel)

    with Store.open(indexed_library) as store:
        register_folder(store, str(more.resolve()))
        options = IndexOptions(batch_size=1)
        indexer = Indexer(store, encoder, IndexingConfig(), options)
        report = indexer.run(cancel=cancel)
        assert report.cancelled
        record = store.known_encoder(encoder.config_key)
        assert record is not None
        active = store.codes.active_hasher(record.id)
        assert active is not None
        folder = store.media.folder_by_path(str(more.resolve()))
        assert folder is not None
        kept = [
            m.id for m in store.media.media_in_folder(folder.id).values() if m.status == "ready"
        ]
        assert 1 <= len(kept) < 6  # some batches landed before the stop
        # every photo with features has its code: searchable now, not after "Index now"
        assert store.codes.image_items_without_codes(active.id, record.id) == []


def test_the_first_search_says_the_model_is_starting(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window, search = parts.window, parts.controllers.search  # type: ignore[union-attr]
    card = window.model_panel
    seen: list[tuple[str, str, str]] = []
    search.model_starting.connect(  # after the window's own slots: what the user sees then
        lambda _q: seen.append(
            (window.current_view, window.search_area.status_label.text(), card.message_label.text())
        )
    )

    with qtbot.waitSignal(search.model_started, timeout=TIMEOUT_MS):
        qtbot.keyClicks(window.query_edit, "a cat")

    assert seen == [
        ("resultsPage", MODEL_STARTING, f"{parts.controllers.model.state.name}: {CARD_STARTING}")
    ]  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: len(window.search_area.results_model.hits) > 0, timeout=TIMEOUT_MS)
    assert "is ready" in card.message_label.text()
    assert window.search_area.status_label.text() != MODEL_STARTING
    seen.clear()
    with qtbot.waitSignal(
        search.results_changed,
        timeout=TIMEOUT_MS,
        check_params_cb=lambda o: o.query.text == "a cats",
    ):
        qtbot.keyClicks(window.query_edit, "s")  # the model runs now: no second notice
    assert seen == []


def test_index_now_without_a_model_says_what_to_do(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, photos: Path
) -> None:
    library = tmp_path / "library.sqlite"  # a folder, and the default model not downloaded
    with Store.open(library) as store:
        register_folder(store, str(photos.resolve()))
    parts = open_library_window(qtbot, open_window, library)
    window = parts.window
    qtbot.waitUntil(lambda: window.model_panel.needs_attention, timeout=TIMEOUT_MS)

    window.library_panel.index_button.click()

    assert window.statusBar().currentMessage() == NO_MODEL_TO_INDEX
    assert not parts.controllers.indexing.is_running  # type: ignore[union-attr]


def test_a_weights_file_of_another_architecture_is_not_called_damaged(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, tmp_path: Path,
    tiny_clip: TinyClip, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # the same tiny architecture with a wider text tower and a longer context
    other = json.loads(tiny_clip.config_path.read_text(encoding="utf-8"))
    other["text_cfg"].update(width=64, context_length=32)
    config = tmp_path / "hashlens-tiny-wide.json"
    config.write_text(json.dumps(other), encoding="utf-8")
    weights = save_tiny_weights(config, "hashlens-tiny-wide", tmp_path / "wide.pt", seed=1)
    monkeypatch.setenv("HASHLENS_ENCODER_MODEL", tiny_clip.model_name)
    monkeypatch.setenv("HASHLENS_ENCODER_MODEL_CONFIG", str(tiny_clip.config_path))
    monkeypatch.setenv("HASHLENS_ENCODER_DEVICE", "cpu")
    window = open_window(tmp_path / "library.sqlite").window
    panel = window.first_run_model_panel
    qtbot.waitUntil(lambda: panel.needs_attention, timeout=TIMEOUT_MS)
    dialogs.file = weights

    panel.import_file_button.click()

    qtbot.waitUntil(
        lambda: "another model architecture" in panel.message_label.text(),
        timeout=MODEL_TIMEOUT_MS,
    )
    text = panel.message_label.text()
    assert "damaged" not in text
    assert "--model" not in text  # a command-line option means nothing in the window
    assert "Import folder…" in text


def test_a_drag_is_highlighted_and_always_answered_as_a_copy(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window
    mime = mime_with(photos / "chelsea.jpg")
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction | Qt.DropAction.LinkAction
    shift = Qt.KeyboardModifier.ShiftModifier  # the source proposes a Move
    enter = QDragEnterEvent(window.rect().center(), actions, mime, Qt.MouseButton.LeftButton, shift)
    assert enter.proposedAction() == Qt.DropAction.MoveAction

    QApplication.sendEvent(window, enter)

    assert enter.isAccepted()
    assert enter.dropAction() == Qt.DropAction.CopyAction
    assert window.is_drop_highlighted
    drop = QDropEvent(
        QPointF(window.rect().center()), actions, mime, Qt.MouseButton.LeftButton, shift
    )
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    assert drop.dropAction() == Qt.DropAction.CopyAction
    assert not window.is_drop_highlighted


def _outside(child: QWidget, window: QWidget) -> bool:
    top_left = child.mapTo(window, child.rect().topLeft())
    bottom_right = child.mapTo(window, child.rect().bottomRight())
    area = window.rect()
    return not (area.contains(top_left) and area.contains(bottom_right))


def test_at_the_minimum_size_the_detail_view_fits_and_card_texts_do_not_overlap(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    _open_first_result(qtbot, parts)
    window.resize(MINIMUM_SIZE)
    qtbot.waitUntil(lambda: window.size() == MINIMUM_SIZE)
    QApplication.processEvents()

    page = window.search_area.detail_page
    columns = page.findChildren(QScrollArea)
    assert columns  # the side column scrolls inside the page
    buttons = list(page.buttons.values())
    for child in (page, page.preview_label, *columns, page.name_label, *buttons):
        assert not _outside(child, window), child
    sidebar = window.sidebar_scroll
    assert not _outside(sidebar, window)
    assert sidebar.width() >= sidebar.widget().minimumSizeHint().width()  # not cut off
    card = window.hashing_panel
    shown = [
        label for label in card.findChildren(QLabel) if label.isVisibleTo(card) and label.text()
    ]
    for label in shown:  # each wrapped text gets the height it needs...
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    for first, second in itertools.pairwise(shown):  # ...so none covers the next
        assert not first.geometry().intersects(second.geometry()), (first.text(), second.text())
