"""Inputs of a hasher: row-aligned paired features and partial-modal stream batches.

Both records validate themselves on construction, so a hasher never sees NaN, ragged
rows or labels of the wrong shape. Arrays are converted to float32 (features), uint8
(labels) and bool (mask) copies that the caller cannot mutate afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import HashingInputError
from core.types import FloatArray

LabelArray = npt.NDArray[np.uint8]
MaskArray = npt.NDArray[np.bool_]
WeightArray = npt.NDArray[np.float32]

CONCEPT_EMBEDDINGS = "concept_embeddings"
"""``aux`` key of (C, d) CLIP prompt embeddings of a concept vocabulary (zero-shot labels)."""


def as_features(array: Any, what: str, *, dim: int | None = None) -> FloatArray:
    """Return ``array`` as a read-only float32 (n, d) matrix or raise HashingInputError.

    Args:
        array: Anything NumPy can turn into a 2-D numeric array.
        what: Name used in messages ("image features").
        dim: Expected number of columns, if known.
    """
    matrix = np.asarray(array)
    if matrix.ndim != 2:
        raise HashingInputError(
            f"The {what} must be a 2-D array (items × dimensions).",
            f"got shape {matrix.shape}",
        )
    if not (np.issubdtype(matrix.dtype, np.floating) or np.issubdtype(matrix.dtype, np.integer)):
        raise HashingInputError(f"The {what} must be numbers.", f"got dtype {matrix.dtype}")
    if dim is not None and matrix.shape[1] != dim:
        raise HashingInputError(
            f"The {what} have {matrix.shape[1]} dimensions, but this model was trained on {dim}.",
            f"expected (n, {dim}), got {matrix.shape}",
        )
    out = np.array(matrix, dtype=np.float32, copy=True)
    if not np.isfinite(out).all():
        bad = int(np.count_nonzero(~np.isfinite(out).all(axis=1)))
        raise HashingInputError(
            f"The {what} contain NaN or infinite values ({bad} rows).", "non-finite input"
        )
    out.setflags(write=False)
    return out


def as_labels(array: Any, n_rows: int) -> LabelArray:
    """Return ``array`` as a read-only (n_rows, c) uint8 matrix of 0/1 or raise."""
    labels = np.asarray(array)
    if labels.ndim != 2 or labels.shape[0] != n_rows or labels.shape[1] == 0:
        raise HashingInputError(
            "The labels must be a matrix with one row per item and one column per class.",
            f"expected ({n_rows}, c) with c >= 1, got {labels.shape}",
        )
    if labels.dtype != np.bool_ and not np.isin(labels, (0, 1)).all():
        raise HashingInputError("The labels must be 0 or 1.", f"dtype {labels.dtype}")
    out = labels.astype(np.uint8, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class PairedFeatures:
    """Row-aligned training data: row i of every array describes the same item.

    Attributes:
        image: (n, d_x) image features.
        text: (n, d_y) text features.
        labels: (n, c) 0/1 class matrix, or None for unsupervised training.
        label_mask: (n,) bool, True where the row's labels are known (semi-supervised
            methods); None means every row of ``labels`` is known.
        aux: Extra named arrays a method may need (for example CLIP prompt embeddings).
        label_weights: (n,) trust in each row's labels, in [0, 1] (1: a true label), or
            None for full trust everywhere. LPIH sets it for the pseudo-labelled rows it
            relearns from; HPsEH and BATCH weigh each row's pairwise semantics by it,
            the other methods ignore it (docs/methods/lpih.md, "Trust-weighted
            pseudo-labels").
        validation_labels: (n, c_v) 0/1 labels that score the self-tuning search instead
            of ``labels``, or None. Rows with none are never validation queries or part
            of the validation database. LPIH sets the true labels of 𝓛 here when it
            relearns from pseudo-labels, so that its search is not scored against its
            own guesses (core.hashing.validation; docs/methods/lpih.md, "Scoring the
            relearned search on the true labels").
    """

    image: FloatArray
    text: FloatArray
    labels: LabelArray | None = None
    label_mask: MaskArray | None = None
    aux: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    label_weights: WeightArray | None = None
    validation_labels: LabelArray | None = None

    def __post_init__(self) -> None:
        image = as_features(self.image, "image features")
        text = as_features(self.text, "text features")
        if image.shape[0] != text.shape[0]:
            raise HashingInputError(
                "Image and text features must have one row per item, in the same order.",
                f"{image.shape[0]} image rows vs {text.shape[0]} text rows",
            )
        if image.shape[0] == 0:
            raise HashingInputError("There is nothing to train on: the training set is empty.")
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "text", text)
        if self.labels is not None:
            object.__setattr__(self, "labels", as_labels(self.labels, image.shape[0]))
        if self.label_mask is not None:
            self._set_mask()
        if self.label_weights is not None:
            self._set_weights()
        if self.validation_labels is not None:
            if self.labels is None:
                raise HashingInputError("Validation labels were given without labels.")
            checked = as_labels(self.validation_labels, image.shape[0])
            object.__setattr__(self, "validation_labels", checked)

    def _set_weights(self) -> None:
        weights = np.asarray(self.label_weights)
        if self.labels is None:
            raise HashingInputError("Label weights were given without labels.")
        if weights.shape != (self.n_items,) or not np.issubdtype(weights.dtype, np.number):
            raise HashingInputError(
                "The label weights must be one number per item.",
                f"expected ({self.n_items},), got {weights.shape} {weights.dtype}",
            )
        frozen = weights.astype(np.float32, copy=True)
        if not (np.isfinite(frozen).all() and (frozen >= 0).all() and (frozen <= 1).all()):
            raise HashingInputError("The label weights must lie between 0 and 1.", "out of [0, 1]")
        frozen.setflags(write=False)
        object.__setattr__(self, "label_weights", frozen)

    def take(self, rows: Any, label_mask: MaskArray | None = None) -> PairedFeatures:
        """The pairs ``rows`` (an index or boolean mask) with their labels and their weights.

        Label weights and validation labels come along.

        The label mask is not carried over: pass the one the subset should have, if any.
        """
        return PairedFeatures(
            self.image[rows],
            self.text[rows],
            None if self.labels is None else self.labels[rows],
            label_mask,
            label_weights=None if self.label_weights is None else self.label_weights[rows],
            validation_labels=(
                None if self.validation_labels is None else self.validation_labels[rows]
            ),
        )

    def _set_mask(self) -> None:
        mask = np.asarray(self.label_mask)
        if self.labels is None:
            raise HashingInputError("A label mask was given without labels.")
        if mask.shape != (self.n_items,) or mask.dtype != np.bool_:
            raise HashingInputError(
                "The label mask must be one True/False value per item.",
                f"expected ({self.n_items},) bool, got {mask.shape} {mask.dtype}",
            )
        frozen = mask.copy()
        frozen.setflags(write=False)
        object.__setattr__(self, "label_mask", frozen)

    @property
    def n_items(self) -> int:
        """Number of rows."""
        return int(self.image.shape[0])

    def known_labels(self) -> MaskArray:
        """(n,) bool: rows whose labels may be used (all rows when there is no mask)."""
        if self.label_mask is not None:
            return self.label_mask
        return np.ones(self.n_items, dtype=np.bool_)


@dataclass(frozen=True)
class StreamBatch:
    """A batch of newly arrived items for online learning; either side may be missing.

    Attributes:
        image: (m, d_x) image features, or None for text-only items.
        text: (m, d_y) text features, or None for image-only items. When both are given
            the rows are paired.
        labels: (m, c) 0/1 labels when known, else None.
    """

    image: FloatArray | None = None
    text: FloatArray | None = None
    labels: LabelArray | None = None

    def __post_init__(self) -> None:
        if self.image is None and self.text is None:
            raise HashingInputError("A stream item needs an image, a text, or both.")
        rows: set[int] = set()
        for name, what in (("image", "image features"), ("text", "text features")):
            value = getattr(self, name)
            if value is not None:
                checked = as_features(value, what)
                object.__setattr__(self, name, checked)
                rows.add(checked.shape[0])
        if len(rows) != 1:
            raise HashingInputError(
                "Paired image and text features in a stream batch must have the same rows.",
                f"row counts {sorted(rows)}",
            )
        if self.labels is not None:
            object.__setattr__(self, "labels", as_labels(self.labels, rows.pop()))

    @property
    def n_items(self) -> int:
        """Number of rows."""
        side = self.image if self.image is not None else self.text
        assert side is not None
        return int(side.shape[0])
