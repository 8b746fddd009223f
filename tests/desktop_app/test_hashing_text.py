"""The hashing panel's description of what training chose."""

from __future__ import annotations

from desktop_app.application.hashing import TrainedHasher, TrainingDetails
from desktop_app.application.hashing_text import describe_labels

LPIH = TrainedHasher(1, "lpih", "LPIH", "semi-supervised", 16, 1, "2026-12-06", True)


def details(settings: str) -> TrainingDetails:
    return TrainingDetails(
        rows=25, classes=3, labels_by_origin=(("user", 16),), unlabelled_rows=9, settings=settings
    )


def test_a_wrapped_hashers_choice_gets_a_line_of_its_own() -> None:
    text = describe_labels(
        LPIH,
        details(
            "chosen from the data: anchors=2000, gamma=0.1 (validation mAP 0.718)\n"
            "relearned hpseh: chosen from the data: anchors=400, alpha0=100.0"
        ),
    )
    assert text.splitlines()[1:] == [
        "Settings chosen from the data: anchors=2000, gamma=0.1 (validation mAP 0.718).",
        "Settings of the relearned hpseh: chosen from the data: anchors=400, alpha0=100.0.",
    ]


def test_explicit_settings_are_not_repeated_but_a_wrapped_search_still_is() -> None:
    text = describe_labels(
        LPIH, details("given explicitly\nrelearned hpseh: documented defaults kept")
    )
    assert text.splitlines()[1:] == ["Settings of the relearned hpseh: documented defaults kept."]
    assert describe_labels(LPIH, details("")).count("\n") == 0
