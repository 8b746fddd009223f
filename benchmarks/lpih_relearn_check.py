"""Issue 14 experiment: can LPIH tell from its own labels when relearning will lose?

LPIH's stage 3 (``relearn="base"``) refits the wrapped method on the pseudo-labels and
usually beats stage 0 (the base trained on 𝓛, carried onto every row), but not always
(never-tuned Tabler at 5 % labelled; emoji at 25 % with seed 1). A "safe" LPIH would
check, from the labelled rows alone, whether relearning pays on this library and keep
stage 0's codes when it does not (the aim of Y.-F. Li and Z.-H. Zhou, "Towards Making
Unlabeled Data Never Hurt", IEEE TPAMI 37(1), 2015). This script measures whether such a
check picks the right side. It is run on the tuning datasets only.

Per dataset, seed and labelled share (the protocol of ``lpih_protocol.py``: a seeded
2,000-row training sample, 64 bits, mean of I→T and T→I mAP on the dataset's queries):

* the truth: LPIH with relearning (without inherited code clusters, the default when
  this was run: ``lpih(code_clusters=0)`` now) against stage 0
  (``lpih(relearn=objective,iterations=0,self_training=0)``), both on the test queries;
* the check (hasher seed 0 and one fold draw for every cell, as a fit in the app
  would make them; the sample seed varies the training rows and 𝓛): 𝓛 is dealt
  into two folds stratified by first label; for each fold, its labels are hidden
  (it joins 𝓤) and three LPIH models are fitted without self-tuning:
  with relearning, with relearning but no self-training round, and stage 0. Each scores
  the fold's rows as queries against three databases: (A) the rest of 𝓛, (B) the rest
  of 𝓛 and the fold itself, (C) the fold itself (a query's own pair left out of B and C).

A check is right in a cell when the sign of its difference (relearn − stage 0) matches
the truth's. Its cost is six LPIH fits on the training rows per cell.

Usage:
    .venv/bin/python benchmarks/lpih_relearn_check.py /work/datasets/emoji.npz \\
        --fractions 0.05,0.1,0.25 --seeds 0,1,2 --out /tmp/check-emoji.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.hashing import Hasher, PairedFeatures, create_hasher
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from hashlens_bench.dataset import FeatureDataset, load_features
from hashlens_bench.splits import labelled_mask

BITS = 64
STAGE0: dict[str, Any] = {"relearn": "objective", "iterations": 0, "self_training": 0}
VARIANTS: dict[str, dict[str, Any]] = {
    "relearn": {"code_clusters": 0},
    "relearn, no self-training": {"self_training": 0, "code_clusters": 0},
    "stage 0": STAGE0,
}
Rows = npt.NDArray[np.intp]


def test_map(hasher: Hasher, data: FeatureDataset) -> float:
    """Mean of I→T and T→I mAP of the dataset's queries against its database."""
    relevant = relevance(data.labels[data.query], data.labels[data.database])
    q, db = data.query, data.database
    image, text = data.image, data.text
    i2t = hamming_matrix(hasher.encode_image(image[q]), hasher.encode_text(text[db]), BITS)
    t2i = hamming_matrix(hasher.encode_text(text[q]), hasher.encode_image(image[db]), BITS)
    return (evaluate_ranking(i2t, relevant).map + evaluate_ranking(t2i, relevant).map) / 2


def held_out_map(hasher: Hasher, train: PairedFeatures, queries: Rows, database: Rows) -> float:
    """Both directions, relevance by a shared label, a query's own pair left out."""
    assert train.labels is not None
    own = queries[:, None] == database[None, :]
    relevant = relevance(train.labels[queries], train.labels[database]) & ~own
    total = 0.0
    for q_codes, db_codes in (
        (hasher.encode_image(train.image[queries]), hasher.encode_text(train.text[database])),
        (hasher.encode_text(train.text[queries]), hasher.encode_image(train.image[database])),
    ):
        distances = hamming_matrix(q_codes, db_codes, BITS).astype(np.float64)
        distances[own] = np.inf
        total += evaluate_ranking(distances, relevant).map / 2
    return total


