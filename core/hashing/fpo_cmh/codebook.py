"""FPO-CMH's novel-class codebook: new kinds of items coded by their bank row's codeword.

An extension of docs/design/research/fpo-cmh.md for issue #15 (docs/methods/fpo-cmh.md,
"Coding novel classes by the bank"). The spec's dual-tier bank keeps, per class, a
feature anchor and a code anchor; its heads must then learn every new class, and
linear heads on the offline model's feature maps cannot learn a new class without
moving the codes of the old ones (benchmarks/novel_stream_oracle.py: with perfect
pseudo-labels, novel-class queries rose from 0.04 to 0.22 but the offline items'
stored codes flipped 14 % and the overall gain stayed at +0.026). Here the heads stay
as the spec leaves them, and the bank codes the items of a *novel* row directly:

* **Novel.** An item is novel in modality m when its similarity (target space) to
  every offline exemplar is below the ``novel_quantile`` quantile of the offline
  exemplars' similarity to their nearest other exemplar.
* **Rows.** A novel item joins the row of its most similar row exemplar when that
  similarity reaches the ``neighbour`` threshold (the ``neighbour_quantile``
  percentile of offline pairs with no class in common) and beats its similarity to
  every offline exemplar, else it opens a row. A row's code tier is a fixed
  **codeword**: the sign of the opening item's relaxed code, bits flipped greedily
  until it is ``margin`` bits from every offline code and every other codeword (with
  many codes in few bits it may stop short). An item with a text is placed by its
  text (on the benchmark features text neighbours share a class 77–98 % of the time,
  image neighbours 29–75 %), and its image joins the same row; an image-only item only
  joins rows. A new row whose caption is close to another row's (the ``sibling``
  threshold, below joining) starts from that row's codeword and keeps only half the
  margin from it, so the kinds of one broad class stay near each other.
* **Coding.** An item of a *linked* row (one with exemplars of both modalities, so
  that the codeword means the same for images and texts) is coded by the codeword;
  every other item by its head. Offline items are their own nearest exemplar, so they
  never change code, and a stream of one modality changes nothing.

Each row keeps its latest ``memory`` exemplars per modality, so the cost of placing an
item is O((E + R·memory)·d) for E offline exemplars and R rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.hashing.fpo_cmh.novelty import NoveltyThresholds, unrelated_similarity

Matrix = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]
StateDict = dict[str, npt.NDArray[Any]]
_MODALITY = ("image", "text")
_CHUNK = 1024


@dataclass(frozen=True)
class CodebookSettings:
    """Margin of new codewords, exemplars kept per row and modality, sibling threshold.

    Attributes:
        margin: Bits between a new codeword and every other code (half for a sibling).
        memory: Latest exemplars kept per row and modality.
        sibling: Caption similarity to a row's exemplar at which a new row becomes that
            row's sibling (``inf``: never).
    """

    margin: int
    memory: int = 64
    sibling: float = float("inf")


def codebook_thresholds(
    exemplars: tuple[Matrix, Matrix],
    labels: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]],
    quantiles: tuple[float, float],
    rng: np.random.Generator,
) -> NoveltyThresholds:
    """Novel and neighbour thresholds from offline exemplars and their (pseudo-)labels.

    Args:
        exemplars: Per modality, (E, d_m) unit rows.
        labels: Per modality, (E, C) labels of the exemplars.
        quantiles: (novel quantile, neighbour quantile).
        rng: For the sample of unrelated pairs.
    """
    novel, neighbour = [], []
    for m in (0, 1):
        U = exemplars[m]
        nearest = np.ones(len(U), np.float32)
        for start in range(0, len(U) if len(U) > 1 else 0, _CHUNK):
            S = U[start : start + _CHUNK] @ U.T
            S[np.arange(len(S)), np.arange(start, start + len(S))] = -np.inf
            nearest[start : start + len(S)] = S.max(axis=1)
        novel.append(float(np.quantile(nearest, quantiles[0])))
        apart = unrelated_similarity(U, labels[m], quantiles[1], rng)
        neighbour.append(1.0 if apart is None else apart)
    return NoveltyThresholds((novel[0], novel[1]), (neighbour[0], neighbour[1]))


class RowMemory:
    """One modality's row exemplars in a growing array: unit rows, their row, arrival.

    Args:
        dim: Dimension of the unit rows.
    """

    def __init__(self, dim: int) -> None:
        self.units = np.zeros((0, dim), np.float32)
        self.rows = np.zeros(0, np.intp)
        self.stamps = np.zeros(0, np.int64)
        self.size = 0
        self.arrivals = 0

    def view(self) -> tuple[Matrix, npt.NDArray[np.intp]]:
        """(N, d) exemplars and their rows (views, no copy)."""
        return self.units[: self.size], self.rows[: self.size]

    def add(self, unit: Vector, row: int, limit: int) -> None:
        """Keep ``unit`` for ``row``, in place of the row's oldest when it has ``limit``."""
        mine = np.flatnonzero(self.rows[: self.size] == row)
        if len(mine) >= limit:
            slot = int(mine[np.argmin(self.stamps[mine])])
        else:
            if self.size == len(self.units):
                grown = max(2 * len(self.units), 64)
                self.units = np.resize(self.units, (grown, self.units.shape[1]))
                self.rows = np.resize(self.rows, grown)
                self.stamps = np.resize(self.stamps, grown)
            slot, self.size = self.size, self.size + 1
        self.units[slot] = unit
        self.rows[slot] = row
        self.stamps[slot] = self.arrivals
        self.arrivals += 1

    def state(self, prefix: str) -> StateDict:
        """The exemplars under ``prefix``."""
        return {
            f"{prefix}_units": self.units[: self.size].copy(),
            f"{prefix}_rows": self.rows[: self.size].astype(np.int64),
            f"{prefix}_stamps": self.stamps[: self.size].copy(),
        }

    @classmethod
    def from_state(cls, prefix: str, state: StateDict) -> RowMemory:
        """Inverse of :meth:`state` (ValueError when the arrays disagree)."""
        units = np.asarray(state[f"{prefix}_units"], np.float32)
        rows = np.asarray(state[f"{prefix}_rows"], np.intp)
        stamps = np.asarray(state[f"{prefix}_stamps"], np.int64)
        if units.ndim != 2 or not len(units) == len(rows) == len(stamps):
            raise ValueError(f"{prefix}: exemplars, rows and arrivals disagree")
        memory = cls(units.shape[1])
        memory.units, memory.rows, memory.stamps = units, rows, stamps
        memory.size = len(units)
        memory.arrivals = int(stamps.max()) + 1 if len(stamps) else 0
        return memory


