"""FPO-CMH's multimodal dual-tier anchor bank (docs/design/research/fpo-cmh.md §2).

One row per class, the same rows in both modalities: a feature tier (the class's
anchor in each modality's input space, A_I and A_T) and a code tier (its relaxed code
under each head, the spec's ``I_code_bank`` / ``T_code_bank``). Rows only grow: a
class unseen at initialisation waits in a per-modality buffer until it has been seen
``promote_after`` times in *each* modality, then joins as a new row.

Updates are exponential moving averages with factor ½ (§2.4, §7.7), kept as in the
reference. Fixes of the reference code (§7): every row is updated, row 0 included
(§7.6: the reference guarded the write with ``if bank_idx:``); stored tiers are plain
arrays, never tied to gradients (§7.9); a promoted class's buffers are dropped, since
the reference never reads them again.

The code tier is written but, as in the reference (§7.1), no loss reads it: losses
use the live codes f_m(A_m). It is kept for inspection and drift monitoring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]
StateDict = dict[str, npt.NDArray[Any]]
_MODALITY = ("image", "text")


@dataclass
class NovelBuffer:
    """The anchor buffer pool of one modality: class → (feature, code, sightings)."""

    features: dict[int, Vector] = field(default_factory=dict)
    codes: dict[int, Vector] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)

    def observe(self, c: int, x: Vector, h: Vector) -> None:
        """EMA-½ of the class's buffered feature and code (the first sighting is x itself)."""
        if c not in self.features:
            self.features[c], self.codes[c], self.counts[c] = x.copy(), h.copy(), 0
        self.features[c] = 0.5 * (x + self.features[c])
        self.codes[c] = 0.5 * (h + self.codes[c])
        self.counts[c] += 1

    def pop(self, c: int) -> tuple[Vector, Vector]:
        """Remove a promoted class and return its (feature, code)."""
        del self.counts[c]
        return self.features.pop(c), self.codes.pop(c)

    def state(self, prefix: str, dim: int, n_bits: int) -> StateDict:
        """Arrays under ``prefix/`` (classes in insertion order)."""
        classes = list(self.features)
        return {
            f"{prefix}/classes": np.array(classes, dtype=np.int64),
            f"{prefix}/features": _rows([self.features[c] for c in classes], dim),
            f"{prefix}/codes": _rows([self.codes[c] for c in classes], n_bits),
            f"{prefix}/counts": np.array([self.counts[c] for c in classes], dtype=np.int64),
        }

    @classmethod
    def from_state(cls, prefix: str, state: StateDict) -> NovelBuffer:
        """Inverse of :meth:`state`."""
        classes = [int(c) for c in state[f"{prefix}/classes"]]
        features = np.asarray(state[f"{prefix}/features"], np.float32)
        codes = np.asarray(state[f"{prefix}/codes"], np.float32)
        counts = state[f"{prefix}/counts"]
        if not len(classes) == len(features) == len(codes) == len(counts):
            raise ValueError(f"{prefix}: buffers of different lengths")
        return cls(
            {c: features[i].copy() for i, c in enumerate(classes)},
            {c: codes[i].copy() for i, c in enumerate(classes)},
            {c: int(counts[i]) for i, c in enumerate(classes)},
        )


@dataclass(frozen=True)
class BankChange:
    """Rows one observation touched: ``updated`` (existing rows) and ``added`` (new rows)."""

    updated: tuple[int, ...] = ()
    added: tuple[int, ...] = ()


