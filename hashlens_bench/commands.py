"""The kit's commands as ``hashlens`` loads them: by module name, only from the CLI's parser.

The product (``core``, ``desktop_app``) never imports this package (import-linter); the CLI
loads this module by name (``desktop_app.cli.kit_commands``) to offer ``hashlens bench``
and ``hashlens dataset``, the commands of the CLI contract that run on feature files.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from core.config import AppConfig
from hashlens_bench.bench_command import add_bench_parser, cmd_bench
from hashlens_bench.dataset_command import add_dataset_parser, cmd_dataset

COMMANDS = ("bench", "dataset")


def add_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add_model_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``bench`` and ``dataset`` on the ``hashlens`` parser."""
    add_bench_parser(sub)
    add_dataset_parser(sub, add_model_options)


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """Run ``bench`` or ``dataset`` (neither opens the library)."""
    if args.command == "bench":
        return cmd_bench(args)
    return cmd_dataset(config, args)
