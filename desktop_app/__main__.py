"""Entry point of ``hashlens-gui``: arguments, logging, QApplication, the window."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QWidget

from core import __version__
from desktop_app.app import compose
from desktop_app.log_setup import setup_logging

logger = logging.getLogger("hashlens")

APP_NAME = "HashLens"
SCREENSHOT_WAIT_MS = 30_000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hashlens-gui", description="Search your photos by text, on this computer."
    )
    parser.add_argument("--version", action="version", version=f"hashlens-gui {__version__}")
    parser.add_argument(
        "--library", type=Path, help="library file (default: HASHLENS_LIBRARY or the data dir)"
    )
    parser.add_argument("--query", help="text to put in the search field")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE",
        help="save a PNG of the window once the library is read, then exit",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    return parser


def _application(argv0: str) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([argv0])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("hashlens")
    return app


def _save_screenshot(app: QApplication, window: QWidget, path: Path) -> int:
    for _ in range(3):  # deliver task results, then the layout passes they trigger
        app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        print(f"hashlens-gui: could not write {path}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    """Show the window (or save a screenshot of it); returns the exit status."""
    args = build_parser().parse_args(argv)
    setup_logging(verbose=args.verbose, stderr_level=logging.WARNING)
    if args.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed
    app = _application(sys.argv[0] if sys.argv else "hashlens-gui")
    parts = compose(args.library)
    app.setWindowIcon(parts.window.windowIcon())
    if args.query:
        parts.window.set_query(args.query)
    parts.window.show()
    try:
        if args.screenshot is not None:
            parts.tasks.wait_for_done(SCREENSHOT_WAIT_MS)
            return _save_screenshot(app, parts.window, args.screenshot)
        return app.exec()
    finally:
        parts.window.close()
        parts.tasks.wait_for_done()


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    logger.critical("Unexpected error", exc_info=(kind, value, tb))


def main() -> None:
    """GUI entry point."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.excepthook = _log_uncaught  # a slot's exception is logged, the window stays up
    sys.exit(run())


if __name__ == "__main__":
    main()
