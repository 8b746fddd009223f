"""FPO-CMH's novelty detection: novel-class rows of the anchor bank, found in the stream.

This is an extension of docs/design/research/fpo-cmh.md (docs/methods/fpo-cmh.md, "Learning novel
classes"). The spec grows the bank only with classes its pseudo-labeller can name; a
learned label function (``ridge``) knows only the classes of the offline data, so in
the spec every item of a new kind is mislabelled as an old class, and the spec's EMA-½
update drags that class's anchor away. Here an item whose features are farther from
every anchor of its modality than almost all offline items are from theirs is *novel*:
it waits in a pool, and when enough pooled items are mutually close (a density test in
the target space), they become a new bank row — a feature anchor per modality (their
running mean) and a **codeword** (the row's code tier): the sign of the members' mean
relaxed code, with its least certain bits flipped until it is at least ``margin`` bits
away from every other row's code. Later items near that anchor are pseudo-labelled with
the row. The learner then fits the heads to the codewords by block recursive least
squares (``fpo_rls``), every member of a row being one training row.

Cross-modal links: a paired item's two sides always share a row. A row found from one
modality only (a stream with no pairs) joins an existing row of the other modality
whose codeword is within ``margin`` bits of its members' mean code sign, else stays a
one-modality row until a pair or a link gives it the other side.

Thresholds come from the offline data (``NoveltyThresholds.fit``): per modality, the
``novel_quantile`` quantile of the offline items' similarity to their nearest anchor
(below it an item is novel) and the 99th percentile of the similarity of two offline
items with no class in common (at or above it two pooled items are neighbours: fewer
than 1 % of unrelated pairs are that close).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]
StateDict = dict[str, npt.NDArray[Any]]
_MODALITY = ("image", "text")


@dataclass(frozen=True)
class NoveltySettings:
    """How novel rows are found and learned (defaults chosen on emoji and Phosphor).

    Attributes:
        min_cluster: Pooled items needed to open a row.
        pool_size: Most items waiting per modality (oldest dropped first).
        cluster_every: Pool additions between density tests.
        memory: Latest members kept per row and modality (for inspection: purity
            diagnostics in the benchmark, tests).
        margin: Minimum Hamming distance of a new codeword to every other row's code.
    """

    min_cluster: int = 8
    pool_size: int = 256
    cluster_every: int = 8
    memory: int = 32
    margin: int = 16


@dataclass(frozen=True)
class NoveltyThresholds:
    """Per-modality similarity thresholds in the target space (see module docstring)."""

    novel: tuple[float, float]
    neighbour: tuple[float, float]

    @classmethod
    def fit(
        cls,
        units: tuple[Matrix, Matrix],
        anchor_units: tuple[Matrix, Matrix],
        labels: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]],
        quantile: float,
        rng: np.random.Generator,
        neighbour_quantile: float = 0.99,
    ) -> NoveltyThresholds:
        """Thresholds from offline items (unit rows), the bank's anchors and item labels."""
        novel, neighbour = [], []
        for m in (0, 1):
            U, A, Y = units[m], anchor_units[m], labels[m]
            nearest = (U @ A.T).max(axis=1) if len(A) else np.ones(len(U), np.float32)
            novel.append(float(np.quantile(nearest, quantile)))
            apart = unrelated_similarity(U, Y, neighbour_quantile, rng)
            neighbour.append(novel[-1] if apart is None else apart)
        return cls((novel[0], novel[1]), (neighbour[0], neighbour[1]))


def unrelated_similarity(
    units: Matrix, labels: npt.NDArray[np.bool_], quantile: float, rng: np.random.Generator
) -> float | None:
    """The ``quantile`` of the similarity of 20,000 sampled pairs with no label in common.

    Args:
        units: (n, d) unit rows.
        labels: (n, C) their labels; pairs where either side has none are left out.
        quantile: Which quantile.
        rng: For the sample.

    Returns:
        The similarity, or None when the sample holds no such pair.
    """
    i = rng.integers(0, len(units), size=20000)
    j = rng.integers(0, len(units), size=20000)
    apart = ~(labels[i] & labels[j]).any(axis=1) & labels[i].any(axis=1) & labels[j].any(axis=1)
    sims = np.einsum("nd,nd->n", units[i[apart]], units[j[apart]])
    return float(np.quantile(sims, quantile)) if len(sims) else None


