"""Background work for the GUI: a Task runs one function in a pool and reports through signals.

The GUI thread never runs SQL. It submits a function; the function runs on a pool
thread (opening its own Store) and its return value or exception comes back as a
queued signal on the GUI thread. Payloads are immutable (frozen dataclasses,
tuples). Two pools: ``shared`` for read-only work, ``writer`` (one thread) for
everything that may write the library, so writes are serialised by construction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import CoreError

logger = logging.getLogger(__name__)

DEFAULT_WAIT_MS = 10_000

T = TypeVar("T")


class TaskSignals(QObject):
    """What a task reports. It lives on the GUI thread, so every delivery is queued there."""

    started = Signal()
    result = Signal(object)
    error = Signal(object)
    finished = Signal()


class Task(QRunnable):
    """Runs ``work()`` once on a pool thread; emits ``result`` or ``error``, then ``finished``."""

    def __init__(self, work: Callable[[], object], signals: TaskSignals) -> None:
        super().__init__()
        self.signals = signals
        self._work = work

    def run(self) -> None:
        self.signals.started.emit()
        try:
            value = self._work()
        except Exception as exc:  # reported to the GUI thread, never lost in a worker
            if not isinstance(exc, CoreError):
                logger.exception("Background task failed")
            self.signals.error.emit(exc)
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()


class TaskRunner(QObject):
    """Owns the two pools; each task's signals belong to the runner until they are delivered."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._shared = QThreadPool.globalInstance()
        self._writer = QThreadPool(self)
        self._writer.setMaxThreadCount(1)

    def submit(
        self,
        work: Callable[[], T],
        *,
        writes: bool,
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Queue ``work``; its outcome reaches ``on_result`` or ``on_error`` on the GUI thread.

        Args:
            work: Runs on a pool thread; it opens (and closes) its own Store.
            writes: True when it may write the library (migrations count): the writer pool.
            on_result: A slot of a GUI-thread QObject; receives what ``work`` returned.
            on_error: A slot of a GUI-thread QObject; receives the exception ``work`` raised.
        """
        signals = TaskSignals(self)  # parented: kept alive whatever Python holds
        signals.result.connect(on_result)
        signals.error.connect(on_error)
        signals.finished.connect(signals.deleteLater)  # queued after the deliveries above
        pool = self._writer if writes else self._shared
        pool.start(Task(work, signals))

    def wait_for_done(self, timeout_ms: int = DEFAULT_WAIT_MS) -> bool:
        """Block until both pools are idle (on quit, or before a screenshot)."""
        writer_done = self._writer.waitForDone(timeout_ms)
        return self._shared.waitForDone(timeout_ms) and writer_done
