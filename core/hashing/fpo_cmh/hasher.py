"""FPO-CMH: fast partial-modal online cross-modal hashing.

Li, Sun, Wang, Zhu & Chang, "Fast Partial-Modal Online Cross-Modal Hashing", IEEE TIP
34, pp. 4440–4455, 2025 (doi 10.1109/TIP.2025.3586504); implemented from
docs/design/research/fpo-cmh.md, a reading of the authors' code (github.com/DandelionWow/FPO-CMH,
86b1932). docs/methods/fpo-cmh.md has the long form.

The pieces live in small modules: ``fpo_heads`` (hash heads and their SGD state),
``fpo_bank`` (the dual-tier anchor bank), ``fpo_labels`` (pseudo-labellers) and
``fpo_learner`` (the streaming loss, gradient accumulation, rehearsal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from core.errors import HashingInputError, NotFittedError
from core.hashing.base import FitContext, Hasher, StateDict
from core.hashing.data import PairedFeatures, StreamBatch, as_features, as_labels
from core.hashing.fpo_cmh.bank import initial_bank
from core.hashing.fpo_cmh.codebook import CodebookSettings, NovelCodebook, codebook_thresholds
from core.hashing.fpo_cmh.heads import SGDSettings, TanhHead, single_threaded_blas
from core.hashing.fpo_cmh.labels import (
    CONCEPTS_AUX,
    PseudoLabeller,
    ZeroShotLabeller,
    fit_ridge_labeller,
)
from core.hashing.fpo_cmh.learner import OnlineLearner, Replay, StreamSettings, TargetSpace
from core.hashing.fpo_cmh.novelty import (
    NoveltyBank,
    NoveltySettings,
    NoveltyThresholds,
    unrelated_similarity,
)
from core.hashing.fpo_cmh.rls import RecursiveFit
from core.hashing.models.linear import LinearHasher
from core.hashing.models.preprocess import l2_normalise
from core.hashing.registry import create_hasher, get_spec
from core.types import FloatArray


@dataclass(frozen=True)
class FPOCMHParams:
    """Hyperparameters of FPOCMH (spec §3.5; see the class docstring for the symbols)."""

    base: str = "auto"
    labeller: str = "auto"
    inter_target: str = "auto"
    theta: float = 0.3
    temperature: float = 100.0
    mu: int = 32
    alpha: float = 0.1
    beta: float = 1.0
    gamma: float = 1.0
    phi: float = 0.2
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 5e-4
    promote_after: int = 1
    ridge: float = 0.01
    code_temperature: float = 1.0
    novelty: bool = False
    novel_quantile: float = 0.2
    neighbour_quantile: float = 0.999
    min_cluster: int = 8
    pool_size: int = 256
    margin: int = 0
    novel_weight: float = 1.0
    rls_ridge: float = 1.0
    offline_weight: float = 5.0
    replay_size: int = 256
    codebook: bool = True
    codebook_exemplars: int = 2000
    codebook_memory: int = 64
    sibling_quantile: float = 0.99


class FPOCMH(Hasher):
    """Online partial-modal cross-modal hashing with a dual-tier anchor bank.

    Offline phase (``fit``): a registered offline hasher (``base``) learns from the
    paired training data; its learned functions b = sgn(φ_m(x)·W_m − t) become the two
    heads f_m(x) = tanh(φ_m(x)·s_m·W_m − s_m·t), with s_m = 1 / RMS of the training
    projections so that tanh starts unsaturated (codes equal the base's codes). The
    anchor bank is then built from the training data (spec §2.3), and A⁰, B⁰ are fixed.
    ``base="auto"`` is ``batch`` when every training row has a label, else ``cca-itq``.

    Online phase (``partial_fit``): every item of a :class:`StreamBatch` — image-only,
    text-only, or a pair (processed as its image, then its text, like the reference's
    split stream) — is pseudo-labelled and learned one at a time (spec §3, exact
    per-sample semantics; see ``fpo_learner``). ``save``/``load`` keep the whole online
    state, so a stream continues after a restart exactly as without it.

    Symbols of docs/design/research/fpo-cmh.md → code:
        f_I, f_T (ImgNet, TxtNet) → ``TanhHead`` (``heads[0]``, ``heads[1]``);
        A_I, A_T (``*_clip_bank``) → ``AnchorBank.features``; code tier
        (``*_code_bank``) → ``AnchorBank.codes``; ``category_idx_2_bank_idx`` →
        ``AnchorBank.row_of``; anchor buffer pool and ``cnt`` → ``NovelBuffer``;
        A⁰, B⁰ → ``OnlineLearner.anchors0``, ``targets0``; n_I, n_T →
        ``OnlineLearner.counts``; E (category prompt embeddings) →
        ``ZeroShotLabeller.embeddings``; θ → ``theta``; 100 → ``temperature``; μ, α, β,
        γ, φ → ``mu``, ``alpha``, ``beta``, ``gamma``, ``phi``; lr, momentum, weight
        decay of the SGD optimisers → ``lr``, ``momentum``, ``weight_decay``;
        ``is_accessible_bank_count`` → ``promote_after``.

    Fixes of the reference code (spec §7), each also noted where it is made:
        * §7.6: bank row 0 is updated like every other row (``fpo_bank``).
        * §7.8: rehearsal targets B⁰ = sgn(f(A⁰)) are computed in eval mode; the heads
          have no dropout, so h and h⁰ (the bank's code) are the same forward pass.
        * §7.9: the stored banks are plain arrays, never tied to gradients.
        * §7.5: ``gamma`` is the rehearsal weight (the reference hard-wired 1; the
          default stays 1).
        * §7.15: the whole online state is saved, not only the heads.

    Departures (docs/methods/fpo-cmh.md explains each):
        * Heads are the app's shallow functions (frozen feature map, trainable linear
          layer, tanh) initialised from a registered offline hasher, not deep heads
          trained by DJSRH/DCMH/... (the spec's offline phase is outside the repo).
        * Pseudo-labeller: CLIP zero-shot over the app's everyday-photo concept
          vocabulary (resources/concepts) instead of ImageNet-1k class names, or, for
          features that are not CLIP, a ridge label function learned from the labels.
        * Unaligned features (different encoders per modality) have no shared space for
          the inter-modal target softmax(τ·cos(x, A_o)); it is replaced by the intra
          target on per-modality centred features (``inter_target="own"``).
        * Binarisation: sgn(0) = −1 (the interface's rule) instead of torch's 0.
        * A paired stream item is learned as its image then its text (the reference
          only ever sees split pairs); there is no ``missing_ratio`` knob: the caller
          sends whatever arrives. Gradients left pending at the end of a batch are kept
          for the next one, never discarded (the app's stream has no end).
        * Given stream labels (``StreamBatch.labels``) replace the pseudo-labels.
        * Promoted classes leave the novel-class buffers (the reference keeps them
          but never reads them again).
        * ``code_temperature`` scales the code-side cosine logits (spec §7.4); its
          default 1 is the reference's behaviour.
        * BLAS runs on one thread during ``partial_fit`` (``fpo_heads``): a speed
          measure that changes results by float rounding at most.
        * ``novelty=True`` (opt-in, issue #15): items far from every anchor open
          novel-class rows with fixed codewords (``fpo_novelty``), and the heads are
          then fitted by block recursive least squares (``fpo_rls``) instead of the
          spec's SGD steps. 256 offline items and their stored codes are always kept
          to estimate the drift of stored codes (``online_summary()["drift"]``).
        * ``codebook=True`` (default, issue #15): items of a kind the offline data never
          had are placed in novel rows found from captions, and items of a row with
          photos and captions are coded by the row's codeword instead of the heads
          (``fpo_cmh.codebook``); offline items keep their codes.
    """

    name = "fpo-cmh"
    supports_partial_fit = True
    labels_when_given = True
    uses_aux = frozenset({CONCEPTS_AUX})

    Params = FPOCMHParams
    params: FPOCMHParams

    _learner: OnlineLearner | None = None
    _codebook: NovelCodebook | None = None
    _base_name: str = ""

    # --------------------------------------------------------------- offline phase
    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        p = self.params
        self._check_params()
        labeller = self._fit_labeller(data)
        cross = self._cross_targets(data, labeller)
        base = self._fit_base(data, context)
        heads = _heads_from(base, data)
        context.step(1, 2)
        features = (data.image, data.text)
        codes = [np.tanh(heads[m].pre_activation(heads[m].features(features[m]))) for m in (0, 1)]
        labels = [labeller.scores(features[m], m) > p.theta for m in (0, 1)]
        bank = initial_bank(features, (codes[0], codes[1]), (labels[0], labels[1]), p.promote_after)
        targets = TargetSpace(None if cross else _modality_means(data))
        replay = _replay_items(features, heads, p.replay_size, self.seed)
        novelty, fits = None, None
        if p.novelty:
            novelty = self._novelty_bank(features, bank.features, labels, targets, heads)
            fits = (
                RecursiveFit.start(heads[0].features(features[0]), p.rls_ridge, p.offline_weight),
                RecursiveFit.start(heads[1].features(features[1]), p.rls_ridge, p.offline_weight),
            )
        self._learner = OnlineLearner.start(
            heads, bank, labeller, targets, self._settings(cross), novelty, replay, fits
        )
        self._codebook = (
            self._novel_codebook(features, labels, targets, codes) if p.codebook else None
        )

    def _novel_codebook(
        self,
        features: tuple[FloatArray, FloatArray],
        labels: list[npt.NDArray[np.bool_]],
        targets: TargetSpace,
        relaxed: list[npt.NDArray[np.float32]],
    ) -> NovelCodebook:
        """The codebook's offline exemplars (at most ``codebook_exemplars``) and thresholds.

        ``relaxed`` holds the offline items' relaxed codes (the heads' outputs), whose
        signs are the codes new codewords keep away from.
        """
        p = self.params
        rng = np.random.default_rng(self.seed)
        n = len(features[0])
        rows = np.sort(rng.choice(n, size=min(p.codebook_exemplars, n), replace=False))
        units = (targets.embed(features[0][rows], 0), targets.embed(features[1][rows], 1))
        thresholds = codebook_thresholds(
            units,
            (labels[0][rows], labels[1][rows]),
            (p.novel_quantile, p.neighbour_quantile),
            rng,
        )
        codes = [np.where(relaxed[m][rows] > 0, 1.0, -1.0) for m in (0, 1)]
        margin = p.margin if p.margin > 0 else max(self.n_bits // 4, 1)
        sibling = (
            unrelated_similarity(units[1], labels[1][rows], p.sibling_quantile, rng)
            if p.sibling_quantile < 1.0
            else None
        )
        return NovelCodebook(
            units,
            thresholds,
            np.unique(np.vstack(codes), axis=0).astype(np.float32),
            CodebookSettings(margin, p.codebook_memory, np.inf if sibling is None else sibling),
        )

    def _novelty_bank(
        self,
        features: tuple[FloatArray, FloatArray],
        anchors: list[npt.NDArray[np.float32]],
        labels: list[npt.NDArray[np.bool_]],
        targets: TargetSpace,
        heads: tuple[TanhHead, TanhHead],
    ) -> NoveltyBank:
        p = self.params
        units = (targets.embed(features[0], 0), targets.embed(features[1], 1))
        anchor_units = (targets.embed(anchors[0], 0), targets.embed(anchors[1], 1))
        thresholds = NoveltyThresholds.fit(
            units,
            anchor_units,
            (labels[0], labels[1]),
            p.novel_quantile,
            np.random.default_rng(self.seed),
            p.neighbour_quantile,
        )
        margin = p.margin if p.margin > 0 else max(self.n_bits // 4, 1)
        settings = NoveltySettings(min_cluster=p.min_cluster, pool_size=p.pool_size, margin=margin)
        signs = [
            np.where(heads[m].pre_activation(heads[m].features(anchors[m])) > 0, 1.0, -1.0)
            for m in (0, 1)
        ]
        return NoveltyBank(thresholds, settings, np.vstack(signs).astype(np.float32))

    def _check_params(self) -> None:
        p = self.params
        choices = {
            "labeller": ("auto", "zero-shot", "ridge"),
            "inter_target": ("auto", "cross", "own"),
        }
        for name, allowed in choices.items():
            if getattr(p, name) not in allowed:
                raise HashingInputError(
                    f"FPO-CMH's {name} must be one of {', '.join(allowed)}.", repr(getattr(p, name))
                )
        if p.codebook_exemplars < 2 or p.codebook_memory < 1:
            raise HashingInputError(
                "FPO-CMH's codebook needs codebook_exemplars ≥ 2 and codebook_memory ≥ 1.",
                repr(p),
            )
        if p.mu < 1 or p.promote_after < 1 or not 0.0 <= p.phi <= 1.0:
            raise HashingInputError(
                "FPO-CMH needs mu ≥ 1, promote_after ≥ 1 and 0 ≤ phi ≤ 1.", repr(p)
            )

    def _fit_labeller(self, data: PairedFeatures) -> PseudoLabeller:
        kind = self.params.labeller
        concepts = data.aux.get(CONCEPTS_AUX)
        if kind == "zero-shot" or (kind == "auto" and concepts is not None):
            return _zero_shot(data, concepts, self.params.temperature)
        if data.labels is None:
            raise HashingInputError(
                "FPO-CMH pseudo-labels new photos with CLIP concept prompts or with a label "
                "function learned from tags; there are neither (no prompt embeddings, no "
                "labels). Train it from the app, which supplies the prompts, or add labels.",
                "no aux['concept_embeddings'] and labels=None",
            )
        return fit_ridge_labeller(
            data.image, data.text, data.labels, data.known_labels(), self.params.ridge
        )

    def _cross_targets(self, data: PairedFeatures, labeller: PseudoLabeller) -> bool:
        choice = self.params.inter_target
        if choice == "auto":
            return labeller.kind == ZeroShotLabeller.kind
        if choice == "cross" and data.image.shape[1] != data.text.shape[1]:
            raise HashingInputError(
                "Cross-modal targets need image and text features in one space (CLIP); "
                "these have different dimensions. Use inter_target='own'.",
                f"{data.image.shape[1]} vs {data.text.shape[1]}",
            )
        return choice == "cross"

    def _fit_base(self, data: PairedFeatures, context: FitContext) -> LinearHasher:
        key = self.params.base
        if key == "auto":
            labelled = data.labels is not None and bool(
                (data.known_labels() & (data.labels.sum(axis=1) > 0)).all()
            )
            key = "batch" if labelled else "cca-itq"
        if key == self.name or get_spec(key).online:
            raise HashingInputError("FPO-CMH's base must be an offline method.", key)
        base = create_hasher(key, self.n_bits, seed=self.seed)
        if not isinstance(base, LinearHasher):
            raise HashingInputError(
                f"FPO-CMH builds on methods with linear hash functions; {key} is not one.", key
            )
        plain = PairedFeatures(data.image, data.text, data.labels, data.label_mask)
        base.fit(plain, progress=context.progress, cancel=context.cancel)
        self._base_name = key
        return base

    def _settings(self, cross: bool) -> StreamSettings:
        p = self.params
        return StreamSettings(
            theta=p.theta,
            temperature=p.temperature,
            mu=p.mu,
            alpha=p.alpha,
            beta=p.beta,
            gamma=p.gamma,
            phi=p.phi,
            sgd=SGDSettings(p.lr, p.momentum, p.weight_decay),
            cross_targets=cross,
            code_temperature=p.code_temperature,
            novel_weight=p.novel_weight,
        )

    # ---------------------------------------------------------------- online phase
    def partial_fit(self, batch: StreamBatch) -> Self:
        """Learn from newly arrived items: image-only, text-only or paired rows.

        Raises:
            NotFittedError: Before ``fit`` (the offline phase builds heads and bank).
            HashingInputError: Not a StreamBatch, features of the wrong dimension, or
                labels whose columns are not the model's classes.
        """
        if not isinstance(batch, StreamBatch):
            raise HashingInputError("partial_fit() takes a StreamBatch.", type(batch).__name__)
        learner = self.learner
        sides = (batch.image, batch.text)
        names = ("image features", "text features")
        rows = [
            None if side is None else as_features(side, names[m], dim=self.dims[m])
            for m, side in enumerate(sides)
        ]
        labels = [self._stream_labels(batch, rows[m], m) for m in (0, 1)]
        with single_threaded_blas():
            for i in range(batch.n_items):
                xs = tuple(None if X is None else X[i] for X in rows)
                item_labels = tuple(
                    [] if Y is None else np.flatnonzero(Y[i]).tolist() for Y in labels
                )
                if self._codebook is not None:
                    self._observe(xs[0], xs[1])
                learner.learn_item((xs[0], xs[1]), (item_labels[0], item_labels[1]))
        return self

    def _observe(self, image: FloatArray | None, text: FloatArray | None) -> None:
        """Place one arrived item in the codebook (before the heads learn from it)."""
        assert self._codebook is not None
        learner = self.learner
        sides = (image, text)
        units = tuple(
            None if x is None else learner.targets.embed(x[None, :], m)[0]
            for m, x in enumerate(sides)
        )
        heads = learner.heads

        def relaxed() -> npt.NDArray[np.float32]:
            return np.vstack(
                [
                    np.tanh(heads[m].pre_activation(heads[m].features(x[None, :])))
                    for m, x in enumerate(sides)
                    if x is not None
                ]
            )

        self._codebook.observe((units[0], units[1]), relaxed)

    def _stream_labels(
        self, batch: StreamBatch, X: FloatArray | None, modality: int
    ) -> npt.NDArray[np.bool_] | None:
        if X is None:
            return None
        learner = self.learner
        if batch.labels is None:
            return learner.labels_of(X, modality)
        n_classes = learner.labeller.n_classes
        if batch.labels.shape[1] != n_classes:
            raise HashingInputError(
                f"The stream's labels have {batch.labels.shape[1]} classes, but this model "
                f"knows {n_classes}.",
                f"expected ({batch.n_items}, {n_classes}), got {batch.labels.shape}",
            )
        return np.asarray(as_labels(batch.labels, batch.n_items), dtype=np.bool_)

    @property
    def learner(self) -> OnlineLearner:
        """The online state: heads, bank, labeller (NotFittedError before ``fit``)."""
        if self._learner is None or not self.is_fitted:
            raise NotFittedError(f"The {self.name} model has not been trained yet.")
        return self._learner

    @property
    def base_method(self) -> str:
        """Registry key of the offline hasher the heads came from (``base`` resolved)."""
        self.dims  # noqa: B018 - raises NotFittedError when unfitted
        return self._base_name

    def online_summary(self) -> dict[str, Any]:
        """Counts for reports: items seen and learned per modality, steps, bank rows, drift.

        ``novel_rows`` counts the rows found in the stream that code items: the
        codebook's linked rows and the novelty learner's rows (``codebook_rows`` and
        ``codebook_open`` give the codebook's linked and opened rows apart);
        ``bank_rows`` adds the spec's rows. ``drift`` is the share of the replay items'
        stored code bits the current model would code differently (None for a model
        saved before replay items were kept).
        """
        learner = self.learner
        novelty = learner.novelty
        book = self._codebook
        linked = len(book.linked_rows()) if book is not None else 0
        novel = (novelty.size if novelty is not None else 0) + linked
        return {
            "novelty": novelty is not None,
            "novel_rows": novel,
            "novel_waiting": sum(len(p.units) for p in novelty.pools) if novelty else 0,
            "drift": learner.drift(self._project),
            "images_seen": learner.seen[0],
            "texts_seen": learner.seen[1],
            "images_labelled": learner.labelled[0],
            "texts_labelled": learner.labelled[1],
            "image_steps": learner.heads[0].steps,
            "text_steps": learner.heads[1].steps,
            "bank_rows": learner.bank.size + novel,
            "codebook_rows": linked,
            "codebook_open": len(book.codewords) if book is not None else 0,
        }

    # -------------------------------------------------------------------- encoding
    def _project(self, modality: int, features: FloatArray) -> npt.NDArray[np.float32]:
        assert self._learner is not None
        head = self._learner.heads[modality]
        projections = head.pre_activation(head.features(features))
        if self._codebook is None:
            return projections
        units = self._learner.targets.embed(features, modality)
        return self._codebook.code(units, modality, projections)

    def _project_image(self, features: FloatArray) -> npt.NDArray[np.floating[Any]]:
        return self._project(0, features)

    def _project_text(self, features: FloatArray) -> npt.NDArray[np.floating[Any]]:
        return self._project(1, features)

    # ----------------------------------------------------------------- persistence
    def _state(self) -> StateDict:
        assert self._learner is not None
        return {
            **self._learner.state(),
            **(self._codebook.state() if self._codebook is not None else {}),
            "stream/cross_targets": np.array(self._learner.settings.cross_targets),
            "base/name": np.array(self._base_name),
        }

    def _set_state(self, state: StateDict) -> None:
        settings = self._settings(bool(state["stream/cross_targets"]))
        self._learner = OnlineLearner.from_state(state, settings, self.n_bits)
        self._codebook = NovelCodebook.from_state(state)
        self._base_name = str(state["base/name"])


def _zero_shot(
    data: PairedFeatures, concepts: npt.NDArray[Any] | None, temperature: float
) -> ZeroShotLabeller:
    if concepts is None:
        raise HashingInputError(
            "FPO-CMH's zero-shot labeller needs the concept prompt embeddings "
            f"(aux['{CONCEPTS_AUX}']).",
            "missing aux",
        )
    E = as_features(concepts, "concept prompt embeddings")
    if not E.shape[1] == data.image.shape[1] == data.text.shape[1]:
        raise HashingInputError(
            "Zero-shot pseudo-labels need image, text and prompt embeddings from one CLIP "
            "model (the same dimension).",
            f"image {data.image.shape[1]}, text {data.text.shape[1]}, prompts {E.shape[1]}",
        )
    return ZeroShotLabeller(E, temperature)


def _heads_from(base: LinearHasher, data: PairedFeatures) -> tuple[TanhHead, TanhHead]:
    functions = base.functions
    heads: list[TanhHead] = []
    for m, X in enumerate((data.image, data.text)):
        feature_map, W = functions.maps[m], functions.weights[m]
        projection = feature_map.transform(X) @ W - functions.offset
        scale = 1.0 / max(float(np.sqrt(np.mean(projection.astype(np.float64) ** 2))), 1e-12)
        heads.append(TanhHead(feature_map, scale * W, -scale * functions.offset))
    return heads[0], heads[1]


def _modality_means(data: PairedFeatures) -> tuple[FloatArray, FloatArray]:
    means = [l2_normalise(X).mean(axis=0).astype(np.float32) for X in (data.image, data.text)]
    return means[0], means[1]


def _replay_items(
    features: tuple[FloatArray, FloatArray],
    heads: tuple[TanhHead, TanhHead],
    size: int,
    seed: int,
) -> Replay:
    """A sample of offline items and their codes (the codes the library stores for them)."""
    n = len(features[0])
    rows = np.sort(np.random.default_rng(seed).choice(n, size=min(size, n), replace=False))
    picked = [np.asarray(features[m][rows], np.float32) for m in (0, 1)]
    codes = [
        np.where(heads[m].pre_activation(heads[m].features(picked[m])) > 0, 1.0, -1.0).astype(
            np.float32
        )
        for m in (0, 1)
    ]
    return Replay((picked[0], picked[1]), (codes[0], codes[1]))
