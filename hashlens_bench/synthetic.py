"""Synthetic paired features with class structure, for tests and quick experiments.

Each class owns a latent prototype; an item's latent vector is the mean of its
classes' prototypes plus item noise. Each modality sees the latent vector through
its own fixed random linear map, plus modality-specific noise, plus a block of
pure-noise dimensions. So the image and text spaces are not aligned (random
projections of both fall near chance across modalities), a shared subspace exists
for unsupervised methods (CCA) to find, and labels tell supervised methods exactly
which directions matter.
"""

from __future__ import annotations

import numpy as np

from core.errors import DatasetError
from core.types import FloatArray
from hashlens_bench.dataset import FeatureDataset, LabelArray
from hashlens_bench.splits import group_split

LATENT_DIM = 16


def make_synthetic(
    n: int = 2000,
    dx: int = 64,
    dy: int = 48,
    n_classes: int = 10,
    *,
    multilabel: bool = False,
    seed: int = 0,
    noise: float = 0.6,
    query_fraction: float = 0.1,
) -> FeatureDataset:
    """A :class:`FeatureDataset` of ``n`` pairs with ``n_classes`` classes.

    Args:
        n: Number of rows.
        dx: Image feature dimension (at least ``LATENT_DIM``).
        dy: Text feature dimension (at least ``LATENT_DIM``).
        n_classes: Number of classes.
        multilabel: Give each item one to three classes instead of exactly one.
        seed: Seed of the instance-owned random generator (same seed, same data).
        noise: Standard deviation of the per-modality noise relative to the signal.
        query_fraction: Share of rows held out as queries; the rest is database = train.
    """
    if n < 20 or n_classes < 2 or min(dx, dy) < LATENT_DIM:
        raise DatasetError(
            f"make_synthetic needs n >= 20, n_classes >= 2 and dimensions >= {LATENT_DIM}."
        )
    rng = np.random.default_rng(seed)
    labels = _labels(rng, n, n_classes, multilabel)
    prototypes = rng.standard_normal((n_classes, LATENT_DIM))
    weights = labels / labels.sum(axis=1, keepdims=True)
    latent = weights @ prototypes + 0.3 * rng.standard_normal((n, LATENT_DIM))
    image = _view(rng, latent, dx, noise)
    text = _view(rng, latent, dy, noise)
    split = group_split(np.arange(n, dtype=np.int64), seed=seed, query_fraction=query_fraction)
    return FeatureDataset(
        image=image,
        text=text,
        labels=labels,
        train=split.train,
        query=split.query,
        database=split.database,
        label_names=tuple(f"class-{i}" for i in range(n_classes)),
        name="synthetic",
        meta={
            "source": "make_synthetic",
            "seed": seed,
            "multilabel": multilabel,
            "noise": noise,
            "split": split.describe(),
        },
    )


def _labels(rng: np.random.Generator, n: int, n_classes: int, multilabel: bool) -> LabelArray:
    labels = np.zeros((n, n_classes), dtype=np.uint8)
    labels[np.arange(n), rng.integers(0, n_classes, size=n)] = 1
    if multilabel:
        extra = rng.integers(0, 3, size=n)  # 0, 1 or 2 further classes
        for row in np.flatnonzero(extra):
            labels[row, rng.choice(n_classes, size=extra[row], replace=False)] = 1
    return labels


def _view(rng: np.random.Generator, latent: np.ndarray, dim: int, noise: float) -> FloatArray:
    signal_dim = dim // 2
    mixing = rng.standard_normal((latent.shape[1], signal_dim)) / np.sqrt(latent.shape[1])
    signal = latent @ mixing
    signal += noise * signal.std() * rng.standard_normal(signal.shape)
    filler = signal.std() * rng.standard_normal((latent.shape[0], dim - signal_dim))
    return np.hstack([signal, filler]).astype(np.float32)
