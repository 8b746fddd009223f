"""Duplicate groups of a library: read the photos' codes and features, group, describe.

Read-only: the library and the files are never changed. Photos that have features but
no code from the active hasher (indexing stopped before the codes were written) are
encoded here from their features, so they are grouped like the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.config import DuplicatesConfig
from core.errors import NothingIndexedError
from core.hashing.codes import to_words
from core.search.duplicate_groups import (
    DuplicateGroups,
    GroupingOptions,
    GroupKind,
    PhotoFacts,
    find_groups,
)
from core.search.hash_stage import try_load_hash_snapshot
from core.store.database import Store
from core.store.records import EncoderRecord, FileFacts


@dataclass(frozen=True)
class ReportGroup:
    """One group as shown: its kind, its weakest link and its photos, best first.

    "Best" is the most pixels, then the largest file, then the shortest path (``a.jpg``
    before ``a copy.jpg``): the copy a person most likely keeps.
    """

    kind: GroupKind
    min_cosine: float
    members: tuple[FileFacts, ...]


@dataclass(frozen=True)
class DuplicateReport:
    """Every group of a library, and how they were found."""

    groups: tuple[ReportGroup, ...]
    photos: int
    hasher: str | None
    """The hasher whose codes chose candidates (``name`` and bits), None: cosine only."""
    fallback_reason: str | None
    radius: int | None
    options: GroupingOptions


def grouping_options(config: DuplicatesConfig, *, bursts: bool = False) -> GroupingOptions:
    """The grouping thresholds of the ``[duplicates]`` settings."""
    return GroupingOptions(
        min_cosine=config.min_cosine,
        radius=None if config.radius < 0 else config.radius,
        bursts=bursts,
        burst_seconds=config.burst_seconds,
        burst_min_cosine=config.burst_min_cosine,
    )


def duplicate_report(
    store: Store, encoder: EncoderRecord | None, options: GroupingOptions | None = None
) -> DuplicateReport:
    """Group the library's photos indexed with ``encoder``.

    Raises:
        NothingIndexedError: No photo has features from this model (or any model).
    """
    opts = options or GroupingOptions()
    if encoder is None or not store.vectors.has_vectors("image"):
        raise NothingIndexedError(
            "The library has no indexed photos yet, so there are no duplicates to look for. "
            "Add a folder and index it: hashlens add ~/Pictures, then hashlens index."
        )
    ids, features = store.vectors.image_matrix(encoder)
    files = store.media.file_facts()
    keep = np.array([int(i) in files for i in ids.tolist()], dtype=bool)
    ids, features = ids[keep], features[keep]
    facts = [files[int(i)] for i in ids.tolist()]
    snapshot, problem = try_load_hash_snapshot(store, encoder)
    words, n_bits, hasher, reason = None, 0, None, None
    if snapshot is not None and len(ids):
        index = snapshot.photos  # item ids ascending, as ``ids``
        at = np.minimum(np.searchsorted(index.item_ids, ids), max(len(index) - 1, 0))
        found = index.item_ids[at] == ids if len(index) else np.zeros(len(ids), dtype=bool)
        codes = np.zeros((len(ids), snapshot.record.n_bits // 8), dtype=np.uint8)
        codes[found] = index.codes_at(at[found])
        missing = np.flatnonzero(~found)
        if missing.shape[0]:
            codes[missing] = snapshot.hasher.encode_image(features[missing])
        words, n_bits = to_words(codes), snapshot.record.n_bits
        hasher = f"{snapshot.record.name} ({n_bits} bits)"
    elif problem is not None:
        reason = problem.user_message
    else:
        reason = "No hashing model is trained yet; one (hashlens train) makes this faster."
    grouped: DuplicateGroups = find_groups(
        PhotoFacts(
            ids,
            features,
            [f"{f.content_hash}:{f.size}" for f in facts],
            [f.taken_at for f in facts],
            words,
            n_bits,
        ),
        opts,
    )
    groups = tuple(
        ReportGroup(g.kind, g.min_cosine, tuple(sorted((facts[p] for p in g.positions), key=_best)))
        for g in grouped.groups
    )
    return DuplicateReport(groups, len(ids), hasher, reason, grouped.radius, opts)


def _best(f: FileFacts) -> tuple[int, int, int, str]:
    return (-((f.width or 0) * (f.height or 0)), -f.size, len(f.path), f.path)
