"""Hyperparameter sweep of one hashing method on a validation split of the training set.

The validation split is carved from the *training* rows by group (emoji id / icon
name, so styles of one item never straddle it), one group in seven, seed 0; the query
set is never looked at. For every point of the grid the method is fitted on the rest
of the training rows and scored by the mean of I→T and T→I mAP (validation rows as
queries, remaining training rows as database), at each requested code length.

Usage:
    .venv/bin/python benchmarks/validation_sweep.py FILE.npz cca-itq \\
        --grid power=1,2,4 --grid reg=0.0001,0.1,0.3,1 --bits 32,128
    .venv/bin/python benchmarks/validation_sweep.py FILE.npz lpih --labelled 0.1 \
        --grid mu=0,0.1 --bits 32,128

With ``--labelled F`` a seeded share F of the fit rows keeps its labels (label_mask) and
the rest are hidden, for semi-supervised methods.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from core.hashing import PairedFeatures, create_hasher
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.hashing.registry import get_spec
from hashlens_bench.dataset import FeatureDataset, load_features
from hashlens_bench.method_variant import parse_value
from hashlens_bench.splits import labelled_mask


def validation_split(data: FeatureDataset, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, validation rows), both subsets of ``data.train``, split by group."""
    groups = data.groups[data.train] if data.groups is not None else data.train
    unique = np.unique(groups)
    rng = np.random.default_rng(seed)
    held = rng.choice(unique, max(1, len(unique) // 7), replace=False)
    is_val = np.isin(groups, held)
    return data.train[~is_val], data.train[is_val]


def main() -> None:
    parser = argparse.ArgumentParser(description="validation sweep of one method")
    parser.add_argument("features", type=Path)
    parser.add_argument("method")
    parser.add_argument("--grid", action="append", default=[], help="name=v1,v2,...")
    parser.add_argument("--bits", default="32,128")
    parser.add_argument(
        "--labelled", type=float, default=1.0, help="semi-supervised: share of fit rows labelled"
    )
    args = parser.parse_args()
    data = load_features(args.features)
    fit, val = validation_split(data)
    bits = [int(b) for b in args.bits.split(",")]
    names = [g.split("=", 1)[0] for g in args.grid]
    values = [[parse_value(v) for v in g.split("=", 1)[1].split(",")] for g in args.grid]
    supervised = get_spec(args.method).supervision != "unsupervised"
    mask = labelled_mask(len(fit), args.labelled) if args.labelled < 1 else None
    relevant = relevance(data.labels[val], data.labels[fit])
    print(f"{data.name}: fit {len(fit)}, validation {len(val)} rows; score = mean(I→T, T→I) mAP")
    print(" ".join(f"{n:>8}" for n in names) + " " + " ".join(f"{b:>7}b" for b in bits))
    for point in itertools.product(*values):
        params = dict(zip(names, point, strict=True))
        scores = []
        for n_bits in bits:
            labels = data.labels[fit] if supervised else None
            hasher = create_hasher(args.method, n_bits, **params)
            hasher.fit(PairedFeatures(data.image[fit], data.text[fit], labels, mask))
            i2t = hamming_matrix(
                hasher.encode_image(data.image[val]), hasher.encode_text(data.text[fit]), n_bits
            )
            t2i = hamming_matrix(
                hasher.encode_text(data.text[val]), hasher.encode_image(data.image[fit]), n_bits
            )
            pair = evaluate_ranking(i2t, relevant).map, evaluate_ranking(t2i, relevant).map
            scores.append(sum(pair) / 2)
        cells = " ".join(f"{v!s:>8}" for v in point)
        print(cells + " " + " ".join(f"{s:8.4f}" for s in scores), flush=True)


if __name__ == "__main__":
    main()
