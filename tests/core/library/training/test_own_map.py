"""mAP of the active hasher on the library's own labelled photos, against a brute-force count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from core.library.training import own_map
from core.library.training.code_writer import load_hasher
from core.library.training.own_map import cross_modal_map, own_photos_map, uses_album_labels
from core.library.training.trainer import Trainer, TrainOptions
from core.library.training.training_data import load_training_set
from core.store.code_footprint import code_footprint
from tests.core.library.conftest import Harness
from tests.core.library.training.test_trainer import encoder_of, make_labelled_photos


def brute_force_map(
    queries: npt.NDArray[np.uint8],
    database: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.uint8],
    query_labels: npt.NDArray[np.uint8] | None = None,
) -> float:
    """AP per query by walking the ranking one item at a time (ties keep database order)."""
    query_labels = labels if query_labels is None else query_labels
    aps = []
    for q in range(queries.shape[0]):
        distances = [
            sum(bin(a ^ b).count("1") for a, b in zip(queries[q], row, strict=True))
            for row in database
        ]
        ranking = sorted(range(database.shape[0]), key=lambda i: (distances[i], i))
        hits, precisions = 0, []
        for rank, item in enumerate(ranking, start=1):
            if (query_labels[q] & labels[item]).any():
                hits += 1
                precisions.append(hits / rank)
        if hits:
            aps.append(sum(precisions) / hits)
    return float(np.mean(aps))


def random_case(n: int, n_bytes: int, classes: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (n, n_bytes), dtype=np.uint8)
    text = rng.integers(0, 256, (n, n_bytes), dtype=np.uint8)
    labels = (rng.random((n, classes)) < 0.3).astype(np.uint8)
    labels[: n // 5] = 0  # some pairs have no label at all: their queries are skipped
    return image, text, labels


@pytest.mark.parametrize("chunk", [512, 7])
def test_cross_modal_map_equals_a_brute_force_count(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(own_map, "_QUERY_CHUNK", chunk)  # averaging over chunks is weighted
    image, text, labels = random_case(40, 1, 4, seed=3)  # 8 bits: many ties
    i2t, queries, chance = cross_modal_map(image, text, labels, 8)
    t2i, _, _ = cross_modal_map(text, image, labels, 8)
    assert i2t == pytest.approx(brute_force_map(image, text, labels), abs=1e-9)
    assert t2i == pytest.approx(brute_force_map(text, image, labels), abs=1e-9)
    assert queries == 40
    shared = (labels.astype(int) @ labels.T.astype(int)) > 0
    assert chance == pytest.approx(shared.mean(axis=1).mean())


def test_a_large_set_is_measured_on_a_seeded_sample_of_queries() -> None:
    image, text, labels = random_case(30, 2, 3, seed=5)
    value, queries, _ = cross_modal_map(image, text, labels, 16, max_queries=12, seed=1)
    rows = np.sort(np.random.default_rng(1).choice(30, 12, replace=False))
    aps = [
        brute_force_map(image[[row]], text, labels, labels[[row]])
        for row in rows
        if (labels[row] & labels).any()
    ]
    assert queries == 12
    assert value == pytest.approx(np.mean(aps), abs=1e-9)


def indexed_albums(harness: Harness, folder: Path, per_colour: int, tag: bool = True) -> Trainer:
    """Colour albums indexed into the harness; a trainer on their features."""
    make_labelled_photos(folder, per_colour=per_colour, tag=tag)
    harness.add(folder)
    harness.index()
    return Trainer(harness.store, encoder_of(harness))


def test_own_photos_map_measures_the_stored_codes_of_labelled_pairs(
    harness: Harness, tmp_path: Path
) -> None:
    record = indexed_albums(harness, tmp_path, 7).train(TrainOptions("batch", 16)).hasher
    encoder = encoder_of(harness)
    result = own_photos_map(harness.store, encoder, record)
    assert result.is_measured
    assert (result.labelled_photos, result.pairs, result.classes) == (21, 21, 3)
    hasher = load_hasher(harness.store, record)
    data = load_training_set(harness.store, encoder, albums=False)
    assert data is not None
    assert data.features.labels is not None
    image = hasher.encode_image(data.features.image)
    text = hasher.encode_text(data.features.text)
    labels = data.features.labels
    assert result.image_to_text == pytest.approx(brute_force_map(image, text, labels))
    assert result.text_to_image == pytest.approx(brute_force_map(text, image, labels))
    assert result.chance == pytest.approx(1 / 3)
    footprint = code_footprint(harness.store, record.id)
    assert (footprint.images, footprint.texts, footprint.n_bytes) == (21, 21, 42 * 2)


def test_too_few_labelled_photos_are_counted_but_not_measured(
    harness: Harness, tmp_path: Path
) -> None:
    record = indexed_albums(harness, tmp_path, 6).train(TrainOptions("lsh", 8)).hasher
    result = own_photos_map(harness.store, encoder_of(harness), record)
    assert not result.is_measured
    assert (result.labelled_photos, result.classes) == (18, 3)
    assert not uses_album_labels(record)


def test_album_labels_count_when_the_hasher_was_trained_with_them(
    harness: Harness, tmp_path: Path
) -> None:
    trainer = indexed_albums(harness, tmp_path, 7, tag=False)
    encoder = encoder_of(harness)
    plain = trainer.train(TrainOptions("lsh", 8)).hasher
    assert own_photos_map(harness.store, encoder, plain).labelled_photos == 0
    albums = trainer.train(TrainOptions("batch", 8, albums=True)).hasher
    assert uses_album_labels(albums)
    result = own_photos_map(harness.store, encoder, albums)
    assert result.is_measured
    assert result.labelled_photos == 21
