"""``bench``: hashing methods on a feature file — mAP tables, timings, PR plots."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from core.errors import ConfigError
from core.hashing import list_hashers
from desktop_app.cli.progress_bar import ProgressBars
from hashlens_bench.dataset import FeatureDataset, load_features
from hashlens_bench.mat_layouts import load_mat
from hashlens_bench.method_variant import split_methods
from hashlens_bench.plots import write_pr_plots
from hashlens_bench.runner import (
    DIRECTION_TITLES,
    DIRECTIONS,
    REFERENCE,
    BenchOptions,
    BenchResult,
    BenchRow,
    Direction,
    run_benchmark,
)


def add_bench_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``bench`` and its options."""
    bench = sub.add_parser("bench", help="measure hashing methods on a feature dataset")
    bench.add_argument("--features", type=Path, required=True, help="feature dataset .npz or .mat")
    bench.add_argument(
        "--methods",
        default=",".join(list_hashers()),
        help="comma-separated keys, or variants such as 'hpseh(beta=10,anchors=500)' "
        "(default: every method with its defaults)",
    )
    bench.add_argument("--bits", default="16,32,64,128", help="comma-separated code lengths")
    bench.add_argument(
        "--directions", default=",".join(DIRECTIONS), help="i2t,t2i,i2i,t2t (default: all)"
    )
    bench.add_argument("--seed", type=int, default=0, help="random seed of every method")
    bench.add_argument("--json", type=Path, metavar="OUT", help="write every figure as JSON")
    bench.add_argument("--plot", type=Path, metavar="DIR", help="write precision–recall PNGs")
    bench.add_argument("--no-progress", action="store_true", help="no progress bar")


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark, print the table, write JSON and plots when asked."""
    options = BenchOptions(
        methods=split_methods(args.methods) or _split(args.methods, "--methods"),
        bits=[_integer(b) for b in _split(args.bits, "--bits")],
        directions=[_direction(d) for d in _split(args.directions, "--directions")],
        seed=args.seed,
    )
    data = load_dataset(args.features)
    with ProgressBars(enabled=sys.stderr.isatty() and not args.no_progress) as bars:
        result = run_benchmark(data, options, progress=bars)
    print(format_table(result, options.directions))
    if args.json is not None:
        args.json.write_text(json.dumps(result_json(result), indent=1))
        print(f"Wrote {args.json}")
    if args.plot is not None:
        paths = write_pr_plots(result, args.plot)
        print(f"Wrote {len(paths)} precision–recall plots to {args.plot}")
    if result.failures:
        print(f"{len(result.failures)} method runs did not complete (see above).", file=sys.stderr)
        return 1
    return 0


def load_dataset(path: Path) -> FeatureDataset:
    """A feature dataset from ``.npz`` (HashLens format) or ``.mat`` (public CMH layouts)."""
    if path.suffix.lower() == ".mat":
        return load_mat(path)
    return load_features(path)


def format_table(result: BenchResult, directions: Sequence[Direction]) -> str:
    """A Markdown table: one row per method and code length, mAP per direction, timings."""
    titles = [DIRECTION_TITLES[d] for d in directions]
    lines = [
        f"{result.dataset}: train {result.n_train:,}, query {result.n_query:,}, "
        f"database {result.n_database:,}, {result.n_classes} classes. "
        "mAP over the whole database (queries without a relevant item skipped); "
        "labels: whether the method was fitted with the training labels.",
        "",
        "| method | bits | labels | " + " | ".join(titles) + " | fit s | encode µs/item |",
        "|---|---:|---|" + "---:|" * len(titles) + "---:|---:|",
    ]
    grouped: dict[tuple[str, int], dict[str, BenchRow]] = {}
    for row in result.rows:
        grouped.setdefault((row.method, row.n_bits), {})[row.direction] = row
    for (method, bits), by_direction in grouped.items():
        cells = [
            f"{by_direction[d].metrics.map:.4f}" if d in by_direction else "–" for d in directions
        ]
        first = next(iter(by_direction.values()))
        bits_cell = "float" if method == REFERENCE else str(bits)
        timing = "–" if method == REFERENCE else f"{first.fit_seconds:.2f}"
        encode = "–" if method == REFERENCE else f"{first.encode_us_per_item:.1f}"
        given = "–" if method == REFERENCE else ("yes" if first.given_labels else "no")
        lines.append(
            f"| {method} | {bits_cell} | {given} | "
            + " | ".join(cells)
            + f" | {timing} | {encode} |"
        )
    notes = {row.note for row in result.rows if row.note and row.note != "cosine"}
    lines.extend(f"\n{REFERENCE}: {note} for cross-modal directions." for note in sorted(notes))
    for method, bits, message in result.failures:
        lines.append(f"\n{method} at {bits} bits did not run: {message}")
    return "\n".join(lines)


def result_json(result: BenchResult) -> dict[str, object]:
    """Every figure of a run as plain data."""
    rows = []
    for row in result.rows:
        m = row.metrics
        rows.append(
            {
                "method": row.method,
                "n_bits": row.n_bits,
                "direction": row.direction,
                "map": m.map,
                "precision_at": {str(k): v for k, v in m.precision_at.items()},
                "recall_grid": m.recall_grid.tolist(),
                "precision_curve": m.precision_curve.tolist(),
                "queries": m.n_queries,
                "queries_without_relevant": m.n_without_relevant,
                "fit_seconds": row.fit_seconds,
                "encode_us_per_item": row.encode_us_per_item,
                "note": row.note,
                "given_labels": row.given_labels,
            }
        )
    header = {k: v for k, v in asdict(result).items() if k not in ("rows", "failures")}
    return {**header, "rows": rows, "failures": [list(f) for f in result.failures]}


def _split(value: str, option: str) -> list[str]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts:
        raise ConfigError(f"{option} needs at least one value.")
    return parts


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"--bits takes whole numbers such as 16,32,64, not '{value}'.") from exc


def _direction(value: str) -> Direction:
    for direction in DIRECTIONS:
        if value == direction:
            return direction
    raise ConfigError(f"Unknown direction '{value}'. Use i2t, t2i, i2i or t2t.")
