"""``search`` filters on the command line: ``--after/--before/--folder/--camera/--tag``."""

from __future__ import annotations

import argparse

from core.errors import ConfigError, SearchFilterError
from core.search.engine import SearchEngine
from core.search.filters import (
    PhotoFilter,
    last_day,
    matching_photos,
    parse_day,
    photos_by_date,
    split_query,
)
from core.store.database import Store
from core.types import SearchHit
from desktop_app.application.search import listed_hits


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The filter options of ``search`` (they combine with each other and with any query)."""
    group = parser.add_argument_group(
        "filters (combine with any query; '#tag' in the text works like --tag)"
    )
    group.add_argument("--after", help="photos taken on or after this day (2024-05-31, 2024-05)")
    group.add_argument("--before", help="photos taken on or before this day (or month, year)")
    group.add_argument("--folder", help="only photos inside this folder")
    group.add_argument(
        "--camera", help="only photos whose camera make or model contains this (any case)"
    )
    group.add_argument(
        "--tag", action="append", default=[], help="photos with this label (repeat for more)"
    )


def photo_filter_from(args: argparse.Namespace) -> PhotoFilter:
    """The filter the options ask for, with the ``#tags`` of the query text."""
    _, tags = split_query(args.text or "")
    return PhotoFilter(
        after=parse_day(args.after, "--after") if args.after else None,
        before=last_day(args.before, "--before") if args.before else None,
        folder=args.folder or None,
        camera=args.camera or None,
        tags=tuple(t.strip().lstrip("#").casefold() for t in args.tag if t.strip()),
    ).with_tags(tags)


def filtered_search(
    store: Store, engine: SearchEngine, args: argparse.Namespace, k: int
) -> list[SearchHit]:
    """Hits of a filtered query: ranked among the photos the filter lets through, or (for
    filters alone) those photos, newest first.

    Raises:
        SearchFilterError: No photo passes the filter.
        ConfigError: Filters with ``--image --target captions`` (they select photos).
    """
    photo_filter = photo_filter_from(args)
    if args.target == "captions" and (args.image is not None or args.text is not None):
        raise ConfigError("Filters select photos: leave out --target captions to filter a search.")
    allowed = matching_photos(store, photo_filter)
    if len(allowed) == 0:
        raise SearchFilterError(f"No photo is {photo_filter.describe()}.")
    text, _ = split_query(args.text or "")
    if args.image is None and not text:
        return list(listed_hits(store, photos_by_date(store, photo_filter, k)))
    images = () if args.image is None else (args.image,)
    vector, modality = engine.query_vector(text, images)
    exclude = [m for path in images for m in engine.photo_ids_of(path)]
    return engine.photos_like(vector, k, modality, mode=args.mode, allowed=allowed, exclude=exclude)


def has_filters(args: argparse.Namespace) -> bool:
    """Whether the command line filters the photos (options or ``#tags`` in the text)."""
    return bool(args.after or args.before or args.folder or args.camera or args.tag) or bool(
        split_query(args.text or "")[1]
    )