NEW, OLD = -2, -1


class NovelCodebook:
    """Novel rows found in the stream, and the codewords that code their items.

    Args:
        exemplars: Per modality, offline unit rows (the reference of "old").
        thresholds: Novelty and neighbour thresholds.
        old_codes: (n, k) ±1 codes of offline items (new codewords keep away from them).
        settings: Margin, memory and sibling threshold.
    """

    def __init__(
        self,
        exemplars: tuple[Matrix, Matrix],
        thresholds: NoveltyThresholds,
        old_codes: Matrix,
        settings: CodebookSettings,
    ) -> None:
        self.exemplars = (
            np.asarray(exemplars[0], np.float32),
            np.asarray(exemplars[1], np.float32),
        )
        self.thresholds = thresholds
        self.old_codes = np.asarray(old_codes, np.float32)
        self.settings = settings
        self.codewords: list[Vector] = []
        self.memory = (RowMemory(exemplars[0].shape[1]), RowMemory(exemplars[1].shape[1]))

    # ------------------------------------------------------------------ queries
    @property
    def n_bits(self) -> int:
        """Code length."""
        return int(self.old_codes.shape[1])

    def linked_rows(self) -> set[int]:
        """Rows with exemplars of both modalities (the ones that code items)."""
        return set(self.memory[0].view()[1].tolist()) & set(self.memory[1].view()[1].tolist())

    def place(self, units: Matrix, m: int) -> npt.NDArray[np.intp]:
        """For (n, d_m) unit rows: their row, ``OLD`` (not novel) or ``NEW`` (novel, no row)."""
        out = np.full(len(units), OLD, np.intp)
        M, rows = self.memory[m].view()
        for start in range(0, len(units), _CHUNK):
            U = units[start : start + _CHUNK]
            offline = (U @ self.exemplars[m].T).max(axis=1)
            block = np.where(offline < self.thresholds.novel[m], NEW, OLD)
            if len(M):
                S = U @ M.T
                best = S.argmax(axis=1)
                similarity = S[np.arange(len(best)), best]
                joins = (similarity >= self.thresholds.neighbour[m]) & (similarity > offline)
                block = np.where(joins, rows[best], block)
            out[start : start + len(U)] = block
        return out

    def code(self, units: Matrix, m: int, projections: Matrix) -> Matrix:
        """Head projections with the items of linked rows replaced by their codeword."""
        if not self.codewords:
            return projections
        placed = self.place(units, m)
        linked = self.linked_rows()
        for i in np.flatnonzero(placed >= 0):
            if int(placed[i]) in linked:
                projections[i] = self.codewords[int(placed[i])]
        return projections

    # ----------------------------------------------------------------- learning
    def observe(
        self, units: tuple[Vector | None, Vector | None], relaxed: Callable[[], Matrix]
    ) -> int:
        """Learn from one arrived item (unit rows of the modalities present).

        Args:
            units: Per modality, the item's unit row or None.
            relaxed: Gives the (p, k) relaxed codes of the present sides; called only
                when the item opens a row (the heads' feature maps are not cheap).

        Returns:
            The item's row, or ``OLD``.
        """
        m = 1 if units[1] is not None else 0  # a caption places the item, else its photo
        unit = units[m]
        if unit is None:
            return OLD
        lead = int(self.place(unit[None, :], m)[0])
        if lead == OLD or (lead == NEW and m == 0):
            return OLD
        if lead == NEW:
            lead = self._open(relaxed().mean(axis=0), self._sibling_of(units[1]))
        for side, u in enumerate(units):
            if u is not None:
                self.memory[side].add(u, lead, self.settings.memory)
        return lead

    def _sibling_of(self, caption: Vector | None) -> int | None:
        """The row whose caption exemplar is most similar, if at least the sibling threshold."""
        exemplars, rows = self.memory[1].view()
        if caption is None or not len(exemplars):
            return None
        similarity = exemplars @ caption
        best = int(similarity.argmax())
        return int(rows[best]) if similarity[best] >= self.settings.sibling else None

    def _open(self, mean_code: Vector, sibling: int | None = None) -> int:
        """A new row's codeword: a start, bits flipped greedily away from the other codes.

        The start is sgn(mean code), or a sibling row's codeword (then only half the
        margin is asked for, so the two kinds stay near each other in Hamming space).
        Each step flips the unflipped bit that most raises the distance to the nearest
        other code (the least certain bit of the mean code among equals), until that
        distance reaches the margin or no flip raises it.
        """
        if sibling is None:
            word = np.where(mean_code > 0, 1.0, -1.0).astype(np.float32)
            margin = self.settings.margin
        else:
            word = self.codewords[sibling].copy()
            margin = max(self.settings.margin // 2, 1)
        others = np.vstack([self.old_codes, *self.codewords]) if self.codewords else self.old_codes
        distances = (others != word).sum(axis=1)
        certainty = np.abs(mean_code)
        flipped = np.zeros(len(word), bool)
        while len(others) and distances.min() < margin and not flipped.all():
            change = np.where(others == word, 1, -1)  # (N, k): effect of flipping each bit
            after = (distances[:, None] + change).min(axis=0).astype(np.float64)
            after[flipped] = -np.inf
            best = np.flatnonzero(after == after.max())
            bit = int(best[np.argmin(certainty[best])])
            if after[bit] <= distances.min():
                break
            word[bit] *= -1
            flipped[bit] = True
            distances = distances + change[:, bit]
        self.codewords.append(word)
        return len(self.codewords) - 1

    # ------------------------------------------------------------- persistence
    def state(self) -> StateDict:
        """Everything under ``codebook/``."""
        out: StateDict = {
            "codebook/old_codes": self.old_codes.astype(np.int8),
            "codebook/novel": np.array(self.thresholds.novel, np.float64),
            "codebook/neighbour": np.array(self.thresholds.neighbour, np.float64),
            "codebook/margin": np.array(self.settings.margin, np.int64),
            "codebook/memory": np.array(self.settings.memory, np.int64),
            "codebook/sibling": np.array(self.settings.sibling, np.float64),
            "codebook/codewords": np.array(self.codewords, np.int8).reshape(-1, self.n_bits),
        }
        for m, name in enumerate(_MODALITY):
            out[f"codebook/exemplars_{name}"] = self.exemplars[m]
            out.update(self.memory[m].state(f"codebook/{name}"))
        return out

    @classmethod
    def from_state(cls, state: StateDict) -> NovelCodebook | None:
        """Inverse of :meth:`state`; None for a model saved before the codebook existed."""
        if "codebook/codewords" not in state:
            return None
        novel, neighbour = state["codebook/novel"], state["codebook/neighbour"]
        book = cls(
            (state["codebook/exemplars_image"], state["codebook/exemplars_text"]),
            NoveltyThresholds(
                (float(novel[0]), float(novel[1])), (float(neighbour[0]), float(neighbour[1]))
            ),
            state["codebook/old_codes"],
            CodebookSettings(
                int(state["codebook/margin"]),
                int(state["codebook/memory"]),
                float(state.get("codebook/sibling", np.inf)),
            ),
        )
        book.codewords = [np.asarray(w, np.float32) for w in state["codebook/codewords"]]
        image, text = (RowMemory.from_state(f"codebook/{name}", state) for name in _MODALITY)
        for memory in (image, text):
            if len(memory.rows) and memory.rows.max() >= len(book.codewords):
                raise ValueError("codebook: an exemplar of a row that does not exist")
        book.memory = (image, text)
        return book
