"""``index``: scan, read captions and compute features, with progress and safe Ctrl-C."""

from __future__ import annotations

import argparse

from core.config import AppConfig
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer, IndexOptions
from core.progress import CancelToken
from core.store.database import Store
from core.store.lock import WriterLock
from core.types import IndexReport
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.application.terminal_text import for_terminal, one_line
from desktop_app.cli.library_commands import describe_registration, resolve_folder
from desktop_app.cli.progress_bar import ProgressBars
from desktop_app.cli.runtime import effective_encoder_config


def cmd_index(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    """Bring the library up to date; a KeyboardInterrupt keeps every finished batch."""
    with WriterLock(store.path):
        folders = None
        if args.dirs:
            folders = []
            for raw in args.dirs:
                registration = register_folder(store, resolve_folder(raw))
                if not registration.covered_by_existing:
                    print(describe_registration(registration))
                folders.append(registration.folder)
        elif not store.media.folders():
            print("The library has no folders yet. Add one: hashlens add ~/Pictures")
            return 1
        encoder_cfg = effective_encoder_config(config, store, args, for_indexing=True)
        with ProgressBars(enabled=not args.no_progress) as bars:
            indexer = Indexer(
                store,
                lazy_encoder(encoder_cfg, progress=bars),
                config.indexing,
                IndexOptions(batch_size=encoder_cfg.batch_size),
            )
            report = indexer.run(folders, progress=bars, cancel=CancelToken())
    print_report(report)
    return 0


def print_report(report: IndexReport) -> None:
    """Summarise a run for the terminal."""
    print(
        f"Done: {report.added} new, {report.updated} changed, {report.moved} moved, "
        f"{report.removed} removed, {report.unchanged} unchanged; encoded "
        f"{report.encoded_images} photos and {report.encoded_captions} captions."
    )
    if report.copies:
        print(f"{report.copies} exact copies reused the vectors of their originals.")
    if report.hashed:
        print(f"Gave {report.hashed} new photos and captions codes from the active hasher.")
    if report.skipped:
        print(f"Skipped {len(report.skipped)} files:")
        for item in report.skipped[:50]:
            print(f"  {for_terminal(item.path)}: {one_line(item.reason)}")
    for note in report.withheld_deletions:
        print(f"Warning: {one_line(note)}")