def folds_of(labels: npt.NDArray[np.uint8], labelled: npt.NDArray[np.bool_]) -> Rows:
    """Fold (0 or 1) of each labelled row, dealt by first label; −1 for the others.

    The generator first draws the check's sample of unlabelled rows (a check in the app
    would fit on at most 4,000 rows: every labelled one, then a seeded sample of the
    rest; here all 2,000 rows are kept, so the draw only advances the generator).
    """
    rng = np.random.default_rng([0, 0x636B])
    others = np.flatnonzero(~labelled)
    rng.choice(others, min(others.size, 4000 - int(labelled.sum())), replace=False)
    fold = np.full(labels.shape[0], -1, dtype=np.intp)
    marked = np.flatnonzero(labelled)
    first = np.argmax(labels[marked], axis=1)
    dealt = 0
    for cls in np.unique(first):
        members = rng.permutation(marked[first == cls])
        fold[members] = (dealt + np.arange(members.size)) % 2
        dealt += members.size
    return fold


def check(train: PairedFeatures, labelled: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """Scores of each variant on databases A, B, C, averaged over the two folds."""
    assert train.labels is not None
    fold = folds_of(train.labels, labelled)
    scores: dict[str, list[list[float]]] = {name: [] for name in VARIANTS}
    for f in (0, 1):
        held, rest = np.flatnonzero(fold == f), np.flatnonzero(labelled & (fold != f))
        masked = PairedFeatures(train.image, train.text, train.labels, labelled & (fold != f))
        for name, params in VARIANTS.items():
            hasher = create_hasher("lpih", BITS, tune=False, **params).fit(masked)
            databases = (rest, np.union1d(rest, held), held)
            scores[name].append([held_out_map(hasher, masked, held, db) for db in databases])
    return {name: np.mean(v, axis=0).tolist() for name, v in scores.items()}


def run(path: Path, fractions: list[float], seeds: list[int]) -> list[dict[str, Any]]:
    data = load_features(path)
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        tr = np.sort(np.random.default_rng(seed).choice(data.train, 2000, replace=False))
        image, text, labels = data.image[tr], data.text[tr], data.labels[tr]
        for fraction in fractions:
            mask = labelled_mask(len(tr), fraction, seed)
            semi = PairedFeatures(image, text, labels, mask)
            truth = {
                name: test_map(create_hasher("lpih", BITS, **params).fit(semi), data)
                for name, params in (("relearn", {"code_clusters": 0}), ("stage 0", STAGE0))
            }
            started = time.perf_counter()
            scores = check(semi, mask & labels.any(axis=1))
            seconds = time.perf_counter() - started
            row = {"dataset": data.name, "seed": seed, "fraction": fraction, "truth": truth}
            rows.append({**row, "check": scores, "check_seconds": seconds})
            print(line(rows[-1]), flush=True)
    return rows


def line(row: dict[str, Any]) -> str:
    truth, c = row["truth"], row["check"]
    diff = truth["relearn"] - truth["stage 0"]
    cells = []
    for name in ("relearn", "relearn, no self-training"):
        signs = [c[name][i] - c["stage 0"][i] for i in range(3)]
        marks = ["✓" if (s > 0) == (diff > 0) else "✗" for s in signs]
        cells.append(" ".join(f"{s:+.3f}{m}" for s, m in zip(signs, marks, strict=True)))
    return (
        f"| {row['dataset']} | {row['seed']} | {100 * row['fraction']:g} % | {diff:+.3f} | "
        f"{cells[0]} | {cells[1]} | {row['check_seconds']:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="LPIH's relearn check against the truth")
    parser.add_argument("features", type=Path)
    parser.add_argument("--fractions", default="0.05,0.1,0.25")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print("| dataset | seed | labelled | truth | check A B C | no self-training A B C | cost |")
    print("|---|---|---|---|---|---|---|")
    rows = run(
        args.features,
        [float(f) for f in args.fractions.split(",")],
        [int(s) for s in args.seeds.split(",")],
    )
    if args.out is not None:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
