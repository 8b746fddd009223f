"""Find the library's duplicate groups (read-only), off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from core.search.duplicate_groups import GroupingOptions
from core.search.duplicate_report import DuplicateReport, duplicate_report
from core.store.database import Store


def find_duplicates(
    library_path: Path, encoder_key: str, options: GroupingOptions | None = None
) -> DuplicateReport:
    """The groups of photos indexed with the model named by ``encoder_key``.

    Raises:
        NothingIndexedError: No photo is indexed with that model.
    """
    with Store.open(library_path, mode="read") as store:
        return duplicate_report(store, store.known_encoder(encoder_key), options)
