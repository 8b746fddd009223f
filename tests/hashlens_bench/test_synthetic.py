from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from core.errors import DatasetError
from hashlens_bench.dataset import FeatureDataset
from hashlens_bench.synthetic import make_synthetic
from tests.hashlens_bench.float_map import chance_map, cosine_map

Matrix = npt.NDArray[np.float64]


def _cross_modal_map(data: FeatureDataset, image_map: Matrix, text_map: Matrix) -> float:
    """Image->text mAP after mapping each modality with its own (centred) linear map."""
    x_mean = data.image[data.train].mean(axis=0)
    y_mean = data.text[data.train].mean(axis=0)
    queries = (data.image[data.query] - x_mean) @ image_map
    database = (data.text[data.database] - y_mean) @ text_map
    return cosine_map(queries, database, data.labels[data.query], data.labels[data.database])


def _random_maps(data: FeatureDataset, k: int) -> tuple[Matrix, Matrix]:
    rng = np.random.default_rng(3)
    return (
        rng.standard_normal((data.image.shape[1], k)),
        rng.standard_normal((data.text.shape[1], k)),
    )


def _cca_maps(data: FeatureDataset, k: int) -> tuple[Matrix, Matrix]:
    x = data.image[data.train].astype(np.float64)
    y = data.text[data.train].astype(np.float64)
    x -= x.mean(axis=0)
    y -= y.mean(axis=0)
    wx = _inverse_sqrt(x.T @ x / len(x) + 1e-3 * np.eye(x.shape[1]))
    wy = _inverse_sqrt(y.T @ y / len(y) + 1e-3 * np.eye(y.shape[1]))
    u, _, vt = np.linalg.svd(wx @ (x.T @ y / len(x)) @ wy)
    return wx @ u[:, :k], wy @ vt.T[:, :k]


def _label_regression_maps(data: FeatureDataset) -> tuple[Matrix, Matrix]:
    labels = data.labels[data.train].astype(np.float64)
    maps = []
    for features in (data.image, data.text):
        x = features[data.train].astype(np.float64)
        x -= x.mean(axis=0)
        maps.append(np.linalg.solve(x.T @ x + 1.0 * np.eye(x.shape[1]), x.T @ labels))
    return maps[0], maps[1]


def _inverse_sqrt(matrix: Matrix) -> Matrix:
    values, vectors = np.linalg.eigh(matrix)
    return np.asarray(vectors @ np.diag(values**-0.5) @ vectors.T)


@pytest.mark.parametrize("multilabel", [False, True])
def test_synthetic_data_ranks_supervised_over_unsupervised_over_random(multilabel: bool) -> None:
    data = make_synthetic(n=1500, dx=64, dy=48, n_classes=8, multilabel=multilabel, seed=5)
    chance = chance_map(data)

    random = _cross_modal_map(data, *_random_maps(data, 16))
    unsupervised = _cross_modal_map(data, *_cca_maps(data, 16))
    supervised = _cross_modal_map(data, *_label_regression_maps(data))

    assert abs(random - chance) < 0.05
    assert unsupervised > random + 0.15
    assert supervised > unsupervised + 0.03


def test_same_seed_gives_same_data_and_labels_follow_the_flag() -> None:
    a = make_synthetic(n=200, seed=9)
    b = make_synthetic(n=200, seed=9)
    multi = make_synthetic(n=200, seed=9, multilabel=True)

    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.query, b.query)
    assert a.labels.sum(axis=1).tolist() == [1] * 200
    assert multi.labels.sum(axis=1).max() > 1
    assert a.image.dtype == np.float32
    assert a.text.shape == (200, 48)


def test_too_small_synthetic_request_is_refused() -> None:
    with pytest.raises(DatasetError):
        make_synthetic(n=5)
