"""FPO-CMH's online learner: one streaming item at a time (research/fpo-cmh.md §3).

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.hashing.models.fpo_bank import AnchorBank, BankChange
from core.hashing.models.fpo_heads import SGDSettings, TanhHead
from core.hashing.models.fpo_labels import PseudoLabeller, labeller_from_state, softmax_rows
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

    @classmethod
    def start(
        cls,
        heads: tuple[TanhHead, TanhHead],
        bank: AnchorBank,
        labeller: PseudoLabeller,
        targets: TargetSpace,
        settings: StreamSettings,
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
        return cls(heads, bank, labeller, targets, settings, rehearsal)

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
        head = self.heads[modality]
        phi = head.features(x[None, :])
        h = np.tanh(head.pre_activation(phi)[0])
        weight = self._weight(labels)
        self.counts[modality] += 1
        self.seen[modality] += 1
        if weight > 0.0 and self.bank.size:
            self.labelled[modality] += 1
            self._accumulate(x, modality, phi[0], h, weight)
        if len(labels):
            z = self.caches.z[modality]
            change = self.bank.observe(modality, x, h, labels, lambda r: np.tanh(z[r]))
            self._refresh(modality, change)
        if self.counts[modality] >= self.settings.mu:
            self.step(modality)

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
        )
        learner.counts = [int(v) for v in state["stream/counts"]]
        learner.seen = [int(v) for v in state["stream/seen"]]
        learner.labelled = [int(v) for v in state["stream/labelled"]]
        return learner
