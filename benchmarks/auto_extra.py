"""Score extra method variants as ``--method auto`` would if they were candidates (issue 14).

``auto`` compares registered methods at their own settings. A variant (for example LPIH's
stage 0 alone, ``lpih(relearn=objective,iterations=0,self_training=0)``) is not one of
them. This script asks what validation would say of it: on the same rows, labelled share,
seed and validation split as ``benchmarks/auto_pick.py``, each variant runs the same
self-tuning search as an ``auto`` candidate, is refitted with its choice, and is scored on
the test queries. Read its validation and test figures beside auto_pick.py's for the same
cell: the candidates of one split are independent of each other.

Usage:
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/auto_extra.py /work/datasets/emoji.npz \\
        --fractions 0.1,0.25 --variants 'lpih(relearn=objective,iterations=0,self_training=0)' \\
        --out extra-emoji-s0.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.auto_pick import rows_for
from benchmarks.lpih_protocol import Evaluator, Scores
from core.hashing import PairedFeatures, create_hasher
from core.hashing.base import FitContext
from core.hashing.registry import get_spec, resolve
from core.hashing.selection import situation_of
from core.hashing.tuning import search_settings
from core.hashing.validation import draw_split
from hashlens_bench.dataset import load_features
from hashlens_bench.method_variant import parse_variant
from hashlens_bench.splits import labelled_mask


def score_variant(
    ev: Evaluator, semi: PairedFeatures, bits: int, seed: int, variant: str
) -> dict[str, float | None]:
    """Validation on auto's split (after the variant's own search) and test mAP."""
    parsed = parse_variant(variant)
    situation = situation_of(semi)
    split = draw_split(semi, bits, seed, need_labels=situation != "unlabelled")
    hasher = create_hasher(parsed.key, bits, seed=seed, **dict(parsed.params))
    context = FitContext(np.random.default_rng(seed), None, None)
    report = search_settings(
        resolve(parsed.key), bits, seed, hasher.params, hasher.explicit, semi, context, split=split
    )
    refit = create_hasher(parsed.key, bits, seed=seed, **dict(parsed.params))
    refit.use_tuning(report)
    scores = Scores()
    ev.run(scores, variant, refit, rows_for(get_spec(parsed.key).supervision, semi))
    return {"validation": report.best_score, "test": scores.mean(variant, [bits])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features", type=Path)
    parser.add_argument("--fractions", default="0.1,0.25")
    parser.add_argument("--variants", required=True, help="';'-separated method variants")
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-limit", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    data = load_features(args.features)
    ev = Evaluator(data)
    tr = data.train
    if 0 < args.train_limit < tr.size:  # the seeded sample lpih_protocol.py fits on
        tr = np.sort(np.random.default_rng(args.seed).choice(tr, args.train_limit, replace=False))
    cells: dict[str, dict[str, dict[str, float | None]]] = {}
    for fraction in (float(f) for f in args.fractions.split(",")):
        mask = labelled_mask(len(tr), fraction, args.seed) if fraction < 1 else None
        semi = PairedFeatures(data.image[tr], data.text[tr], data.labels[tr], mask)
        cell = {
            v: score_variant(ev, semi, args.bits, args.seed, v) for v in args.variants.split(";")
        }
        cells[f"{fraction:g}"] = cell
        for variant, figures in cell.items():
            print(
                f"{args.features.stem} {100 * fraction:g} % seed {args.seed}: {variant} {figures}"
            )
    if args.out is not None:
        result = {"dataset": args.features.stem, "seed": args.seed, "bits": args.bits}
        args.out.write_text(json.dumps({**result, "cells": cells}, indent=1))


if __name__ == "__main__":
    main()
