"""LPIH against its alternatives at several labelled fractions (issue #5; spec §2.4).

Protocol (the spec asks that it be stated with the figures):

* Each dataset keeps its own split: queries are never trained on; the database is the
  training rows (the shallow protocol of docs/design/research/hpseh-lpih.md §3). With
  ``--train-limit N`` every method is fitted on the same seeded N training rows and the
  whole database is encoded by the fitted functions.
* Of the training rows, a seeded random fraction keeps its labels (``label_mask``); the
  other rows' labels are hidden from every method and used only for relevance and for
  scoring the pseudo-labels.
* In one process, on the same rows, at every code length:
  - ``lpih`` with its defaults, and the ablations ``lpih(refine=false)`` (pseudo-labels
    from the feature label functions only, no refinement by inherited codes) and
    ``lpih(mu=0,rho=0)`` (no inheritance terms);
  - base on 𝓛: the wrapped hasher trained on the labelled rows only, its own functions
    encoding queries and database (built as LPIH builds it, with LPIH's settings for
    its base; so is the upper bound);
  - base codes on everything: ``lpih(relearn=objective,iterations=0,self_training=0)``,
    the base's codes of every training row carried onto a feature map fitted on all rows
    (stage 0 alone);
  - unsupervised on everything: cca-itq, cmfh and itq (only where image and text share
    a space); the best by mean mAP is quoted;
  - upper bound: the base trained with every training label.
* ``--seed`` draws the training sample and the labelled rows; ``--hasher-seed`` seeds
  every hasher (0 unless given, as in every run before session 20).
* mAP over the whole database, I→T and T→I (queries without relevant items skipped).
  "Best alternative" is the best mean over lengths × directions among base on 𝓛, base
  codes on everything and the best unsupervised method.
* Pseudo-labels: micro precision and recall over (row, class) pairs of the unlabelled
  rows against their hidden labels (classes unseen in 𝓛 count as misses), and the
  precision of each row's top class.
* Cost: LPIH's fit time over the base's on the same rows (the upper-bound fit), median
  over code lengths.

Usage:
    .venv/bin/python benchmarks/lpih_protocol.py /tmp/hashlens-bench/emoji.npz \\
        --fractions 0.01,0.05,0.1,0.25 --bits 16,32,64,128 --out /tmp/lpih-emoji.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import HashingInputError
from core.hashing import Hasher, PairedFeatures, create_hasher
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.hashing.models.lpih import LPIH
from core.hashing.models.lpih_settings import LPIHParams, base_settings
from hashlens_bench.dataset import FeatureDataset, load_features
from hashlens_bench.method_variant import parse_variant
from hashlens_bench.splits import labelled_mask

UNSUPERVISED = ("cca-itq", "cmfh", "itq")
ABLATIONS = ("lpih(refine=false)", "lpih(mu=0,rho=0)", "lpih(rho=0.001)")
CARRIED = "lpih(relearn=objective,iterations=0,self_training=0)"


@dataclass
class Scores:
    """mAP per (method, bits) as (I→T, T→I), and fit seconds."""

    maps: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    seconds: dict[tuple[str, int], float] = field(default_factory=dict)

    def mean(self, method: str, bits: list[int]) -> float:
        """Mean over lengths × directions (NaN cells, where a method cannot run, skipped)."""
        return float(np.nanmean([v for b in bits for v in self.maps[(method, b)]]))

    def common(self, method: str, other: str, bits: list[int]) -> list[int]:
        """Lengths where both methods ran."""
        return [
            b for b in bits if not np.isnan(self.maps[(method, b)][0] + self.maps[(other, b)][0])
        ]


class Evaluator:
    """Fits hashers on one dataset and scores them on its queries and database."""

    def __init__(self, data: FeatureDataset) -> None:
        self.data = data
        self.relevant = relevance(data.labels[data.query], data.labels[data.database])

    def run(self, scores: Scores, label: str, hasher: Hasher, train: PairedFeatures) -> Hasher:
        started = time.perf_counter()
        hasher.fit(train)
        scores.seconds[(label, hasher.n_bits)] = time.perf_counter() - started
        self.score(scores, label, hasher)
        return hasher

    def score(self, scores: Scores, label: str, hasher: Hasher) -> None:
        """I→T and T→I mAP of a fitted hasher on the queries and database."""
        d, bits = self.data, hasher.n_bits
        i2t = hamming_matrix(
            hasher.encode_image(d.image[d.query]), hasher.encode_text(d.text[d.database]), bits
        )
        t2i = hamming_matrix(
            hasher.encode_text(d.text[d.query]), hasher.encode_image(d.image[d.database]), bits
        )
        scores.maps[(label, bits)] = (
            evaluate_ranking(i2t, self.relevant).map,
            evaluate_ranking(t2i, self.relevant).map,
        )


def build(variant: str, bits: int, base: str, seed: int = 0) -> Hasher:
    parsed = parse_variant(variant)
    params = dict(parsed.params)
    if parsed.key == "lpih":
        params.setdefault("base", base)
    return create_hasher(parsed.key, bits, seed=seed, **params)


def build_base(base: str, bits: int, seed: int = 0) -> Hasher:
    """The wrapped hasher as LPIH builds it (an HPsEH one with LPIH's μ), self-tuned."""
    return create_hasher(base, bits, seed=seed, **base_settings(LPIHParams(base=base)))


def pseudo_quality(hasher: LPIH, labels: np.ndarray) -> dict[str, float]:
    """Micro precision/recall of the final pseudo-labels against the hidden labels."""
    report = hasher.report
    assert report is not None
    assert report.pseudo is not None
    hidden = labels[~report.labelled]
    predicted = np.zeros_like(hidden)
    predicted[:, report.classes] = report.pseudo.hard
    hits = int((predicted & hidden).sum())
    top = report.classes[np.argmax(report.pseudo.scores, axis=1)]
    return {
        "precision": hits / max(int(predicted.sum()), 1),
        "recall": hits / max(int(hidden.sum()), 1),
        "top1_precision": float(hidden[np.arange(hidden.shape[0]), top].mean()),
        "classes_seen": int(report.classes.size),
        "classes_total": int(labels.any(axis=0).sum()),
    }


def run_dataset(
    path: Path,
    fractions: list[float],
    bits: list[int],
    seed: int,
    base: str,
    extra: tuple[str, ...] = (),
    quick: bool = False,
    train_limit: int = 0,
    hasher_seed: int = 0,
) -> dict[str, object]:
    """Every method on one dataset; ``seed`` draws the rows and labels, ``hasher_seed``
    seeds every hasher (0 in every item-5 run before session 20)."""
    data = load_features(path)
    ablations = () if quick else ABLATIONS
    ev = Evaluator(data)
    tr = data.train
    if 0 < train_limit < tr.size:  # fit on a seeded sample; the database stays whole
        tr = np.sort(np.random.default_rng(seed).choice(tr, train_limit, replace=False))
    image, text, labels = data.image[tr], data.text[tr], data.labels[tr]
    full = PairedFeatures(image, text, labels)
    fixed = Scores()
    unsupervised = list(UNSUPERVISED[:1] if quick else UNSUPERVISED)
    for b in bits:
        ev.run(fixed, "upper bound", build_base(base, b, hasher_seed), full)
        for key in list(unsupervised):
            try:
                ev.run(fixed, key, create_hasher(key, b, seed=hasher_seed), full)
            except HashingInputError as exc:  # itq on unaligned features
                print(f"  {key} left out: {exc.user_message}")
                unsupervised.remove(key)
    best_unsup = max(unsupervised, key=lambda k: fixed.mean(k, bits))
    name = data.name if data.name == path.stem else f"{data.name} ({path.name})"  # the TF-IDF files
    print(f"\n## {name}: {len(tr)} training rows, {len(data.query)} queries; base {base}")
    print(f"best unsupervised: {best_unsup} ({fixed.mean(best_unsup, bits):.4f})")
    results: dict[str, object] = {
        "dataset": path.stem,
        "base": base,
        "seed": seed,
        "hasher_seed": hasher_seed,
        "fractions": {},
    }
    for fraction in fractions:
        mask = labelled_mask(len(tr), fraction, seed)
        semi = PairedFeatures(image, text, labels, mask)
        only = PairedFeatures(image[mask], text[mask], labels[mask])
        scores = Scores(dict(fixed.maps), dict(fixed.seconds))
        quality: dict[int, dict[str, float]] = {}
        for b in bits:
            lpih = ev.run(scores, "lpih", build("lpih", b, base, hasher_seed), semi)
            assert isinstance(lpih, LPIH)
            quality[b] = pseudo_quality(lpih, labels)
            for variant in (*ablations, *extra, CARRIED):
                ev.run(scores, variant, build(variant, b, base, hasher_seed), semi)
            try:
                ev.run(scores, "base on L", build_base(base, b, hasher_seed), only)
            except ValueError as exc:  # fewer labelled rows than bits: no such code
                print(f"  base on L at {b} bits: {exc}")
                scores.maps[("base on L", b)] = (float("nan"), float("nan"))
        results["fractions"][str(fraction)] = report(  # type: ignore[index]
            scores, quality, fraction, int(mask.sum()), bits, best_unsup, extra, ablations
        )
    return results


def report(
    scores: Scores,
    quality: dict[int, dict[str, float]],
    fraction: float,
    n_labelled: int,
    bits: list[int],
    best_unsup: str,
    extra: tuple[str, ...] = (),
    ablations: tuple[str, ...] = ABLATIONS,
) -> dict[str, object]:
    rows = ["lpih", *ablations, *extra, "base on L", CARRIED, best_unsup, "upper bound"]
    print(f"\n### {100 * fraction:g} % labelled ({n_labelled} rows)")
    head = " | ".join(f"{b} I→T | {b} T→I" for b in bits)
    print(f"| method | {head} | mean |")
    print("|---" * (2 * len(bits) + 2) + "|")
    for row in rows:
        cells = " | ".join(
            "n/a" if np.isnan(v) else f"{v:.4f}" for b in bits for v in scores.maps[(row, b)]
        )
        print(f"| {row} | {cells} | {scores.mean(row, bits):.4f} |")
    gains = {
        r: scores.mean("lpih", c) / scores.mean(r, c) - 1.0
        for r in ("base on L", CARRIED, best_unsup)
        if (c := scores.common("lpih", r, bits))
    }
    best = min(gains, key=lambda r: gains[r])
    gain = gains[best]
    ratio = statistics.median(
        scores.seconds[("lpih", b)] / scores.seconds[("upper bound", b)] for b in bits
    )
    q = {k: statistics.mean(quality[b][k] for b in bits) for k in quality[bits[0]]}
    lpih_seconds = statistics.median(scores.seconds[("lpih", b)] for b in bits)
    print(
        f"\nLPIH vs best alternative ({best}): {100 * gain:+.1f} % relative mAP "
        f"(on the lengths both ran). Pseudo-labels: precision {q['precision']:.3f}, "
        f"recall {q['recall']:.3f}, top-1 precision {q['top1_precision']:.3f} "
        f"({q['classes_seen']:.0f} of {q['classes_total']:.0f} classes seen in 𝓛). "
        f"Fit time LPIH / base on the same rows: median {ratio:.2f}× "
        f"(LPIH {lpih_seconds:.2f} s)."
    )
    return {
        "n_labelled": n_labelled,
        "map": {f"{m}@{b}": list(v) for (m, b), v in scores.maps.items()},
        "fit_seconds": {f"{m}@{b}": v for (m, b), v in scores.seconds.items()},
        "mean": {r: scores.mean(r, bits) for r in rows},
        "best_alternative": best,
        "relative_gain": gain,
        "relative_gains": gains,
        "pseudo_labels": q,
        "fit_time_ratio": ratio,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features", type=Path, nargs="+")
    parser.add_argument("--fractions", default="0.01,0.05,0.1,0.25")
    parser.add_argument("--bits", default="16,32,64,128")
    parser.add_argument("--seed", type=int, default=0, help="seed of the labelled sample")
    parser.add_argument(
        "--hasher-seed", type=int, default=0, help="seed of every hasher (0, as before)"
    )
    parser.add_argument("--base", default="hpseh", help="the wrapped supervised method")
    parser.add_argument("--out", type=Path, help="write every figure as JSON")
    parser.add_argument(
        "--extra", default="", help="more LPIH variants in the same run, ';'-separated"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="leave out the ablations and every unsupervised method but cca-itq",
    )
    parser.add_argument(
        "--train-limit", type=int, default=0, help="fit on a seeded sample of N training rows"
    )
    args = parser.parse_args()
    fractions = [float(f) for f in args.fractions.split(",")]
    bits = [int(b) for b in args.bits.split(",")]
    extra = tuple(v for v in args.extra.split(";") if v)
    results = [
        run_dataset(
            p,
            fractions,
            bits,
            args.seed,
            args.base,
            extra,
            args.quick,
            args.train_limit,
            args.hasher_seed,
        )
        for p in args.features
    ]
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
