"""Clustered paired features in one shared space, for hasher contract tests.

Classes are centres in a low-dimensional subspace of a higher-dimensional space;
each modality adds its own isotropic noise and a constant offset (a "modality gap"),
so random projections waste bits on noise while learned methods can find the
class subspace. Multi-label rows get a second class with probability ``p_second``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Clustered:
    image: npt.NDArray[np.float32]
    text: npt.NDArray[np.float32]
    labels: npt.NDArray[np.uint8]


def clustered_pairs(
    n: int,
    *,
    dim: int = 96,
    classes: int = 8,
    subspace: int = 12,
    noise: float = 0.9,
    p_second: float = 0.2,
    seed: int = 0,
) -> Clustered:
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, subspace)))
    centres = rng.standard_normal((classes, subspace)) @ basis.T * 2.0
    first = rng.integers(0, classes, n)
    labels = np.zeros((n, classes), dtype=np.uint8)
    labels[np.arange(n), first] = 1
    second = rng.integers(0, classes, n)
    with_second = rng.random(n) < p_second
    labels[np.flatnonzero(with_second), second[with_second]] = 1
    signal = (labels @ centres) / labels.sum(axis=1, keepdims=True)
    gap = rng.standard_normal(dim)
    image = signal + noise * rng.standard_normal((n, dim))
    text = signal + gap + noise * rng.standard_normal((n, dim))
    return Clustered(image.astype(np.float32), text.astype(np.float32), labels)
