"""The benchmark feature dataset: paired image/text features, labels and a fixed split.

A :class:`FeatureDataset` is what every benchmark reads. Row ``i`` pairs an image
feature with a text feature; ``labels[i]`` is a multi-hot vector over the classes;
two rows are relevant to each other when they share at least one label. ``query``,
``database`` and ``train`` are row indices. The query set never overlaps the
database or the training set; ``train`` may equal ``database`` (the shallow
protocol), be a subset of it, or be disjoint from it. When ``groups`` is given
(one group key per row, e.g. the emoji an artwork draws), no group may appear both
among the queries and among the training or database rows.

The file format (``.npz``, read with ``allow_pickle=False``) is documented in
``docs/datasets.md``.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import DatasetError
from core.types import FloatArray

FORMAT_VERSION = 1
IndexArray = npt.NDArray[np.int64]
LabelArray = npt.NDArray[np.uint8]

_ARRAY_KEYS = ("image", "text", "labels", "train", "query", "database")


@dataclass(frozen=True, eq=False)
class FeatureDataset:
    """Row-aligned image and text features with labels and a train/query/database split.

    Attributes:
        image: ``(n, dx)`` float32 image features.
        text: ``(n, dy)`` float32 text features.
        labels: ``(n, c)`` uint8 multi-hot labels (0 or 1).
        train: int64 row indices used to fit hashers.
        query: int64 row indices of the queries (disjoint from train and database).
        database: int64 row indices searched by the queries.
        label_names: One name per label column, or empty.
        groups: ``(n,)`` int64 group key per row (rows drawn from one source item), or None.
        name: Short name of the dataset, e.g. ``"emoji"``.
        meta: JSON-able provenance: sources and versions, feature kinds, split, licences.
    """

    image: FloatArray
    text: FloatArray
    labels: LabelArray
    train: IndexArray
    query: IndexArray
    database: IndexArray
    label_names: tuple[str, ...] = ()
    groups: IndexArray | None = None
    name: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def n_items(self) -> int:
        """Number of rows."""
        return int(self.image.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of label columns."""
        return int(self.labels.shape[1])


def validate(data: FeatureDataset) -> None:
    """Raise :class:`DatasetError` unless ``data`` is internally consistent."""
    n = _check_features(data.image, data.text)
    _check_labels(data.labels, n, data.label_names)
    for split in ("train", "query", "database"):
        _check_indices(split, getattr(data, split), n)
    if np.intersect1d(data.query, data.train).size:
        raise _invalid("the query rows overlap the training rows")
    if np.intersect1d(data.query, data.database).size:
        raise _invalid("the query rows overlap the database rows")
    if data.groups is not None:
        _check_groups(data)
    try:
        json.dumps(dict(data.meta))
    except (TypeError, ValueError) as exc:
        raise _invalid("the metadata is not JSON", str(exc)) from exc


def _check_features(image: FloatArray, text: FloatArray) -> int:
    for name, array in (("image", image), ("text", text)):
        if not isinstance(array, np.ndarray) or array.ndim != 2 or array.dtype != np.float32:
            shape = getattr(array, "shape", None)
            dtype = getattr(array, "dtype", type(array).__name__)
            raise _invalid(f"{name} features must be a 2-D float32 array, got {shape} {dtype}")
        if array.shape[1] == 0:
            raise _invalid(f"{name} features have no columns")
        if not np.isfinite(array).all():
            raise _invalid(f"{name} features contain NaN or infinite values")
    if image.shape[0] != text.shape[0]:
        raise _invalid(f"{image.shape[0]} image rows but {text.shape[0]} text rows")
    if image.shape[0] == 0:
        raise _invalid("the dataset has no rows")
    return int(image.shape[0])


def _check_labels(labels: LabelArray, n: int, names: tuple[str, ...]) -> None:
    if not isinstance(labels, np.ndarray) or labels.ndim != 2 or labels.dtype != np.uint8:
        shape = getattr(labels, "shape", None)
        raise _invalid(f"labels must be a 2-D uint8 array, got {shape}")
    if labels.shape[0] != n:
        raise _invalid(f"{labels.shape[0]} label rows for {n} feature rows")
    if labels.shape[1] == 0:
        raise _invalid("labels have no columns")
    if labels.max() > 1:
        raise _invalid("labels must be 0 or 1")
    if names and len(names) != labels.shape[1]:
        raise _invalid(f"{len(names)} label names for {labels.shape[1]} label columns")


