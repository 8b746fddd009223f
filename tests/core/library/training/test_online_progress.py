"""What status and the hashing card say about an online hasher (issue #15)."""

from __future__ import annotations

import json

from core.library.training.online_progress import (
    RETRAIN_DRIFT,
    describe_online,
    online_progress,
    summary_details,
)


def details(**online: object) -> str:
    return json.dumps({"rows": 10, "online": online})


def test_progress_reads_the_summary_the_online_update_stores() -> None:
    summary = {"bank_rows": 12, "novel_rows": 3, "novel_waiting": 7, "images_seen": 40,
               "texts_seen": 25, "drift": 0.0123456789, "image_steps": 9}  # fmt: skip
    progress = online_progress(details(updates=2, **summary_details(summary)))
    assert progress is not None
    assert progress.items_seen == 65
    assert (progress.bank_rows, progress.novel_rows, progress.waiting) == (12, 3, 7)
    assert progress.drift == 0.012346
    assert not progress.retrain_suggested
    assert "3 of them new kinds" in describe_online(progress)
    assert "retrain" not in describe_online(progress)


def test_drift_past_the_threshold_suggests_a_retrain() -> None:
    progress = online_progress(details(updates=1, images_seen=5, drift=RETRAIN_DRIFT + 0.01))
    assert progress is not None
    assert progress.retrain_suggested
    assert progress.to_json()["retrain_suggested"] is True
    assert "retrain to re-code the library" in describe_online(progress)


def test_models_that_never_learned_or_older_details_say_so() -> None:
    assert online_progress(json.dumps({"rows": 3})) is None
    assert online_progress("not json") is None
    older = online_progress(details(pairs=4, images=2, texts=1, updates=3))
    assert older is not None
    assert older.items_seen == 11
    assert older.drift is None
    assert not older.retrain_suggested
    assert "unknown" in describe_online(older)
