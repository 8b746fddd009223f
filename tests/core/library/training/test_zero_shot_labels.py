"""Zero-shot labels: CLIP's softmax over concept prompts, stored as replaceable guesses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.encoders.encoder import LazyEncoder
from core.errors import IncompatibleCodesError
from core.library.training.training_data import load_training_set
from core.library.training.zero_shot_labels import (
    ZERO_SHOT_ORIGIN,
    ZeroShotRule,
    best_concepts,
    confident_guesses,
    label_zero_shot,
    refresh_zero_shot_labels,
)
from core.store.records import EncoderRecord
from tests.core.library.conftest import FakeEncoder, Harness
from tests.core.library.training.test_trainer import encoder_of, make_labelled_photos


@pytest.fixture
def untagged(harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "untagged"
    make_labelled_photos(folder, per_colour=4, tag=False)
    harness.add(folder)
    harness.index()
    return folder


def test_probabilities_are_clips_softmax_at_logit_scale_100() -> None:
    concepts = np.eye(3, 4, dtype=np.float32)
    image = np.array([[1.0, 0.02, 0.0, 0.0], [0.6, 0.59, 0.0, 0.5]], dtype=np.float32)
    first, second = best_concepts(image, concepts, ["dog", "cat", "car"])
    cosines = image[1] / np.linalg.norm(image[1])
    expected = np.exp(100 * cosines[:3]) / np.exp(100 * cosines[:3]).sum()
    assert first[0][0] == "dog"
    assert first[0][1] > 0.99
    assert len(first) == 1  # the runners-up are below 0.1
    assert [name for name, _ in second] == ["dog", "cat"]  # car (p ~ 1e-26) is not kept
    assert [p for _, p in second] == pytest.approx(expected[:2], rel=1e-4)


def test_confident_guesses_take_the_best_concept_above_the_threshold_up_to_the_cap() -> None:
    guesses = [
        (1, "dog", 0.9), (1, "cat", 0.05),
        (2, "sea", 0.55),
        (3, "car", 0.49), (3, "bus", 0.3),
        (4, "cake", 0.7),
    ]  # fmt: skip
    rule = ZeroShotRule(min_confidence=0.5, max_fraction=0.5, min_photos=0)
    assert confident_guesses(guesses, 4, rule) == [(1, "dog"), (4, "cake")]
    assert confident_guesses(guesses, 100, rule) == [(1, "dog"), (4, "cake"), (2, "sea")]
    assert confident_guesses(guesses, 1, rule) == [(1, "dog")]  # at least one
    assert confident_guesses([(3, "car", 0.49)], 10, rule) == []
    small_library = ZeroShotRule(min_confidence=0.5, max_fraction=0.25, min_photos=2)
    assert confident_guesses(guesses, 4, small_library) == [(1, "dog"), (4, "cake")]


def test_refreshing_replaces_old_guesses_and_keeps_other_labels(
    harness: Harness, untagged: Path
) -> None:
    encoder = encoder_of(harness)
    ids, _ = harness.store.vectors.image_matrix(encoder)
    photo = int(ids[0])
    with harness.store.atomic():
        harness.store.labels.set_labels(photo, ["mine"], "user")
        harness.store.labels.set_labels(photo, ["stale"], ZERO_SHOT_ORIGIN, 0.9)
    rng = np.random.default_rng(0)
    concepts = rng.normal(size=(5, encoder.dim)).astype(np.float32)
    concepts /= np.linalg.norm(concepts, axis=1, keepdims=True)
    names = ["red thing", "green thing", "blue thing", "sky", "dog"]
    report = refresh_zero_shot_labels(harness.store, encoder, names, concepts)
    assert report.photos == 12 == len(ids)
    assert report.concepts == 5
    stored = harness.store.labels.assignments(origins=[ZERO_SHOT_ORIGIN])
    assert len(stored) == report.labels
    assert {m for m, *_ in stored} == set(ids.tolist())  # every photo has its best guess
    assert all(name in names and 0.0 < p <= 1.0 for _, name, _, p in stored)
    labels = {(r.name, r.origin) for r in harness.store.labels.of(photo)}
    assert ("mine", "user") in labels
    assert ("stale", ZERO_SHOT_ORIGIN) not in labels


def test_training_rows_ignore_guesses_unless_a_rule_asks_for_them(
    harness: Harness, untagged: Path
) -> None:
    encoder = encoder_of(harness)
    ids, _ = harness.store.vectors.image_matrix(encoder)
    with harness.store.atomic():
        harness.store.labels.replace_origin(
            ZERO_SHOT_ORIGIN,
            [(int(ids[0]), "dog", 0.95), (int(ids[1]), "cat", 0.8), (int(ids[2]), "car", 0.3)],
        )
    plain = load_training_set(harness.store, encoder, albums=False)
    assert plain is not None
    assert plain.features.labels is None
    assert plain.origin_counts == {}
    ruled = load_training_set(
        harness.store, encoder, albums=False, zero_shot=ZeroShotRule(0.5, 0.1, min_photos=1)
    )
    assert ruled is not None
    assert ruled.label_names == ("dog",)  # 10% of 12 photos: the single most confident
    assert ruled.origin_counts == {ZERO_SHOT_ORIGIN: 1}
    assert ruled.media_ids[ruled.labelled_rows].tolist() == [int(ids[0])]


class _OtherModel(FakeEncoder):
    model_id = "another:1"


def test_guesses_need_the_model_that_made_the_features(harness: Harness, untagged: Path) -> None:
    encoder = encoder_of(harness)
    with pytest.raises(IncompatibleCodesError, match="did not make the library's features"):
        label_zero_shot(harness.store, encoder, LazyEncoder("other", _OtherModel))
    with pytest.raises(IncompatibleCodesError, match="none was given"):
        label_zero_shot(harness.store, encoder, None)
    assert harness.store.labels.assignments() == []


def test_guesses_from_the_library_model_cover_every_photo(harness: Harness, untagged: Path) -> None:
    encoder: EncoderRecord = encoder_of(harness)
    stages: list[str] = []
    report = label_zero_shot(
        harness.store, encoder, harness.lazy(), progress=lambda p: stages.append(p.stage)
    )
    assert report.photos == 12
    assert report.concepts > 400  # the shipped everyday vocabulary
    assert stages[0] == "concepts"
    assert stages[-1] == "zero-shot labels"
    stored = harness.store.labels.assignments(origins=[ZERO_SHOT_ORIGIN])
    assert len({m for m, *_ in stored}) == 12
