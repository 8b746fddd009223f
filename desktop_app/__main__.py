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
from core.encoders.encoder_process import FROZEN_HOST_FLAG
from desktop_app.application.log_setup import setup_logging
from desktop_app.gui.app import Composition, Controllers, compose
from desktop_app.gui.appearance import apply_color_scheme

logger = logging.getLogger("hashlens")

APP_NAME = "HashLens"
SCREENSHOT_WAIT_MS = 60_000
SETTLE_ROUNDS = 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hashlens-gui", description="Search your photos by text, on this computer."
    )
    parser.add_argument("--version", action="version", version=f"hashlens-gui {__version__}")
    parser.add_argument(
        "--library", type=Path, help="library file (default: HASHLENS_LIBRARY or the data dir)"
    )
    parser.add_argument("--query", help="text to search for once the library is read")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE",
        help="save a PNG of the window once the library is read (and --query answered), then exit",
    )
    parser.add_argument(
        "--color-scheme",
        choices=("system", "light", "dark"),
        default="system",
        help="follow the system's light or dark palette (default), or force one",
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


def search_once_open(controllers: Controllers, query: str) -> None:
    """Search for ``query`` as soon as the library is read (its model is known then)."""

    def on_overview(_overview: object) -> None:
        controllers.library.overview_changed.disconnect(on_overview)
        controllers.search.search_text_now(query)

    controllers.library.overview_changed.connect(on_overview)


def settle(app: QApplication, parts: Composition, window: QWidget) -> None:
    """Let background work finish and its results reach the window (and the thumbnails that
    painting asks for, which are tasks too)."""
    for _ in range(SETTLE_ROUNDS):  # read library -> search -> thumbnails -> paint
        parts.tasks.wait_for_done(SCREENSHOT_WAIT_MS)
        app.processEvents()
        if parts.controllers is not None:  # folders watched: the indicator says so
            parts.controllers.watch.wait_until_applied(SCREENSHOT_WAIT_MS / 1000)
            app.processEvents()
        window.grab()  # paints, so the grid asks for the thumbnails it shows


def _save_screenshot(app: QApplication, parts: Composition, path: Path) -> int:
    window = parts.window
    settle(app, parts, window)
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
    apply_color_scheme(app, args.color_scheme)
    parts = compose(args.library)
    app.setWindowIcon(parts.window.windowIcon())
    if args.query:
        parts.window.set_query(args.query)
        if parts.controllers is not None:
            search_once_open(parts.controllers, args.query)
    parts.window.show()
    if args.screenshot is not None:
        parts.window.reset_layout()
    try:
        if args.screenshot is not None:
            return _save_screenshot(app, parts, args.screenshot)
        return app.exec()
    finally:
        parts.window.close()
        parts.shut_down()


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    logger.critical("Unexpected error", exc_info=(kind, value, tb))


def main() -> None:
    """GUI entry point."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if sys.argv[1:2] == [FROZEN_HOST_FLAG]:  # a frozen build starting its model process
        from core.encoders.encoder_host import main as host_main

        sys.exit(host_main())
    sys.excepthook = _log_uncaught  # a slot's exception is logged, the window stays up
    sys.exit(run())


if __name__ == "__main__":
    main()
