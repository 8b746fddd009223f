"""Label propagation over an anchor graph: transductive label scores for LPIH's stage 2.

Two published pieces, used as published:

* the **anchor graph** of W. Liu, J. He and S.-F. Chang, "Large Graph Construction for
  Scalable Semi-Supervised Learning", ICML 2010: m anchors (here spherical k-means
  centres), each item joined to its s nearest anchors with kernel weights that sum to 1
  (Z, (n, m), s non-zeros per row), and the item graph W = Z Λ⁻¹ Zᵀ with Λ = diag(1ᵀZ),
  which is never formed;
* **label propagation** with local and global consistency, D. Zhou, O. Bousquet,
  T. N. Lal, J. Weston and B. Schölkopf, NIPS 2004: F ← α·D^-½ W D^-½ F + (1 − α)·Y,
  iterated from F = Y (Y: the labelled rows' L2-normalised labels, 0 elsewhere).

Every product goes through Z's n·s non-zeros: building the graph costs O(n·m·d) and
each propagation step O(n·s·c), so the cost is linear in n and no n × n or n_l × n_u
matrix exists.

:func:`propagated_scores` is what LPIH calls: one graph per modality, the graph (or
the mean of both) chosen by how well it predicts held-out labelled rows, and those
held-out scores returned as well, so stage 1 can calibrate and threshold the graph
scorer exactly as it does its other scorers (on scores of rows that did not label
themselves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
_CHUNK = 8192
_KMEANS_SAMPLE = 20_000
_KMEANS_STEPS = 5


@dataclass(frozen=True)
class AnchorGraph:
    """Z of Liu et al. as its non-zeros: ``neighbours`` (n, s) anchor ids, ``weights`` (n, s)."""

    neighbours: npt.NDArray[np.intp]
    weights: F64
    n_anchors: int

    def times(self, G: F64) -> F64:
        """Z·G for G (m, c)."""
        out: F64 = np.einsum("ns,nsc->nc", self.weights, G[self.neighbours])
        return out

    def transpose_times(self, F: F64) -> F64:
        """Zᵀ·F for F (n, c)."""
        out = np.zeros((self.n_anchors, F.shape[1]))
        for j in range(self.neighbours.shape[1]):
            np.add.at(out, self.neighbours[:, j], self.weights[:, j, None] * F)
        return out

    def anchor_mass(self) -> F64:
        """Λ's diagonal, 1ᵀZ (m,), floored so that an anchor no row chose divides safely."""
        mass = np.bincount(self.neighbours.ravel(), self.weights.ravel(), self.n_anchors)
        floored: F64 = np.maximum(mass, 1e-12)
        return floored

    def adjacency_times(self, F: F64, mass: F64 | None = None) -> F64:
        """W·F = Z Λ⁻¹ Zᵀ F (``mass``: :meth:`anchor_mass`, when the caller has it)."""
        mass = self.anchor_mass() if mass is None else mass
        return self.times(self.transpose_times(F) / mass[:, None])

    def propagate(self, Y: F64, alpha: float, iterations: int) -> F64:
        """Zhou et al.'s iteration F ← α·D^-½ W D^-½ F + (1 − α)·Y from F = Y."""
        mass = self.anchor_mass()
        degree = self.adjacency_times(np.ones((Y.shape[0], 1)), mass)[:, 0]
        scale = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
        F = Y.copy()
        for _ in range(iterations):
            F = (
                alpha * scale[:, None] * self.adjacency_times(scale[:, None] * F, mass)
                + (1 - alpha) * Y
            )
        return F


def unit_rows(X: npt.NDArray[np.floating]) -> F64:
    """Rows centred on their mean, then scaled to unit length (cosine geometry)."""
    centred = np.asarray(X, dtype=np.float64) - np.mean(X, axis=0, dtype=np.float64)
    norms = np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    unit: F64 = centred / norms
    return unit


