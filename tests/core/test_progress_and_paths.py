from __future__ import annotations

from pathlib import Path

import pytest

from core import paths
from core.errors import TaskCancelled
from core.progress import CancelToken, Progress, RateLimitedReporter


def test_reporter_drops_snapshots_faster_than_its_rate_but_never_the_last() -> None:
    seen: list[Progress] = []
    report = RateLimitedReporter(seen.append, max_hz=0.001)  # at most one per ~17 minutes
    for done in range(1, 101):
        report(Progress("images", done, 100))
    assert [p.done for p in seen] == [1, 100]


def test_forced_snapshots_always_pass() -> None:
    seen: list[Progress] = []
    report = RateLimitedReporter(seen.append, max_hz=0.001)
    report(Progress("scan", 0, 5))
    report(Progress("scan", 1, 5), force=True)
    assert len(seen) == 2


def test_cancel_token_raises_only_after_cancel() -> None:
    token = CancelToken()
    token.raise_if_cancelled()
    token.cancel()
    assert token.is_cancelled
    with pytest.raises(TaskCancelled):
        token.raise_if_cancelled()


def test_hashlens_home_holds_every_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASHLENS_HOME", str(tmp_path))
    monkeypatch.delenv("HASHLENS_LIBRARY", raising=False)
    for folder in (paths.data_dir(), paths.cache_dir(), paths.config_dir(), paths.log_dir()):
        assert folder.is_relative_to(tmp_path)
    assert paths.default_library_path() == tmp_path / "data" / paths.LIBRARY_FILENAME
    assert paths.model_cache_dir() == tmp_path / "cache" / "open_clip"
