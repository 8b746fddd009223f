"""First run without a model: offline download fails fast and says how to import; import works
and the library remembers it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.store.database import ACTIVE_ENCODER_SETTING, Store
from tests.conftest import TinyClip
from tests.desktop_app.conftest import OpenWindow, RecordingDialogs, wait_for_page

LOAD_TIMEOUT_MS = 30_000


@pytest.fixture
def tiny_architecture(tiny_clip: TinyClip, monkeypatch: pytest.MonkeyPatch) -> TinyClip:
    """The tiny architecture is configured, its weights are not: the user must import them."""
    monkeypatch.setenv("HASHLENS_ENCODER_MODEL", tiny_clip.model_name)
    monkeypatch.setenv("HASHLENS_ENCODER_MODEL_CONFIG", str(tiny_clip.config_path))
    monkeypatch.setenv("HASHLENS_ENCODER_DEVICE", "cpu")
    return tiny_clip


def test_download_without_network_fails_fast_and_explains_the_import(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(tmp_path / "library.sqlite").window
    wait_for_page(qtbot, window, "emptyPage")
    panel = window.first_run_model_panel
    qtbot.waitUntil(lambda: panel.needs_attention)

    panel.download_button.click()

    # The attempt runs in the model process, which imports torch first (5-10 s on a busy
    # 2-core machine); that the hub is given up on at once is asserted in the encoder and
    # CLI tests (test_offline_tag_fails_fast_and_says_how_to_import_a_file).
    qtbot.waitUntil(lambda: "Import file…" in panel.message_label.text(), timeout=LOAD_TIMEOUT_MS)
    assert "is not downloaded yet" in panel.message_label.text()
    assert "--pretrained" not in panel.message_label.text()  # a CLI option means nothing here
    assert panel.needs_attention  # still asks: download again or import
    assert panel.title_label.text() == "Choose a model"


def test_imported_weights_file_loads_and_the_library_remembers_it(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, tmp_path: Path,
    tiny_architecture: TinyClip,
) -> None:  # fmt: skip
    library = tmp_path / "library.sqlite"
    parts = open_window(library)
    window = parts.window
    wait_for_page(qtbot, window, "emptyPage")
    panel = window.first_run_model_panel
    qtbot.waitUntil(lambda: panel.needs_attention)
    dialogs.file = tiny_architecture.weights_path

    with qtbot.waitSignal(parts.controllers.model.model_ready, timeout=LOAD_TIMEOUT_MS):  # type: ignore[union-attr]
        panel.import_file_button.click()

    assert not panel.needs_attention
    assert "is ready" in panel.message_label.text()
    with Store.open(library) as store:
        remembered = json.loads(store.get_setting(ACTIVE_ENCODER_SETTING) or "{}")
    assert remembered["pretrained"] == str(tiny_architecture.weights_path.resolve())
    assert remembered["model"] == tiny_architecture.model_name

    again = open_window(library).window
    wait_for_page(qtbot, again, "emptyPage")
    qtbot.waitUntil(lambda: "is ready" in again.first_run_model_panel.message_label.text())


def test_a_file_that_is_not_a_model_is_refused_with_a_reason(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, tmp_path: Path,
    tiny_architecture: TinyClip,
) -> None:  # fmt: skip
    window = open_window(tmp_path / "library.sqlite").window
    wait_for_page(qtbot, window, "emptyPage")
    panel = window.first_run_model_panel
    qtbot.waitUntil(lambda: panel.needs_attention)
    dialogs.file = tmp_path / "holiday.pt"
    dialogs.file.write_bytes(b"these are not weights")

    panel.import_file_button.click()

    qtbot.waitUntil(
        lambda: "could not be loaded" in panel.message_label.text(), timeout=LOAD_TIMEOUT_MS
    )
    assert panel.needs_attention
