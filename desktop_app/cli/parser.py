"""Argument parser for ``hashlens`` (the CLI contract of docs/design/DESIGN.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from core import __version__
from core.hashing import list_hashers
from core.hashing.selection import AUTO
from core.search.hash_stage import SEARCH_MODES
from core.search.query_syntax import SYNTAX_HINT
from desktop_app.cli.duplicates_command import add_duplicates_parser
from desktop_app.cli.hashers_command import add_hashers_parser
from desktop_app.cli.kit_commands import add_kit_parsers
from desktop_app.cli.search_filters import add_filter_options
from desktop_app.cli.tag_command import add_tag_parser


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model (default: the library's last model, else the config)")
    group.add_argument("--model", help="open_clip architecture, e.g. ViT-B-32")
    group.add_argument(
        "--pretrained",
        help="open_clip tag (downloaded once into the cache) or a local weights file or folder",
    )
    group.add_argument(
        "--model-config", help="JSON file (or folder of them) registering a custom architecture"
    )
    group.add_argument("--device", help="auto, cpu, cuda or mps")
    group.add_argument("--batch-size", type=int, help="photos per encoder batch")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="hashlens",
        description="Search your photos by text, and your captions by photo, on this computer.",
    )
    parser.add_argument("--version", action="version", version=f"hashlens {__version__}")
    parser.add_argument(
        "--library", type=Path, help="library file (default: HASHLENS_LIBRARY or the data dir)"
    )
    parser.add_argument("--config", type=Path, help="settings file (default: config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add = sub.add_parser("add", help="register folders of photos")
    add.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    add.add_argument(
        "--album-labels",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="count each first-level sub-folder as a label (its album) when training; "
        "--no-album-labels turns it off again (default: unchanged, off for a new folder)",
    )

    remove = sub.add_parser("remove", help="forget folders (files are not touched)")
    remove.add_argument("dirs", nargs="+", type=Path, metavar="DIR")

    index = sub.add_parser("index", help="scan folders, read captions, compute features")
    index.add_argument("dirs", nargs="*", type=Path, metavar="DIR", help="default: all folders")
    index.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_model_options(index)

    search = sub.add_parser(
        "search",
        help="search by text, or by image with --image",
        description="Search the library. " + SYNTAX_HINT + " A query that starts with '-' "
        'goes after --, e.g. hashlens search --image beach.jpg -- "-people".',
    )
    search.add_argument(
        "text", nargs="?", help="what to look for: sunset + beach - rain, 2*sunset, #tag"
    )
    search.add_argument(
        "--image",
        type=Path,
        help="an image file to search with (with a text too: one query of both, for photos)",
    )
    search.add_argument(
        "--target",
        choices=("captions", "photos"),
        help="what to find: photos (default for a text) or captions (default for --image: "
        "captions that describe it; for a text: captions that say something like it)",
    )
    search.add_argument("--k", type=int, help="number of results (default 20)")
    search.add_argument("--json", action="store_true", help="print results as JSON")
    search.add_argument(
        "--mode",
        choices=SEARCH_MODES,
        help="exact (cosine over all features), hamming (codes only), rerank (Hamming "
        "shortlist re-ranked by cosine), auto (rerank once a hasher is trained; default)",
    )
    search.add_argument("--shortlist", type=int, help="Hamming candidates to re-rank (1000)")
    search.add_argument(
        "--min-score",
        type=float,
        help="leave out hits whose cosine score is below this (-1 to 1; at most --k remain)",
    )
    add_filter_options(search)
    _add_model_options(search)

    train = sub.add_parser("train", help="learn binary codes from the stored features")
    train.add_argument(
        "--method",
        default=AUTO,
        choices=[AUTO, *list_hashers()],
        help="hashing method; auto (default) picks the best for this library's labels",
    )
    train.add_argument("--bits", type=int, default=64, help="code length, a multiple of 8")
    train.add_argument("--seed", type=int, default=0, help="random seed")
    train.add_argument(
        "--albums", action="store_true", help="count album folders (first sub-folder) as labels"
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument(
        "--activate",
        action="store_true",
        help="do not train: switch search to the --method/--bits model trained earlier "
        "(`hashlens hashers` lists them)",
    )
    _add_model_options(train)
    _add_model_options(add_hashers_parser(sub))
    _add_model_options(add_duplicates_parser(sub))

    watch = sub.add_parser(
        "watch", help="keep the library up to date as its folders change (Ctrl-C stops)"
    )
    _add_model_options(watch)

    add_tag_parser(sub)

    status = sub.add_parser("status", help="what the library holds and what went wrong")
    status.add_argument("--json", action="store_true", help="print as JSON")

    add_kit_parsers(sub, _add_model_options)
    return parser
