"""GUI-thread cost of the Duplicates view: 200 groups of 3 photos, offscreen, in one process.

Prints the time ``show_report`` would block if every strip were built at once (all strips
built in one call, then one event-loop turn), and, as the page builds them (one per turn),
the longest single GUI-thread step and the time until the last strip is in.

Usage: ``QT_QPA_PLATFORM=offscreen nice -n 10 .venv/bin/python benchmarks/duplicates_view.py``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from core.search.duplicate_groups import GroupingOptions
from core.search.duplicate_report import DuplicateReport, ReportGroup
from core.store.records import FileFacts
from desktop_app.gui.tasks import TaskRunner
from desktop_app.gui.thumbnails import ThumbnailLoader
from desktop_app.gui.views import duplicates_page
from desktop_app.gui.views.duplicates_page import DuplicatesPage

GROUPS, SIZE = 200, 3


def report() -> DuplicateReport:
    groups = tuple(
        ReportGroup(
            "near",
            0.97,
            tuple(
                FileFacts(i * SIZE + j, f"/nonexistent/p{i}_{j}.jpg", 1000, "h", 100, 100, None)
                for j in range(SIZE)
            ),
        )
        for i in range(GROUPS)
    )
    return DuplicateReport(groups, GROUPS * SIZE, "lsh (64 bits)", None, 11, GroupingOptions())


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()  # --help only
    app = QApplication([])
    tasks = TaskRunner()
    with tempfile.TemporaryDirectory() as cache:
        thumbnails = ThumbnailLoader(tasks, Path(cache), 10**8)
        duplicates_page.STRIPS_PER_TURN = GROUPS  # every strip in one go
        page = _page(thumbnails)
        started = time.perf_counter()
        page.show_report(report())
        app.processEvents()
        at_once = time.perf_counter() - started
        duplicates_page.STRIPS_PER_TURN = 1
        page = _page(thumbnails)  # a fresh page: nothing of the first run to delete
        for _ in range(3):  # shown and settled first, as in the window
            app.processEvents()
        steps = []
        started = last = time.perf_counter()
        page.show_report(report())
        while page.is_building:
            app.processEvents()
            now = time.perf_counter()
            steps.append(now - last)
            last = now
        print(
            f"{GROUPS} groups of {SIZE}: all at once {at_once:.2f} s; one strip per turn: "
            f"longest step {1000 * max(steps):.0f} ms, median step "
            f"{1000 * statistics.median(steps):.0f} ms (step {steps.index(max(steps))} longest), "
            f"all in after {last - started:.2f} s"
        )
        tasks.wait_for_done(5000)


def _page(thumbnails: ThumbnailLoader) -> DuplicatesPage:
    page = DuplicatesPage(thumbnails)
    page.resize(800, 700)
    page.show()
    return page


if __name__ == "__main__":
    main()
