from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from core.errors import DatasetError
from hashlens_bench.mat_layouts import detect_layout, load_mat

RNG = np.random.default_rng(7)


def _features(n: int, d: int) -> np.ndarray:
    return RNG.standard_normal((n, d))


def _multi_hot(n: int, c: int = 4) -> np.ndarray:
    labels = (RNG.random((n, c)) < 0.4).astype(np.float64)
    labels[np.arange(n), RNG.integers(0, c, n)] = 1
    return labels


def test_split_layout_uses_training_rows_as_database(tmp_path: Path) -> None:
    path = tmp_path / "mir_cnn.mat"
    arrays = {"I_tr": _features(12, 5), "T_tr": _features(12, 3), "L_tr": _multi_hot(12)}
    arrays |= {"I_te": _features(4, 5), "T_te": _features(4, 3), "L_te": _multi_hot(4)}
    scipy.io.savemat(path, arrays)

    data = load_mat(path)

    assert data.meta["source"]["layout"] == "split"
    assert data.image.shape == (16, 5)
    assert data.text.shape == (16, 3)
    assert data.train.tolist() == data.database.tolist() == list(range(12))
    assert data.query.tolist() == [12, 13, 14, 15]
    np.testing.assert_allclose(data.image[12:], arrays["I_te"].astype(np.float32))
    np.testing.assert_array_equal(data.labels[:12], arrays["L_tr"])


def test_split_layout_with_a_separate_retrieval_set(tmp_path: Path) -> None:
    path = tmp_path / "coco.mat"
    arrays = {
        f"{m}_{s}": _features(n, 4) for m in "IT" for s, n in (("tr", 5), ("db", 9), ("te", 3))
    }
    arrays |= {f"L_{s}": _multi_hot(n) for s, n in (("tr", 5), ("db", 9), ("te", 3))}
    scipy.io.savemat(path, arrays)

    data = load_mat(path)

    assert data.database.tolist() == list(range(9))
    assert data.train.tolist() == list(range(9, 14))
    assert data.query.tolist() == [14, 15, 16]


def test_wikipedia_class_numbers_become_one_hot_labels(tmp_path: Path) -> None:
    path = tmp_path / "WIKI.mat"
    arrays = {
        "I_tr": _features(6, 128),
        "T_tr": _features(6, 10),
        "L_tr": np.array([[1], [2], [10], [2], [1], [5]]),
    }
    arrays |= {"I_te": _features(2, 128), "T_te": _features(2, 10), "L_te": np.array([[5], [10]])}
    scipy.io.savemat(path, arrays)

    data = load_mat(path)

    assert data.labels.shape == (8, 4)  # classes 1, 2, 5, 10
    assert data.labels.sum(axis=1).tolist() == [1] * 8
    assert data.labels[2].tolist() == data.labels[7].tolist() == [0, 0, 0, 1]


def test_dlfh_layout_with_vgg_image_features(tmp_path: Path) -> None:
    path = tmp_path / "flickr-25k.mat"
    scipy.io.savemat(
        path,
        {
            "VDatabase": _features(10, 6),
            "YDatabase": _features(10, 3),
            "databaseL": _multi_hot(10),
            "VTest": _features(3, 6),
            "YTest": _features(3, 3),
            "testL": _multi_hot(3),
        },
    )
    data = load_mat(path)

    assert data.meta["source"]["layout"] == "dlfh"
    assert data.train.tolist() == data.database.tolist() == list(range(10))
    assert data.query.tolist() == [10, 11, 12]


def test_all_index_layout_reads_one_based_matlab_indices_from_a_struct(tmp_path: Path) -> None:
    path = tmp_path / "nus-wide-tc10.mat"
    param = {"indexTest": np.array([1, 2, 3]), "indexDatabase": np.arange(4, 11)}
    scipy.io.savemat(
        path,
        {
            "XAll": _features(10, 4),
            "YAll": _features(10, 3),
            "LAll": _multi_hot(10),
            "param": param,
        },
    )

    data = load_mat(path)

    assert data.meta["source"]["layout"] == "all-index"
    assert data.query.tolist() == [0, 1, 2]
    assert data.database.tolist() == data.train.tolist() == list(range(3, 10))


def test_all_index_layout_with_zero_based_python_indices(tmp_path: Path) -> None:
    path = tmp_path / "split.mat"
    scipy.io.savemat(
        path,
        {
            "images": _features(8, 4),
            "texts": _features(8, 2),
            "labels": _multi_hot(8),
            "idx_test": np.array([0, 7]),
            "idx_train": np.array([1, 2, 3]),
        },
    )
    data = load_mat(path)

    assert data.query.tolist() == [0, 7]
    assert data.database.tolist() == [1, 2, 3, 4, 5, 6]  # every row that is not a query
    assert data.train.tolist() == [1, 2, 3]


def test_v73_hdf5_file_with_matlab_column_major_arrays(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "mir_v73.mat"
    arrays = {"I_tr": _features(7, 5), "T_tr": _features(7, 3), "L_tr": _multi_hot(7)}
    arrays |= {"I_te": _features(2, 5), "T_te": _features(2, 3), "L_te": _multi_hot(2)}
    with h5py.File(path, "w", userblock_size=512) as handle:
        for key, value in arrays.items():
            handle[key] = value.T  # MATLAB stores n x d as d x n in HDF5
    with path.open("r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file, written by a test")

    data = load_mat(path)

    assert data.meta["source"]["hdf5"] is True
    assert data.image.shape == (9, 5)
    np.testing.assert_allclose(data.text[:7], arrays["T_tr"].astype(np.float32))


def test_explicit_layout_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "both.mat"
    arrays = {"I_tr": _features(5, 2), "T_tr": _features(5, 2), "L_tr": _multi_hot(5)}
    arrays |= {"I_te": _features(2, 2), "T_te": _features(2, 2), "L_te": _multi_hot(2)}
    arrays |= {"XAll": _features(6, 2), "YAll": _features(6, 2), "LAll": _multi_hot(6)}
    scipy.io.savemat(path, arrays | {"idx_test": np.array([5])})

    assert detect_layout(scipy.io.loadmat(path)) == "split"
    assert load_mat(path, "all-index").n_items == 6


_WHOLE = {"XAll": np.zeros((4, 2)), "YAll": np.zeros((4, 2)), "LAll": np.eye(4)}
_SPLIT = {"I_tr": np.zeros((4, 2)), "T_tr": np.zeros((3, 2)), "L_tr": np.eye(4)}
_SPLIT |= {"I_te": np.zeros((1, 2)), "T_te": np.zeros((1, 2)), "L_te": np.eye(4)[:1]}


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"foo": np.zeros((3, 3))}, "none of the known layouts"),
        (_WHOLE | {"XAll": np.zeros((4, 8, 8, 3)), "idx_test": np.array([0])}, "raw pixels"),
        (_WHOLE, "no query indices"),
        (_WHOLE | {"idx_test": np.array([9])}, "outside the 4 rows"),
        (_SPLIT, "row counts"),
    ],
)
def test_malformed_mat_files_raise_dataset_errors(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    path = tmp_path / "bad.mat"
    scipy.io.savemat(path, arrays)
    with pytest.raises(DatasetError, match=message):
        load_mat(path)


def test_a_file_that_is_not_a_mat_file_is_a_dataset_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.mat"
    path.write_bytes(b"hello")
    with pytest.raises(DatasetError, match="not a readable"):
        load_mat(path)
