"""Labels with origin and confidence: replacing one origin never touches another."""

from __future__ import annotations

import pytest

from core.store.database import Store
from core.store.records import LabelRecord


def _photos(store: Store, n: int) -> list[int]:
    with store.atomic():
        folder = store.media.add_folder("/p")
        return [
            store.media.insert_media(folder.id, f"/p/{i}.jpg", 1, 1, f"h{i}", "") for i in range(n)
        ]


def test_labels_keep_origin_and_per_name_confidence(store: Store) -> None:
    (photo,) = _photos(store, 1)
    with store.atomic():
        store.labels.set_labels(photo, ["Beach", "dog"], "keyword")
        store.labels.set_labels(photo, ["beach", "sea"], "zero-shot", {"beach": 0.62, "sea": 0.2})
    assert store.labels.of(photo) == [
        LabelRecord("Beach", "keyword", 1.0),
        LabelRecord("Beach", "zero-shot", 0.62),  # one label, named as first written
        LabelRecord("dog", "keyword", 1.0),
        LabelRecord("sea", "zero-shot", 0.2),
    ]
    assert store.labels.names_of(photo) == ["Beach", "dog", "sea"]
    with store.atomic():
        store.labels.set_labels(photo, ["dog"], "keyword", 0.5)
    assert [(r.name, r.origin, r.confidence) for r in store.labels.of(photo)] == [
        ("Beach", "zero-shot", 0.62),
        ("dog", "keyword", 0.5),
        ("sea", "zero-shot", 0.2),
    ]


def test_a_confidence_outside_zero_to_one_is_refused(store: Store) -> None:
    (photo,) = _photos(store, 1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        store.labels.set_labels(photo, ["dog"], "zero-shot", 1.5)


def test_adding_and_removing_counts_only_real_changes_of_that_origin(store: Store) -> None:
    photos = _photos(store, 3)
    with store.atomic():
        store.labels.set_labels(photos[0], ["trip"], "keyword")
        store.labels.set_labels(photos[0], ["trip"], "user")
        assert store.labels.add_labels(photos, ["trip", "Summer"], "user") == 5
        assert store.labels.add_labels(photos, ["TRIP"], "user") == 0
        assert store.labels.remove_labels(photos, ["trip", "never-used"], "user") == 3
        assert store.labels.remove_labels(photos, ["trip"], "user") == 0
    assert store.labels.of(photos[0]) == [
        LabelRecord("Summer", "user", 1.0),
        LabelRecord("trip", "keyword", 1.0),
    ]
    assert store.labels.of_photos(photos[1:]) == {
        photos[1]: [LabelRecord("Summer", "user", 1.0)],
        photos[2]: [LabelRecord("Summer", "user", 1.0)],
    }


def test_replacing_an_origin_swaps_it_in_the_whole_library(store: Store) -> None:
    photos = _photos(store, 2)
    with store.atomic():
        store.labels.set_labels(photos[0], ["cat"], "user")
        store.labels.replace_origin("zero-shot", [(photos[0], "dog", 0.9), (photos[1], "cat", 0.4)])
        stored = store.labels.replace_origin("zero-shot", [(photos[1], "car", 0.7)])
    assert stored == 1
    assert sorted(store.labels.assignments()) == [
        (photos[0], "cat", "user", 1.0),
        (photos[1], "car", "zero-shot", 0.7),
    ]
    assert store.labels.assignments(origins=["zero-shot"]) == [(photos[1], "car", "zero-shot", 0.7)]
    assert store.labels.assignments(exclude_origins=["zero-shot"]) == [
        (photos[0], "cat", "user", 1.0)
    ]
    assert store.labels.assignments(origins=[]) == []
