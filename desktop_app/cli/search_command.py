"""``search``: a typed query -> photos, ``--image`` -> captions / photos, or both combined.

The text is in the query language of ``core.search.query_syntax`` (``sunset + beach - rain``,
``2*sunset``, ``#tag``); with ``--image`` as well, the photo is one more term of the query.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace

from core.config import AppConfig
from core.errors import ConfigError
from core.search.engine import SearchEngine, Target
from core.search.filters import split_query
from core.store.database import Store
from core.store.records import printable
from core.types import SearchHit
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.application.search import at_least
from desktop_app.application.terminal_text import for_terminal, json_for_terminal, one_line
from desktop_app.cli.progress_bar import ProgressBars
from desktop_app.cli.runtime import effective_encoder_config
from desktop_app.cli.search_filters import filtered_search, has_filters


def cmd_search(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    """Run one query and print the hits."""
    if args.text is None and args.image is None and not has_filters(args):
        raise ConfigError(
            'Give either a text to search for or --image FILE (or both), e.g. "dog on a beach".'
        )
    if args.text is not None and not args.text.strip():
        raise ConfigError('The search text is empty. Say what to look for, e.g. "dog on a beach".')
    if args.image is not None and not args.image.exists():
        raise ConfigError(f"The image {args.image} (--image) does not exist.")
    if args.image is not None and args.image.is_dir():
        raise ConfigError(f"{args.image} (--image) is a folder; give one image file.")
    # text -> photos and image alone -> captions unless --target says otherwise
    target: Target = args.target or ("captions" if args.text is None else "photos")
    k = args.k if args.k is not None else config.search.k
    if k <= 0:
        raise ConfigError("--k must be a positive number.")
    if args.min_score is not None and not -1.0 <= args.min_score <= 1.0:
        raise ConfigError("--min-score is a cosine similarity: give a number from -1 to 1.")
    if args.min_score is not None and args.image is None and not split_query(args.text or "")[0]:
        raise ConfigError(
            "--min-score needs words or a photo to score the photos by; filters alone "
            "list photos by date."
        )
    search = config.search
    if args.shortlist is not None:
        if args.shortlist <= 0:
            raise ConfigError("--shortlist must be a positive number.")
        search = replace(search, shortlist=args.shortlist)
    with ProgressBars(enabled=sys.stderr.isatty()) as bars:  # only a first download shows one
        encoder = lazy_encoder(effective_encoder_config(config, store, args), progress=bars)
        engine = SearchEngine(store, encoder, config.indexing, search)
        if has_filters(args):
            hits = filtered_search(store, engine, args, k)
        elif args.text is None:
            hits = engine.search_image(args.image, k, target=target, mode=args.mode)
        else:
            images = () if args.image is None else (args.image,)
            hits = engine.search_text(args.text, k, target, mode=args.mode, images=images)
            ignored = engine.ignored_query_text(args.text)
            if ignored:
                print(
                    "hashlens: the query is longer than the model reads; it searched without "
                    f'the end: "{one_line(ignored)}"',
                    file=sys.stderr,
                )
    hits = at_least(hits, args.min_score)
    if args.json:
        print(json_for_terminal([hit_json(h) for h in hits]))
    else:
        print_hits(hits)
    return 0


def hit_json(hit: SearchHit) -> dict[str, object]:
    """The JSON object of one hit: path, caption, score, distance, kind and ids.

    A path that is not valid UTF-8 is written with backslash escapes (JSON cannot hold it).
    """
    return {**asdict(hit), "path": printable(hit.path)}


def print_hits(hits: list[SearchHit]) -> None:
    """A compact ranked list for the terminal."""
    if not hits:
        print("No results.")
        return
    for rank, hit in enumerate(hits, start=1):
        caption = " ".join(hit.caption.split())
        caption = caption if len(caption) <= 70 else caption[:69] + "…"
        distance = "" if hit.distance is None else f" d={hit.distance:<3}"
        text = f"{rank:>3}. {hit.score:6.3f}{distance}  {for_terminal(hit.path)}"
        print(text + (f"\n       {one_line(caption)}" if caption else ""))
