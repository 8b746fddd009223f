"""Time to group near-duplicates of 10,000 and 50,000 photos, against brute force, in one process.

Synthetic library: 512-d unit features in 200 clusters (within-cluster cosine ~0.75,
like CLIP photos of one kind of scene), 2 % of photos given a planted near-copy
(cosine ~0.98) and 0.5 % an exact copy; 64-bit codes from random hyperplanes (LSH) of
the features, so Hamming distances follow the angles as a learned hasher's roughly do.

Timed (median of ``--runs``, wall clock, this process):
* ``blocked``: :func:`core.search.duplicate_groups.find_groups` with codes (blocked
  all-pairs popcount, then cosine of the candidates, union-find).
* ``brute force``: one ``hamming_to_all`` scan per photo (what the search index's
  per-query API offers), the same radius and cosine confirmation, same union-find;
  its groups are checked equal to ``blocked``'s.
* ``cosine only``: ``find_groups`` without codes (the no-hasher fallback: blocked
  float matrix products), once per size (it is the slow path).

Usage: ``nice -n 10 .venv/bin/python benchmarks/duplicate_groups.py [--sizes 10000,50000]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from core.hashing.codes import hamming_to_all, to_words
from core.search.duplicate_groups import (
    DuplicateGroups,
    GroupingOptions,
    PhotoFacts,
    find_groups,
    pair_cosines,
)
from core.search.float_index import unit_rows

DIM, BITS, CLUSTERS = 512, 64, 200


def synthetic(n: int, seed: int = 0) -> PhotoFacts:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32)
    spread = 0.58 * rng.standard_normal((n, DIM)).astype(np.float32)  # cos 1 / (1 + 0.58²)
    x = unit_rows(centres[rng.integers(0, CLUSTERS, n)] + spread)
    keys = [str(i) for i in range(n)]
    near = rng.choice(n // 2, n // 50, replace=False)
    noise = rng.standard_normal((len(near), DIM)).astype(np.float32) * (0.2 / np.sqrt(DIM))
    x[near + n // 2] = unit_rows(x[near] + noise)  # ~0.2 rad away: cosine ~0.98
    exact = rng.choice(n // 2, n // 200, replace=False)
    x[exact + n // 2] = x[exact]
    for i in exact.tolist():
        keys[i + n // 2] = keys[i]
    planes = rng.standard_normal((DIM, BITS)).astype(np.float32)
    codes = np.packbits(x @ planes > 0, axis=1)
    return PhotoFacts(np.arange(n, dtype=np.int64), x, keys, [None] * n, to_words(codes), BITS)


def brute_force(facts: PhotoFacts, options: GroupingOptions, radius: int) -> list[tuple[int, ...]]:
    assert facts.words is not None
    unit = unit_rows(facts.features)
    found = []
    n = len(facts.ids)
    for i in range(n):
        distances = hamming_to_all(facts.words[:, i], facts.words[:, i + 1 :])
        js = np.flatnonzero(distances <= radius) + i + 1
        found.append(np.stack([np.full(len(js), i), js], axis=1))
    pairs = np.concatenate(found)
    pairs = pairs[pair_cosines(unit, pairs) >= options.min_cosine]
    parent = list(range(n))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    first: dict[str, int] = {}
    extra = []
    for i, key in enumerate(facts.content_keys):
        if key in first:
            extra.append((first[key], i))
        first.setdefault(key, i)
    for a, b in [*pairs.tolist(), *extra]:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return sorted(tuple(g) for g in groups.values() if len(g) > 1)


def timed(call: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    options = GroupingOptions()
    print(f"{BITS}-bit codes, min cosine {options.min_cosine}")
    for n in (int(s) for s in args.sizes.split(",")):
        facts = synthetic(n)
        t_blocked, result = timed(partial(find_groups, facts, options), args.runs)
        assert isinstance(result, DuplicateGroups)
        ours = sorted(g.positions for g in result.groups)
        assert result.radius is not None
        t_brute, theirs = timed(partial(brute_force, facts, options, result.radius), args.runs)
        assert ours == theirs, "blocked and brute-force groups differ"
        no_codes = PhotoFacts(facts.ids, facts.features, facts.content_keys, facts.taken_at)
        t_cosine, fallback = timed(partial(find_groups, no_codes, options), 1)
        assert isinstance(fallback, DuplicateGroups)
        print(
            f"n={n:>6,}: blocked {t_blocked:6.2f} s  brute force {t_brute:6.2f} s  "
            f"(×{t_brute / t_blocked:.1f})  cosine only {t_cosine:6.2f} s  | "
            f"radius {result.radius}, {len(result.groups)} groups, "
            f"{result.candidate_pairs:,} candidate pairs; "
            f"cosine-only finds {len(fallback.groups)} groups"
        )


if __name__ == "__main__":
    main()
