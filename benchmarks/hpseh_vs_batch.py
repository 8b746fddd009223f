"""HPsEH against BATCH on equal terms: ablations on validation splits, then the test protocol.

``--mode validation`` (the diagnosis): every variant is fitted with ``tune=False`` at
the same kernel-anchor count (``--anchors``; BATCH gets it for both modalities) on the
fitting rows of benchmarks/validation_sweep.py's group split of the *training* set and
scored on its validation rows (mean of I→T and T→I mAP). The query set is never looked
at.

``--subsample N`` fits on N seeded fitting rows (and searches among them), to see how
the methods behave on a small library without touching any held-out set. ``--seed S``
draws that subsample and seeds every hasher (default 0).

``--mode test``: each method at its self-tuned defaults (the search of
core/hashing/tuning.py, the same for both), fitted on the training rows and scored on
the dataset's query/database protocol. Run on held-out sets only once the method is
final.

Usage:
    nice -n 10 .venv/bin/python benchmarks/hpseh_vs_batch.py /work/datasets/emoji.npz \\
        --variants "batch,hpseh,hpseh(lam=0)" --bits 32 --anchors 2000
    nice -n 10 .venv/bin/python benchmarks/hpseh_vs_batch.py FILE.npz --mode test \\
        --variants batch,hpseh --bits 32,64
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

from benchmarks.validation_sweep import validation_split
from core.hashing import PairedFeatures, create_hasher
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from hashlens_bench.dataset import FeatureDataset, load_features
from hashlens_bench.method_variant import parse_variant, split_methods


def mean_map(hasher: Any, data: FeatureDataset, queries: Any, database: Any) -> float:
    """Mean of I→T and T→I mAP of ``queries`` against ``database`` rows."""
    r = hasher.n_bits
    relevant = relevance(data.labels[queries], data.labels[database])
    i2t = hamming_matrix(
        hasher.encode_image(data.image[queries]), hasher.encode_text(data.text[database]), r
    )
    t2i = hamming_matrix(
        hasher.encode_text(data.text[queries]), hasher.encode_image(data.image[database]), r
    )
    return float((evaluate_ranking(i2t, relevant).map + evaluate_ranking(t2i, relevant).map) / 2)


def capacity(key: str, anchors: int) -> dict[str, Any]:
    """The anchor setting(s) of ``key`` at ``anchors`` kernel anchors."""
    if key == "batch":
        return {"anchors_image": anchors, "anchors_text": anchors}
    return {"anchors": anchors}


def main() -> None:
    parser = argparse.ArgumentParser(description="HPsEH vs BATCH at equal capacity")
    parser.add_argument("features", type=Path, nargs="+")
    parser.add_argument("--variants", default="batch,hpseh")
    parser.add_argument("--bits", default="32")
    parser.add_argument("--anchors", type=int, default=2000)
    parser.add_argument("--mode", choices=("validation", "test"), default="validation")
    parser.add_argument(
        "--subsample", type=int, default=0, help="fit on this many seeded fitting rows (small sets)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the subsample and of every hasher"
    )
    parser.add_argument(
        "--fit-score",
        action="store_true",
        help="also score 800 fitting rows against the fitting rows (how well the functions "
        "reproduce their own training codes, against the validation score)",
    )
    args = parser.parse_args()
    variants = [parse_variant(v) for v in split_methods(args.variants)]
    bits = [int(b) for b in args.bits.split(",")]
    extra = " fitting-rows mAP |" if args.fit_score else ""
    print(f"| dataset | variant | bits | mAP |{extra} fit s | settings |")
    print("|---|---|---:|---:|" + ("---:|" if args.fit_score else "") + "---:|---|")
    for path in args.features:
        data = load_features(path)
        if args.mode == "validation":
            fit, queries = validation_split(data)
            if args.subsample:
                fit = np.sort(np.random.default_rng(args.seed).permutation(fit)[: args.subsample])
            database = fit
        else:
            fit, queries, database = data.train, data.query, data.database
        paired = PairedFeatures(data.image[fit], data.text[fit], data.labels[fit])
        for n_bits in bits:
            for variant in variants:
                params = dict(variant.params)
                if args.mode == "validation":
                    params = {**capacity(variant.key, args.anchors), **params, "tune": False}
                hasher = create_hasher(variant.key, n_bits, seed=args.seed, **params)
                started = time.perf_counter()
                hasher.fit(paired)
                seconds = time.perf_counter() - started
                score = mean_map(hasher, data, queries, database)
                own = f" {mean_map(hasher, data, fit[:800], fit):.4f} |" if args.fit_score else ""
                tuning = hasher.tuning
                chosen = tuning.summary() if tuning is not None else "not tuned"
                print(
                    f"| {path.stem} | {variant.label} | {n_bits} | {score:.4f} |{own} "
                    f"{seconds:.1f} | {chosen} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
