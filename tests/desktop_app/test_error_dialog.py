"""Errors are worded for people, with details behind a toggle and a copy button."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from core.errors import LibraryBusyError
from desktop_app.application.error_report import report_for
from desktop_app.gui.views.error_dialog import ErrorDialog


def _raised(error: Exception) -> Exception:
    try:
        raise error
    except Exception as caught:
        return caught


def test_core_error_keeps_its_user_message_and_details() -> None:
    error = LibraryBusyError("Another program is writing the library.", "database is locked")

    report = report_for(error, "Indexing stopped")

    assert report.summary == "Indexing stopped"
    assert report.message == "Another program is writing the library."
    assert "database is locked" in report.details
    assert "LibraryBusyError" in report.details


def test_unexpected_error_gets_a_generic_message_and_its_traceback_in_the_details() -> None:
    report = report_for(_raised(KeyError("media_id")), "The search failed")

    assert "unexpected" in report.message
    assert "Traceback" in report.details
    assert "KeyError: 'media_id'" in report.details


def test_dialog_shows_plain_text_hides_details_until_asked_and_copies_them(qtbot: QtBot) -> None:
    report = report_for(_raised(ValueError("<b>bad</b> value")), "The photo was not changed")
    dialog = ErrorDialog(report)
    qtbot.addWidget(dialog)

    labels = dialog.findChildren(QLabel)
    assert all(label.textFormat().name == "PlainText" for label in labels)
    assert not dialog._details_edit.isVisibleTo(dialog)
    dialog.details_button.click()
    assert dialog._details_edit.isVisibleTo(dialog)
    assert "<b>bad</b> value" in dialog._details_edit.toPlainText()

    dialog.copy_button.click()

    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("The photo was not changed\n")
    assert "ValueError: <b>bad</b> value" in copied
