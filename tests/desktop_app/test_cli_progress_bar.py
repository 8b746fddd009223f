from __future__ import annotations

import pytest

from core.progress import Progress
from desktop_app.cli.progress_bar import ProgressBars


def test_each_stage_gets_its_own_labelled_bar_with_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ProgressBars() as bars:
        bars(Progress("scan", 0, 1))
        bars(Progress("scan", 1, 1))
        bars(Progress("download", 0, 2_000_000))
        bars(Progress("download", 2_000_000, 2_000_000))
        bars(Progress("images", 3, 10))
        bars(Progress("images", 10, 10))
    err = capsys.readouterr().err
    assert "Scanning folders" in err
    assert "Downloading model" in err
    assert "2.00M/2.00M" in err
    assert "10/10" in err
    assert "photo/s" in err


def test_disabled_bars_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with ProgressBars(enabled=False) as bars:
        bars(Progress("images", 5, 10))
    assert capsys.readouterr().err == ""


def test_a_notice_is_printed_even_without_bars(capsys: pytest.CaptureFixture[str]) -> None:
    with ProgressBars(enabled=False) as bars:
        bars(Progress("notice", 0, 0, "Export failed; using the torch runtime."))
        bars(Progress("images", 5, 10))
    assert capsys.readouterr().err == "hashlens: Export failed; using the torch runtime.\n"


def test_the_window_shows_a_notice_as_its_text() -> None:
    from desktop_app.application.progress_text import RateMeter

    assert RateMeter().describe(Progress("notice", 0, 0, "Using torch.")) == "Using torch."
