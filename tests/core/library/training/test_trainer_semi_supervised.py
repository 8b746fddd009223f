"""The trainer's semi-supervised path: every row, a mask of the labelled ones, and
zero-shot guesses standing in when the library has no label at all.

A test-only method registered for these tests records what ``fit`` received, so the
wiring is checked independently of any real semi-supervised model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

import core.hashing.registry as registry
from core.encoders.encoder import LazyEncoder
from core.errors import HashingInputError
from core.hashing.base import FitContext
from core.hashing.data import PairedFeatures
from core.hashing.models.lsh import LSH
from core.hashing.registry import HasherSpec
from core.library.training.trainer import Trainer, TrainOptions
from core.library.training.zero_shot_labels import ZERO_SHOT_ORIGIN, ZeroShotRule
from core.types import FloatArray
from tests.core.library.conftest import FakeEncoder, Harness
from tests.core.library.training.test_trainer import code_count, encoder_of, make_labelled_photos

METHOD = "semi-test"


class RecordingSemi(LSH):
    """LSH that declares itself semi-supervised and keeps what ``fit`` was given."""

    name = METHOD
    supervision = "semi-supervised"
    seen: ClassVar[list[PairedFeatures]] = []

    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        RecordingSemi.seen.append(data)
        super()._fit(data, context)


class SameTextEverywhere(FakeEncoder):
    """The library's model, but every text encodes to one vector: no concept wins."""

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        return np.full((len(texts), self.dim), self.dim**-0.5, dtype=np.float32)


@pytest.fixture(autouse=True)
def semi_method(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    spec = HasherSpec(METHOD, f"{__name__}:RecordingSemi", "semi-supervised", False, "test")
    monkeypatch.setattr(registry, "_SPECS", (*registry._SPECS, spec))
    RecordingSemi.seen.clear()
    yield
    RecordingSemi.seen.clear()


@pytest.fixture
def untagged(harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "untagged"
    make_labelled_photos(folder, tag=False)
    harness.add(folder)
    harness.index()
    return folder


def _tag(harness: Harness, photos: Sequence[Path], name: str) -> list[int]:
    ids = []
    for path in photos:
        record = harness.store.media.media_by_path(str(path))
        assert record is not None
        ids.append(record.id)
    with harness.store.atomic():
        harness.store.labels.add_labels(ids, [name], "user")
    return ids


def test_every_row_is_trained_and_the_mask_marks_the_tagged_photos(
    harness: Harness, untagged: Path
) -> None:
    tagged = _tag(harness, [untagged / "red" / "red0.png", untagged / "red" / "red1.png"], "red")
    tagged += _tag(harness, [untagged / "blue" / "blue0.png"], "blue")
    report = Trainer(harness.store, encoder_of(harness), harness.lazy()).train(
        TrainOptions(METHOD, 8)
    )
    (data,) = RecordingSemi.seen
    assert data.n_items == 18
    assert data.label_mask is not None
    assert data.labels is not None
    assert data.labels.shape == (18, 2)
    assert int(data.label_mask.sum()) == 3
    assert data.labels[~data.label_mask].sum() == 0
    assert report.labelled_rows == 3
    assert report.unlabelled_rows == 15
    assert report.origin_counts == {"user": 3}
    assert report.zero_shot is None
    assert harness.store.labels.assignments(origins=[ZERO_SHOT_ORIGIN]) == []
    details = json.loads(report.hasher.details)
    assert details["labelled_rows"] == 3
    assert details["unlabelled_rows"] == 15
    assert details["zero_shot_fallback"] is False
    assert code_count(harness, "image") == 18 == code_count(harness, "text")


def test_without_any_label_confident_zero_shot_guesses_label_a_few_rows(
    harness: Harness, untagged: Path
) -> None:
    stages: list[str] = []
    report = Trainer(harness.store, encoder_of(harness), harness.lazy()).train(
        TrainOptions(METHOD, 8), progress=lambda p: stages.append(p.stage)
    )
    (data,) = RecordingSemi.seen
    assert data.label_mask is not None
    labelled = int(data.label_mask.sum())
    assert 1 <= labelled <= ZeroShotRule().min_photos  # a small library: more than a quarter
    assert report.zero_shot is not None
    assert report.zero_shot.photos == 18
    assert report.origin_counts == {ZERO_SHOT_ORIGIN: labelled}
    assert report.labelled_rows == labelled
    assert stages.index("concepts") < stages.index("zero-shot labels") < stages.index("training")
    stored = harness.store.labels.assignments(origins=[ZERO_SHOT_ORIGIN])
    assert {m for m, *_ in stored} == set(
        harness.store.vectors.image_matrix(encoder_of(harness))[0].tolist()
    )
    details = json.loads(report.hasher.details)
    assert details["zero_shot_fallback"] is True
    assert details["zero_shot"]["min_confidence"] == 0.5
    assert details["labels_by_origin"] == {ZERO_SHOT_ORIGIN: labelled}
    assert code_count(harness, "image") == 18


def test_stored_guesses_never_stand_in_for_real_labels(harness: Harness, untagged: Path) -> None:
    trainer = Trainer(harness.store, encoder_of(harness), harness.lazy())
    trainer.train(TrainOptions(METHOD, 8))  # stores zero-shot guesses
    assert harness.store.labels.assignments(origins=[ZERO_SHOT_ORIGIN])
    with pytest.raises(HashingInputError, match="no photo it can train on has a keyword"):
        trainer.train(TrainOptions("batch", 8))  # a supervised method ignores the guesses
    _tag(harness, [untagged / "green" / "green0.png"], "green")
    report = trainer.train(TrainOptions(METHOD, 8))
    assert report.origin_counts == {"user": 1}
    assert report.zero_shot is None


def test_no_label_and_no_model_for_zero_shot_is_a_clear_error(
    harness: Harness, untagged: Path
) -> None:
    with pytest.raises(HashingInputError, match="zero-shot labels cannot stand in") as info:
        Trainer(harness.store, encoder_of(harness)).train(TrainOptions(METHOD, 8))
    assert "hashlens tag" in info.value.user_message
    other = LazyEncoder("other", lambda: type("Other", (FakeEncoder,), {"model_id": "x:2"})())
    with pytest.raises(HashingInputError, match="did not make the library's features"):
        Trainer(harness.store, encoder_of(harness), other).train(TrainOptions(METHOD, 8))
    assert harness.store.codes.hashers() == []
    assert RecordingSemi.seen == []


def test_no_confident_guess_is_a_clear_error(harness: Harness, untagged: Path) -> None:
    flat = LazyEncoder("fake-config", SameTextEverywhere)
    with pytest.raises(HashingInputError, match="no zero-shot guess is confident"):
        Trainer(harness.store, encoder_of(harness), flat).train(TrainOptions(METHOD, 8))
    assert harness.store.codes.hashers() == []
