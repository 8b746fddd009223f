"""Feature maps shared by the methods (docs/design/research/hpseh-lpih.md §0).

``raw``: L2-normalise each row, then subtract the training mean (stored; applied to
queries). ``kernel``: the same normalisation, then RBF features against k anchors drawn
from the training rows, φ(x)_j = exp(−‖x − a_j‖² / (2σ²)) with σ² the mean squared
sample→anchor distance on the training set, then minus the training mean of φ.

Rows are items throughout (the spec's columns); arrays are float32 (n, d).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from core.errors import HashingInputError
from core.hashing.data import PairedFeatures

FeatureKind = Literal["raw", "kernel"]
Matrix = npt.NDArray[np.float32]
_CHUNK = 8192


def l2_normalise(X: npt.NDArray[Any]) -> Matrix:
    """Rows scaled to unit length (zero rows stay zero)."""
    rows: Matrix = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    normalised: Matrix = rows / np.maximum(norms, np.float32(1e-12))
    return normalised


@dataclass
class FeatureMap:
    """A fitted per-modality feature map; ``transform`` applies it to new rows."""

    kind: FeatureKind
    mean: Matrix
    anchors: Matrix | None = None
    sigma2: float = 1.0
    kernel_mean: Matrix | None = None

    @property
    def out_dim(self) -> int:
        """Dimension of the transformed features."""
        return int(self.anchors.shape[0] if self.anchors is not None else self.mean.shape[0])

    def transform(self, X: npt.NDArray[Any]) -> Matrix:
        """(m, d) features → (m, out_dim) mapped features."""
        centred = l2_normalise(X) - self.mean
        if self.anchors is None:
            return centred
        assert self.kernel_mean is not None
        return _rbf(centred, self.anchors, self.sigma2) - self.kernel_mean

    def state(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        """Arrays for persistence under ``prefix/``."""
        out: dict[str, npt.NDArray[Any]] = {f"{prefix}/mean": self.mean}
        if self.anchors is not None and self.kernel_mean is not None:
            out[f"{prefix}/anchors"] = self.anchors
            out[f"{prefix}/sigma2"] = np.array(self.sigma2)
            out[f"{prefix}/kernel_mean"] = self.kernel_mean
        return out

    @classmethod
    def from_state(cls, prefix: str, state: dict[str, npt.NDArray[Any]]) -> FeatureMap:
        """Inverse of :meth:`state` (KeyError when arrays are missing)."""
        mean = np.asarray(state[f"{prefix}/mean"], dtype=np.float32)
        if f"{prefix}/anchors" not in state:
            return cls("raw", mean)
        return cls(
            "kernel",
            mean,
            np.asarray(state[f"{prefix}/anchors"], dtype=np.float32),
            float(state[f"{prefix}/sigma2"]),
            np.asarray(state[f"{prefix}/kernel_mean"], dtype=np.float32),
        )


def fit_feature_map(
    X: npt.NDArray[Any], kind: FeatureKind, n_anchors: int, rng: np.random.Generator
) -> FeatureMap:
    """Fit a :class:`FeatureMap` on training rows ``X`` (n, d)."""
    return fit_transform_feature_map(X, kind, n_anchors, rng)[0]


def fit_transform_feature_map(
    X: npt.NDArray[Any],
    kind: FeatureKind,
    n_anchors: int,
    rng: np.random.Generator,
    anchor_rows: npt.NDArray[np.intp] | None = None,
) -> tuple[FeatureMap, Matrix]:
    """Fit a :class:`FeatureMap` on ``X`` (n, d) and return it with ``transform(X)``.

    The training distances to the anchors are computed once, for σ², the kernel mean
    and the mapped training rows alike. ``anchor_rows`` picks the kernel anchors
    explicitly (then ``n_anchors`` and ``rng`` are unused): giving both modalities the
    same rows pairs their kernel features.
    """
    normalised = l2_normalise(X)
    mean = normalised.mean(axis=0).astype(np.float32)
    centred = normalised - mean
    if kind == "raw":
        return FeatureMap("raw", mean), centred
    if kind != "kernel":
        raise HashingInputError("The feature map must be 'raw' or 'kernel'.", repr(kind))
    if anchor_rows is None:
        k = min(n_anchors, centred.shape[0])
        anchor_rows = rng.choice(centred.shape[0], size=k, replace=False)
    anchors = centred[anchor_rows].copy()
    del normalised
    mapped = _squared_distances(centred, anchors)
    del centred
    sigma2 = max(float(np.mean(mapped, dtype=np.float64)), 1e-12)
    np.multiply(mapped, np.float32(-0.5 / sigma2), out=mapped)
    np.exp(mapped, out=mapped)
    kernel_mean = mapped.mean(axis=0, dtype=np.float64).astype(np.float32)
    mapped -= kernel_mean
    return FeatureMap("kernel", mean, anchors, sigma2, kernel_mean), mapped


def fit_feature_maps(
    data: PairedFeatures,
    kind: FeatureKind,
    rng: np.random.Generator,
    anchors: tuple[int, int] = (0, 0),
) -> tuple[tuple[FeatureMap, FeatureMap], tuple[Matrix, Matrix]]:
    """The image and text maps of a training set (anchors: k_x, k_y) and the mapped rows.

    Returns:
        The two maps, and the two mapped training matrices (computed with the fit).
    """
    image_map, image = fit_transform_feature_map(data.image, kind, anchors[0], rng)
    text_map, text = fit_transform_feature_map(data.text, kind, anchors[1], rng)
    return (image_map, text_map), (image, text)


def fit_paired_feature_maps(
    data: PairedFeatures, kind: FeatureKind, rng: np.random.Generator, n_anchors: int
) -> tuple[tuple[FeatureMap, FeatureMap], tuple[Matrix, Matrix]]:
    """Image and text maps whose kernel anchors are the same training pairs.

    Feature j of both modalities then measures similarity to pair j, so one projection
    can be shared across modalities even when their raw spaces differ.

    Returns:
        The two maps, and the two mapped training matrices.
    """
    rows = rng.choice(data.n_items, size=min(n_anchors, data.n_items), replace=False)
    image_map, image = fit_transform_feature_map(data.image, kind, n_anchors, rng, rows)
    text_map, text = fit_transform_feature_map(data.text, kind, n_anchors, rng, rows)
    return (image_map, text_map), (image, text)


def _squared_distances(X: Matrix, anchors: Matrix) -> Matrix:
    out = np.empty((X.shape[0], anchors.shape[0]), dtype=np.float32)
    anchor_sq = np.einsum("ij,ij->i", anchors, anchors)
    for start in range(0, X.shape[0], _CHUNK):
        block = X[start : start + _CHUNK]
        sq = np.einsum("ij,ij->i", block, block)[:, None] - 2.0 * (block @ anchors.T)
        out[start : start + _CHUNK] = np.maximum(sq + anchor_sq[None, :], 0.0)
    return out


def _rbf(X: Matrix, anchors: Matrix, sigma2: float) -> Matrix:
    distances = _squared_distances(X, anchors)
    np.multiply(distances, np.float32(-0.5 / sigma2), out=distances)
    return np.exp(distances, out=distances)
