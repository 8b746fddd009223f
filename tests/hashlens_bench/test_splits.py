"""Drawing a built dataset's split again, as a rebuild with another seed would."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.errors import DatasetError
from hashlens_bench.dataset import FeatureDataset
from hashlens_bench.splits import group_split, resplit

GROUPS = np.repeat(np.arange(40), 3).astype(np.int64)  # 40 source items, three rows each


def _dataset(text_kind: str = "minilm", groups: Any = GROUPS) -> FeatureDataset:
    n = GROUPS.size
    rng = np.random.default_rng(0)
    split = group_split(GROUPS, seed=0, query_fraction=0.25)
    return FeatureDataset(
        image=rng.standard_normal((n, 6)).astype(np.float32),
        text=rng.standard_normal((n, 4)).astype(np.float32),
        labels=np.eye(4, dtype=np.uint8)[GROUPS % 4],
        train=split.train,
        query=split.query,
        database=split.database,
        groups=groups,
        name="icons",
        meta={"text_features": {"kind": text_kind}, "split": {"seed": 0, "query_fraction": 0.25}},
    )


def test_a_new_split_is_the_draw_a_rebuild_at_that_seed_makes() -> None:
    data = _dataset()

    again = resplit(data, 3)

    expected = group_split(GROUPS, seed=3, query_fraction=0.25)
    assert np.array_equal(again.query, expected.query)
    assert np.array_equal(again.database, expected.database)
    assert np.array_equal(again.train, again.database)
    assert not np.array_equal(again.query, data.query)
    assert not set(GROUPS[again.query]) & set(GROUPS[again.database])  # items stay whole
    assert np.array_equal(again.image, data.image)
    assert again.meta["split"]["seed"] == 3
    assert again.meta["split"]["redrawn"] is True
    assert data.meta["split"]["seed"] == 0  # the original is left as it was


def test_the_files_own_seed_gives_back_its_split() -> None:
    data = _dataset()

    again = resplit(data, 0)

    assert np.array_equal(again.query, data.query)
    assert np.array_equal(again.database, data.database)


def test_tfidf_text_is_refused_since_its_vocabulary_saw_the_training_rows() -> None:
    with pytest.raises(DatasetError, match="fitted on its own training rows"):
        resplit(_dataset(text_kind="tfidf"), 1)


def test_a_file_without_source_items_is_refused() -> None:
    with pytest.raises(DatasetError, match="no source item per row"):
        resplit(_dataset(groups=None), 1)
