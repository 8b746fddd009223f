"""The Qt binding must not corrupt Python objects when signals are emitted.

PySide6 6.12.0 took one reference from ``True`` per signal emitted from Python; on
Python 3.11 the process then aborts with "bool_dealloc" once the count reaches zero
(a 10,000-result grid got there while scrolling). pyproject.toml excludes it; this
test fails if a binding with the same defect is installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    value = Signal(int)
    flag = Signal(bool)


def test_emitting_signals_leaves_reference_counts_alone() -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.flag.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(2000):
        emitter.value.emit(i)
        emitter.flag.emit(True)
    received.clear()
    # a few references may come and go elsewhere; the defect loses one per emit (4,000)
    assert abs(sys.getrefcount(True) - before) < 50
