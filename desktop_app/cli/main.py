"""Entry point of ``hashlens``: parse, compose, run, and word every error for a person."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from core.config import AppConfig
from core.errors import CoreError
from core.store.database import Store
from desktop_app.cli.bench_command import cmd_bench
from desktop_app.cli.dataset_command import cmd_dataset
from desktop_app.cli.index_command import cmd_index
from desktop_app.cli.library_commands import cmd_add, cmd_remove, cmd_status
from desktop_app.cli.parser import build_parser
from desktop_app.cli.runtime import build_config
from desktop_app.cli.search_command import cmd_search
from desktop_app.cli.tag_command import cmd_tag
from desktop_app.cli.train_command import cmd_train
from desktop_app.cli.watch_command import cmd_watch
from desktop_app.log_setup import setup_logging

logger = logging.getLogger("hashlens")


def _dispatch(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    match args.command:
        case "add":
            return cmd_add(store, args)
        case "remove":
            return cmd_remove(store, args)
        case "index":
            return cmd_index(store, config, args)
        case "search":
            return cmd_search(store, config, args)
        case "train":
            return cmd_train(store, config, args)
        case "status":
            return cmd_status(store, args)
        case "tag":
            return cmd_tag(store, args)
        case "watch":
            return cmd_watch(store, config, args)
    raise AssertionError(args.command)


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    # watching runs for hours: its warnings (a folder gone, polling instead) must be seen
    stderr_level = logging.WARNING if args.command == "watch" else logging.ERROR
    setup_logging(verbose=args.verbose, stderr_level=stderr_level)
    try:
        config = build_config(args)
        if args.command == "bench":  # works on feature files, never on the library
            return cmd_bench(args)
        if args.command == "dataset":  # works on files, never on the library
            return cmd_dataset(config, args)
        with Store.open(config.library_path) as store:
            return _dispatch(store, config, args)
    except CoreError as exc:
        print(f"hashlens: {exc.user_message}", file=sys.stderr)
        if exc.details:
            logger.info("details: %s", exc.details)
        return 1
    except KeyboardInterrupt:
        print(
            "\nhashlens: interrupted. Finished batches are saved; run the command again "
            "to continue.",
            file=sys.stderr,
        )
        return 130


def main() -> None:
    """Console entry point."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(run())


if __name__ == "__main__":
    main()
