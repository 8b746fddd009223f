"""``tag``: list photos' labels, or add and remove the user's own tags.

A PATH is a photo of the library or a folder (every photo of the library below it).
Paths that match no photo are named on stderr; the others are still listed or
changed, and the exit status is 1. Removing a tag a photo does not have is not an
error; a label that comes from elsewhere (a keyword, a hashtag, a zero-shot guess)
is left in place, and the output says where it comes from.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.library.photo_labels import (
    TagChange,
    change_user_tags,
    clean_tag_names,
    labels_of_photos,
    photos_at,
)
from core.store.database import Store
from core.store.records import LabelRecord, printable
from desktop_app.application.terminal_text import for_terminal, json_for_terminal, one_line


def add_tag_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``tag`` subcommand."""
    tag = sub.add_parser(
        "tag",
        help="list photos' labels, or add and remove your own tags",
        description="Without --add or --remove, list every label of the photos with its "
        "origin and confidence. A folder means every photo of the library inside it.",
    )
    tag.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a photo or a folder")
    tag.add_argument(
        "--add", action="append", default=[], metavar="NAME", help="add your tag (repeatable)"
    )
    tag.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="NAME",
        help="remove your tag (repeatable; keywords and hashtags stay)",
    )
    tag.add_argument("--json", action="store_true", help="print the photos' labels as JSON")


def cmd_tag(store: Store, args: argparse.Namespace) -> int:
    """Change or list labels; 1 when a path matched no photo of the library."""
    add = clean_tag_names(args.add)
    remove = clean_tag_names(args.remove)
    media_ids: dict[int, None] = {}
    missing = 0
    for raw in args.paths:
        found = _photos(store, raw)
        if not found:
            missing += 1
            print(
                f"hashlens: {for_terminal(str(raw))} is not a photo or folder of the library "
                "(add its folder with `hashlens add` and run `hashlens index`).",
                file=sys.stderr,
            )
        media_ids.update(dict.fromkeys(found))
    ids = list(media_ids)
    if ids and (add or remove):
        change = change_user_tags(store, ids, add, remove)
        if not args.json:
            print(describe_change(change))
    if ids and (args.json or not (add or remove)):
        _print_labels(store, ids, as_json=args.json)
    return 1 if missing else 0


def _photos(store: Store, raw: Path) -> list[int]:
    """The photos a path names, as typed (made absolute) or with links resolved."""
    typed = os.path.abspath(os.path.expanduser(raw))
    found = photos_at(store, typed)
    resolved = os.path.realpath(typed)
    return found if found or resolved == typed else photos_at(store, resolved)


def describe_change(change: TagChange) -> str:
    """One line per tag name: how many photos changed."""
    n = change.photos
    photos = f"{n:,} photo{'s' if n != 1 else ''}"
    lines = []
    for name, count in change.added.items():
        had = n - count
        already = f" ({had:,} had it already)" if had else ""
        lines.append(f"Added your tag {name!r} to {count:,} of {photos}{already}.")
    for name, count in change.removed.items():
        if count:
            lines.append(f"Removed your tag {name!r} from {count:,} of {photos}.")
        else:
            lines.append(f"None of the {photos} has your tag {name!r}.")
        if name in change.kept:
            lines.append(
                f"  {name!r} stays as a label from {', '.join(change.kept[name])}: only your "
                "own tags can be removed here (the others come from the files, or are "
                "guessed again at the next training)."
            )
    return "\n".join(lines)


def label_text(label: LabelRecord) -> str:
    """``beach  user``, ``dog  zero-shot 0.62``."""
    origin = label.origin if label.confidence >= 1.0 else f"{label.origin} {label.confidence:.2f}"
    return f"{one_line(label.name)}  {origin}"


def _print_labels(store: Store, media_ids: list[int], *, as_json: bool) -> None:
    labels = labels_of_photos(store, media_ids)
    paths = store.media.paths_of(media_ids)
    if as_json:
        payload = [
            {
                "path": printable(paths[m]),
                "labels": [
                    {"name": r.name, "origin": r.origin, "confidence": r.confidence}
                    for r in labels[m]
                ],
            }
            for m in media_ids
        ]
        print(json_for_terminal(payload))
        return
    for media_id in media_ids:
        print(for_terminal(paths[media_id]))
        for label in labels[media_id]:
            print(f"  {label_text(label)}")
        if not labels[media_id]:
            print("  (no labels)")