@dataclass
class NovelPool:
    """Items of one modality waiting for a row: unit features, raw features, pair ids."""

    units: list[Vector] = field(default_factory=list)
    features: list[Vector] = field(default_factory=list)
    pair_ids: list[int] = field(default_factory=list)
    added: int = 0

    def add(self, unit: Vector, x: Vector, pair_id: int, limit: int) -> None:
        """Append an item; drop the oldest beyond ``limit``."""
        self.units.append(unit)
        self.features.append(x)
        self.pair_ids.append(pair_id)
        self.added += 1
        if len(self.units) > limit:
            for rows in (self.units, self.features, self.pair_ids):
                del rows[0]

    def take(self, keep: npt.NDArray[np.bool_]) -> tuple[list[Vector], list[int]]:
        """Remove the items where ``keep`` is False; return their features and pair ids."""
        taken = [self.features[i] for i in np.flatnonzero(~keep)]
        ids = [self.pair_ids[i] for i in np.flatnonzero(~keep)]
        for name in ("units", "features", "pair_ids"):
            rows = getattr(self, name)
            setattr(self, name, [rows[i] for i in np.flatnonzero(keep)])
        return taken, ids


@dataclass
class NovelRow:
    """One novel-class row: per-modality anchor (or None), member count, codeword, memory."""

    anchors: list[Vector | None]
    units: list[Vector | None]
    counts: list[int]
    codeword: Vector
    memory: list[list[Vector]]


@dataclass(frozen=True)
class Assignment:
    """Where a streamed item goes: a novel row, the pool, or the spec's old-class path."""

    row: int | None = None
    pooled: bool = False


