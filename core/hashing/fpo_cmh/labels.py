"""FPO-CMH's pluggable pseudo-labellers: which classes a single image or text belongs to.

The anchor bank is keyed by class, and every streaming item is placed in the bank by
the classes its pseudo-labeller gives it (docs/design/research/fpo-cmh.md §2.2). Two labellers:

* :class:`ZeroShotLabeller` — the spec's CLIP zero-shot classifier over a concept
  vocabulary: p = softmax(τ · cos(x, E)) with E (C, d) the prompt embeddings, one row
  per concept (the trainer computes them with the library's CLIP text encoder and
  passes them as ``aux["concept_embeddings"]``). Works for image and text features
  alike because CLIP puts both in E's space.
* :class:`RidgeLabeller` — a learned label function for features that are not CLIP
  (no prompt can be embedded in their space): per modality, scale-free ridge from the
  centred, normalised features to the row-normalised label vectors of the labelled
  training rows (LPIH's feature label function, docs/design/research/hpseh-lpih.md §2 stage 1).
  Its scores read as a class distribution (each target row sums to 1 over its classes).

Either way an item's labels are the classes scoring above θ (``theta``): 0 to 3
labels at θ = 0.3.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from core.errors import HashingInputError
from core.hashing.data import CONCEPT_EMBEDDINGS
from core.hashing.models.linalg import ridge
from core.hashing.models.preprocess import FeatureMap, fit_feature_map, l2_normalise

Matrix = npt.NDArray[np.float32]
StateDict = dict[str, npt.NDArray[Any]]

CONCEPTS_AUX = CONCEPT_EMBEDDINGS
"""Key of the (C, d) concept prompt embeddings in ``PairedFeatures.aux``."""


class PseudoLabeller(Protocol):
    """Scores of every class for features of one modality (0 = image, 1 = text)."""

    kind: str

    @property
    def n_classes(self) -> int:
        """Number of classes (bank keys range over 0 .. n_classes − 1)."""
        ...

    def scores(self, X: npt.NDArray[Any], modality: int) -> Matrix:
        """(n, d_m) features → (n, C) class scores; labels are the scores above θ."""
        ...

    def state(self) -> StateDict:
        """Arrays for persistence under ``labeller/``."""
        ...


class ZeroShotLabeller:
    """CLIP zero-shot over concept prompt embeddings (spec §2.2).

    Args:
        embeddings: (C, d) prompt embeddings (normalised here).
        temperature: CLIP's logit scale τ (100).
    """

    kind = "zero-shot"

    def __init__(self, embeddings: npt.NDArray[Any], temperature: float) -> None:
        self.embeddings = l2_normalise(embeddings)
        self.temperature = float(temperature)

    @property
    def n_classes(self) -> int:
        """Number of concepts."""
        return int(self.embeddings.shape[0])

    def scores(self, X: npt.NDArray[Any], modality: int) -> Matrix:
        """softmax(τ · cos(x, E)) for each row of X (either modality)."""
        logits = self.temperature * (l2_normalise(X) @ self.embeddings.T)
        return softmax_rows(logits)

    def state(self) -> StateDict:
        """The normalised embeddings and τ."""
        return {
            "labeller/embeddings": self.embeddings,
            "labeller/temperature": np.array(self.temperature),
        }


class RidgeLabeller:
    """Per-modality ridge label functions on centred, normalised features.

    Args:
        maps: (image, text) raw feature maps fitted on the training rows.
        weights: (image, text) ridge weights, (d_m, C) each.
    """

    kind = "ridge"

    def __init__(self, maps: tuple[FeatureMap, FeatureMap], weights: tuple[Matrix, Matrix]) -> None:
        self.maps = maps
        self.weights = weights

    @property
    def n_classes(self) -> int:
        """Number of label columns seen in training."""
        return int(self.weights[0].shape[1])

    def scores(self, X: npt.NDArray[Any], modality: int) -> Matrix:
        """φ_m(x) · P_m for each row of X."""
        scored: Matrix = self.maps[modality].transform(X) @ self.weights[modality]
        return scored

    def state(self) -> StateDict:
        """Feature maps and weights of both modalities."""
        return {
            **self.maps[0].state("labeller/image"),
            **self.maps[1].state("labeller/text"),
            "labeller/P_image": self.weights[0],
            "labeller/P_text": self.weights[1],
        }


def fit_ridge_labeller(
    image: npt.NDArray[Any],
    text: npt.NDArray[Any],
    labels: npt.NDArray[Any],
    known: npt.NDArray[np.bool_],
    xi: float,
) -> RidgeLabeller:
    """Fit a :class:`RidgeLabeller` on the rows whose labels are known and non-empty.

    Args:
        image: (n, d_x) image features.
        text: (n, d_y) text features.
        labels: (n, C) 0/1 labels.
        known: (n,) bool, rows whose labels may be used.
        xi: Scale-free ridge weight.

    Raises:
        HashingInputError: No row carries a label.
    """
    rows = known & (np.asarray(labels).sum(axis=1) > 0)
    if not rows.any():
        raise HashingInputError(
            "FPO-CMH's learned label function needs some labelled items, and none has a label.",
            "0 labelled rows",
        )
    L = np.asarray(labels[rows], dtype=np.float64)
    L_hat = L / L.sum(axis=1, keepdims=True)
    maps: list[FeatureMap] = []
    weights: list[Matrix] = []
    for X in (image[rows], text[rows]):
        feature_map = fit_feature_map(X, "raw", 0, np.random.default_rng(0))
        maps.append(feature_map)
        weights.append(ridge(feature_map.transform(X), L_hat, xi).astype(np.float32))
    return RidgeLabeller((maps[0], maps[1]), (weights[0], weights[1]))


def labeller_from_state(kind: str, state: StateDict) -> PseudoLabeller:
    """Rebuild the labeller saved by ``state()`` (KeyError/ValueError when broken)."""
    if kind == ZeroShotLabeller.kind:
        return ZeroShotLabeller(state["labeller/embeddings"], float(state["labeller/temperature"]))
    if kind == RidgeLabeller.kind:
        maps = (
            FeatureMap.from_state("labeller/image", state),
            FeatureMap.from_state("labeller/text", state),
        )
        weights = (
            np.asarray(state["labeller/P_image"], np.float32),
            np.asarray(state["labeller/P_text"], np.float32),
        )
        return RidgeLabeller(maps, weights)
    raise ValueError(f"unknown labeller {kind!r}")


def softmax_rows(logits: npt.NDArray[Any]) -> Matrix:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    out: Matrix = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
    return out
