"""Exact-copy, near-duplicate and burst groups of photos, from their codes and features.

Pairs of photos are linked in two stages, then joined into groups by union-find:

1. *Candidates.* With a trained hasher, every pair whose image codes lie within a
   Hamming ``radius``. The all-pairs scan is blocked: a block of rows is XOR-ed against
   every later row, one ``np.bitwise_count`` per uint64 word (the layout of
   ``core.hashing.codes``), so memory stays at a block × n matrix and the cost is
   n²/2 popcounts per 64 bits whatever the radius (10,000 photos: under a
   second; ``benchmarks/duplicate_groups.py``). Without a hasher every pair is a
   candidate and stage 2 runs as blocked float matrix products instead (n² · dim / 2
   multiply-adds: slower, and said so by :attr:`DuplicateGroups.used_codes`).
2. *Confirmation.* A candidate pair is kept when the cosine of the stored CLIP image
   features is at least ``min_cosine``: the codes only rule pairs out cheaply.

Photos with the same content hash and size (the scanner's identity of a file) are
always one group, labelled ``exact``. A group of near-duplicates whose capture times
form a chain of shots at most ``burst_seconds`` apart is labelled ``burst``; with
``bursts`` on, photos that close in time are also linked at the looser
``burst_min_cosine`` (shots of one moment where the subject moved). Nothing here
reads or changes files: grouping is a report, deleting is the user's business.

Defaults (reasoned, not tuned: no labelled near-duplicate set with real CLIP weights
is available here, see docs/benchmarks.md):

* ``min_cosine`` 0.95 — CLIP image embeddings of a photo and its resized, re-encoded
  or lightly cropped copy stay above ~0.95, different photos of one scene mostly
  below (reasoning, not measured here). Immich's duplicate detection uses a CLIP cosine
  *distance* of 0.01 (cosine ≥ 0.99: only near-identical files; its help text spans
  0.001 "very close" to 0.1 "may give false positives", immich discussion #11837);
  digiKam's Find Duplicates takes a user-chosen similarity interval over its own Haar
  fingerprints, not CLIP (KDE bug 369051). 0.95 is looser than Immich's so that edited
  and cropped copies are grouped too; the user sees every group before acting.
* ``radius`` — :func:`default_radius`: the Hamming distance that a pair exactly at
  ``min_cosine`` stays within with 95 % probability under random-hyperplane codes
  (Charikar 2002: each bit differs with probability θ/π), the angle taken after the
  centring hashers do. 11 of 64 bits for 0.95 on features without a common direction;
  wider for real libraries (CLIP photos share one). Learned codes keep close pairs
  closer than random planes do, so this rarely loses a pair the cosine would accept;
  a wider radius costs time, never groups.
* ``burst_seconds`` 10 and ``burst_min_cosine`` 0.90 — phones shoot bursts at several
  frames a second and people re-take a shot within seconds; 10 s covers a re-take,
  not the next scene.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from core.hashing.codes import Words, distance_dtype
from core.search.float_index import unit_rows
from core.types import FloatArray

GroupKind = Literal["exact", "near", "burst"]
Pairs = npt.NDArray[np.int64]
"""(m, 2) positions ``i < j`` of linked photos."""

DEFAULT_MIN_COSINE = 0.95
DEFAULT_BURST_SECONDS = 10.0
DEFAULT_BURST_MIN_COSINE = 0.90
_EPOCH = datetime(1970, 1, 1)
_SURVIVAL_Z = 1.645
"""One-sided 95 % normal quantile used by :func:`default_radius`."""
_CODE_BLOCK_CELLS = 1 << 17
"""Pair cells (block rows × n) per Hamming block: 128 K, ~1.3 MB of scratch (stays in cache)."""
_FLOAT_BLOCK_CELLS = 1 << 23
"""Pair cells per cosine block: 8 M float32 scores, 32 MB."""
_CONFIRM_CHUNK = 1 << 16
"""Candidate pairs whose cosine is computed at once (2 × chunk × dim floats)."""


def default_radius(n_bits: int, min_cosine: float, common: float = 0.0) -> int:
    """The Hamming radius that keeps a pair at ``min_cosine`` with ~95 % probability.

    Under random-hyperplane codes each of ``n_bits`` bits differs with probability
    p = arccos(c) / π, so the distance is Binomial(n_bits, p); the radius is its mean
    plus 1.645 standard deviations, rounded up, and never more than ``n_bits``.

    Hashers centre the features before projecting (LSH, ITQ, CCA-ITQ subtract the mean),
    and features share a common direction (CLIP photos: mean cosine ~0.5; the tests'
    random weights: ~0.97), so the angle that decides the bits is the angle *after*
    centring, wider than the raw one. ``common`` is |mean of the unit features|²; a pair
    of raw cosine c is taken at c' = (c − common) / (1 − common), exact when both photos
    project equally on the mean. Without it, a pair at raw cosine 0.98 of the tests'
    library was 37 bits apart under a radius of 2 and lost.
    """
    c = max(-1.0, min(1.0, min_cosine))
    if 0.0 < common < 1.0:
        c = max(-1.0, (c - common) / (1.0 - common))
    p = math.acos(c) / math.pi
    mean = n_bits * p
    return min(n_bits, math.ceil(mean + _SURVIVAL_Z * math.sqrt(n_bits * p * (1 - p))))


@dataclass(frozen=True)
class PhotoFacts:
    """What grouping knows of the photos, row ``i`` of each field for photo ``i``.

    Attributes:
        ids: (n,) media ids.
        features: (n, dim) CLIP image features (normalised here).
        content_keys: (n,) content hash and size of each file (equal keys: exact copies).
        taken_at: (n,) capture times as ISO 8601 text, or None where unknown.
        words: (n_words, n) uint64 codes of the active hasher, or None without one.
        n_bits: Code length (0 without codes).
    """

    ids: npt.NDArray[np.int64]
    features: FloatArray
    content_keys: Sequence[str]
    taken_at: Sequence[str | None]
    words: Words | None = None
    n_bits: int = 0

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.features.shape[0] != n or len(self.content_keys) != n or len(self.taken_at) != n:
            raise ValueError("ids, features, content keys and capture times must line up")
        if self.words is not None and self.words.shape[1] != n:
            raise ValueError(f"{self.words.shape[1]} codes for {n} photos")


@dataclass(frozen=True)
class GroupingOptions:
    """Thresholds of :func:`find_groups` (see the module docstring for the defaults)."""

    min_cosine: float = DEFAULT_MIN_COSINE
    radius: int | None = None
    """Hamming radius in bits; None: :func:`default_radius` of the codes' length."""
    bursts: bool = False
    burst_seconds: float = DEFAULT_BURST_SECONDS
    burst_min_cosine: float = DEFAULT_BURST_MIN_COSINE

    def radius_for(self, n_bits: int, common: float = 0.0) -> int:
        """The radius used for codes of ``n_bits`` (``common``: see :func:`default_radius`)."""
        if self.radius is not None:
            return self.radius
        return default_radius(n_bits, self.link_cosine, common)

    @property
    def link_cosine(self) -> float:
        """The lowest cosine that can link two photos."""
        return min(self.min_cosine, self.burst_min_cosine) if self.bursts else self.min_cosine


