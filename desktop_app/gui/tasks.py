"""Background work for the GUI: a Task runs one function in a pool and reports through signals.

The GUI thread never runs SQL. It submits a function; the function runs on a pool
thread (opening its own Store) and its return value or exception comes back as a
queued signal on the GUI thread. Payloads are immutable (frozen dataclasses,
tuples). Pools:

- ``shared``: read-only work (search, thumbnails, model loading);
- ``writer`` (one thread): short writes (folders, tags, captions), serialised;
- ``long`` (one thread): indexing runs. An index run takes minutes; on the writer it
  would hold a tag edit back until it ended. It commits one batch at a time, and
  SQLite (WAL, busy timeout) serialises its batches with the writer's short edits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import CoreError
from core.progress import Progress, ProgressCallback

logger = logging.getLogger(__name__)

DEFAULT_WAIT_MS = 10_000

T = TypeVar("T")
PoolName = Literal["shared", "writer", "long"]


class TaskSignals(QObject):
    """What a task reports. It lives on the GUI thread, so every delivery is queued there."""

    started = Signal()
    progress = Signal(object)
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
        try:
            self._run()
        except RuntimeError as exc:  # the window closed (its signals are gone) mid-task
            if "deleted" not in str(exc):
                raise
            logger.debug("A task finished after the window closed: %s", exc)

    def _run(self) -> None:
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
    """Owns the pools; each task's signals belong to the runner until they are delivered."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[PoolName, QThreadPool] = {"shared": QThreadPool.globalInstance()}
        for name in ("writer", "long"):
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)
            self._pools[name] = pool

    def submit(
        self,
        work: Callable[[], T],
        *,
        pool: PoolName,
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Queue ``work``; its outcome reaches ``on_result`` or ``on_error`` on the GUI thread.

        Args:
            work: Runs on a pool thread; it opens (and closes) its own Store.
            pool: ``writer`` when it may write the library (migrations count), ``long`` for
                an indexing run, else ``shared``.
            on_result: A slot of a GUI-thread QObject; receives what ``work`` returned.
            on_error: A slot of a GUI-thread QObject; receives the exception ``work`` raised.
        """
        signals = self._signals(on_result, on_error)
        self._pools[pool].start(Task(work, signals))

    def submit_reporting(
        self,
        work: Callable[[ProgressCallback], T],
        *,
        pool: PoolName,
        on_progress: Callable[[Progress], None],
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Like :meth:`submit`, for work that reports progress through the callable it is given."""
        signals = self._signals(on_result, on_error)
        signals.progress.connect(on_progress)

        def report(progress: Progress) -> None:  # on the pool thread; delivery is queued
            signals.progress.emit(progress)

        self._pools[pool].start(Task(lambda: work(report), signals))

    def _signals(
        self, on_result: Callable[[T], None], on_error: Callable[[Exception], None]
    ) -> TaskSignals:
        signals = TaskSignals(self)  # parented: kept alive whatever Python holds
        signals.result.connect(on_result)
        signals.error.connect(on_error)
        signals.finished.connect(signals.deleteLater)  # queued after the deliveries above
        return signals

    def wait_for_done(self, timeout_ms: int = DEFAULT_WAIT_MS) -> bool:
        """Block until every pool is idle (on quit, or before a screenshot)."""
        results = [pool.waitForDone(timeout_ms) for pool in self._pools.values()]
        return all(results)
