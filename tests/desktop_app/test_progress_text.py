"""Progress lines: count, rate and time left; bytes for downloads."""

from __future__ import annotations

from core.progress import Progress
from desktop_app.application.progress_text import RateMeter, format_bytes, format_duration


class _Clock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def test_rate_and_time_left_are_measured_from_the_start_of_the_stage() -> None:
    clock = _Clock()
    meter = RateMeter(clock)
    assert meter.describe(Progress("images", 0, 1000)) == "Encoding photos: 0 of 1,000"

    clock.now_s += 10
    text = meter.describe(Progress("images", 200, 1000))

    assert text == "Encoding photos: 200 of 1,000 · 20.0 photos/s · about 40 s left"


def test_a_new_stage_restarts_the_rate() -> None:
    clock = _Clock()
    meter = RateMeter(clock)
    meter.describe(Progress("images", 0, 10))
    clock.now_s += 5
    meter.describe(Progress("images", 10, 10))

    clock.now_s += 1
    assert meter.describe(Progress("captions", 0, 50)) == "Encoding captions: 0 of 50"


def test_download_progress_is_in_bytes() -> None:
    clock = _Clock()
    meter = RateMeter(clock)
    meter.describe(Progress("download", 0, 605_000_000))
    clock.now_s += 20

    text = meter.describe(Progress("download", 100_000_000, 605_000_000))

    assert text == "Downloading model: 100 MB of 605 MB · 5.0 MB/s · about 2 min left"


def test_formats() -> None:
    assert format_bytes(950) == "950 B"
    assert format_bytes(1_500_000) == "1.5 MB"
    assert format_bytes(2_400_000_000) == "2.4 GB"
    assert format_duration(0.2) == "1 s"
    assert format_duration(3700) == "1 h 2 min"
