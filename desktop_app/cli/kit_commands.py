"""``bench`` and ``dataset``: the benchmark kit's commands, loaded by name.

The kit (``hashlens_bench``: dataset builders, ``.mat`` readers, the benchmark runner,
plots) is not part of the product's runtime: its dependencies are the ``bench`` extra
(matplotlib, scikit-image, CairoSVG, ...), and import-linter forbids ``core`` and
``desktop_app`` to import it. The CLI contract still has ``hashlens bench``, so the parser
loads the kit's command module by name here, the one seam between the two.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from types import ModuleType

from core.config import AppConfig
from core.errors import ConfigError

KIT_MODULE = "hashlens_bench.commands"
KIT_COMMANDS = ("bench", "dataset")


def _kit() -> ModuleType | None:
    try:
        return importlib.import_module(KIT_MODULE)
    except ModuleNotFoundError as exc:  # an install without the kit: no bench commands
        if exc.name is not None and exc.name.startswith("hashlens_bench"):
            return None
        raise


def add_kit_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add_model_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Offer ``bench`` and ``dataset`` when the kit is installed."""
    kit = _kit()
    if kit is not None:
        kit.add_parsers(sub, add_model_options)


def run_kit_command(config: AppConfig, args: argparse.Namespace) -> int:
    """Run a kit command parsed by :func:`add_kit_parsers`."""
    kit = _kit()
    if kit is None:
        raise ConfigError("The benchmark kit is not installed: pip install 'hashlens[bench]'.")
    return int(kit.run(config, args))
