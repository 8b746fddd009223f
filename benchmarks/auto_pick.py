"""What ``--method auto`` picks on a benchmark library, and what that pick is worth (issue 14).

``auto`` (core.hashing.selection) is the window's default and what ``hashlens train``
does without ``--method``: every method the labels allow runs its self-tuning search on
one shared validation split of the training pairs, and the best validation mAP wins.
Validation is only an estimate. This script measures the pick against the truth: the
test queries, which the selection never sees.

Protocol (the same rows, labelled share and seed as ``benchmarks/lpih_protocol.py``, so
its figures for LPIH and stage 0 in the same cell can be read beside these):

* the training rows (``--train-limit N``: the same seeded N rows); a seeded share of them
  keeps its labels (``label_mask``); share 1 is a fully labelled library;
* ``select_method`` on them, as the trainer calls it;
* **every candidate** is then fitted as the trainer would fit it had it won: with the
  settings its search chose (``Hasher.use_tuning``), on the rows its supervision takes
  (supervised: the labelled rows; unsupervised: every row, no labels; semi-supervised:
  every row with the mask), and scored on the queries against the whole database;
* per cell: the pick, its test mAP, the best candidate on test ("oracle") and the
  **regret** (oracle − pick), and the rank of the pick on test.

mAP is the mean of I→T and T→I over the whole database (queries without relevant items
skipped), as everywhere in docs/benchmarks.md.

Usage:
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/auto_pick.py /work/datasets/emoji.npz \\
        --fractions 0.1,1 --bits 64 --train-limit 2000 --seed 0 --out auto-emoji-s0.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.lpih_protocol import Evaluator, Scores
from core.errors import HashingInputError
from core.hashing import PairedFeatures, create_hasher
from core.hashing.base import Supervision
from core.hashing.registry import get_spec
from core.hashing.selection import Selection, select_method
from core.hashing.tuning import TuningReport
from core.hashing.validation import subset
from hashlens_bench.dataset import load_features
from hashlens_bench.method_variant import parse_variant
from hashlens_bench.splits import labelled_mask


def rows_for(supervision: Supervision, semi: PairedFeatures) -> PairedFeatures:
    """The pairs a method of ``supervision`` is fitted on, as the trainer chooses them.

    The rule is core.hashing.validation.subset's, over every row; where it would drop
    nothing, ``semi`` itself.
    """
    if supervision == "semi-supervised" or (
        supervision == "supervised" and semi.label_mask is None
    ):
        return semi
    return subset(semi, np.arange(semi.n_items), supervision)


def fit_and_score(
    ev: Evaluator,
    scores: Scores,
    label: str,
    semi: PairedFeatures,
    bits: int,
    seed: int,
    tuning: TuningReport | None = None,
) -> float:
    """Fit ``label`` (a method or variant) as the trainer would and return its test mAP.

    With ``tuning`` the fit takes the settings a search on auto's split chose, as the
    trainer refits auto's winner; without, the method runs its own fit.
    """
    variant = parse_variant(label)
    hasher = create_hasher(variant.key, bits, seed=seed, **dict(variant.params))
    if tuning is not None:
        hasher.use_tuning(tuning)
    ev.run(scores, label, hasher, rows_for(get_spec(variant.key).supervision, semi))
    return scores.mean(label, [bits])


def run_cell(ev: Evaluator, semi: PairedFeatures, bits: int, seed: int) -> dict[str, object]:
    """Select, then fit and score every candidate that had a validation score."""
    started = time.perf_counter()
    selection: Selection = select_method(semi, bits, seed=seed)
    select_seconds = time.perf_counter() - started
    scores = Scores()
    validation = {c.key: c.score for c in selection.candidates}
    test: dict[str, float] = {}
    for candidate in selection.candidates:
        if candidate.score is None:
            continue
        try:
            test[candidate.key] = fit_and_score(
                ev, scores, candidate.key, semi, bits, seed, candidate.tuning
            )
        except HashingInputError as exc:  # cannot happen after a scored search; say so if it does
            print(f"  {candidate.key} could not be refitted: {exc.user_message}")
    if not test:  # a fallback without a comparison: fit the documented method alone
        test[selection.key] = fit_and_score(ev, scores, selection.key, semi, bits, seed)
    ranked = sorted(test, key=lambda k: -test[k])
    oracle = ranked[0]
    return {
        "situation": selection.situation,
        "pick": selection.key,
        "reason": selection.reason,
        "validation": validation,
        "test": test,
        "oracle": oracle,
        "pick_test": test[selection.key],
        "oracle_test": test[oracle],
        "regret": test[oracle] - test[selection.key],
        "pick_rank": ranked.index(selection.key) + 1,
        "select_seconds": select_seconds,
        "fit_seconds": {key: s for (key, _), s in scores.seconds.items()},
    }


def cell_parser(doc: str, fractions: str) -> argparse.ArgumentParser:
    """The arguments the auto benchmarks share: a file, labelled shares, bits, seed, rows."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("features", type=Path)
    parser.add_argument("--fractions", default=fractions)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="seed of the rows and labels")
    parser.add_argument(
        "--hasher-seed",
        type=int,
        help="seed of the split and the hashers (default: --seed, as the trainer's --seed; "
        "lpih_protocol.py fits every hasher with 0)",
    )
    parser.add_argument("--train-limit", type=int, default=2000)
    parser.add_argument("--out", type=Path)
    return parser


