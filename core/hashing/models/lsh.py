"""Random-projection LSH, the floor every learned method must clear.

Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002.
Symbols: each modality is L2-normalised and centred on its training mean (spec §0),
then ``b = sgn(x·W)`` with W (d, r) drawn from N(0, 1).

Departure for the cross-modal case: when image and text features share a space
(equal dimensions, as with CLIP) both modalities use the same W, which preserves
cross-modal angles; when they do not, each modality gets its own W and cross-modal
retrieval is at chance level — the honest floor for unaligned features.
"""

from __future__ import annotations

from core.hashing.base import FitContext
from core.hashing.data import PairedFeatures
from core.hashing.models.linear import LinearHasher
from core.hashing.models.preprocess import fit_feature_maps


class LSH(LinearHasher):
    """Sign random projections (SimHash) on centred, normalised features."""

    name = "lsh"

    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        rng = context.rng
        maps, _ = fit_feature_maps(data, "raw", rng)
        dx, dy = data.image.shape[1], data.text.shape[1]
        W_x = rng.standard_normal((dx, self.n_bits))
        W_y = W_x if dx == dy else rng.standard_normal((dy, self.n_bits))
        self._set_functions(maps, W_x, W_y)
