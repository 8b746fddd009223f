"""The hashing panel: invitation, training with progress, errors, cancel, switching, search."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.errors import LibraryBusyError
from core.hashing.registry import hasher_specs
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer
from core.library.training.own_map import OwnPhotosMap
from core.library.training.trainer import TrainOptions
from core.store.code_footprint import CodeFootprint
from core.store.database import Store
from desktop_app.application.error_report import ErrorReport
from desktop_app.application.hashing import HashingOverview, TrainedHasher, load_hashing_overview
from desktop_app.application.hashing_text import (
    EMPTY_INVITATION,
    NOT_INDEXED_INVITATION,
    longest_code,
)
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.application.search import SearchOutcome
from desktop_app.gui.app import Composition
from desktop_app.gui.controllers import hashing_controller
from desktop_app.gui.controllers.indexing_controller import IndexProgress
from desktop_app.gui.views.hashing_panel import HashingPanel
from desktop_app.gui.views.train_dialog import TrainDialog
from tests.corpus import copy_real_photos
from tests.desktop_app.conftest import OpenWindow, RecordingDialogs, open_library_window

TIMEOUT_MS = 15_000
HASHTAGS = {
    "astronaut": "space", "rocket": "space", "hubble_deep_field": "space", "moon": "space",
    "chelsea": "animal", "coffee": "food", "motorcycle_left": "street",
    "ihc": "science", "retina": "science", "coins": "texture", "brick": "texture",
}  # fmt: skip


def hashers_in(library: Path) -> list[tuple[str, int, bool]]:
    with Store.open(library) as store:
        return [(h.name, h.n_bits, h.is_active) for h in store.codes.hashers()]


def code_rows(library: Path) -> int:
    with Store.open(library) as store:
        return store.codes.count()


def wait_for_hashing(qtbot: QtBot, parts: Composition, is_trained: bool) -> HashingPanel:
    panel = parts.window.hashing_panel
    qtbot.waitUntil(
        lambda: panel.overview.is_indexed and (panel.overview.active is not None) == is_trained,
        timeout=TIMEOUT_MS,
    )
    return panel


def status_text(parts: Composition) -> str:
    return parts.window.statusBar().currentMessage()


@pytest.fixture
def tagged_library(tmp_path: Path, tiny_model: EncoderConfig) -> Path:
    """The real photos twice (as JPEG and as shipped), captions ending in a #hashtag
    (6 classes), indexed: 22 labelled photos, enough for the own-photo mAP."""
    folder = tmp_path / "tagged"
    photos = copy_real_photos(folder / "jpeg")
    photos += copy_real_photos(folder / "original", as_jpeg=False)
    for photo in photos:
        sidecar = photo.with_suffix(".txt")
        text = sidecar.read_text(encoding="utf-8").strip()
        sidecar.write_text(f"{text} #{HASHTAGS[photo.stem]}\n", encoding="utf-8")
    library = tmp_path / "tagged.sqlite"
    with Store.open(library) as store:
        register_folder(store, str(folder.resolve()))
        Indexer(store, lazy_encoder(tiny_model), IndexingConfig()).run()
    return library


def test_panel_without_indexed_photos_invites_indexing_and_cannot_train(qtbot: QtBot) -> None:
    panel = HashingPanel(RecordingDialogs())
    qtbot.addWidget(panel)
    assert panel.message_label.text() == NOT_INDEXED_INVITATION
    assert not panel.train_button.isEnabled()
    panel.show_overview(HashingOverview(is_indexed=True))
    assert panel.message_label.text() == EMPTY_INVITATION
    assert panel.train_button.isEnabled()
    panel.show_indexing(True)
    assert not panel.train_button.isEnabled()  # training waits for the features


def test_panel_shows_the_own_photo_map_with_its_caveat(qtbot: QtBot) -> None:
    panel = HashingPanel(RecordingDialogs())
    qtbot.addWidget(panel)
    active = TrainedHasher(7, "batch", "BATCH, label-based (X, 2020)", "supervised", 64, 2,
                           "2025-11-23T15:40:00+00:00", True)  # fmt: skip
    other = TrainedHasher(5, "lsh", "Random-projection LSH (Y)", "unsupervised", 32, 1,
                          "2025-11-22T10:00:00+00:00", False)  # fmt: skip
    own = OwnPhotosMap(0.62, 0.58, 143, 150, 5, 150, 0.31)
    footprint = CodeFootprint(12_000, 345, 12_345 * 8)
    panel.show_overview(
        HashingOverview(True, (active, other), active, footprint=footprint, own_map=own)
    )
    assert panel.own_map_label.text().startswith(
        "Own photos: I→T 0.62, T→I 0.58 mAP on 143 labelled photos (chance ≈ 0.31)."
    )
    assert "trained on, so optimistic" in panel.own_map_label.text()
    assert panel.footprint_label.text() == (
        "Index: 12,345 codes · 99 kB (12,000 photos, 345 captions)"
    )
    assert panel.codes_label.text().startswith("64-bit codes · version 2 · trained ")
    assert panel.train_button.text() == "Retrain…"
    assert [panel.switch_combo.itemText(i) for i in range(2)] == [
        "BATCH · 64 bits · v2", "Random-projection LSH · 32 bits · v1",
    ]  # fmt: skip
    assert not panel.switch_combo.isHidden()
    assert panel.switch_combo.currentIndex() == 0
    assert panel.message_label.isHidden()
    panel.show_overview_failure(ErrorReport("The hashing state could not be read", "Busy.", ""))
    assert panel.message_label.text() == "The hashing state could not be read. Busy."
    assert not panel.message_label.isHidden()
    assert panel.method_label.text().startswith("BATCH")  # what was on show stays
    panel.show_overview(panel.overview)  # the next read that works clears the message
    assert panel.message_label.isHidden()
    with qtbot.waitSignal(panel.activation_requested) as chosen:
        panel.switch_combo.activated.emit(1)
    assert chosen.args == [5]


def test_training_shows_progress_then_the_model_and_its_index(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    panel = wait_for_hashing(qtbot, parts, is_trained=False)
    assert panel.message_label.text() == EMPTY_INVITATION
    assert panel.train_button.isEnabled()
    assert parts.controllers is not None
    progress: list[IndexProgress] = []
    parts.controllers.hashing.progress_changed.connect(progress.append)
    dialogs.training = TrainOptions("cca-itq", 16)
    with qtbot.waitSignal(parts.controllers.hashing.training_started):
        panel.train_button.click()
    assert not panel.progress_bar.isHidden()
    assert not panel.train_button.isEnabled()
    panel = wait_for_hashing(qtbot, parts, is_trained=True)
    assert dialogs.training_offered == [TrainOptions("auto", 64)]  # the window's default
    assert any(p.text.startswith("Writing codes") for p in progress)
    assert panel.progress_bar.isHidden()
    assert panel.method_label.text().startswith("CCA-ITQ")
    assert panel.codes_label.text().startswith("16-bit codes · version 1 · trained ")
    assert panel.footprint_label.text() == "Index: 22 codes · 44 B (11 photos, 11 captions)"
    assert "this method uses no labels" in panel.labels_label.text()
    assert "now 0 photos, 0 classes" in panel.own_map_label.text()  # nothing is labelled
    assert status_text(parts).startswith("Trained cca-itq (16 bits, version 1) on 11 ")
    assert hashers_in(indexed_library) == [("cca-itq", 16, True)]
    assert panel.switch_combo.isHidden()  # nothing to switch to yet


def test_a_failed_background_read_is_said_in_the_panel_without_a_dialog(
    qtbot: QtBot,
    open_window: OpenWindow,
    dialogs: RecordingDialogs,
    indexed_library: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    panel = wait_for_hashing(qtbot, parts, is_trained=False)
    controllers = parts.controllers
    assert controllers is not None

    def busy(*_args: object) -> HashingOverview:
        raise LibraryBusyError("Another HashLens is writing this library; try again shortly.")

    monkeypatch.setattr(hashing_controller, "load_hashing_overview", busy)
    controllers.hashing.refresh()  # as after every index run: nobody clicked anything
    expected = "The hashing state could not be read. Another HashLens is writing this library"
    qtbot.waitUntil(lambda: panel.message_label.text().startswith(expected), timeout=TIMEOUT_MS)
    assert not panel.message_label.isHidden()
    assert dialogs.errors == []  # a read nobody asked for opens no dialog
    assert status_text(parts).startswith("The hashing state could not be read: Another")
    assert panel.train_button.isEnabled()  # the last state read stays usable
    monkeypatch.setattr(hashing_controller, "load_hashing_overview", load_hashing_overview)
    controllers.hashing.refresh()
    qtbot.waitUntil(lambda: panel.message_label.text() == EMPTY_INVITATION, timeout=TIMEOUT_MS)


def test_supervised_training_without_labels_explains_and_changes_nothing(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    panel = wait_for_hashing(qtbot, parts, is_trained=False)
    dialogs.training = TrainOptions("batch", 32)
    panel.train_button.click()
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=TIMEOUT_MS)
    report = dialogs.errors[0]
    assert report.summary == "Training did not happen"
    assert "learns from labels" in report.message
    assert "unsupervised method" in report.message
    assert hashers_in(indexed_library) == []
    assert code_rows(indexed_library) == 0
    qtbot.waitUntil(lambda: panel.train_button.isEnabled(), timeout=TIMEOUT_MS)
    assert panel.message_label.text() == EMPTY_INVITATION


def test_cancelled_training_leaves_the_library_as_it_was(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    panel = wait_for_hashing(qtbot, parts, is_trained=False)
    gate = threading.Event()
    parts.tasks.submit(gate.wait, pool="writer", on_result=print, on_error=print)
    dialogs.training = TrainOptions("lsh", 16)  # LSH fits at once: Cancel lands in the coding
    panel.train_button.click()
    panel.cancel_button.click()
    assert panel.progress_label.text() == "Stopping…"
    gate.set()
    qtbot.waitUntil(lambda: "cancelled" in status_text(parts), timeout=TIMEOUT_MS)
    assert status_text(parts) == "Training cancelled; the library is as it was."
    assert hashers_in(indexed_library) == []
    assert code_rows(indexed_library) == 0
    assert panel.progress_bar.isHidden()
    assert panel.train_button.isEnabled()


def test_after_training_searches_use_hamming_codes_and_switching_works(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, tagged_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, tagged_library)
    panel = wait_for_hashing(qtbot, parts, is_trained=False)
    controllers = parts.controllers
    assert controllers is not None
    with qtbot.waitSignal(controllers.search.results_changed, timeout=TIMEOUT_MS) as exact:
        controllers.search.search_text_now("a cat")
    assert all(hit.distance is None for hit in exact.args[0].photos)  # snapshot now cached
    dialogs.training = TrainOptions("batch", 16)
    panel.train_button.click()
    panel = wait_for_hashing(qtbot, parts, is_trained=True)
    assert panel.labels_label.text() == (
        "Labels used: 22 from #hashtags (6 classes on 22 pairs).\n"
        "Settings documented defaults kept (anchors_image=500, anchors_text=1000, xi=1e-05, "
        "eta1=0.05, eta2=0.05): "
        "22 pairs are too few to hold some out for validation at 16 bits (at least 100 are "
        "needed)."
    )
    assert panel.own_map_label.text().startswith("Own photos: I→T ")
    assert " mAP on 22 labelled photos (chance ≈ 0.22). " in panel.own_map_label.text()
    with qtbot.waitSignal(controllers.search.results_changed, timeout=TIMEOUT_MS) as coded:
        controllers.search.search_text_now("a cat")
    outcome: SearchOutcome = coded.args[0]
    assert outcome.photos
    assert all(hit.distance is not None for hit in outcome.photos)
    dialogs.training = TrainOptions("lsh", 16)
    panel.train_button.click()
    qtbot.waitUntil(lambda: panel.switch_combo.count() == 2, timeout=TIMEOUT_MS)
    assert panel.method_label.text().startswith("Random-projection LSH")
    panel.switch_combo.activated.emit(panel.switch_combo.findData(outcome_hasher(tagged_library)))
    qtbot.waitUntil(lambda: "Search now uses batch" in status_text(parts), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.method_label.text().startswith("BATCH"), timeout=TIMEOUT_MS)
    assert sorted(hashers_in(tagged_library)) == [("batch", 16, True), ("lsh", 16, False)]


def outcome_hasher(library: Path) -> int:
    """Id of the stored batch hasher."""
    with Store.open(library) as store:
        return next(h.id for h in store.codes.hashers() if h.name == "batch")


def test_train_dialog_explains_what_each_method_learns_from(qtbot: QtBot) -> None:
    specs = hasher_specs()
    dialog = TrainDialog(specs, TrainOptions("auto", 64))
    qtbot.addWidget(dialog)
    assert dialog.method_combo.currentText() == "Automatic: the best for this library — recommended"
    assert "keeps the one that finds the right captions best" in dialog.explanation_label.text()
    assert dialog.options() == TrainOptions("auto", 64)
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("cca-itq"))
    assert dialog.options() == TrainOptions("cca-itq", 64, albums=False)
    assert "labels are not needed" in dialog.explanation_label.text()
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("batch"))
    assert dialog.method_combo.currentText() == "Your labels — baseline (BATCH)"
    assert "Learns from your labels" in dialog.explanation_label.text()
    dialog.bits_combo.setCurrentIndex(dialog.bits_combo.findData(128))
    dialog.albums_check.setChecked(True)
    assert dialog.options() == TrainOptions("batch", 128, albums=True)


def test_train_dialog_names_methods_plainly_recommends_one_and_fits_long_explanations(
    qtbot: QtBot,
) -> None:
    dialog = TrainDialog(hasher_specs(), TrainOptions("cca-itq", 64))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    names = [dialog.method_combo.itemText(i) for i in range(dialog.method_combo.count())]
    assert [n for n in names if n.endswith("— recommended")] == [
        "Automatic: the best for this library — recommended"
    ]
    assert not any("supervised" in n for n in names)  # no jargon in the list
    assert "recommended" in dialog.recommendation_label.text()
    label = dialog.explanation_label
    for row in range(dialog.method_combo.count()):  # HPsEH's text was clipped
        dialog.method_combo.setCurrentIndex(row)
        qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))


def test_train_dialog_offers_only_code_lengths_the_method_can_train(qtbot: QtBot) -> None:
    # a library of 16-dimensional features with 22 labelled photos (the tiny model's)
    limits = {
        key: limit
        for key in ("itq", "cca-itq", "batch", "hpseh", "lsh")
        if (limit := longest_code(key, feature_dim=16, labelled_photos=22)) is not None
    }
    dialog = TrainDialog(hasher_specs(), TrainOptions("cca-itq", 64), limits=limits)
    qtbot.addWidget(dialog)
    assert dialog.offered_lengths() == [16]
    assert dialog.options().n_bits == 16  # 64 would be refused: the choice moved
    assert "at most 16 bits" in dialog.bits_note_label.text()
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("hpseh"))
    assert dialog.offered_lengths() == [16]
    assert "more labelled photos than bits" in dialog.bits_note_label.text()
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("lsh"))
    assert dialog.offered_lengths() == [16, 32, 64, 128]
    assert dialog.bits_note_label.isHidden()


def test_the_panel_bounds_code_lengths_by_what_the_library_holds(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, tagged_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, tagged_library)
    panel = wait_for_hashing(qtbot, parts, is_trained=False)
    dialogs.training = None
    panel.train_button.click()
    [limits] = dialogs.training_limits
    assert limits["cca-itq"][0] == 16  # the tiny model's features have 16 dimensions
    assert limits["batch"][0] == 21  # 22 labelled photos
    assert "lsh" not in limits
