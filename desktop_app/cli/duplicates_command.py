"""``duplicates``: exact copies, near-duplicates and bursts, best copy first. Never deletes."""

from __future__ import annotations

import argparse
import math
from dataclasses import replace

from core.config import AppConfig
from core.errors import ConfigError
from core.search.duplicate_groups import GroupingOptions
from core.search.duplicate_report import (
    DuplicateReport,
    ReportGroup,
    duplicate_report,
    grouping_options,
)
from core.store.database import Store
from core.store.records import FileFacts, printable
from desktop_app.application.terminal_text import for_terminal, json_for_terminal
from desktop_app.cli.runtime import effective_encoder_config, encoder_config_key

KIND_TITLES = {"exact": "exact copies", "near": "near-duplicates", "burst": "burst"}
READ_ONLY_NOTE = (
    "Nothing was changed or deleted. The first photo of each group is the largest; "
    "delete the others yourself if you do not want them."
)


def add_duplicates_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """The ``duplicates`` sub-command (model options are added by the caller)."""
    parser = sub.add_parser(
        "duplicates",
        help="list exact copies, near-duplicates and bursts (read-only: never deletes)",
    )
    parser.add_argument("--json", action="store_true", help="print the groups as JSON")
    parser.add_argument(
        "--radius",
        type=int,
        help="Hamming radius of candidate pairs, in bits (default: [duplicates] radius, else "
        "from --min-cosine, the code length and how much the photos' features share a "
        "direction: 11 of 64 bits for 0.95 when they share none)",
    )
    parser.add_argument(
        "--min-cosine",
        type=float,
        help="cosine of the photos' features that confirms a pair (default: [duplicates] "
        "min_cosine, 0.95)",
    )
    parser.add_argument(
        "--bursts",
        action="store_true",
        help="also group photos shot within --burst-seconds of each other that look alike "
        "at a looser cosine ([duplicates] burst_min_cosine, 0.90): re-takes, burst shots",
    )
    parser.add_argument(
        "--burst-seconds",
        type=float,
        help="most seconds between shots of one burst (default: [duplicates] burst_seconds, 10)",
    )
    return parser


def options_from_args(config: AppConfig, args: argparse.Namespace) -> GroupingOptions:
    """The thresholds of the settings, with the command line on top.

    Raises:
        ConfigError: A radius below 0, a cosine outside (-1, 1] or a negative burst window.
    """
    if args.radius is not None and args.radius < 0:
        raise ConfigError("--radius must be 0 or more (bits that may differ).")
    options = grouping_options(config.duplicates, bursts=args.bursts)
    min_cosine = options.min_cosine if args.min_cosine is None else args.min_cosine
    if not -1.0 < min_cosine <= 1.0:
        raise ConfigError("--min-cosine must be above -1 and at most 1, e.g. 0.95.")
    seconds = options.burst_seconds if args.burst_seconds is None else args.burst_seconds
    if seconds < 0:
        raise ConfigError("--burst-seconds must be 0 or more.")
    return replace(
        options,
        min_cosine=min_cosine,
        radius=options.radius if args.radius is None else args.radius,
        burst_seconds=seconds,
    )


def cmd_duplicates(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    """Print the groups (a list, or JSON with ``--json``); exit 0 whether or not any."""
    options = options_from_args(config, args)
    key = encoder_config_key(effective_encoder_config(config, store, args))
    report = duplicate_report(store, store.known_encoder(key), options)
    if args.json:
        print(json_for_terminal(report_json(report)))
        return 0
    print(_how(report))
    if not report.groups:
        print(f"No duplicates among {report.photos:,} photos.")
        return 0
    for number, group in enumerate(report.groups, 1):
        print()
        print(_title(number, group))
        for member in group.members:
            print(f"  {for_terminal(member.path)}  {_facts_text(member)}")
    print()
    print(READ_ONLY_NOTE)
    return 0


def _how(report: DuplicateReport) -> str:
    cosine = f"cosine ≥ {report.options.min_cosine:g}"
    if report.hasher is None:
        return (
            f"Compared every pair of {report.photos:,} photos by {cosine}. {report.fallback_reason}"
        )
    return (
        f"Compared {report.photos:,} photos: codes of {report.hasher} within "
        f"{report.radius} bits, then {cosine}."
    )


def _title(number: int, group: ReportGroup) -> str:
    title = f"{number}. {KIND_TITLES[group.kind]} · {len(group.members)} photos"
    if group.kind != "exact":
        title += f" · cosine ≥ {math.floor(group.min_cosine * 1000) / 1000:.3f}"  # never rounds up
    return title


def _facts_text(member: FileFacts) -> str:
    parts = []
    if member.width and member.height:
        parts.append(f"{member.width}×{member.height}")
    parts.append(_size_text(member.size))
    if member.taken_at:
        parts.append(member.taken_at.replace("T", " "))
    return "  ".join(parts)


def _size_text(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def report_json(report: DuplicateReport) -> dict[str, object]:
    """The JSON of ``duplicates --json``: how the groups were found, and the groups."""
    return {
        "photos": report.photos,
        "method": "codes" if report.hasher is not None else "cosine",
        "hasher": report.hasher,
        "radius": report.radius,
        "min_cosine": report.options.min_cosine,
        "bursts": report.options.bursts,
        "groups": [
            {
                "kind": g.kind,
                "min_cosine": round(g.min_cosine, 4),
                "members": [_member_json(m) for m in g.members],
            }
            for g in report.groups
        ],
    }


def _member_json(member: FileFacts) -> dict[str, object]:
    return {
        "id": member.id,
        "path": printable(member.path),
        "size": member.size,
        "width": member.width,
        "height": member.height,
        "taken_at": member.taken_at,
    }