def _check_indices(split: str, indices: IndexArray, n: int) -> None:
    if not isinstance(indices, np.ndarray) or indices.ndim != 1 or indices.dtype != np.int64:
        raise _invalid(f"the {split} indices must be a 1-D int64 array")
    if indices.size == 0:
        raise _invalid(f"the {split} set is empty")
    if indices.min() < 0 or indices.max() >= n:
        raise _invalid(f"the {split} indices fall outside 0..{n - 1}")
    if np.unique(indices).size != indices.size:
        raise _invalid(f"the {split} indices repeat rows")


def _check_groups(data: FeatureDataset) -> None:
    groups = data.groups
    if not isinstance(groups, np.ndarray) or groups.shape != (data.n_items,):
        raise _invalid(f"groups must be one int64 key per row ({data.n_items})")
    if groups.dtype != np.int64:
        raise _invalid("groups must be int64")
    query_groups = groups[data.query]
    for split in ("train", "database"):
        if np.intersect1d(query_groups, groups[getattr(data, split)]).size:
            raise _invalid(f"a group (source item) has rows both in the query and {split} sets")


def _invalid(problem: str, details: str = "") -> DatasetError:
    return DatasetError(f"The feature dataset is not valid: {problem}.", details)


def save_npz(data: FeatureDataset, path: Path) -> None:
    """Write ``data`` to ``path`` (compressed ``.npz``, no pickled objects), atomically."""
    arrays: dict[str, np.ndarray] = {key: getattr(data, key) for key in _ARRAY_KEYS}
    arrays["label_names"] = np.array(data.label_names, dtype=np.str_)
    if data.groups is not None:
        arrays["groups"] = data.groups
    header = {"format_version": FORMAT_VERSION, "name": data.name, "meta": dict(data.meta)}
    arrays["header_json"] = np.array(json.dumps(header, sort_keys=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DatasetError(f"Could not write the feature dataset to {path}.", str(exc)) from exc


def load_features(path: Path) -> FeatureDataset:
    """Read and validate a feature dataset written by :func:`save_npz` (or by hand)."""
    if not path.is_file():
        raise DatasetError(f"No feature dataset at {path}.")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path} is not a readable .npz feature dataset.", str(exc)) from exc
    missing = [key for key in _ARRAY_KEYS if key not in arrays]
    if missing:
        raise DatasetError(f"{path} lacks the arrays {', '.join(missing)}.")
    header = _read_header(arrays, path)
    return FeatureDataset(
        image=as_feature_matrix(arrays["image"], "image"),
        text=as_feature_matrix(arrays["text"], "text"),
        labels=as_label_matrix(arrays["labels"]),
        train=_as_index(arrays["train"], "train"),
        query=_as_index(arrays["query"], "query"),
        database=_as_index(arrays["database"], "database"),
        label_names=tuple(str(x) for x in arrays.get("label_names", np.array([])).tolist()),
        groups=_as_index(arrays["groups"], "groups") if "groups" in arrays else None,
        name=str(header.get("name", "")) or path.stem,
        meta=header.get("meta", {}),
    )


def _read_header(arrays: Mapping[str, np.ndarray], path: Path) -> dict[str, Any]:
    if "header_json" not in arrays:
        return {}
    try:
        header = json.loads(str(arrays["header_json"]))
    except ValueError as exc:
        raise DatasetError(f"{path} has an unreadable header.", str(exc)) from exc
    if not isinstance(header, dict):
        raise DatasetError(f"{path} has an unreadable header.")
    version = header.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise DatasetError(f"{path} was written by a newer HashLens (format {version}).")
    return header


def as_feature_matrix(array: np.ndarray, name: str) -> FloatArray:
    """``array`` as contiguous float32; raises :class:`DatasetError` if it is not numeric."""
    if array.dtype.kind not in "fiub":
        raise _invalid(f"{name} features are not numeric ({array.dtype})")
    return np.ascontiguousarray(array, dtype=np.float32)


def _as_index(array: np.ndarray, name: str) -> IndexArray:
    flat = np.asarray(array).reshape(-1)
    is_integral = flat.dtype.kind in "iu" or (
        flat.dtype.kind == "f" and np.array_equal(flat, np.round(flat))
    )
    if not is_integral:
        raise _invalid(f"the {name} indices are not integers")
    return flat.astype(np.int64)


def as_label_matrix(array: np.ndarray) -> LabelArray:
    """Labels as a ``(n, c)`` uint8 0/1 matrix; raises :class:`DatasetError` otherwise."""
    labels = np.asarray(array)
    if labels.ndim != 2 or labels.dtype.kind not in "fiub":
        raise _invalid(f"labels must be a 2-D numeric matrix, got shape {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise _invalid("labels must be 0 or 1 (a multi-hot matrix)")
    return labels.astype(np.uint8)
