"""Seeded query / database / train splits that keep each source item on one side."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.errors import DatasetError
from hashlens_bench.dataset import FeatureDataset, IndexArray

#: Text features fitted on a file's own training rows; a new split would leak queries into them.
SPLIT_DEPENDENT_TEXT = frozenset({"tfidf"})

DEFAULT_QUERY_FRACTION = 0.15


@dataclass(frozen=True, slots=True)
class Split:
    """Row indices of the three sets (sorted)."""

    train: IndexArray
    query: IndexArray
    database: IndexArray

    def describe(self) -> dict[str, object]:
        """Sizes and the relation of train to database, for metadata."""
        relation = (
            "train = database"
            if np.array_equal(self.train, self.database)
            else "train is a subset of database"
            if np.isin(self.train, self.database).all()
            else "train separate from database"
        )
        return {
            "train": int(self.train.size),
            "query": int(self.query.size),
            "database": int(self.database.size),
            "relation": relation,
        }


def group_split(
    groups: IndexArray,
    *,
    seed: int,
    query_fraction: float = DEFAULT_QUERY_FRACTION,
    train_fraction: float = 1.0,
) -> Split:
    """Split rows by group: a random ``query_fraction`` of the groups become queries.

    All other groups form the database. ``train`` is the database (the shallow
    protocol, ``train_fraction=1``) or the rows of a random ``train_fraction`` of the
    database groups. Rows of one group never straddle query and database.
    """
    if not 0 < query_fraction < 1 or not 0 < train_fraction <= 1:
        raise DatasetError("The query share must lie in (0, 1) and the train share in (0, 1].")
    unique = np.unique(groups)
    n_query = round(query_fraction * unique.size)
    if n_query < 1 or n_query >= unique.size:
        raise DatasetError(
            f"Cannot split {unique.size} items into a non-empty query and database set."
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(unique)
    query_groups, database_groups = order[:n_query], order[n_query:]
    n_train = max(1, round(train_fraction * database_groups.size))
    train_groups = database_groups[:n_train]
    return Split(
        train=_rows_of(groups, train_groups),
        query=_rows_of(groups, query_groups),
        database=_rows_of(groups, database_groups),
    )


def resplit(data: FeatureDataset, seed: int) -> FeatureDataset:
    """``data`` with its query / database / train split drawn again, by group, at ``seed``.

    The same draw as ``hashlens dataset build SOURCE --seed SEED`` makes, at the query
    share the file was built with, with train = database; so a study of split variance
    needs no rebuild. Raises :class:`DatasetError` when the file records no groups, or
    when its text features were fitted on its own training rows (TF-IDF), where a new
    split would let query texts shape the vocabulary.
    """
    if data.groups is None:
        raise DatasetError(
            f"{data.name or 'This dataset'} records no source item per row, so it cannot be "
            "split again by item. Rebuild it with another --seed instead."
        )
    kind = str(data.meta.get("text_features", {}).get("kind", ""))
    if kind in SPLIT_DEPENDENT_TEXT:
        raise DatasetError(
            f"The {kind} text features of {data.name or 'this dataset'} were fitted on its own "
            "training rows; a new split would let query texts shape them. Rebuild it with "
            "`hashlens dataset build ... --seed SEED` instead.",
            f"text_features.kind={kind}",
        )
    fraction = float(data.meta.get("split", {}).get("query_fraction", DEFAULT_QUERY_FRACTION))
    split = group_split(data.groups, seed=seed, query_fraction=fraction)
    described = {**split.describe(), "seed": seed, "query_fraction": fraction, "redrawn": True}
    meta = {**data.meta, "split": {**dict(data.meta.get("split", {})), **described}}
    return replace(data, train=split.train, query=split.query, database=split.database, meta=meta)


def _rows_of(groups: IndexArray, chosen: IndexArray) -> IndexArray:
    return np.flatnonzero(np.isin(groups, chosen)).astype(np.int64)


def labelled_mask(n: int, fraction: float, seed: int = 0) -> np.ndarray:
    """(n,) bool: a seeded random ``fraction`` of rows whose labels a method may see.

    At least one row is labelled; the semi-supervised protocols hide the rest.
    """
    if not 0.0 < fraction <= 1.0:
        raise DatasetError("The labelled fraction must be in (0, 1].", repr(fraction))
    count = max(1, round(fraction * n))
    mask = np.zeros(n, dtype=np.bool_)
    mask[np.random.default_rng(seed).choice(n, count, replace=False)] = True
    return mask