def spherical_kmeans(X: F64, k: int, rng: np.random.Generator, steps: int = _KMEANS_STEPS) -> F64:
    """``k`` unit centres of unit rows ``X``: Lloyd steps on at most 20,000 sampled rows."""
    sample = X[rng.choice(X.shape[0], min(X.shape[0], _KMEANS_SAMPLE), replace=False)]
    centres: F64 = sample[rng.choice(sample.shape[0], k, replace=False)].copy()
    for _ in range(steps):
        nearest = np.argmax(sample @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        filled = norms[:, 0] > 1e-12
        centres[filled] = sums[filled] / norms[filled]
    return centres


def anchor_graph(X: F64, n_anchors: int, neighbours: int, rng: np.random.Generator) -> AnchorGraph:
    """The anchor graph of unit rows ``X`` (n, d).

    Anchors are spherical k-means centres (a few Lloyd steps on at most 20,000 rows);
    each row keeps its ``neighbours`` most similar anchors, weighted exp(−(1 − cos)/σ)
    and normalised to sum 1, with σ the mean distance to the farthest kept anchor
    (Liu et al.'s kernel-regression weights in their simpler kernel form).
    """
    n = X.shape[0]
    m = max(2, min(n_anchors, n))
    s = max(1, min(neighbours, m - 1))
    anchors = spherical_kmeans(X, m, rng)
    ids = np.empty((n, s), dtype=np.intp)
    similarity = np.empty((n, s))
    for start in range(0, n, _CHUNK):
        block = X[start : start + _CHUNK] @ anchors.T
        top = np.argpartition(-block, s - 1, axis=1)[:, :s]
        ids[start : start + _CHUNK] = top
        similarity[start : start + _CHUNK] = np.take_along_axis(block, top, axis=1)
    distance = 1.0 - similarity
    sigma = max(float(np.mean(distance.max(axis=1))), 1e-9)
    weights = np.exp(-(distance - distance.min(axis=1, keepdims=True)) / sigma)
    weights /= weights.sum(axis=1, keepdims=True)
    return AnchorGraph(ids, weights, m)


@dataclass(frozen=True)
class GraphScores:
    """Propagated label scores: every row's, and held-out ones for the labelled rows.

    Attributes:
        scores: (n, c) propagated from every labelled row (used for the unlabelled rows).
        held_out: (n_l, c) each labelled row's scores propagated from the other fold of 𝓛.
        space: Which graph won: ``"image"``, ``"text"`` or ``"both"``.
        accuracy: Held-out top-1 accuracy of each candidate on 𝓛.
        fold: (n_l,) the labelled rows' fold (True: the first), so that other scorers
            can be held out on the same split.
    """

    scores: F64
    held_out: F64
    space: str
    accuracy: dict[str, float]
    fold: Bool | None = None


def propagated_scores(
    graphs: dict[str, AnchorGraph],
    labelled: Bool,
    labels: npt.NDArray[np.uint8],
    *,
    alpha: float,
    iterations: int,
    rng: np.random.Generator,
) -> GraphScores:
    """Propagate 𝓛's labels on each graph; keep the candidate that best predicts held-out 𝓛.

    𝓛 is split in two seeded folds; each fold's labels are propagated to the other, and
    a candidate's accuracy is the share of labelled rows whose top propagated class is
    one of their labels. The candidates are each graph and the mean of their scores.
    """
    rows = np.flatnonzero(labelled)
    L = labels[rows].astype(np.float64)
    L_hat = L / np.maximum(np.linalg.norm(L, axis=1, keepdims=True), 1e-12)
    fold = rng.permutation(rows.size) % 2 == 0
    n, c = labels.shape[0], labels.shape[1]

    def run(graph: AnchorGraph, seen: Bool) -> F64:
        Y = np.zeros((n, c))
        Y[rows[seen]] = L_hat[seen]
        return graph.propagate(Y, alpha, iterations)

    held: dict[str, F64] = {}
    full: dict[str, F64] = {}
    for name, graph in graphs.items():
        out = np.zeros((rows.size, c))
        for part in (fold, ~fold):
            out[~part] = run(graph, part)[rows[~part]]
        held[name] = out
        full[name] = run(graph, np.ones(rows.size, dtype=np.bool_))
    if len(graphs) > 1:
        held["both"] = np.mean([_row_scaled(h) for h in held.values()], axis=0)
        full["both"] = np.mean([_row_scaled(f) for f in full.values()], axis=0)
    truth = labels[rows].astype(np.bool_)
    accuracy = {
        name: float(truth[np.arange(rows.size), np.argmax(h, axis=1)].mean())
        for name, h in held.items()
    }
    best = max(accuracy, key=lambda name: accuracy[name])
    return GraphScores(full[best], held[best], best, accuracy, fold)


def _row_scaled(F: F64) -> F64:
    scaled: F64 = F / np.maximum(np.abs(F).max(axis=1, keepdims=True), 1e-12)
    return scaled
