"""Map the ``.mat`` layouts of public cross-modal hashing code to a :class:`FeatureDataset`.

Three layouts cover the MIRFlickr-25K, NUS-WIDE, MS-COCO and Wikipedia files that
circulate with that code:

``split``
    ``I_tr T_tr L_tr`` (training/retrieval) and ``I_te T_te L_te`` (queries), as in
    the DCMH, DJSRH, BATCH and Wikipedia feature files; optionally ``I_db T_db L_db``
    (a separate retrieval set) or ``I_tra T_tra L_tra`` (a separate training set,
    with ``_tr`` then the retrieval set). Without those, database = training = ``_tr``.
``dlfh``
    ``XDatabase YDatabase databaseL`` and ``XTest YTest testL`` (DLFH, also with VGG
    image features as ``VDatabase``/``VTest``); database = training.
``all-index``
    Whole-set matrices (``XAll``/``IAll``/``images``, ``YAll``/``texts``, ``LAll``/
    ``labels``) with index vectors: MATLAB ``param.indexTest``/``indexQuery``,
    ``param.indexDatabase``/``indexRetrieval``, optional ``param.indexTrain``
    (1-based), or Python ``idx_test``/``idx_query``, ``idx_ret``/``idx_database``,
    optional ``idx_train`` (0-based). Without a database index, database = every
    row that is not a query; without a training index, training = database.

Labels are multi-hot matrices or, as in Wikipedia, one class number per row (made
one-hot over the class numbers present). Raw pixel arrays (4-D) are refused: the
benchmarks need feature vectors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from core.errors import DatasetError
from core.types import FloatArray
from hashlens_bench.dataset import FeatureDataset, IndexArray, as_feature_matrix, as_label_matrix
from hashlens_bench.mat_reader import MatContents, read_mat

MatLayout = Literal["split", "dlfh", "all-index"]
LAYOUTS: tuple[MatLayout, ...] = ("split", "dlfh", "all-index")

_ALL_IMAGE = ("XAll", "IAll", "images", "image")
_ALL_TEXT = ("YAll", "TAll", "texts", "text", "tags")
_ALL_LABELS = ("LAll", "labels", "label")
_QUERY_1 = ("param.indexTest", "param.indexQuery", "indexTest", "indexQuery")
_DATABASE_1 = ("param.indexDatabase", "param.indexRetrieval", "indexDatabase", "indexRetrieval")
_TRAIN_1 = ("param.indexTrain", "indexTrain")
_QUERY_0 = ("idx_test", "idx_query")
_DATABASE_0 = ("idx_ret", "idx_database", "idx_db")
_TRAIN_0 = ("idx_train", "idx_labeled")

# (role, image, text, labels) blocks of each layout, in row order of the result.
_Part = tuple[str, str, str, str]


def detect_layout(variables: Mapping[str, np.ndarray]) -> MatLayout:
    """The layout whose variables are present; raises :class:`DatasetError` if none is."""
    names = set(variables)
    if {"I_tr", "T_tr", "L_tr", "I_te", "T_te", "L_te"} <= names:
        return "split"
    if {"YDatabase", "databaseL", "YTest", "testL"} <= names and (
        {"XDatabase", "XTest"} <= names or {"VDatabase", "VTest"} <= names
    ):
        return "dlfh"
    if _first(names, _ALL_IMAGE) and _first(names, _ALL_TEXT) and _first(names, _ALL_LABELS):
        return "all-index"
    shown = ", ".join(sorted(names)[:20]) or "none"
    raise DatasetError(
        "This .mat file is in none of the known layouts (split: I_tr/T_tr/L_tr/I_te/...; "
        "dlfh: XDatabase/YDatabase/databaseL/XTest/...; all-index: XAll/YAll/LAll + "
        f"indices). Its variables: {shown}."
    )


def load_mat(path: Path, layout: MatLayout | None = None) -> FeatureDataset:
    """Read a ``.mat`` file in one of :data:`LAYOUTS` (detected when ``layout`` is None)."""
    contents = read_mat(path)
    chosen = layout or detect_layout(contents.variables)
    if chosen == "all-index":
        image, text, labels, splits, protocol = _all_index(contents)
    else:
        parts = _split_parts(contents.variables) if chosen == "split" else _dlfh_parts(contents)
        image, text, labels, splits, protocol = _stack_parts(contents, parts)
    return FeatureDataset(
        image=image,
        text=text,
        labels=labels,
        train=splits["train"],
        query=splits["query"],
        database=splits["database"],
        name=path.stem,
        meta={
            "source": {"file": path.name, "layout": chosen, "hdf5": contents.is_hdf5},
            "protocol": protocol,
        },
    )


def _split_parts(variables: Mapping[str, np.ndarray]) -> list[_Part]:
    if "I_tra" in variables:
        return [("train", "I_tra", "T_tra", "L_tra"), ("database", "I_tr", "T_tr", "L_tr"),
                ("query", "I_te", "T_te", "L_te")]  # fmt: skip
    if "I_db" in variables:
        return [("database", "I_db", "T_db", "L_db"), ("train", "I_tr", "T_tr", "L_tr"),
                ("query", "I_te", "T_te", "L_te")]  # fmt: skip
    return [("train+database", "I_tr", "T_tr", "L_tr"), ("query", "I_te", "T_te", "L_te")]


def _dlfh_parts(contents: MatContents) -> list[_Part]:
    prefix = "X" if "XDatabase" in contents.variables else "V"
    return [("train+database", f"{prefix}Database", "YDatabase", "databaseL"),
            ("query", f"{prefix}Test", "YTest", "testL")]  # fmt: skip


def _stack_parts(
    contents: MatContents, parts: Sequence[_Part]
) -> tuple[FloatArray, FloatArray, np.ndarray, dict[str, IndexArray], str]:
    images, texts, labels, roles = [], [], [], []
    for role, image_key, text_key, label_key in parts:
        image, text, label = _oriented(contents, image_key, text_key, label_key)
        images.append(image)
        texts.append(text)
        labels.append(label)
        roles.append((role, image.shape[0]))
    splits: dict[str, IndexArray] = {}
    start = 0
    for role, count in roles:
        rows = np.arange(start, start + count, dtype=np.int64)
        for name in role.split("+"):
            splits[name] = rows
        start += count
    protocol = "; ".join(f"{part[0]}: {'/'.join(part[1:])}" for part in parts)
    return (
        as_feature_matrix(np.vstack(images), "image"),
        as_feature_matrix(np.vstack(texts), "text"),
        _label_matrix(labels),
        splits,
        protocol,
    )


def _all_index(
    contents: MatContents,
) -> tuple[FloatArray, FloatArray, np.ndarray, dict[str, IndexArray], str]:
    names = set(contents.variables)
    keys = [_first(names, group) or "" for group in (_ALL_IMAGE, _ALL_TEXT, _ALL_LABELS)]
    image, text, label = _oriented(contents, *keys)
    n = image.shape[0]
    query = _indices(contents.variables, _QUERY_1, _QUERY_0, n)
    if query is None:
        raise DatasetError("This .mat file has whole-set features but no query indices.")
    database = _indices(contents.variables, _DATABASE_1, _DATABASE_0, n)
    if database is None:
        database = np.setdiff1d(np.arange(n, dtype=np.int64), query)
    train = _indices(contents.variables, _TRAIN_1, _TRAIN_0, n)
    protocol = f"query, database{'' if train is None else ', train'} from index vectors"
    splits = {"query": query, "database": database, "train": database if train is None else train}
    return (
        as_feature_matrix(image, "image"),
        as_feature_matrix(text, "text"),
        _label_matrix([label]),
        splits,
        protocol,
    )


def _oriented(
    contents: MatContents, image_key: str, text_key: str, label_key: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arrays = []
    for key in (image_key, text_key, label_key):
        if key not in contents.variables:
            raise DatasetError(f"This .mat file lacks the variable {key}.")
        array = np.asarray(contents.variables[key])
        if array.ndim > 2:
            raise DatasetError(
                f"{key} holds raw pixels or a {array.ndim}-D array, not feature vectors; "
                "extract features first."
            )
        arrays.append(array.reshape(-1, 1) if array.ndim == 1 else array)
    if contents.is_hdf5:  # MATLAB writes column-major: rows are samples once transposed
        arrays = [a.T for a in arrays]
    rows = {a.shape[0] for a in arrays}
    if len(rows) != 1:
        flipped = [a.T if min(a.shape) == 1 else a for a in arrays]
        if len({a.shape[0] for a in flipped}) == 1:
            return flipped[0], flipped[1], flipped[2]
        keys = (image_key, text_key, label_key)
        shapes = ", ".join(f"{k} {a.shape}" for k, a in zip(keys, arrays, strict=True))
        raise DatasetError(f"The row counts of the .mat variables disagree: {shapes}.")
    return arrays[0], arrays[1], arrays[2]


def _label_matrix(parts: Sequence[np.ndarray]) -> np.ndarray:
    stacked = np.vstack(parts)
    if stacked.shape[1] == 1:  # one class number per row (Wikipedia)
        classes, column = np.unique(stacked[:, 0], return_inverse=True)
        one_hot = np.zeros((stacked.shape[0], classes.size), dtype=np.uint8)
        one_hot[np.arange(stacked.shape[0]), column] = 1
        return one_hot
    return as_label_matrix(stacked)


def _indices(
    variables: Mapping[str, np.ndarray],
    one_based: Sequence[str],
    zero_based: Sequence[str],
    n: int,
) -> IndexArray | None:
    for keys, offset in ((one_based, 1), (zero_based, 0)):
        key = _first(set(variables), keys)
        if key is not None:
            raw = np.asarray(variables[key]).reshape(-1)
            if raw.dtype.kind == "f" and not np.array_equal(raw, np.round(raw)):
                raise DatasetError(f"{key} holds non-integer indices.")
            rows = raw.astype(np.int64) - offset
            if rows.size and (rows.min() < 0 or rows.max() >= n):
                base = "1-based" if offset else "0-based"
                raise DatasetError(f"{key} ({base}) points outside the {n} rows of the file.")
            return rows
    return None


def _first(names: set[str], candidates: Sequence[str]) -> str | None:
    return next((name for name in candidates if name in names), None)
