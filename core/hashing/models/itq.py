"""ITQ in the shared feature space ("CLIP-ITQ").

Gong & Lazebnik, "Iterative quantization: a Procrustean approach to learning binary
codes", CVPR 2011; docs/design/research/hpseh-lpih.md §4.1 (CLIP note).

Symbols: X, Y (n, d) image/text features, each L2-normalised and centred on its own
training mean (centring per modality removes CLIP's modality gap, so an image and its
caption land near each other); W (d, r) = top-r principal directions of the pooled
rows [X; Y]; R (r, r) the ITQ rotation (50 iterations); codes b = sgn(x·W·R).

Needs image and text features in one space (equal dimensions, e.g. CLIP); for
unaligned features use ``cca-itq``. Needs n_bits ≤ d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import HashingInputError
from core.hashing.base import FitContext
from core.hashing.data import PairedFeatures
from core.hashing.models.linalg import itq_rotation, pca
from core.hashing.models.linear import LinearHasher
from core.hashing.models.preprocess import fit_feature_maps


@dataclass(frozen=True)
class ITQParams:
    """Hyperparameters of ITQ (see the module docstring for their symbols)."""

    iterations: int = 50


class ITQ(LinearHasher):
    """PCA of the pooled modalities followed by an ITQ rotation."""

    name = "itq"

    Params = ITQParams
    params: ITQParams

    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        dx, dy = data.image.shape[1], data.text.shape[1]
        if dx != dy:
            raise HashingInputError(
                "ITQ needs image and text features in one shared space; "
                "these have different dimensions. Use cca-itq instead.",
                f"image {dx}-d, text {dy}-d",
            )
        if self.n_bits > dx:
            raise HashingInputError(
                f"ITQ can make at most {dx} bits from {dx}-dimensional features.",
                f"n_bits={self.n_bits}",
            )
        maps, mapped = fit_feature_maps(data, "raw", context.rng)
        pooled = np.vstack(mapped)
        directions = pca(pooled, self.n_bits)
        rotation = itq_rotation(pooled @ directions, self.params.iterations, context.rng)
        W = directions @ rotation
        self._set_functions(maps, W, W)
