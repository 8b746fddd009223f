"""The window's "Min. score": hides ranked hits below it, as ``hashlens search --min-score``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.types import SearchHit
from desktop_app.application.search import at_least
from tests.desktop_app.conftest import OpenWindow, open_library_window

TIMEOUT_MS = 30_000


def _hit(score: float) -> SearchHit:
    return SearchHit("photo", 1, "/p/a.jpg", "", score)


def test_at_least_keeps_the_order_and_none_keeps_everything() -> None:
    hits = [_hit(0.5), _hit(0.2), _hit(0.31), _hit(0.3)]

    assert [h.score for h in at_least(hits, 0.3)] == [0.5, 0.31, 0.3]
    assert at_least(hits, None) == hits


def test_the_min_score_hides_ranked_hits_below_it_and_leaves_browsing_alone(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window, area = parts.window, parts.window.search_area
    model, spin = area.results_model, area.filter_bar.min_score_spin
    qtbot.waitUntil(lambda: len(model.hits) == 11 and not model.is_ranked, timeout=TIMEOUT_MS)
    assert not spin.isEnabled()  # browsing by date: nothing to score
    assert spin.text() == "Any score"

    qtbot.keyClicks(window.query_edit, "a cat on a sofa")
    qtbot.waitUntil(
        lambda: (
            area.header_label.text() == "Photos for “a cat on a sofa”" and len(model.hits) == 11
        ),
        timeout=TIMEOUT_MS,
    )
    assert spin.isEnabled()
    scores = sorted((h.score for h in model.hits), reverse=True)
    threshold = round((scores[3] + scores[4]) / 2, 2)  # between the 4th and 5th best
    kept = [s for s in scores if s >= threshold]
    assert 0 < len(kept) < 11, scores

    spin.setValue(threshold)

    qtbot.waitUntil(lambda: len(model.hits) == len(kept), timeout=TIMEOUT_MS)
    assert [h.score for h in model.hits] == kept
    assert area.filter_bar.min_score() == threshold

    window.query_edit.selectAll()  # back to browsing: the threshold stays set, cannot apply
    qtbot.keyClick(window.query_edit, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: len(model.hits) == 11 and not model.is_ranked, timeout=TIMEOUT_MS)
    assert not spin.isEnabled()
    assert spin.value() == threshold

    spin.setValue(spin.minimum())  # "Any score"
    qtbot.keyClicks(window.query_edit, "a cat on a sofa")
    qtbot.waitUntil(lambda: len(model.hits) == 11 and model.is_ranked, timeout=TIMEOUT_MS)
