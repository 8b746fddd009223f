"""Entry point of ``hashlens``: parse, compose, run, and word every error for a person."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence

from core.config import AppConfig
from core.errors import CoreError
from core.store.database import OpenMode, Store
from core.store.sqlite_errors import library_error
from desktop_app.application.log_setup import setup_logging
from desktop_app.application.terminal_text import lines_for_terminal
from desktop_app.cli.duplicates_command import cmd_duplicates
from desktop_app.cli.hashers_command import cmd_hashers
from desktop_app.cli.index_command import cmd_index
from desktop_app.cli.kit_commands import KIT_COMMANDS, run_kit_command
from desktop_app.cli.library_commands import cmd_add, cmd_remove, cmd_status
from desktop_app.cli.parser import build_parser
from desktop_app.cli.runtime import build_config
from desktop_app.cli.search_command import cmd_search
from desktop_app.cli.tag_command import cmd_tag
from desktop_app.cli.train_command import cmd_train
from desktop_app.cli.watch_command import cmd_watch

logger = logging.getLogger("hashlens")
EXIT_BROKEN_PIPE = 141
"""What a shell reports for a tool killed by SIGPIPE (128 + 13)."""
READ_CHECK_MAX_BYTES = 64 * 1024 * 1024
"""Largest library that ``search`` and ``status`` check whole before reading (~0.15 s)."""


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
        case "hashers":
            return cmd_hashers(store, config, args)
        case "tag":
            return cmd_tag(store, args)
        case "watch":
            return cmd_watch(store, config, args)
        case "duplicates":
            return cmd_duplicates(store, config, args)
    raise AssertionError(args.command)


def open_mode(args: argparse.Namespace) -> OpenMode:
    """How a command opens the library: only ``add`` and ``index DIR...`` may create one.

    A mistyped ``--library`` must not leave a new empty library behind a command that
    only reads (``search``, ``status``, listing tags), which opens read-only when the
    library cannot be written; every other command needs an existing, writable library.
    """
    if args.command == "add" or (args.command == "index" and args.dirs):
        return "create"
    if args.command in ("search", "status", "hashers", "duplicates"):
        return "read"
    if args.command == "tag" and not (args.add or args.remove):
        return "read"
    return "write"


def should_verify(config: AppConfig, mode: OpenMode) -> bool:
    """Whether to run SQLite's quick_check over the library before the command.

    A command that writes always checks, so that it never writes into a damaged file. A
    command that only reads checks libraries up to ``READ_CHECK_MAX_BYTES``; above that
    the check costs 0.7 s at 290 MB, 200,000 photos (``benchmarks/open_check_cost.py``), and
    damage it meets while reading is still reported as a damaged library.
    """
    if mode != "read":
        return True
    path = config.library_path
    return not path.exists() or path.stat().st_size <= READ_CHECK_MAX_BYTES


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    # watching runs for hours: its warnings (a folder gone, polling instead) must be seen
    stderr_level = logging.WARNING if args.command == "watch" else logging.ERROR
    setup_logging(verbose=args.verbose, stderr_level=stderr_level)
    try:
        config = build_config(args)
        if args.command in KIT_COMMANDS:  # work on feature files, never on the library
            return run_kit_command(config, args)
        mode = open_mode(args)
        verify = should_verify(config, mode)
        with Store.open(config.library_path, mode=mode, verify=verify) as store:
            try:
                return _dispatch(store, config, args)
            except sqlite3.Error as exc:  # a full disk, a file made read-only or damaged
                raise library_error(exc, store.path) from exc
    except CoreError as exc:
        print(f"hashlens: {lines_for_terminal(exc.user_message)}", file=sys.stderr)
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
    sys.exit(run_to_pipe())


def run_to_pipe(argv: Sequence[str] | None = None) -> int:
    """:func:`run`, ending quietly when the reader of stdout goes away (``| head``).

    Like a Unix tool killed by SIGPIPE: no traceback, exit status 128 + SIGPIPE (141).
    Stdout is pointed at the null device so that Python's final flush cannot fail again.
    """
    try:
        status = run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    return status


if __name__ == "__main__":
    main()
