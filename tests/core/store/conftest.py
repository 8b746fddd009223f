from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.store.database import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "library.sqlite") as opened:
        yield opened
