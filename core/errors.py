"""Typed errors raised by core; every one carries a message fit for a user.

The boundary (CLI, GUI) shows ``user_message`` and keeps ``details`` for logs and
"show details" panes. Core never prints and never exits.
"""

from __future__ import annotations

from typing import Any


class CoreError(Exception):
    """Base of every error core raises on purpose.

    Attributes:
        user_message: One or two plain sentences a user can act on.
        details: Technical detail (paths, exception text) for logs.
    """

    def __init__(self, user_message: str, details: str = "") -> None:
        super().__init__(user_message if not details else f"{user_message} ({details})")
        self.user_message = user_message
        self.details = details

    def __reduce__(self) -> tuple[type[CoreError], tuple[str, str]]:
        """Pickle with both fields, so an error raised in the model process keeps its message."""
        return (type(self), (self.user_message, self.details))


class ConfigError(CoreError):
    """A setting or command-line value is invalid."""


class ModelNotAvailableError(CoreError):
    """The CLIP encoder cannot be loaded (no weights, no network, bad file).

    ``user_message`` ends with what to do on the command line (``--pretrained``...). A
    window words the remedy itself from ``situation`` (what is wrong, without command-line
    options) and ``remedy``: ``"import"`` (weights are missing: import or download them),
    ``"architecture"`` (the weights are for another architecture), ``"damaged"`` (the file
    cannot be read) or ``""`` (no particular advice).
    """

    def __init__(
        self, user_message: str, details: str = "", *, situation: str = "", remedy: str = ""
    ) -> None:
        super().__init__(user_message, details)
        self.situation = situation or user_message
        self.remedy = remedy

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with every field (it crosses from the model process)."""
        return (_model_error, (self.user_message, self.details, self.situation, self.remedy))


def _model_error(
    user_message: str, details: str, situation: str, remedy: str
) -> ModelNotAvailableError:
    return ModelNotAvailableError(user_message, details, situation=situation, remedy=remedy)


class EncoderProcessError(CoreError):
    """The process that runs the model stopped or answered nonsense; it restarts on next use."""


class UnsupportedImageError(CoreError):
    """A file cannot be decoded as an image (corrupt, truncated, too large...)."""


class ImageUnreadableError(UnsupportedImageError):
    """A photo could not be read just now (moved, renamed, no permission, a disk error).

    Unlike its parent, this says nothing about the file's content: the next run tries
    it again (at its new path, if it was moved).
    """


class CaptionFileError(CoreError):
    """A caption file could not be read at all (single bad rows are only skipped)."""


class LibraryError(CoreError):
    """The library file cannot be used."""


class IndexSchemaError(LibraryError):
    """The library file was written by a newer HashLens; it is left untouched."""


class LibraryBusyError(LibraryError):
    """Another process is writing the same library."""


class LibraryNotFoundError(LibraryError):
    """No library exists at the path, and the command only reads or updates one."""


class LibraryCorruptError(LibraryError):
    """The library file is damaged (truncated, overwritten, not a database); it is not written."""


class LibraryReadOnlyError(LibraryError):
    """The library cannot be written: the file, its folder or its disk is read-only."""


class LibraryFullError(LibraryError):
    """The disk holding the library is full; the write in progress was rolled back."""


class FolderNotFoundError(CoreError):
    """A folder given by the user does not exist or is not a directory."""


class LabelError(CoreError):
    """A tag name or a change to the user's tags is unusable (empty name, added and removed)."""


class DatasetError(CoreError):
    """A benchmark feature dataset (or its source) is missing, malformed or cannot be fetched."""


class NotFittedError(CoreError):
    """A hasher was used before it was trained."""


class IncompatibleCodesError(CoreError):
    """Stored codes or features were produced by a different model than the one in use."""


class NothingIndexedError(IncompatibleCodesError):
    """A search needs features (of photos or captions) that the library does not hold yet."""


class TaskCancelled(CoreError):  # noqa: N818 - named after what happened, not an error condition
    """A long-running job was cancelled by the user."""


class HashingInputError(CoreError, ValueError):
    """Features, labels or settings given to a hasher are unusable (shape, NaN, bits...)."""


class HasherFileError(CoreError):
    """A saved hasher is truncated, corrupt or names a method this version does not know."""


class EncoderCacheError(CoreError):
    """An exported (ONNX) copy of the model is missing, damaged or from another version."""


class EncoderExportError(CoreError):
    """The model could not be exported for the fast runtime; the torch path is used instead."""


class SearchFilterError(CoreError):
    """A search filter is unusable (a date that is not a date, a reversed date range...)."""


class QueryError(CoreError):
    """A typed query cannot be searched: an empty term, a bad weight, only terms to avoid."""