def hasher_seed(args: argparse.Namespace) -> int:
    """The seed of the split and the hashers: --hasher-seed, else --seed."""
    return int(args.seed if args.hasher_seed is None else args.hasher_seed)


def write_cells(args: argparse.Namespace, cells: Mapping[str, object], **extra: object) -> None:
    """The figures as JSON at ``--out`` (if given), with what identifies the run."""
    if args.out is None:
        return
    run = {"dataset": args.features.stem, "seed": args.seed, "hasher_seed": hasher_seed(args)}
    result = {**run, "bits": args.bits, **extra, "cells": cells}
    args.out.write_text(json.dumps(result, indent=1))


def library_cells(
    args: argparse.Namespace,
) -> tuple[Evaluator, int, list[tuple[float, PairedFeatures]]]:
    """The evaluator, the training rows and one library per labelled share.

    The rows are lpih_protocol.py's seeded sample and the labelled rows its mask, so that
    its figures for the same cell can be read beside these.
    """
    data = load_features(args.features)
    tr = data.train
    if 0 < args.train_limit < tr.size:
        tr = np.sort(np.random.default_rng(args.seed).choice(tr, args.train_limit, replace=False))
    image, text, labels = data.image[tr], data.text[tr], data.labels[tr]
    libraries = []
    for fraction in (float(f) for f in args.fractions.split(",")):
        mask = labelled_mask(len(tr), fraction, args.seed) if fraction < 1 else None
        libraries.append((fraction, PairedFeatures(image, text, labels, mask)))
    return Evaluator(data), len(tr), libraries


def main() -> None:
    args = cell_parser(__doc__, "0.05,0.1,0.25,1").parse_args()
    ev, rows, libraries = library_cells(args)
    cells: dict[str, object] = {}
    for fraction, semi in libraries:
        cell = run_cell(ev, semi, args.bits, hasher_seed(args))
        cells[f"{fraction:g}"] = cell
        ranking = ", ".join(
            f"{k} {v:.4f}"
            for k, v in sorted(cell["test"].items(), key=lambda kv: -kv[1])  # type: ignore[attr-defined]
        )
        print(
            f"{args.features.stem} {100 * fraction:g} % seed {args.seed}: auto picked "
            f"{cell['pick']} ({cell['pick_test']:.4f} on test, rank {cell['pick_rank']}); "
            f"oracle {cell['oracle']} {cell['oracle_test']:.4f}; regret {cell['regret']:.4f}; "
            f"selection {cell['select_seconds']:.0f} s\n  test: {ranking}\n  {cell['reason']}",
            flush=True,
        )
    write_cells(args, cells, train_rows=rows)


if __name__ == "__main__":
    main()