@dataclass(frozen=True)
class DuplicateGroup:
    """Photos that are copies or near-copies of each other.

    Attributes:
        kind: ``exact`` (one file content), ``burst`` (near-duplicates shot in a chain
            at most ``burst_seconds`` apart) or ``near``.
        positions: Rows of the photos in :class:`PhotoFacts`, in row order.
        min_cosine: The lowest cosine of a confirmed link in the group (1.0 if exact).
    """

    kind: GroupKind
    positions: tuple[int, ...]
    min_cosine: float


@dataclass(frozen=True)
class DuplicateGroups:
    """The groups found and how: ``used_codes`` False means the cosine-only fallback."""

    groups: tuple[DuplicateGroup, ...]
    used_codes: bool
    radius: int | None
    candidate_pairs: int


def hamming_pairs(words: Words, radius: int) -> Pairs:
    """All pairs ``i < j`` whose codes differ in at most ``radius`` bits (blocked all-pairs)."""
    n_words, n = words.shape
    found: list[Pairs] = []
    block = max(1, _CODE_BLOCK_CELLS // max(n, 1))
    xor = np.empty(block * n, dtype=np.uint64)
    counts = np.empty(block * n, dtype=np.uint8)
    distances = np.empty(block * n, dtype=distance_dtype(64 * n_words))
    for start in range(0, n, block):
        stop = min(n, start + block)
        shape = (stop - start, n - start)  # pairs with a later (or the same) row only
        size = shape[0] * shape[1]
        x, c, d = (a[:size].reshape(shape) for a in (xor, counts, distances))
        for w in range(n_words):
            np.bitwise_xor(words[w, start:stop, None], words[w, None, start:], out=x)
            if w == 0:
                np.bitwise_count(x, out=d)
            else:
                np.add(d, np.bitwise_count(x, out=c), out=d)
        # 1-D flatnonzero is ~3x faster than 2-D nonzero (profiled: it was 60 % of the time)
        rows, cols = np.divmod(np.flatnonzero(distances[:size] <= radius), shape[1])
        keep = cols > rows  # col offset is from ``start``: the diagonal is the photo itself
        found.append(np.stack([rows[keep] + start, cols[keep] + start], axis=1))
    return _stacked(found)


def cosine_pairs(unit: FloatArray, min_cosine: float) -> Pairs:
    """All pairs ``i < j`` of unit rows with cosine ≥ ``min_cosine`` (blocked products)."""
    n = unit.shape[0]
    found: list[Pairs] = []
    block = max(1, _FLOAT_BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block):
        stop = min(n, start + block)
        scores = unit[start:stop] @ unit[start:].T
        rows, cols = np.nonzero(scores >= min_cosine)
        keep = cols > rows
        found.append(np.stack([rows[keep] + start, cols[keep] + start], axis=1))
    return _stacked(found)


def pair_cosines(unit: FloatArray, pairs: Pairs) -> FloatArray:
    """Cosine of each pair of unit rows, computed in bounded chunks."""
    out = np.empty(pairs.shape[0], dtype=np.float32)
    for start in range(0, pairs.shape[0], _CONFIRM_CHUNK):
        chunk = pairs[start : start + _CONFIRM_CHUNK]
        out[start : start + len(chunk)] = np.einsum(
            "ij,ij->i", unit[chunk[:, 0]], unit[chunk[:, 1]]
        )
    return out


def find_groups(facts: PhotoFacts, options: GroupingOptions | None = None) -> DuplicateGroups:
    """Group exact copies, near-duplicates and (optionally looser) bursts.

    Groups are ordered exact first, then by size (largest first), then by first row.
    """
    opts = options or GroupingOptions()
    n = len(facts.ids)
    unit = unit_rows(facts.features)
    link = opts.link_cosine
    radius: int | None = None
    if facts.words is not None and facts.n_bits > 0:
        mean = unit.mean(axis=0) if n else np.zeros(unit.shape[1], dtype=np.float32)
        radius = opts.radius_for(facts.n_bits, float(mean @ mean))
        candidates = hamming_pairs(facts.words, radius)
        cosines = pair_cosines(unit, candidates)
        keep = cosines >= link
        n_candidates = int(candidates.shape[0])
        pairs, cosines = candidates[keep], cosines[keep]
    else:
        pairs = cosine_pairs(unit, link)
        cosines = pair_cosines(unit, pairs)
        n_candidates = int(pairs.shape[0])
    times = _seconds(facts.taken_at)
    if pairs.shape[0] and link < opts.min_cosine:  # looser links hold only within a burst
        gap = np.abs(times[pairs[:, 0]] - times[pairs[:, 1]])
        close = gap <= opts.burst_seconds  # NaN (no capture time) compares False
        keep = (cosines >= opts.min_cosine) | close
        pairs, cosines = pairs[keep], cosines[keep]
    exact = _exact_pairs(facts.content_keys)
    parent = np.arange(n, dtype=np.int64)
    for i, j in np.concatenate([exact, pairs]).tolist():
        _union(parent, i, j)
    roots = np.array([_find(parent, i) for i in range(n)], dtype=np.int64)
    weakest = _weakest_link(roots, pairs, cosines)
    groups = []
    order = np.argsort(roots, kind="stable")
    starts = np.flatnonzero(np.diff(roots[order], prepend=-1))
    for members in np.split(order, starts[1:]):
        if members.shape[0] < 2:
            continue
        root = roots[members[0]]
        kind = _kind(members, facts.content_keys, times, opts.burst_seconds)
        groups.append(DuplicateGroup(kind, tuple(members.tolist()), weakest.get(int(root), 1.0)))
    groups.sort(key=lambda g: (g.kind != "exact", -len(g.positions), g.positions[0]))
    return DuplicateGroups(tuple(groups), radius is not None, radius, n_candidates)


def _stacked(found: list[Pairs]) -> Pairs:
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(found).astype(np.int64, copy=False)


def _exact_pairs(keys: Sequence[str]) -> Pairs:
    first: dict[str, int] = {}
    pairs = []
    for i, key in enumerate(keys):
        if key in first:
            pairs.append((first[key], i))
        else:
            first[key] = i
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _find(parent: npt.NDArray[np.int64], i: int) -> int:
    root = i
    while parent[root] != root:
        root = int(parent[root])
    while parent[i] != root:  # path compression
        parent[i], i = root, int(parent[i])
    return root


def _union(parent: npt.NDArray[np.int64], i: int, j: int) -> None:
    a, b = _find(parent, i), _find(parent, j)
    if a != b:
        parent[max(a, b)] = min(a, b)


def _weakest_link(
    roots: npt.NDArray[np.int64], pairs: Pairs, cosines: FloatArray
) -> dict[int, float]:
    weakest: dict[int, float] = {}
    for (i, _), c in zip(pairs.tolist(), cosines.tolist(), strict=True):
        root = int(roots[i])
        weakest[root] = min(weakest.get(root, 1.0), float(c))
    return weakest


def _seconds(taken_at: Sequence[str | None]) -> npt.NDArray[np.float64]:
    """Capture times as POSIX-like seconds (NaN where unknown or unreadable)."""
    out = np.full(len(taken_at), np.nan)
    for i, text in enumerate(taken_at):
        if text:
            try:
                out[i] = (
                    datetime.fromisoformat(text).replace(tzinfo=None) - _EPOCH
                ).total_seconds()
            except ValueError:
                continue
    return out


def _kind(
    members: npt.NDArray[np.int64],
    keys: Sequence[str],
    times: npt.NDArray[np.float64],
    burst_seconds: float,
) -> GroupKind:
    if len({keys[i] for i in members.tolist()}) == 1:
        return "exact"
    shot = np.sort(times[members])
    if not np.isnan(shot).any() and bool(np.all(np.diff(shot) <= burst_seconds)):
        return "burst"
    return "near"
