"""pytest-qt fixtures: the real composition root on a temporary library, offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QWidget
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.hashing.registry import HasherSpec
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer
from core.library.training.trainer import TrainOptions
from core.store.database import Store
from desktop_app.application.error_report import ErrorReport
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.gui.app import Composition, compose
from desktop_app.gui.views.main_window import MainWindow
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos

PAGE_TIMEOUT_MS = 10_000


@dataclass
class RecordingDialogs:
    """The Dialogs service of the window, answering from fields and recording what it showed."""

    errors: list[ErrorReport] = field(default_factory=list)
    confirms: list[str] = field(default_factory=list)
    answer_confirm: bool = True
    folder: Path | None = None
    file: Path | None = None
    training: TrainOptions | None = None
    training_offered: list[TrainOptions] = field(default_factory=list)
    training_limits: list[Mapping[str, tuple[int, str]]] = field(default_factory=list)
    text: str | None = None

    def error(self, parent: QWidget, report: ErrorReport) -> None:
        self.errors.append(report)

    def confirm(self, parent: QWidget, title: str, question: str, action: str) -> bool:
        self.confirms.append(question)
        return self.answer_confirm

    def pick_folder(self, parent: QWidget, title: str) -> Path | None:
        return self.folder

    def pick_file(self, parent: QWidget, title: str, name_filter: str) -> Path | None:
        return self.file

    def ask_text(self, parent: QWidget, title: str, label: str) -> str | None:
        return self.text

    def choose_training(
        self,
        parent: QWidget,
        specs: Sequence[HasherSpec],
        current: TrainOptions,
        limits: Mapping[str, tuple[int, str]],
    ) -> TrainOptions | None:
        self.training_offered.append(current)
        self.training_limits.append(limits)
        return self.training


OpenWindow = Callable[[Path], Composition]


@pytest.fixture
def dialogs() -> RecordingDialogs:
    return RecordingDialogs()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(
    qtbot: QtBot, dialogs: RecordingDialogs, settings: QSettings
) -> Iterator[OpenWindow]:
    """Build the window as ``hashlens-gui --library PATH`` does; wait for its tasks at teardown."""
    opened: list[Composition] = []

    def open_(library: Path) -> Composition:
        parts = compose(library, dialogs=dialogs, settings=settings)
        qtbot.addWidget(parts.window)
        opened.append(parts)
        return parts

    yield open_
    for parts in opened:
        parts.shut_down()


@pytest.fixture
def tiny_model(tiny_clip: TinyClip, monkeypatch: pytest.MonkeyPatch) -> EncoderConfig:
    """Configure the tiny open_clip model (a local weights file) through the environment.

    The window runs it inline here: a model process costs each test a fresh torch import
    (5-10 s on a loaded 2-core machine). ``model_process`` tests the separate process.
    """
    cfg = tiny_clip.encoder_config(process="inline")
    for key in ("model", "pretrained", "model_config", "device", "process"):
        monkeypatch.setenv(f"HASHLENS_ENCODER_{key.upper()}", str(getattr(cfg, key)))
    return cfg


@pytest.fixture
def model_process(tiny_model: EncoderConfig, monkeypatch: pytest.MonkeyPatch) -> EncoderConfig:
    """The tiny model run as the window runs it by default: in a model process of its own."""
    monkeypatch.setenv("HASHLENS_ENCODER_PROCESS", "separate")
    return replace(tiny_model, process="separate")


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    copy_real_photos(folder)
    return folder


@pytest.fixture
def indexed_library(tmp_path: Path, photos: Path, tiny_model: EncoderConfig) -> Path:
    """A library holding the real photos, indexed with the tiny model (built without the GUI)."""
    library = tmp_path / "library.sqlite"
    with Store.open(library) as store:
        register_folder(store, str(photos.resolve()))
        Indexer(store, lazy_encoder(tiny_model), IndexingConfig()).run()
    return library


def wait_for_page(qtbot: QtBot, window: MainWindow, name: str) -> None:
    qtbot.waitUntil(lambda: window.current_page == name, timeout=PAGE_TIMEOUT_MS)


def wait_for_view(qtbot: QtBot, window: MainWindow, name: str) -> None:
    qtbot.waitUntil(lambda: window.current_view == name, timeout=PAGE_TIMEOUT_MS)


def page_text(page: QWidget) -> str:
    """Every visible label and list row on ``page``, one per line."""
    texts = [label.text() for label in page.findChildren(QLabel) if label.isVisibleTo(page)]
    for view in page.findChildren(QListWidget):
        texts += [view.item(row).text() for row in range(view.count())]
    return "\n".join(texts)


def shown_text(window: MainWindow) -> str:
    """The text of the page on show."""
    page = window.findChild(QWidget, window.current_page)
    assert page is not None
    return page_text(page)


def mime_with(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop(window: MainWindow, mime: QMimeData) -> bool:
    """Send a drag-enter then a drop of ``mime`` at the window's centre; True if accepted."""
    centre = window.rect().center()
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # QDragEnterEvent takes an integer QPoint, QDropEvent a QPointF
    enter = QDragEnterEvent(centre, actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    dropped = QDropEvent(QPointF(centre), actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, dropped)
    return enter.isAccepted() and dropped.isAccepted()


def open_library_window(qtbot: QtBot, open_window: OpenWindow, library: Path) -> Composition:
    """Open ``library`` and wait until its folders are on show."""
    parts = open_window(library)
    wait_for_page(qtbot, parts.window, "libraryPage")
    return parts


def show_active(qtbot: QtBot, window: MainWindow) -> None:
    """Show the window and make it the active one, so focus and shortcuts work offscreen."""
    window.show()
    qtbot.waitExposed(window)
    handle = window.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(window.isActiveWindow)
