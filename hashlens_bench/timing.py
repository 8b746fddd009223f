"""Median wall-clock time of a call, for the benchmark scripts."""

import statistics
import time
from collections.abc import Callable


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls of ``run``, after one warm-up call."""
    run()  # warm-up
    times_s = []
    for _ in range(repeats):
        started_s = time.perf_counter()
        run()
        times_s.append(time.perf_counter() - started_s)
    return statistics.median(times_s)
