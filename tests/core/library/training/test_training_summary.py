"""The typed training summary reads what every earlier version stored, and writes the same shape."""

from __future__ import annotations

import json

import pytest

from core.library.training.online_progress import online_progress
from core.library.training.training_summary import (
    AutoChoice,
    OnlineSummary,
    TrainingSummary,
    TuningSummary,
    ZeroShotSummary,
)

# Exactly what trainer._details, trainer._with_choices and online_update._updated_details
# wrote before the summary was typed (main at 38f7218), for an LPIH run with every
# optional part, then one online update.
STORED_BEFORE = (
    '{"rows": 25, "photos": 20, "classes": 3, "labels_by_origin": {"hashtag": 2, "user": 14},'
    ' "labelled_rows": 16, "unlabelled_rows": 9, "excluded_unlabelled": 0,'
    ' "zero_shot_fallback": true, "pseudo_pairs": 0, "fit_seconds": 0.125,'
    ' "zero_shot": {"photos": 20, "labels": 31, "concepts": 443, "min_confidence": 0.5,'
    ' "max_fraction": 0.25, "min_photos": 12},'
    ' "concept_prompts": 443,'
    ' "tuning": {"status": "tuned", "chosen": {"anchors": 1000, "xi": 1e-05},'
    ' "summary": "chosen from the data: anchors=1000, xi=1e-05"},'
    ' "auto": {"method": "lpih", "situation": "partly-labelled",'
    ' "scores": {"lpih": 0.5, "cca-itq": null}, "reason": "lpih scored best"},'
    ' "online": {"pairs": 3, "images": 1, "texts": 2, "bank_rows": 60, "novel_rows": 4,'
    ' "novel_waiting": 1, "images_seen": 4, "texts_seen": 5, "drift": 0.0125, "updates": 2,'
    ' "updated_at": "2026-12-01T10:00:00+00:00"}}'
)

# Before pseudo-pairs, self-tuning, auto and online learning: the first stored shape.
STORED_FIRST = (
    '{"rows": 18, "photos": 18, "classes": 2, "labels_by_origin": {"album": 18},'
    ' "excluded_unlabelled": 0, "fit_seconds": 0.5}'
)


def test_a_summary_stored_before_reads_back_field_by_field() -> None:
    summary = TrainingSummary.from_json(STORED_BEFORE)
    assert (summary.rows, summary.photos, summary.classes) == (25, 20, 3)
    assert summary.labels_by_origin == {"hashtag": 2, "user": 14}
    assert (summary.labelled_rows, summary.unlabelled_rows) == (16, 9)
    assert summary.zero_shot_fallback is True
    assert summary.zero_shot == ZeroShotSummary(20, 31, 443, 0.5, 0.25, 12)
    assert summary.concept_prompts == 443
    assert summary.tuning == TuningSummary(
        "tuned", {"anchors": 1000, "xi": 1e-05}, "chosen from the data: anchors=1000, xi=1e-05"
    )
    assert summary.auto == AutoChoice(
        "lpih", "partly-labelled", {"lpih": 0.5, "cca-itq": None}, "lpih scored best"
    )
    assert summary.online == OnlineSummary(
        3, 1, 2, 2, "2026-12-01T10:00:00+00:00", 60, 4, 1, 4, 5, 0.0125
    )


def test_writing_keeps_the_stored_shape() -> None:
    assert json.loads(TrainingSummary.from_json(STORED_BEFORE).to_json()) == json.loads(
        STORED_BEFORE
    )


def test_missing_keys_get_defaults_and_unknown_keys_are_ignored() -> None:
    older = TrainingSummary.from_json(STORED_FIRST)
    assert older.labels_by_origin == {"album": 18}
    assert (older.pseudo_pairs, older.labelled_rows, older.zero_shot_fallback) == (0, 0, False)
    assert (older.tuning, older.auto, older.online) == (None, None, None)
    newer = json.loads(STORED_FIRST) | {"from_a_later_version": {"x": 1}}
    assert TrainingSummary.from_json(json.dumps(newer)) == older
    assert TrainingSummary.from_json("") == TrainingSummary()


def test_online_part_of_an_older_version_without_the_hashers_account() -> None:
    stored = '{"rows": 4, "online": {"pairs": 1, "images": 2, "texts": 0, "updates": 1}}'
    online = TrainingSummary.from_json(stored).online
    assert online == OnlineSummary(pairs=1, images=2, texts=0, updates=1)
    progress = online_progress(stored)
    assert progress is not None
    assert (progress.items_seen, progress.drift) == (4, None)


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"rows": "many"}', '{"labels_by_origin": [1]}', '{"online": 3}'],
)
def test_unreadable_summaries_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="unreadable training summary"):
        TrainingSummary.from_json(text)
