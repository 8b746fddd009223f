"""FPO-CMH's online learner: one streaming item at a time (docs/design/research/fpo-cmh.md §3).

For an item x of modality m (o the other one), with h = f_m(x), C_m = f_m(A_m),
C_o = f_o(A_o) and the bank as it was when the item arrived:

    L = w · (α·CE(cos(h, C_m), p_intra) + β·CE(cos(h, C_o), p_inter)) / μ
    p_intra = softmax(τ·cos(x, A_m)),  p_inter = softmax(τ·cos(x, A_o))  (constants)

w is 0 without pseudo-labels, 1 when a label has a bank row, 1 − φ when all are novel.
Gradients flow into both heads (the spec's cross-leakage, §7.10) and accumulate; the
head of m steps when μ items of m have arrived, after adding the initial-anchor
rehearsal γ·mean((f_m(A⁰_m) − B⁰_m)²). Then the bank takes the item (``fpo_bank``).

The gradients are derived by hand (tanh heads, cosine logits, soft cross-entropy) and
are exactly those of the per-sample reference, but computed cheaply: the anchors'
pre-activations Z_m = φ_m(A_m)·W_m + b_m are cached (W_m only changes when head m
steps), and the per-item gradient with respect to Z_m is held *pending* per row.
Because ∂L/∂W_m through the anchors is φ_m(A_m)ᵀ·∂L/∂Z_m, the pending rows are folded
into W_m's gradient only when their anchor changes (bank update) or when the head
steps — the same sum, without a K×d×k product per item.

Inter-modal targets need a space shared by both modalities (``cross_targets``, as in
the spec for CLIP features). For unaligned features (different encoders) the inter
term uses the intra target: the bank's rows are aligned by class, so x's similarity
to class j's own-modality anchor stands in for its similarity to class j's other-
modality anchor; such targets are computed on features centred per modality.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.hashing.fpo_cmh.bank import AnchorBank, BankChange
from core.hashing.fpo_cmh.heads import SGDSettings, TanhHead
from core.hashing.fpo_cmh.labels import PseudoLabeller, labeller_from_state, softmax_rows
from core.hashing.fpo_cmh.novelty import NoveltyBank
from core.hashing.fpo_cmh.rls import RecursiveFit
from core.hashing.models.preprocess import l2_normalise

Matrix = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]
StateDict = dict[str, npt.NDArray[Any]]
_MODALITY = ("image", "text")
_EPS = 1e-12


@dataclass(frozen=True)
class StreamSettings:
    """Hyperparameters of the online phase (spec §3.5)."""

    theta: float
    temperature: float
    mu: int
    alpha: float
    beta: float
    gamma: float
    phi: float
    sgd: SGDSettings
    cross_targets: bool
    code_temperature: float = 1.0
    novel_weight: float = 1.0


@dataclass
class Replay:
    """Offline items and the codes the library stored for them: the drift probe."""

    features: tuple[Matrix, Matrix]
    codes: tuple[Matrix, Matrix]


class TargetSpace:
    """Where the targets' cosines are taken: raw features, or centred per modality.

    Args:
        means: Per-modality mean of the normalised training features, or None for
            plain cosines (CLIP features, whose modalities share one space).
    """

    def __init__(self, means: tuple[Vector, Vector] | None) -> None:
        self.means = means

    def embed(self, X: npt.NDArray[Any], modality: int) -> Matrix:
        """(n, d_m) → unit rows whose dot products are the target cosines."""
        rows = l2_normalise(X)
        if self.means is None:
            return rows
        return l2_normalise(rows - self.means[modality])

    def state(self) -> StateDict:
        """The centring means, if any."""
        if self.means is None:
            return {}
        return {"targets/mean_image": self.means[0], "targets/mean_text": self.means[1]}

    @classmethod
    def from_state(cls, state: StateDict) -> TargetSpace:
        """Inverse of :meth:`state`."""
        if "targets/mean_image" not in state:
            return cls(None)
        return cls(
            (
                np.asarray(state["targets/mean_image"], np.float32),
                np.asarray(state["targets/mean_text"], np.float32),
            )
        )


@dataclass
class StreamCaches:
    """Per-modality arrays derived from the bank and heads, kept in step with both.

    ``phi[m]`` (K, d'_m) = φ_m(A_m); ``z[m]`` (K, k) = φ_m(A_m)·W_m + b_m;
    ``unit[m]`` (K, d_m) = the anchors in the target space; ``pending[m]`` (K, k) =
    ∂L/∂Z_m accumulated since the row or the head last changed.
    """

    phi: list[Matrix]
    z: list[Matrix]
    unit: list[Matrix]
    pending: list[Matrix]


class OnlineLearner:
    """Heads, bank and labeller of FPO-CMH, updated one streaming item at a time.

    Args:
        heads: (image head, text head).
        bank: The anchor bank.
        labeller: Pseudo-labeller keyed like the bank.
        targets: Space of the targets' cosines.
        settings: Online hyperparameters.
        rehearsal: (A⁰_I, A⁰_T, B⁰_I, B⁰_T) initial anchors and their sign targets.
        caches: Derived arrays (rebuilt from the bank and heads when None).
    """

    def __init__(
        self,
        heads: tuple[TanhHead, TanhHead],
        bank: AnchorBank,
        labeller: PseudoLabeller,
        targets: TargetSpace,
        settings: StreamSettings,
        rehearsal: tuple[Matrix, Matrix, Matrix, Matrix],
        caches: StreamCaches | None = None,
        novelty: NoveltyBank | None = None,
        replay: Replay | None = None,
        fits: tuple[RecursiveFit, RecursiveFit] | None = None,
    ) -> None:
        self.heads = heads
        self.bank = bank
        self.labeller = labeller
        self.targets = targets
        self.settings = settings
        self.anchors0 = (rehearsal[0], rehearsal[1])
        self.targets0 = (rehearsal[2], rehearsal[3])
        self.phi0 = tuple(heads[m].features(self.anchors0[m]) for m in (0, 1))
        self.caches = caches or self._fresh_caches()
        self.counts = [0, 0]
        self.seen = [0, 0]
        self.labelled = [0, 0]
        self.novelty = novelty
        self.replay = replay
        self.fits = fits
        self.blocks: tuple[Block, Block] = (Block(), Block())

    @classmethod
    def start(
        cls,
        heads: tuple[TanhHead, TanhHead],
        bank: AnchorBank,
        labeller: PseudoLabeller,
        targets: TargetSpace,
        settings: StreamSettings,
        novelty: NoveltyBank | None = None,
        replay: Replay | None = None,
        fits: tuple[RecursiveFit, RecursiveFit] | None = None,
    ) -> OnlineLearner:
        """A learner at the start of the stream: A⁰ = the bank, B⁰ = sgn(f(A⁰)) in eval mode."""
        anchors0 = [f.copy() for f in bank.features]
        signs = [
            np.where(heads[m].pre_activation(heads[m].features(anchors0[m])) > 0, 1.0, -1.0)
            for m in (0, 1)
        ]
        rehearsal = (
            anchors0[0],
            anchors0[1],
            signs[0].astype(np.float32),
            signs[1].astype(np.float32),
        )
        return cls(heads, bank, labeller, targets, settings, rehearsal, None, novelty, replay, fits)

    # -------------------------------------------------------------------- stream
    def labels_of(self, X: npt.NDArray[Any], modality: int) -> npt.NDArray[np.bool_]:
        """(n, d_m) features → (n, C) pseudo-labels (scores above θ)."""
        scores = self.labeller.scores(X, modality)
        labels: npt.NDArray[np.bool_] = scores > self.settings.theta
        return labels

    def learn(self, x: Vector, modality: int, labels: Sequence[int]) -> None:
        """Process one item: loss gradients, bank update, and a step when μ items arrived.

        Args:
            x: (d_m,) float32 features of the item.
            modality: 0 for image, 1 for text.
            labels: Its classes (pseudo-labels, or given labels).
        """
        self._spec_item(x, modality, labels)
        self._count(modality)

    def learn_item(
        self, xs: tuple[Vector | None, Vector | None], labels: tuple[Sequence[int], Sequence[int]]
    ) -> None:
        """Process one streamed item (image, text or both) with novelty detection.

        A side close to a novel row (or paired with one that is) joins that row and is
        learned through the codeword loss at the next step; a side far from every
        anchor waits in the novelty pool; any other side takes the spec's path
        (:meth:`learn`). Without a novelty bank this is :meth:`learn` per side.
        """
        novelty = self.novelty
        if novelty is None:
            for m in (0, 1):
                x = xs[m]
                if x is not None:
                    self.learn(x, m, labels[m])
            return
        present = [m for m in (0, 1) if xs[m] is not None]
        units = {m: self.targets.embed(xs[m][None, :], m)[0] for m in present}  # type: ignore[index]
        decisions = {m: novelty.assign(units[m], self._old_units(m), m) for m in present}
        rows = [d.row for d in decisions.values() if d.row is not None]
        pooled = any(d.pooled for d in decisions.values())
        pair_id = novelty.new_pair_id() if len(present) == 2 else -1
        for m in present:
            x = xs[m]
            assert x is not None
            if rows:
                novelty.join(rows[0], m, units[m], x)
                self.seen[m] += 1
                self.labelled[m] += 1
            elif pooled:
                novelty.pool(m, units[m], x, pair_id)
                self.seen[m] += 1
                novelty.discover(m, self._relaxed, self.targets.embed, self._old_signs())
            else:
                self._spec_item(x, m, labels[m])
                if self.fits is not None:  # keep the code it was stored with
                    head = self.heads[m]
                    z = head.pre_activation(head.features(x[None, :]))[0]
                    self.blocks[m].add(x, z, 1.0)
            for joined_m, r, joined_x in novelty.drain():
                codeword = novelty.rows[r].codeword
                self.blocks[joined_m].add(joined_x, codeword, self.settings.novel_weight)
            self._count(m)

    def _old_units(self, m: int) -> Matrix:
        return self.caches.unit[m]

    def _old_signs(self) -> Matrix:
        return np.vstack([np.where(c > 0, 1.0, -1.0) for c in self.targets0]).astype(np.float32)

    def _relaxed(self, m: int, X: Matrix) -> Matrix:
        head = self.heads[m]
        out: Matrix = np.tanh(head.pre_activation(head.features(X)))
        return out

    def _count(self, modality: int) -> None:
        self.counts[modality] += 1
        if self.counts[modality] >= self.settings.mu:
            self.step(modality)

    def _spec_item(self, x: Vector, modality: int, labels: Sequence[int]) -> None:
        head = self.heads[modality]
        phi = head.features(x[None, :])
        h = np.tanh(head.pre_activation(phi)[0])
        weight = self._weight(labels)
        self.seen[modality] += 1
        if weight > 0.0 and self.bank.size:
            self.labelled[modality] += 1
            self._accumulate(x, modality, phi[0], h, weight)
        if len(labels):
            z = self.caches.z[modality]
            change = self.bank.observe(modality, x, h, labels, lambda r: np.tanh(z[r]))
            self._refresh(modality, change)

    def _weight(self, labels: Sequence[int]) -> float:
        if not len(labels):
            return 0.0
        if any(self.bank.is_known(int(c)) for c in labels):
            return 1.0
        return 1.0 - self.settings.phi

    def _accumulate(self, x: Vector, m: int, phi: Vector, h: Vector, weight: float) -> None:
        s, c = self.settings, self.caches
        other = 1 - m
        t = self.targets.embed(x[None, :], m)[0]
        p_intra = softmax_rows(s.temperature * (c.unit[m] @ t))
        p_inter = softmax_rows(s.temperature * (c.unit[other] @ t)) if s.cross_targets else p_intra
        h_norm = max(float(np.linalg.norm(h)), _EPS)
        h_unit = h / h_norm
        grad_h = np.zeros_like(h)
        for bank_m, target, coef in ((m, p_intra, s.alpha), (other, p_inter, s.beta)):
            C = np.tanh(c.z[bank_m])
            c_norm = np.maximum(np.linalg.norm(C, axis=1), _EPS)
            C_unit = C / c_norm[:, None]
            logits = C_unit @ h_unit
            kappa = s.code_temperature
            g = np.float32(kappa * coef * weight / s.mu) * (softmax_rows(kappa * logits) - target)
            grad_h += (C_unit.T @ g - float(g @ logits) * h_unit) / h_norm
            grad_C = (g / c_norm)[:, None] * (h_unit[None, :] - logits[:, None] * C_unit)
            grad_Z = grad_C * (1.0 - C * C)
            c.pending[bank_m] += grad_Z
            self.heads[bank_m].grad_b += grad_Z.sum(axis=0)
        grad_z = grad_h * (1.0 - h * h)
        head = self.heads[m]
        head.grad_W += phi[:, None] * grad_z[None, :]
        head.grad_b += grad_z

    def step(self, m: int) -> None:
        """Rehearsal on the initial anchors, fold pending gradients in, SGD step of head m."""
        head, c = self.heads[m], self.caches
        if self.fits is not None and self.novelty is not None:
            self._recursive_step(m)
            return
        if len(self.anchors0[m]):
            C0 = np.tanh(head.pre_activation(self.phi0[m]))
            scale = np.float32(2.0 * self.settings.gamma / C0.size)
            grad_Z0 = scale * (C0 - self.targets0[m]) * (1.0 - C0 * C0)
            head.grad_W += self.phi0[m].T @ grad_Z0
            head.grad_b += grad_Z0.sum(axis=0)
        head.grad_W += c.phi[m].T @ c.pending[m]
        c.pending[m].fill(0.0)
        head.step(self.settings.sgd)
        self.counts[m] = 0
        c.z[m] = head.pre_activation(c.phi[m])

    def _recursive_step(self, m: int) -> None:
        """Novelty mode: one block least-squares update of head m (``fpo_rls``).

        The block holds this modality's items since the last step: members of novel
        rows with their row's codeword as target, the other items with the
        pre-activation their code was stored with. The spec's soft-label gradients
        accumulated meanwhile are dropped (they would move the solution off the
        least-squares optimum, and measured ≤ 0.6 % flips over a stream: issue #6).
        """
        assert self.fits is not None
        head, c, block = self.heads[m], self.caches, self.blocks[m]
        if block.rows:
            X, T, w = block.arrays()
            self.fits[m].update(head, head.features(X), T, w)
            block.clear()
        head.grad_W.fill(0.0)
        head.grad_b.fill(0.0)
        c.pending[m].fill(0.0)
        head.steps += 1
        self.counts[m] = 0
        c.z[m] = head.pre_activation(c.phi[m])

    def drift(self, project: Callable[[int, Matrix], Matrix] | None = None) -> float | None:
        """Share of the replay items' stored code bits the current model codes differently.

        Args:
            project: The model's projection (modality, features) → pre-activations;
                the heads' when None.
        """
        if self.replay is None or not len(self.replay.features[0]):
            return None
        flips, bits = 0, 0
        for m in (0, 1):
            features = self.replay.features[m]
            if project is None:
                z = self.heads[m].pre_activation(self.heads[m].features(features))
            else:
                z = project(m, features)
            flips += int(((z > 0) != (self.replay.codes[m] > 0)).sum())
            bits += z.size
        return flips / max(bits, 1)

    # -------------------------------------------------------------------- caches
    def _fresh_caches(self) -> StreamCaches:
        phi = [self.heads[m].features(self.bank.features[m]) for m in (0, 1)]
        return StreamCaches(
            phi=phi,
            z=[self.heads[m].pre_activation(phi[m]) for m in (0, 1)],
            unit=[self.targets.embed(self.bank.features[m], m) for m in (0, 1)],
            pending=[np.zeros_like(self.bank.codes[m]) for m in (0, 1)],
        )

    def _refresh(self, m: int, change: BankChange) -> None:
        c, head = self.caches, self.heads[m]
        for r in change.updated:
            head.grad_W += c.phi[m][r][:, None] * c.pending[m][r][None, :]
            c.pending[m][r] = 0.0
            anchor = self.bank.features[m][r : r + 1]
            c.phi[m][r] = head.features(anchor)[0]
            c.z[m][r] = head.pre_activation(c.phi[m][r : r + 1])[0]
            c.unit[m][r] = self.targets.embed(anchor, m)[0]
        if change.added:
            self._append_rows(len(change.added))

    def _append_rows(self, n_new: int) -> None:
        c = self.caches
        for m in (0, 1):
            anchors = self.bank.features[m][-n_new:]
            phi = self.heads[m].features(anchors)
            c.phi[m] = np.vstack([c.phi[m], phi])
            c.z[m] = np.vstack([c.z[m], self.heads[m].pre_activation(phi)])
            c.unit[m] = np.vstack([c.unit[m], self.targets.embed(anchors, m)])
            c.pending[m] = np.vstack([c.pending[m], np.zeros((n_new, c.z[m].shape[1]), np.float32)])

    # ---------------------------------------------------------------- persistence
    def state(self) -> StateDict:
        """Everything needed to resume the stream exactly (flat ``a/b`` keys)."""
        out: StateDict = {
            **self.heads[0].state("head_image"),
            **self.heads[1].state("head_text"),
            **self.bank.state(),
            **self.labeller.state(),
            "labeller/kind": np.array(self.labeller.kind),
            **self.targets.state(),
            "stream/counts": np.array(self.counts, dtype=np.int64),
            "stream/seen": np.array(self.seen, dtype=np.int64),
            "stream/labelled": np.array(self.labelled, dtype=np.int64),
        }
        for m, name in enumerate(_MODALITY):
            out[f"rehearsal/anchors_{name}"] = self.anchors0[m]
            out[f"rehearsal/targets_{name}"] = self.targets0[m]
            out[f"cache/phi_{name}"] = self.caches.phi[m]
            out[f"cache/z_{name}"] = self.caches.z[m]
            out[f"cache/pending_{name}"] = self.caches.pending[m]
        if self.replay is not None:
            for m, name in enumerate(_MODALITY):
                out[f"replay/features_{name}"] = self.replay.features[m]
                out[f"replay/codes_{name}"] = self.replay.codes[m]
        if self.novelty is not None:
            dims = (self.bank.features[0].shape[1], self.bank.features[1].shape[1])
            out.update(self.novelty.state(dims))
        if self.fits is not None:
            k = self.heads[0].W.shape[1]
            for m, name in enumerate(_MODALITY):
                out[f"rls/inverse_{name}"] = self.fits[m].inverse
                dim = self.bank.features[m].shape[1]
                X, T, w = self.blocks[m].arrays(dim, k)
                out[f"rls/block_x_{name}"], out[f"rls/block_t_{name}"] = X, T
                out[f"rls/block_w_{name}"] = w
        return out

    @classmethod
    def from_state(cls, state: StateDict, settings: StreamSettings, n_bits: int) -> OnlineLearner:
        """Inverse of :meth:`state` (KeyError/ValueError when broken)."""
        heads = (
            TanhHead.from_state("head_image", state, n_bits),
            TanhHead.from_state("head_text", state, n_bits),
        )
        bank = AnchorBank.from_state(state)
        labeller = labeller_from_state(str(state["labeller/kind"]), state)
        targets = TargetSpace.from_state(state)
        rehearsal = tuple(
            np.asarray(state[f"rehearsal/{kind}_{name}"], np.float32)
            for kind in ("anchors", "targets")
            for name in _MODALITY
        )
        caches = StreamCaches(
            phi=[np.asarray(state[f"cache/phi_{n}"], np.float32) for n in _MODALITY],
            z=[np.asarray(state[f"cache/z_{n}"], np.float32) for n in _MODALITY],
            unit=[targets.embed(bank.features[m], m) for m in (0, 1)],
            pending=[np.asarray(state[f"cache/pending_{n}"], np.float32) for n in _MODALITY],
        )
        for m in (0, 1):
            expected = (bank.size, n_bits)
            if caches.z[m].shape != expected or caches.pending[m].shape != expected:
                raise ValueError(f"caches of {_MODALITY[m]} do not match the bank")
            if caches.phi[m].shape != (bank.size, heads[m].feature_map.out_dim):
                raise ValueError(f"feature cache of {_MODALITY[m]} does not match the bank")
        learner = cls(
            heads,
            bank,
            labeller,
            targets,
            settings,
            (rehearsal[0], rehearsal[1], rehearsal[2], rehearsal[3]),
            caches,
            NoveltyBank.from_state(state) if "novelty/thresholds" in state else None,
            _replay_from_state(state),
            _fits_from_state(state),
        )
        if learner.fits is not None:
            for m, name in enumerate(_MODALITY):
                X = np.asarray(state[f"rls/block_x_{name}"], np.float32)
                T = np.asarray(state[f"rls/block_t_{name}"], np.float32)
                w = np.asarray(state[f"rls/block_w_{name}"], np.float64)
                for i in range(len(X)):
                    learner.blocks[m].add(X[i], T[i], float(w[i]))
        learner.counts = [int(v) for v in state["stream/counts"]]
        learner.seen = [int(v) for v in state["stream/seen"]]
        learner.labelled = [int(v) for v in state["stream/labelled"]]
        return learner


def _fits_from_state(state: StateDict) -> tuple[RecursiveFit, RecursiveFit] | None:
    if "rls/inverse_image" not in state:
        return None
    return (RecursiveFit(state["rls/inverse_image"]), RecursiveFit(state["rls/inverse_text"]))


@dataclass
class Block:
    """Rows waiting for a head's next least-squares step: features, targets, weights."""

    rows: list[tuple[Vector, Vector, float]] = field(default_factory=list)

    def add(self, x: Vector, target: npt.NDArray[Any], weight: float) -> None:
        """Queue one row."""
        self.rows.append((x.copy(), np.asarray(target, np.float32).copy(), weight))

    def clear(self) -> None:
        """Forget the queued rows."""
        self.rows = []

    def arrays(
        self, dim: int = 0, n_bits: int = 0
    ) -> tuple[Matrix, Matrix, npt.NDArray[np.float64]]:
        """(X (B, d), targets (B, k), weights (B,)); empty ones shaped (0, dim), (0, k)."""
        if not self.rows:
            return (
                np.zeros((0, dim), np.float32),
                np.zeros((0, n_bits), np.float32),
                np.zeros(0, np.float64),
            )
        return (
            np.stack([r[0] for r in self.rows]).astype(np.float32),
            np.stack([r[1] for r in self.rows]).astype(np.float32),
            np.array([r[2] for r in self.rows], np.float64),
        )


def _replay_from_state(state: StateDict) -> Replay | None:
    if "replay/features_image" not in state:
        return None
    features = [np.asarray(state[f"replay/features_{n}"], np.float32) for n in _MODALITY]
    codes = [np.asarray(state[f"replay/codes_{n}"], np.float32) for n in _MODALITY]
    return Replay((features[0], features[1]), (codes[0], codes[1]))
