"""Every registered method at its defaults on datasets tuned on and never tuned on (issue 14).

Protocol (stated with the figures in docs/benchmarks.md, "Generalisation (issue 14)"):

* Each method is built with ``create_hasher(key, bits)`` and nothing else: whatever its
  defaults are (hand-picked today, self-tuned once ``fit`` chooses its own settings),
  this script measures them as a user gets them.
* Datasets fall in two groups. **Tuned on**: the sets every default and sweep so far was
  chosen on (emoji, Phosphor and their variants, ``/work/datasets/*.npz``). **Never tuned
  on**: the held-out sets (Tabler, Material Design Icons, Font Awesome, Remix Icon,
  IconPark, Unicons and their variants, ``/work/datasets/heldout/*.npz``); no setting
  anywhere may be chosen by looking at them.
* Each dataset keeps its own split: fit on its training rows, queries never trained on,
  the database searched. Supervised methods get every training label; unsupervised
  methods get none; semi-supervised methods (LPIH) get a seeded share of the training
  labels (``--labelled``, default 10 %; the rest hidden), as a user with a partly
  labelled library has. The online method (FPO-CMH) is fitted on the training rows with
  their labels, from which it learns its label function (as benchmarks/online_stream.py
  does; without labels or CLIP prompts it refuses).
* ``--train-limit N`` fits on a seeded random N training rows (the database stays whole),
  so the whole table fits a few minutes on a loaded machine.
* ``--seed S`` draws those rows and seeds every hasher; a set with fewer training rows
  than N keeps them all, so there S varies only the hashers. ``--split-seed S`` also
  draws each file's query/database split again by item (``hashlens_bench.splits.resplit``,
  the draw ``dataset build --seed S`` makes); TF-IDF files are refused, since their
  vocabulary was fitted on the file's own training texts.
* mAP over the whole database, I→T and T→I, relevance = at least one shared label,
  queries without a relevant item skipped. A method that refuses a dataset (ITQ needs
  image and text in one space) is reported as n/a with its message.

Usage:
    .venv/bin/python benchmarks/generalisation.py --bits 16,32,64,128 \\
        --out /tmp/generalisation.json --markdown /tmp/generalisation.md
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from itertools import zip_longest
from pathlib import Path

import numpy as np

from core.errors import DatasetError, HashingInputError
from core.hashing import PairedFeatures, create_hasher, hasher_specs
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from hashlens_bench.dataset import FeatureDataset, load_features
from hashlens_bench.splits import labelled_mask, resplit

DATASETS = Path("/work/datasets")
TUNED = ("emoji", "emoji-tfidf", "emoji-multilabel", "phosphor", "phosphor-tfidf")
HELD_OUT = (
    "tabler", "tabler-tfidf", "mdi", "mdi-tfidf", "fontawesome", "fontawesome-tfidf",
    "remix", "remix-tfidf", "iconpark", "iconpark-tfidf", "unicons", "unicons-tfidf",
)  # fmt: skip


@dataclass
class Cell:
    """One method on one dataset at one length."""

    i2t: float = float("nan")
    t2i: float = float("nan")
    fit_seconds: float = float("nan")
    note: str = ""
    settings: str = ""

    @property
    def mean(self) -> float:
        return (self.i2t + self.t2i) / 2


@dataclass
class Table:
    """Cells keyed by (group, dataset, method, bits)."""

    cells: dict[tuple[str, str, str, int], Cell] = field(default_factory=dict)

    def mean(self, group: str, dataset: str, method: str, bits: Sequence[int]) -> float:
        values = [self.cells[(group, dataset, method, b)].mean for b in bits]
        return float("nan") if any(np.isnan(values)) else float(np.mean(values))


def fit_rows(data: FeatureDataset, limit: int, seed: int) -> np.ndarray:
    """The training rows, or a seeded random ``limit`` of them (sorted)."""
    if limit <= 0 or limit >= data.train.size:
        return data.train
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(data.train, limit, replace=False))


def run_dataset(
    table: Table,
    group: str,
    path: Path,
    methods: Sequence[str],
    bits: Sequence[int],
    args: argparse.Namespace,
) -> None:
    data = load_features(path)
    if args.split_seed is not None:
        data = resplit(data, args.split_seed)
    name = path.stem
    rows = fit_rows(data, args.train_limit, args.seed)
    relevant = relevance(data.labels[data.query], data.labels[data.database])
    specs = {spec.key: spec for spec in hasher_specs()}
    image, text, labels = data.image[rows], data.text[rows], data.labels[rows]
    mask = labelled_mask(rows.size, args.labelled, args.seed)
    print(
        f"\n## {group}: {name} ({rows.size} training rows of {data.train.size}, "
        f"{data.query.size} queries, {data.database.size} database rows)",
        flush=True,
    )
    for method in methods:
        supervision = specs[method].supervision
        # Online methods (FPO-CMH) learn their label function from the training labels,
        # as in benchmarks/online_stream.py; without labels or prompts they refuse.
        train = (
            PairedFeatures(image, text)
            if supervision == "unsupervised" and not specs[method].online
            else PairedFeatures(image, text, labels)
            if supervision == "supervised"
            else PairedFeatures(image, text, labels, mask)
        )
        for b in bits:
            cell = Cell()
            table.cells[(group, name, method, b)] = cell
            hasher = create_hasher(method, b, seed=args.seed)
            started = time.perf_counter()
            try:
                hasher.fit(train)
            except (HashingInputError, ValueError) as exc:
                cell.note = getattr(exc, "user_message", str(exc))
                print(f"  {method} {b} bits: n/a ({cell.note})", flush=True)
                continue
            cell.fit_seconds = time.perf_counter() - started
            i2t = hamming_matrix(
                hasher.encode_image(data.image[data.query]),
                hasher.encode_text(data.text[data.database]),
                b,
            )
            t2i = hamming_matrix(
                hasher.encode_text(data.text[data.query]),
                hasher.encode_image(data.image[data.database]),
                b,
            )
            cell.i2t = evaluate_ranking(i2t, relevant).map
            cell.t2i = evaluate_ranking(t2i, relevant).map
            cell.settings = hasher.tuning.summary() if hasher.tuning is not None else ""
            print(
                f"  {method:>8} {b:>3} bits: I→T {cell.i2t:.4f}  T→I {cell.t2i:.4f}  "
                f"fit {cell.fit_seconds:.1f} s  {cell.settings}",
                flush=True,
            )


def markdown(table: Table, methods: Sequence[str], bits: Sequence[int]) -> str:
    """The summary table (mean over lengths and directions) and one table per length."""
    groups: dict[str, list[str]] = {}
    for group, dataset, _, _ in table.cells:
        groups.setdefault(group, [])
        if dataset not in groups[group]:
            groups[group].append(dataset)
    lengths = "/".join(str(b) for b in bits)
    out = [_table(table, groups, methods, bits, f"mean mAP, {lengths} bits, I→T and T→I")]
    for b in bits:
        out.append(_table(table, groups, methods, [b], f"{b} bits, mean of I→T and T→I"))
    return "\n\n".join(out) + "\n"


def _table(
    table: Table,
    groups: dict[str, list[str]],
    methods: Sequence[str],
    bits: Sequence[int],
    title: str,
) -> str:
    lines = [f"**{title}**", "", f"| dataset | {' | '.join(methods)} |"]
    lines.append("|---" * (len(methods) + 1) + "|")
    for group, datasets in groups.items():
        lines.append(f"| *{group}* |" + " |" * len(methods))
        for dataset in datasets:
            values = [table.mean(group, dataset, m, bits) for m in methods]
            finite = [v for v in values if not np.isnan(v)]
            best = max(finite) if finite else float("nan")
            cells = [
                "n/a" if np.isnan(v) else f"**{v:.3f}**" if v == best else f"{v:.3f}"
                for v in values
            ]
            lines.append(f"| {dataset} | {' | '.join(cells)} |")
    return "\n".join(lines)


def dataset_paths(names: str, folder: Path) -> list[Path]:
    """``folder/NAME.npz`` for each comma-separated name that exists (missing ones noted)."""
    paths = []
    for name in (n for n in names.split(",") if n):
        path = folder / f"{name}.npz"
        if path.is_file():
            paths.append(path)
        else:
            print(f"(no {path}; left out)")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuned", default=",".join(TUNED), help="datasets in --tuned-dir")
    parser.add_argument("--held-out", default=",".join(HELD_OUT), help="datasets in --held-dir")
    parser.add_argument("--tuned-dir", type=Path, default=DATASETS)
    parser.add_argument("--held-dir", type=Path, default=DATASETS / "heldout")
    parser.add_argument("--methods", default="", help="registry keys (default: every method)")
    parser.add_argument("--bits", default="16,32,64,128")
    parser.add_argument("--labelled", type=float, default=0.1, help="semi-supervised share")
    parser.add_argument("--train-limit", type=int, default=0, help="0 = every training row")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--split-seed",
        type=int,
        help="draw each dataset's query/database split again, by item, at this seed (as "
        "`dataset build --seed` does; refused for TF-IDF files). Default: the file's split",
    )
    parser.add_argument("--out", type=Path, help="every cell as JSON")
    parser.add_argument("--markdown", type=Path, help="the tables as Markdown")
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="fit nothing: one table from the cells of earlier --out files (later files win)",
    )
    args = parser.parse_args()
    if args.merge:
        merged, methods = merge(args.merge)
        lengths = sorted({b for *_, b in merged.cells})
        save(merged, methods, lengths, args)
        print(markdown(merged, methods, lengths))
        return
    methods = [m for m in args.methods.split(",") if m] or [s.key for s in hasher_specs()]
    bits = [int(b) for b in args.bits.split(",")]
    table = Table()
    started = time.perf_counter()
    tuned = [("tuned on", p) for p in dataset_paths(args.tuned, args.tuned_dir)]
    held = [("never tuned on", p) for p in dataset_paths(args.held_out, args.held_dir)]
    # Alternate the groups, so that a run cut short still covers both.
    order = [job for pair in zip_longest(tuned, held) for job in pair if job is not None]
    if args.split_seed is not None:  # refuse before any fit, not after an hour of them
        for _, path in order:
            try:
                resplit(load_features(path), args.split_seed)
            except DatasetError as exc:
                raise SystemExit(f"{path.name}: {exc.user_message}") from exc
    for group, path in order:
        run_dataset(table, group, path, methods, bits, args)
        save(table, methods, bits, args)  # after every dataset: a partial run keeps its figures
    print("\n" + markdown(table, methods, bits))
    print(f"Total {time.perf_counter() - started:.0f} s.")


def save(table: Table, methods: Sequence[str], bits: Sequence[int], ns: argparse.Namespace) -> None:
    """Write the Markdown tables and the JSON cells where asked."""
    if ns.markdown is not None:
        ns.markdown.write_text(markdown(table, methods, bits), encoding="utf-8")
    if ns.out is not None:
        cells = [
            {"group": g, "dataset": d, "method": m, "bits": b, **_finite(vars(c))}
            for (g, d, m, b), c in table.cells.items()
        ]
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(ns).items()}
        ns.out.write_text(json.dumps({"args": settings, "cells": cells}, indent=1, default=str))


def merge(paths: Sequence[Path]) -> tuple[Table, list[str]]:
    """The cells of several ``--out`` files as one table, methods in registry order."""
    table = Table()
    for path in paths:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            values = {k: float("nan") if v is None else v for k, v in cell.items()}
            key = (cell["group"], cell["dataset"], cell["method"], int(cell["bits"]))
            table.cells[key] = Cell(**{f.name: values[f.name] for f in fields(Cell)})
    present = {method for _, _, method, _ in table.cells}
    order = [s.key for s in hasher_specs()]
    return table, [m for m in order if m in present] + sorted(present - set(order))


def _finite(values: dict[str, object]) -> dict[str, object]:
    """NaN (a method that did not run) as null, so the JSON is standard."""
    return {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in values.items()}


if __name__ == "__main__":
    main()
