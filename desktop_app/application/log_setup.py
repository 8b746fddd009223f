"""Logging for both front ends: a rotating file in the user log dir, and stderr."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from core import paths
from desktop_app.application.terminal_text import lines_for_terminal

LOG_FILENAME = "hashlens.log"
_MARK = "_hashlens_handler"
_NOISY = ("PIL", "urllib3", "httpx", "httpcore", "huggingface_hub", "filelock", "timm")


def setup_logging(*, verbose: bool = False, stderr_level: int = logging.ERROR) -> Path | None:
    """Log INFO and up to ``hashlens.log`` (1 MB x 3) and ``stderr_level`` (INFO if verbose).

    Returns the log file, or None when the log folder cannot be written.
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)  # Pillow warns about damaged EXIF; keep it in the log
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    stream = logging.StreamHandler()
    stream.setLevel(logging.INFO if verbose else stderr_level)
    stream.setFormatter(_TerminalFormatter("%(levelname)s %(name)s: %(message)s"))
    _add(root, stream)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    log_file = paths.log_dir() / LOG_FILENAME
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8", errors="backslashreplace"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _add(root, handler)
    return log_file


class _TerminalFormatter(logging.Formatter):
    """Messages quote file names: their terminal controls are escaped (tracebacks stay)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return lines_for_terminal(super().formatMessage(record))


def _add(root: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _MARK, True)
    root.addHandler(handler)
