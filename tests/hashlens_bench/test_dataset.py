from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.errors import DatasetError
from hashlens_bench.dataset import FeatureDataset, load_features, save_npz
from hashlens_bench.synthetic import make_synthetic


def _small(**changes: Any) -> FeatureDataset:
    base = make_synthetic(n=40, dx=16, dy=16, n_classes=3, seed=1)
    return dataclasses.replace(base, **changes)


def test_save_then_load_returns_the_same_arrays_and_metadata(tmp_path: Path) -> None:
    data = dataclasses.replace(_small(), groups=np.arange(40, dtype=np.int64))
    path = tmp_path / "set.npz"

    save_npz(data, path)
    loaded = load_features(path)

    for key in ("image", "text", "labels", "train", "query", "database", "groups"):
        np.testing.assert_array_equal(getattr(loaded, key), getattr(data, key))
        assert getattr(loaded, key).dtype == getattr(data, key).dtype
    assert loaded.label_names == data.label_names
    assert loaded.name == "synthetic"
    assert loaded.meta["seed"] == 1
    assert not list(tmp_path.glob("*.partial"))


def test_a_hand_written_npz_with_plain_dtypes_loads(tmp_path: Path) -> None:
    path = tmp_path / "plain.npz"
    rng = np.random.default_rng(0)
    np.savez(
        path,
        image=rng.standard_normal((6, 3)),  # float64
        text=rng.integers(0, 3, (6, 2)),  # integer counts
        labels=np.eye(3, dtype=bool)[[0, 1, 2, 0, 1, 2]],
        train=np.array([0, 1, 2, 3]),
        query=np.array([[4, 5]]),  # a MATLAB-style row vector
        database=np.array([0, 1, 2, 3], dtype=np.int32),
    )
    data = load_features(path)

    assert data.image.dtype == np.float32
    assert data.labels.dtype == np.uint8
    assert data.query.tolist() == [4, 5]
    assert data.name == "plain"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image": np.full((40, 16), np.nan, dtype=np.float32)}, "NaN"),
        ({"text": np.zeros((39, 16), dtype=np.float32)}, "39 text rows"),
        ({"image": np.zeros((40, 16))}, "float32"),
        ({"labels": np.full((40, 3), 2, dtype=np.uint8)}, "0 or 1"),
        ({"labels": np.ones((40, 3, 1), dtype=np.uint8)}, "2-D uint8"),
        ({"query": np.array([0, 99], dtype=np.int64)}, "outside"),
        ({"train": np.array([], dtype=np.int64)}, "train set is empty"),
        ({"query": np.array([1, 1], dtype=np.int64)}, "repeat"),
        ({"label_names": ("a",)}, "1 label names for 3"),
        ({"meta": {"x": object()}}, "not JSON"),
    ],
)
def test_invalid_datasets_raise_a_dataset_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DatasetError, match=message) as info:
        _small(**changes)
    assert info.value.user_message.startswith("The feature dataset is not valid")


def test_queries_may_not_overlap_training_or_database_rows() -> None:
    data = _small()
    with pytest.raises(DatasetError, match="query rows overlap the training rows"):
        dataclasses.replace(data, train=np.concatenate([data.train, data.query[:1]]))
    with pytest.raises(DatasetError, match="query rows overlap the database rows"):
        dataclasses.replace(
            data, train=data.train[:5], database=np.concatenate([data.database, data.query[:1]])
        )


def test_a_group_split_across_query_and_database_is_refused() -> None:
    data = _small()
    groups = np.arange(40, dtype=np.int64)
    groups[data.query[0]] = groups[data.database[0]]
    with pytest.raises(DatasetError, match="group"):
        dataclasses.replace(data, groups=groups)


def test_missing_file_or_foreign_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="No feature dataset"):
        load_features(tmp_path / "absent.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a readable"):
        load_features(junk)
    partial = tmp_path / "partial.npz"
    np.savez(partial, image=np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(DatasetError, match="lacks the arrays text, labels"):
        load_features(partial)


def test_pickled_object_arrays_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "objects.npz"
    data = _small()
    arrays = {k: getattr(data, k) for k in ("image", "text", "labels", "train", "query")}
    np.savez(path, **arrays, database=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(DatasetError, match="not a readable"):
        load_features(path)
