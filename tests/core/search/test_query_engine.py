"""The query language through the search engine: one batched encode, the combined vector
through the same Hamming-shortlist + cosine path, and "more like this" without the photo."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.config import SearchConfig
from core.errors import QueryError
from core.library.training.trainer import Trainer, TrainOptions
from core.search.engine import SearchEngine
from core.search.hash_stage import rank
from core.search.query_vector import combine
from core.types import FloatArray
from tests.core.library.conftest import FakeEncoder, Harness
from tests.core.library.training.test_trainer import encoder_of, make_labelled_photos


class CallCountingEncoder(FakeEncoder):
    """The fake encoder, also counting the calls to ``encode_texts``."""

    def __init__(self) -> None:
        super().__init__()
        self.text_calls: list[list[str]] = []

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        self.text_calls.append(list(texts))
        return super().encode_texts(texts)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    harness.encoder = CallCountingEncoder()
    folder = tmp_path / "albums"
    make_labelled_photos(folder, per_colour=5)
    harness.add(folder)
    harness.index()
    yield harness
    harness.store.close()


def _engine(harness: Harness) -> SearchEngine:
    return SearchEngine(harness.store, harness.lazy(), harness.config, SearchConfig(shortlist=6))


def test_every_distinct_term_is_encoded_once_in_one_batch(library: Harness) -> None:
    encoder = library.encoder
    assert isinstance(encoder, CallCountingEncoder)
    encoder.text_calls.clear()
    vector, modality = _engine(library).query_vector("red + 2*blue - green + red #tag")
    assert encoder.text_calls == [["red", "blue", "green"]]
    rows = encoder.encode_texts(["red", "blue", "green", "red"])
    np.testing.assert_allclose(vector, combine(rows, [1, 2, -1, 1]), rtol=1e-5, atol=1e-6)
    assert modality == "text"


def test_a_plain_query_is_the_same_vector_as_before(library: Harness) -> None:
    engine = _engine(library)
    vector, _ = engine.query_vector("a red picture")
    np.testing.assert_allclose(vector, engine.encode_text_query("a red picture"), atol=1e-6)


@pytest.mark.parametrize("mode", ["exact", "rerank", "hamming"])
def test_a_combined_query_goes_through_the_hasher_like_any_text(
    library: Harness, mode: str
) -> None:
    Trainer(library.store, encoder_of(library)).train(TrainOptions("lsh", 16))
    engine = _engine(library)
    assert engine.mode() == "rerank"
    query = "red + blue - green"
    hits = engine.search_text(query, 5, mode=mode)
    vector, _ = engine.query_vector(query)
    snap = engine.snapshot()
    expected = snap.photos.scores_of(vector, np.asarray([h.media_id for h in hits]))
    np.testing.assert_allclose([h.score for h in hits], expected, atol=1e-5)
    assert all(h.distance is not None for h in hits) == (mode != "exact")
    if mode != "exact":  # the combined vector is coded as a text query, then ranked
        assert snap.hashing is not None
        coded = snap.hashing.encode(vector, "text")
        expected_ranked = rank(snap.photos, snap.hashing.photos, coded, vector, 5, mode, 6)
        assert [h.media_id for h in hits] == expected_ranked.ids.tolist()
        assert expected_ranked.distances is not None
        assert [h.distance for h in hits] == expected_ranked.distances.tolist()


def test_subtracting_a_term_lowers_the_photos_that_match_it(library: Harness) -> None:
    engine = _engine(library)
    snap = engine.snapshot()
    all_ids = snap.photos.ids
    green, _ = engine.query_vector("green")
    plain, _ = engine.query_vector("a picture")
    minus, _ = engine.query_vector("a picture - green")
    by_green = np.argsort(-snap.photos.scores_of(green, all_ids))[:3]
    before = snap.photos.scores_of(plain, all_ids)[by_green]
    after = snap.photos.scores_of(minus, all_ids)[by_green]
    assert np.all(after < before)


def test_only_terms_to_avoid_and_empty_queries_are_refused(library: Harness) -> None:
    engine = _engine(library)
    with pytest.raises(QueryError, match="only says what to leave out"):
        engine.search_text("-green - blue", 5)
    with pytest.raises(QueryError, match="empty term"):
        engine.search_text("red + + blue", 5)
    with pytest.raises(QueryError, match="Say what to look for"):
        engine.query_vector("#red")


def test_a_term_to_avoid_with_a_photo_is_a_query(library: Harness, tmp_path: Path) -> None:
    photo = tmp_path / "albums" / "red" / "red0.png"
    hits = _engine(library).search_text("-green", 5, images=[photo])
    assert hits
    assert all(h.path != str(photo.resolve()) for h in hits)


def test_more_like_this_leaves_out_the_photo_and_its_exact_copies(
    library: Harness, tmp_path: Path
) -> None:
    photo = tmp_path / "albums" / "red" / "red0.png"
    engine = _engine(library)
    hits = engine.search_image(photo, 5, target="photos", mode="exact")
    assert len(hits) == 5
    assert str(photo.resolve()) not in [h.path for h in hits]
    copy = tmp_path / "albums" / "blue" / "copy-of-red0.png"
    shutil.copyfile(photo, copy)
    library.index()
    engine.refresh()
    itself = set(engine.photo_ids_of(photo))
    assert len(itself) == 2
    paths = [h.path for h in engine.search_image(copy, 5, target="photos")]
    assert str(photo.resolve()) not in paths
    assert str(copy.resolve()) not in paths
    outside = tmp_path / "elsewhere.png"  # a copy outside the library: its twin is left out
    green1 = tmp_path / "albums" / "green" / "green1.png"
    shutil.copyfile(green1, outside)
    assert engine.photo_ids_of(outside) == engine.photo_ids_of(green1)
    found = engine.search_image(outside, 20, target="photos", mode="exact")  # 16 photos
    assert len(found) == 15
    assert str(green1.resolve()) not in [h.path for h in found]
    other = tmp_path / "other.png"  # not in the library at all: nothing to leave out
    Image.new("RGB", (40, 30), (90, 200, 60)).save(other)
    assert engine.photo_ids_of(other) == []
    assert len(engine.search_image(other, 16, target="photos")) == 16