class AnchorBank:
    """Feature and code anchors per class and modality; rows aligned across modalities.

    Args:
        classes: (K,) class of each row.
        features: (A_I (K, d_x), A_T (K, d_y)) feature tier.
        codes: (K, k) code tier of each modality.
        promote_after: Sightings per modality before a novel class joins
            (the spec's ``is_accessible_bank_count``).
    """

    def __init__(
        self,
        classes: npt.NDArray[np.int64],
        features: tuple[Matrix, Matrix],
        codes: tuple[Matrix, Matrix],
        promote_after: int,
        buffers: tuple[NovelBuffer, NovelBuffer] | None = None,
    ) -> None:
        self.classes = [int(c) for c in classes]
        self.row_of = {c: r for r, c in enumerate(self.classes)}
        if len(self.row_of) != len(self.classes):
            raise ValueError("a class has two bank rows")
        self.features = [np.array(f, dtype=np.float32) for f in features]
        self.codes = [np.array(c, dtype=np.float32) for c in codes]
        self.promote_after = promote_after
        self.buffers = buffers or (NovelBuffer(), NovelBuffer())

    @property
    def size(self) -> int:
        """Number of rows K."""
        return len(self.classes)

    def is_known(self, c: int) -> bool:
        """Whether class ``c`` has a row."""
        return c in self.row_of

    def observe(
        self,
        modality: int,
        x: Vector,
        h: Vector,
        labels: Sequence[int],
        live_code: Callable[[int], Vector],
    ) -> BankChange:
        """Fold one item of ``modality`` into the bank (spec §2.4).

        Args:
            modality: 0 for image, 1 for text.
            x: (d_m,) the item's features.
            h: (k,) its relaxed code under the current head.
            labels: Its pseudo-labels (class indices).
            live_code: Row r → f_m(A_m[r]) under the current head, before this update.
        """
        updated: list[int] = []
        added: list[int] = []
        for c in labels:
            r = self.row_of.get(c)
            if r is not None:
                old_code = live_code(r)
                self.features[modality][r] = 0.5 * (x + self.features[modality][r])
                self.codes[modality][r] = 0.5 * (h + old_code)
                updated.append(r)
                continue
            self.buffers[modality].observe(c, x, h)
            if self._ready(c):
                added.append(self._promote(c))
        return BankChange(tuple(updated), tuple(added))

    def _ready(self, c: int) -> bool:
        return all(b.counts.get(c, 0) >= self.promote_after for b in self.buffers)

    def _promote(self, c: int) -> int:
        row = self.size
        for m, buffer in enumerate(self.buffers):
            feature, code = buffer.pop(c)
            self.features[m] = np.vstack([self.features[m], feature[None, :]])
            self.codes[m] = np.vstack([self.codes[m], code[None, :]])
        self.classes.append(c)
        self.row_of[c] = row
        return row

    def state(self) -> StateDict:
        """Rows, both tiers and both buffers under ``bank/``."""
        n_bits = self.codes[0].shape[1]
        out: StateDict = {
            "bank/classes": np.array(self.classes, dtype=np.int64),
            "bank/promote_after": np.array(self.promote_after, dtype=np.int64),
        }
        for m, name in enumerate(_MODALITY):
            out[f"bank/features_{name}"] = self.features[m]
            out[f"bank/codes_{name}"] = self.codes[m]
            dim = self.features[m].shape[1]
            out.update(self.buffers[m].state(f"bank/buffer_{name}", dim, n_bits))
        return out

    @classmethod
    def from_state(cls, state: StateDict) -> AnchorBank:
        """Inverse of :meth:`state` (KeyError/ValueError when broken)."""
        features = tuple(np.asarray(state[f"bank/features_{n}"], np.float32) for n in _MODALITY)
        codes = tuple(np.asarray(state[f"bank/codes_{n}"], np.float32) for n in _MODALITY)
        classes = np.asarray(state["bank/classes"], np.int64)
        if not all(len(a) == len(classes) for a in (*features, *codes)):
            raise ValueError("bank tiers of different lengths")
        buffers = tuple(NovelBuffer.from_state(f"bank/buffer_{n}", state) for n in _MODALITY)
        return cls(
            classes,
            (features[0], features[1]),
            (codes[0], codes[1]),
            int(state["bank/promote_after"]),
            (buffers[0], buffers[1]),
        )


def initial_bank(
    features: tuple[Matrix, Matrix],
    codes: tuple[Matrix, Matrix],
    labels: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]],
    promote_after: int,
) -> AnchorBank:
    """The bank built from the offline training data (spec §2.3).

    Args:
        features: (X^I (n, d_x), X^T (n, d_y)) offline features.
        codes: (U^I, U^T) their relaxed codes (n, k) under the offline heads.
        labels: (Y^I, Y^T) (n, C) pseudo-labels of each modality, computed independently.
        promote_after: See :class:`AnchorBank`.

    Returns:
        A bank with one row per class labelled in both modalities (ascending class
        order), each tier the mean over the rows carrying the class in that modality.
    """
    Y = [np.asarray(y, dtype=np.float32) for y in labels]
    counts = [y.sum(axis=0) for y in Y]
    classes = np.flatnonzero((counts[0] > 0) & (counts[1] > 0)).astype(np.int64)
    tiers: list[list[Matrix]] = [[], []]
    for m in (0, 1):
        weights = Y[m][:, classes] / counts[m][classes]
        tiers[0].append((weights.T @ features[m]).astype(np.float32))
        tiers[1].append((weights.T @ codes[m]).astype(np.float32))
    return AnchorBank(
        classes,
        (tiers[0][0], tiers[0][1]),
        (tiers[1][0], tiers[1][1]),
        promote_after,
    )


def _rows(rows: list[Vector], width: int) -> Matrix:
    if not rows:
        return np.zeros((0, width), dtype=np.float32)
    return np.stack(rows).astype(np.float32)
