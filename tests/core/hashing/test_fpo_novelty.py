"""FPO-CMH's novelty detection (issue #15): learning new classes, and bad streams."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing import Hasher, PairedFeatures, StreamBatch, create_hasher
from core.hashing.fpo_cmh.hasher import FPOCMH
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from tests.core.hashing.clustered import Clustered, clustered_pairs

BITS = 16


@cache
def data() -> Clustered:
    return clustered_pairs(1400, classes=8, p_second=0.0, seed=3)


@cache
def split() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(queries, offline rows: classes 0-3 only, streamed rows: the rest, all classes)."""
    d = data()
    classes = d.labels.argmax(axis=1)
    queries, rest = np.arange(200), np.arange(200, 1400)
    offline = rest[classes[rest] < 4][:250]
    streamed = np.random.default_rng(0).permutation(np.setdiff1d(rest, offline))
    return queries, offline, streamed


def fitted(**params: object) -> FPOCMH:
    """FPO-CMH on the offline rows; the codebook is off unless asked (tested on its own)."""
    params.setdefault("codebook", False)
    d = data()
    _, offline, _ = split()
    train = PairedFeatures(d.image[offline], d.text[offline], d.labels[offline])
    hasher = create_hasher("fpo-cmh", BITS, seed=0, **params).fit(train)
    assert isinstance(hasher, FPOCMH)
    return hasher


def stream_and_score(hasher: FPOCMH) -> tuple[float, float]:
    """(frozen mAP, stored-code mAP after the stream), codes stored on arrival."""
    d = data()
    queries, offline, streamed = split()
    frozen = Hasher.from_bytes(hasher.to_bytes())
    rows = np.concatenate([offline, streamed])
    image = hasher.encode_image(d.image[rows])
    text = hasher.encode_text(d.text[rows])
    for i, r in enumerate(streamed, start=len(offline)):
        image[i] = hasher.encode_image(d.image[r : r + 1])[0]
        text[i] = hasher.encode_text(d.text[r : r + 1])[0]
        hasher.partial_fit(StreamBatch(image=d.image[r : r + 1], text=d.text[r : r + 1]))
    relevant = relevance(d.labels[queries], d.labels[rows])

    def score(model: Hasher, db_image: np.ndarray, db_text: np.ndarray) -> float:
        i2t = hamming_matrix(model.encode_image(d.image[queries]), db_text, BITS)
        t2i = hamming_matrix(model.encode_text(d.text[queries]), db_image, BITS)
        return (evaluate_ranking(i2t, relevant).map + evaluate_ranking(t2i, relevant).map) / 2

    before = score(frozen, frozen.encode_image(d.image[rows]), frozen.encode_text(d.text[rows]))
    return before, score(hasher, image, text)


def test_novel_clusters_get_rows_and_stored_codes_beat_the_frozen_model() -> None:
    hasher = fitted(novelty=True)
    frozen, stored = stream_and_score(hasher)
    summary = hasher.online_summary()
    assert summary["novel_rows"] >= 4  # four classes never seen offline
    assert stored >= frozen + 0.05  # measured: 0.65 → 0.87
    assert summary["drift"] is not None
    assert summary["drift"] < 0.05


def test_without_novelty_the_spec_learner_keeps_the_frozen_codes() -> None:
    hasher = fitted(novelty=False)
    frozen, stored = stream_and_score(hasher)
    assert abs(stored - frozen) < 0.02
    assert hasher.online_summary()["novel_rows"] == 0


def test_a_stream_of_images_only_leaves_the_text_head_alone() -> None:
    d = data()
    hasher = fitted(novelty=True)
    text_head = hasher.learner.heads[1].W.copy()
    _, _, streamed = split()
    for start in range(0, 400, 50):
        hasher.partial_fit(StreamBatch(image=d.image[streamed[start : start + 50]]))
    summary = hasher.online_summary()
    assert summary["images_seen"] == 400
    assert summary["texts_seen"] == 0
    novelty = hasher.learner.novelty
    assert novelty is not None
    assert all(row.anchors[1] is None for row in novelty.rows)  # nothing to link them to
    np.testing.assert_array_equal(hasher.learner.heads[1].W, text_head)


def test_a_burst_of_thousands_of_items_keeps_the_pool_bounded() -> None:
    d = data()
    hasher = fitted(novelty=True)
    rng = np.random.default_rng(1)
    _, _, streamed = split()
    rows = rng.choice(streamed, size=3000)
    noise = 0.3 * rng.standard_normal((3000, d.image.shape[1])).astype(np.float32)
    hasher.partial_fit(StreamBatch(image=d.image[rows] + noise, text=d.text[rows] + noise))
    summary = hasher.online_summary()
    assert summary["images_seen"] == summary["texts_seen"] == 3000
    novelty = hasher.learner.novelty
    assert novelty is not None
    assert all(len(p.units) <= novelty.settings.pool_size for p in novelty.pools)
    assert all(len(r.memory[0]) <= novelty.settings.memory for r in novelty.rows)


def test_features_of_the_wrong_dimension_are_rejected_and_change_nothing() -> None:
    d = data()
    hasher = fitted(novelty=True)
    before = hasher.to_bytes()
    wrong = np.zeros((3, d.image.shape[1] + 1), np.float32)
    with pytest.raises(HashingInputError):
        hasher.partial_fit(StreamBatch(image=wrong))
    with pytest.raises(HashingInputError):
        hasher.partial_fit(StreamBatch(image=d.image[:3], text=wrong))
    assert hasher.to_bytes() == before


def test_the_stream_resumes_exactly_after_save_and_load_with_novelty() -> None:
    d = data()
    _, _, streamed = split()
    hasher = fitted(novelty=True)
    first, second = streamed[:300], streamed[300:500]
    hasher.partial_fit(StreamBatch(image=d.image[first], text=d.text[first]))
    assert hasher.online_summary()["novel_rows"] > 0
    copy = Hasher.from_bytes(hasher.to_bytes())
    for model in (hasher, copy):
        model.partial_fit(StreamBatch(image=d.image[second], text=d.text[second]))
    assert copy.to_bytes() == hasher.to_bytes()


def without_keys(blob: bytes, prefixes: tuple[str, ...]) -> bytes:
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        kept = {k: archive[k] for k in archive.files if not k.startswith(prefixes)}
    out = io.BytesIO()
    np.savez(out, allow_pickle=False, **kept)
    return out.getvalue()


def test_a_model_saved_by_an_older_version_loads_and_keeps_learning() -> None:
    d = data()
    hasher = fitted(novelty=True)
    blob = hasher.to_bytes()
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        assert any(k.startswith("novelty/") for k in archive.files)
    old = Hasher.from_bytes(without_keys(blob, ("novelty/", "replay/", "rls/")))
    assert isinstance(old, FPOCMH)
    summary = old.online_summary()
    assert summary["novelty"] is False
    assert summary["drift"] is None
    _, _, streamed = split()
    old.partial_fit(StreamBatch(image=d.image[streamed[:64]], text=d.text[streamed[:64]]))
    assert old.online_summary()["images_seen"] == 64
    np.testing.assert_array_equal(old.encode_image(d.image[:5]), hasher.encode_image(d.image[:5]))
