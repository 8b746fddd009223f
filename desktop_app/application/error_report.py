"""What the window tells a person about a failure: a summary, a message, details to copy."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from core import __version__
from core.errors import CoreError, ModelNotAvailableError

logger = logging.getLogger(__name__)


MODEL_REMEDIES = {
    "import": (
        "Press Download when this computer is online, or copy the weights file "
        "(open_clip_pytorch_model.bin) from another computer and choose Import file…."
    ),
    "architecture": (
        "Import the weights made for this model, or a model folder that also holds its "
        "open_clip_config.json (Import folder…), so the architecture comes with it."
    ),
    "damaged": "Download or copy the file again, then import it.",
}
"""What the window tells a person to do about a model that cannot be loaded: buttons of the
model card, never command-line options."""


def _worded(error: CoreError) -> str:
    if isinstance(error, ModelNotAvailableError) and error.remedy in MODEL_REMEDIES:
        return f"{error.situation} {MODEL_REMEDIES[error.remedy]}"
    return error.user_message


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """A failure worded for a person.

    Attributes:
        summary: What was being done (``"Indexing stopped"``).
        message: What went wrong and what to do, in plain sentences.
        details: Technical details for a bug report (error type, text, traceback).
    """

    summary: str
    message: str
    details: str


def report_for(error: BaseException, summary: str) -> ErrorReport:
    """Word ``error``: a core error's own message, else a generic one with the traceback."""
    lines = [f"HashLens {__version__}", f"{type(error).__name__}: {error}"]
    if isinstance(error, CoreError):
        if error.details:
            lines.append(error.details)
        return ErrorReport(summary, _worded(error), "\n".join(lines))
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    lines.append(trace.rstrip())
    return ErrorReport(
        summary,
        "Something unexpected went wrong. The window keeps working; the details below "
        "help fixing it.",
        "\n".join(lines),
    )
