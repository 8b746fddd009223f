"""pytest-qt fixtures: the real composition root on a temporary library, offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QListWidget, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.app import Composition, compose
from desktop_app.views.main_window import MainWindow

OpenWindow = Callable[[Path], Composition]
PAGE_TIMEOUT_MS = 5_000


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[OpenWindow]:
    """Build the window as ``hashlens-gui --library PATH`` does; wait for its tasks at teardown."""
    opened: list[Composition] = []

    def open_(library: Path) -> Composition:
        parts = compose(library)
        qtbot.addWidget(parts.window)
        opened.append(parts)
        return parts

    yield open_
    for parts in opened:
        parts.tasks.wait_for_done()


def wait_for_page(qtbot: QtBot, window: MainWindow, name: str) -> None:
    qtbot.waitUntil(lambda: window.current_page == name, timeout=PAGE_TIMEOUT_MS)


def page_text(page: QWidget) -> str:
    """Every label and list row on ``page``, one per line."""
    texts = [label.text() for label in page.findChildren(QLabel)]
    for view in page.findChildren(QListWidget):
        texts += [view.item(row).text() for row in range(view.count())]
    return "\n".join(texts)


def shown_text(window: MainWindow) -> str:
    """The text of the page on show."""
    page = window.findChild(QWidget, window.current_page)
    assert page is not None
    return page_text(page)