class NoveltyBank:
    """The novel-class rows, both pools, and the thresholds.

    Args:
        thresholds: Offline similarity thresholds.
        settings: Sizes and margins.
        old_codes: (K⁰, k) ±1 codes of the initial bank's rows (codewords must keep away).
    """

    def __init__(
        self, thresholds: NoveltyThresholds, settings: NoveltySettings, old_codes: Matrix
    ) -> None:
        self.thresholds = thresholds
        self.settings = settings
        self.old_codes = np.asarray(old_codes, np.float32)
        self.rows: list[NovelRow] = []
        self.pools = (NovelPool(), NovelPool())
        self.next_pair = 0
        self.novel_seen = [0, 0]
        self.joined: list[tuple[int, int, Vector]] = []

    @property
    def size(self) -> int:
        """Number of novel rows."""
        return len(self.rows)

    def codewords(self) -> Matrix:
        """(rows, k) ±1 codewords."""
        if not self.rows:
            return np.zeros((0, self.old_codes.shape[1]), np.float32)
        return np.stack([r.codeword for r in self.rows])

    # ------------------------------------------------------------------ assignment
    def assign(self, unit: Vector, old_units: Matrix, modality: int) -> Assignment:
        """Novel row if closer to it than to any old anchor, pool if far from all.

        Joining a row takes a similarity to its (unit, averaged) anchor of at least
        √τ_neighbour: an average of items whose pairwise similarity is τ has about that
        similarity to each of them, so a joining item is as close to the row as two
        neighbours are to each other (this keeps rows pure).
        """
        old = float((old_units @ unit).max()) if len(old_units) else -1.0
        best, best_sim = None, -1.0
        for r, row in enumerate(self.rows):
            anchor = row.units[modality]
            if anchor is not None:
                sim = float(anchor @ unit)
                if sim > best_sim:
                    best, best_sim = r, sim
        limit = self.thresholds.novel[modality]
        join = max(limit, float(np.sqrt(max(self.thresholds.neighbour[modality], 0.0))))
        if best is not None and best_sim >= join and best_sim > old:
            return Assignment(row=best)
        if old < limit:
            return Assignment(pooled=True)
        return Assignment()

    def join(self, r: int, modality: int, unit: Vector, x: Vector) -> None:
        """Fold an item into row r: running-mean anchor, member memory.

        The join is also queued in ``joined`` (modality, row, x) for the learner, which
        drains it after each item: every member becomes a training row for its head.
        """
        row = self.rows[r]
        self.joined.append((modality, r, x))
        n = row.counts[modality] = row.counts[modality] + 1
        anchor = row.anchors[modality]
        step = np.float32(1.0 / min(n, 100))
        moved = x.copy() if anchor is None else anchor + (x - anchor) * step
        row.anchors[modality] = moved.astype(np.float32)
        current = row.units[modality]
        blend = unit if current is None else current + (unit - current) * step
        row.units[modality] = (blend / max(float(np.linalg.norm(blend)), 1e-12)).astype(np.float32)
        memory = row.memory[modality]
        memory.append(x.copy())
        if len(memory) > self.settings.memory:
            del memory[0]

    def pool(self, modality: int, unit: Vector, x: Vector, pair_id: int) -> None:
        """Put an item in the pool of its modality."""
        self.novel_seen[modality] += 1
        self.pools[modality].add(unit, x, pair_id, self.settings.pool_size)

    def new_pair_id(self) -> int:
        """A fresh id linking the two sides of one paired item (−1 = unpaired)."""
        self.next_pair += 1
        return self.next_pair

    # ------------------------------------------------------------------ discovery
    def discover(self, modality: int, relaxed: Any, embed: Any, all_codes: Matrix) -> list[int]:
        """Density test on the pool of ``modality``; open rows for the dense groups found.

        Args:
            modality: Pool to test.
            relaxed: (m, X (n, d_m)) → relaxed codes (n, k) under the current heads.
            embed: (X, m) → unit rows in the target space.
            all_codes: (K, k) ±1 codes of the old rows (for the margin).

        Returns:
            Indices of the rows opened or extended.
        """
        pool = self.pools[modality]
        if pool.added % self.settings.cluster_every or len(pool.units) < self.settings.min_cluster:
            return []
        changed: list[int] = []
        for _ in range(3):
            U = np.stack(pool.units)
            S = U @ U.T
            neighbours = self.thresholds.neighbour[modality] <= S
            counts = neighbours.sum(axis=1)
            seed = int(np.argmax(counts))
            if counts[seed] < self.settings.min_cluster:
                break
            centre = U[neighbours[seed]].mean(axis=0)
            centre /= max(float(np.linalg.norm(centre)), 1e-12)
            members = (U @ centre) >= self.thresholds.novel[modality]
            members |= neighbours[seed]
            if members.sum() < self.settings.min_cluster:
                break
            features, ids = pool.take(~members)
            changed.append(self._open(modality, features, ids, relaxed, embed, all_codes))
        return changed

    def _open(
        self,
        m: int,
        features: list[Vector],
        pair_ids: list[int],
        relaxed: Any,
        embed: Any,
        all_codes: Matrix,
    ) -> int:
        o = 1 - m
        X = np.stack(features)
        partner_keep = np.array(
            [pid not in set(pair_ids) or pid < 0 for pid in self.pools[o].pair_ids]
        )
        partners: list[Vector] = []
        if len(partner_keep) and not partner_keep.all():
            partners, _ = self.pools[o].take(partner_keep)
        codes = relaxed(m, X)
        if partners:
            codes = np.vstack([codes, relaxed(o, np.stack(partners))])
        mean_code = codes.mean(axis=0)
        units = embed(X, m)
        target = self._nearest_row(m, units.mean(axis=0))
        if target is None and not partners:
            target = self._link(m, mean_code)
        if target is None:
            codeword = self._codeword(mean_code, all_codes)
            self.rows.append(NovelRow([None, None], [None, None], [0, 0], codeword, [[], []]))
            target = len(self.rows) - 1
        for i, x in enumerate(X):
            self.join(target, m, units[i], x)
        if partners:
            P = np.stack(partners)
            partner_units = embed(P, o)
            for i, x in enumerate(P):
                self.join(target, o, partner_units[i], x)
        return target

    def _nearest_row(self, m: int, centre: Vector) -> int | None:
        """A row whose anchor in ``m`` is as close to this group's centre as a member is.

        A class found twice (its first group was too small to take every member) then
        stays one row with one codeword instead of two rows ``margin`` bits apart.
        """
        centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
        limit = float(np.sqrt(max(self.thresholds.neighbour[m], 0.0)))
        best, best_sim = None, limit
        for r, row in enumerate(self.rows):
            anchor = row.units[m]
            if anchor is not None and float(anchor @ centre) >= best_sim:
                best, best_sim = r, float(anchor @ centre)
        return best

    def _link(self, m: int, mean_code: Vector) -> int | None:
        """A row with only the other modality whose codeword matches these members."""
        sign = np.where(mean_code > 0, 1.0, -1.0)
        best, best_distance = None, self.settings.margin
        for r, row in enumerate(self.rows):
            if row.anchors[m] is None and row.anchors[1 - m] is not None:
                distance = int((row.codeword != sign).sum())
                if distance < best_distance:
                    best, best_distance = r, distance
        return best

    def _codeword(self, mean_code: Vector, old_codes: Matrix) -> Vector:
        """sgn(mean code), least certain bits flipped until ``margin`` from every code."""
        word = np.where(mean_code > 0, 1.0, -1.0).astype(np.float32)
        others = np.vstack([old_codes, self.codewords()])
        order = np.argsort(np.abs(mean_code))
        flipped = np.zeros(len(word), bool)
        for _ in range(len(word)):
            if not len(others):
                break
            distances = (others != word).sum(axis=1)
            closest = int(np.argmin(distances))
            if distances[closest] >= self.settings.margin:
                break
            same = (others[closest] == word) & ~flipped
            candidates = [b for b in order if same[b]]
            if not candidates:
                break
            word[candidates[0]] *= -1
            flipped[candidates[0]] = True
        return word

    # ------------------------------------------------------------------ replay
    def drain(self) -> list[tuple[int, int, Vector]]:
        """The joins since the last call: (modality, row, features)."""
        out, self.joined = self.joined, []
        return out

    # ------------------------------------------------------------------ persistence
    def state(self, dims: tuple[int, int]) -> StateDict:
        """Everything under ``novelty/``."""
        k = self.old_codes.shape[1]
        out: StateDict = {
            "novelty/thresholds": np.array(
                [*self.thresholds.novel, *self.thresholds.neighbour], np.float64
            ),
            "novelty/settings": np.array(
                [
                    self.settings.min_cluster,
                    self.settings.pool_size,
                    self.settings.cluster_every,
                    self.settings.memory,
                    self.settings.margin,
                ],
                np.int64,
            ),
            "novelty/old_codes": self.old_codes,
            "novelty/codewords": self.codewords().reshape(-1, k),
            "novelty/counters": np.array([self.next_pair, *self.novel_seen], np.int64),
        }
        for m, name in enumerate(_MODALITY):
            has = [row.anchors[m] is not None for row in self.rows]
            out[f"novelty/has_{name}"] = np.array(has, bool)
            out[f"novelty/anchors_{name}"] = _stack(
                [row.anchors[m] for row in self.rows if row.anchors[m] is not None], dims[m]
            )
            out[f"novelty/units_{name}"] = _stack(
                [row.units[m] for row in self.rows if row.units[m] is not None], dims[m]
            )
            out[f"novelty/counts_{name}"] = np.array([r.counts[m] for r in self.rows], np.int64)
            memory_rows = [r for r, row in enumerate(self.rows) for _ in row.memory[m]]
            out[f"novelty/memory_{name}"] = _stack(
                [x for row in self.rows for x in row.memory[m]], dims[m]
            )
            out[f"novelty/memory_rows_{name}"] = np.array(memory_rows, np.int64)
            pool = self.pools[m]
            out[f"novelty/pool_{name}"] = _stack(pool.features, dims[m])
            out[f"novelty/pool_units_{name}"] = _stack(pool.units, dims[m])
            out[f"novelty/pool_ids_{name}"] = np.array(pool.pair_ids, np.int64)
            out[f"novelty/pool_added_{name}"] = np.array(pool.added, np.int64)
        return out

    @classmethod
    def from_state(cls, state: StateDict) -> NoveltyBank:
        """Inverse of :meth:`state` (KeyError/ValueError when broken)."""
        t = [float(v) for v in state["novelty/thresholds"]]
        s = [int(v) for v in state["novelty/settings"]]
        bank = cls(
            NoveltyThresholds((t[0], t[1]), (t[2], t[3])),
            NoveltySettings(*s),
            np.asarray(state["novelty/old_codes"], np.float32),
        )
        codewords = np.asarray(state["novelty/codewords"], np.float32)
        bank.rows = [
            NovelRow([None, None], [None, None], [0, 0], codewords[r].copy(), [[], []])
            for r in range(len(codewords))
        ]
        counters = [int(v) for v in state["novelty/counters"]]
        bank.next_pair, bank.novel_seen = counters[0], counters[1:3]
        for m, name in enumerate(_MODALITY):
            has = np.asarray(state[f"novelty/has_{name}"], bool)
            if len(has) != len(bank.rows):
                raise ValueError("novelty rows of different lengths")
            anchors = np.asarray(state[f"novelty/anchors_{name}"], np.float32)
            units = np.asarray(state[f"novelty/units_{name}"], np.float32)
            counts = state[f"novelty/counts_{name}"]
            for i, r in enumerate(np.flatnonzero(has).tolist()):
                bank.rows[r].anchors[m] = anchors[i].copy()
                bank.rows[r].units[m] = units[i].copy()
            for index, row in enumerate(bank.rows):
                row.counts[m] = int(counts[index])
            memory = np.asarray(state[f"novelty/memory_{name}"], np.float32)
            for x, r in zip(memory, state[f"novelty/memory_rows_{name}"], strict=True):
                bank.rows[int(r)].memory[m].append(x.copy())
            pool = bank.pools[m]
            pool.features = list(np.asarray(state[f"novelty/pool_{name}"], np.float32))
            pool.units = list(np.asarray(state[f"novelty/pool_units_{name}"], np.float32))
            pool.pair_ids = [int(v) for v in state[f"novelty/pool_ids_{name}"]]
            pool.added = int(state[f"novelty/pool_added_{name}"])
        return bank


def _stack(rows: list[Any], width: int) -> Matrix:
    if not rows:
        return np.zeros((0, width), np.float32)
    return np.stack(rows).astype(np.float32)
