"""Duplicate grouping: Hamming candidates, cosine confirmation, exact copies and bursts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.hashing.codes import to_words
from core.search.duplicate_groups import (
    GroupingOptions,
    PhotoFacts,
    cosine_pairs,
    default_radius,
    find_groups,
    hamming_pairs,
)
from core.search.float_index import unit_rows

DIM = 32


def _facts(
    x: np.ndarray,
    *,
    keys: list[str] | None = None,
    times: list[str | None] | None = None,
    bits: int = 64,
    codes: bool = True,
) -> PhotoFacts:
    n = len(x)
    planes = np.random.default_rng(99).standard_normal((x.shape[1], bits)).astype(np.float32)
    words = to_words(np.packbits(x @ planes > 0, axis=1)) if codes else None
    return PhotoFacts(
        np.arange(100, 100 + n, dtype=np.int64),
        x,
        keys or [f"k{i}" for i in range(n)],
        times or [None] * n,
        words,
        bits if codes else 0,
    )


def _library(n: int = 60, seed: int = 0) -> np.ndarray:
    return unit_rows(np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32))


def _near(v: np.ndarray, angle: float, seed: int) -> np.ndarray:
    """A unit vector at exactly ``angle`` radians from unit ``v``."""
    g: np.ndarray = np.random.default_rng(seed).standard_normal((1, v.shape[0]))[0]
    g -= (g @ v) * v
    g /= np.linalg.norm(g)
    out: np.ndarray = np.float32(np.cos(angle)) * v + np.float32(np.sin(angle)) * g
    return out.astype(np.float32)


@pytest.mark.parametrize("n_bits", [64, 128])
def test_hamming_pairs_equal_brute_force_over_several_blocks(
    n_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.search.duplicate_groups as module

    monkeypatch.setattr(module, "_CODE_BLOCK_CELLS", 1000)  # many blocks for 300 codes
    rng = np.random.default_rng(n_bits)
    codes = rng.integers(0, 256, (300, n_bits // 8), dtype=np.uint8)
    codes[7] = codes[3] ^ np.eye(n_bits // 8, dtype=np.uint8)[0]  # one bit away
    bits = np.unpackbits(codes, axis=1).astype(int)
    radius = n_bits * 3 // 8 + 2
    expected = {
        (i, j)
        for i, j in itertools.combinations(range(300), 2)
        if int(np.sum(bits[i] != bits[j])) <= radius
    }
    found = {tuple(p) for p in hamming_pairs(to_words(codes), radius).tolist()}
    assert (3, 7) in found
    assert len(expected) > 10
    assert found == expected


def test_cosine_pairs_equal_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    import core.search.duplicate_groups as module

    monkeypatch.setattr(module, "_FLOAT_BLOCK_CELLS", 500)
    x = _library(120)
    scores = x @ x.T
    expected = {(i, j) for i, j in itertools.combinations(range(120), 2) if scores[i, j] >= 0.3}
    assert expected
    assert {tuple(p) for p in cosine_pairs(x, 0.3).tolist()} == expected


def test_near_copy_is_grouped_and_a_pair_below_the_cosine_threshold_is_not() -> None:
    x = _library()
    x[10] = _near(x[3], np.arccos(0.99), seed=1)  # near copy of photo 3
    x[20] = _near(x[5], np.arccos(0.90), seed=2)  # similar, but below 0.95
    for facts in (_facts(x), _facts(x, codes=False)):
        result = find_groups(facts)
        assert [(g.kind, g.positions) for g in result.groups] == [("near", (3, 10))]
        assert result.groups[0].min_cosine == pytest.approx(0.99, abs=1e-4)
    assert find_groups(_facts(x)).used_codes
    assert not find_groups(_facts(x, codes=False)).used_codes


def test_hamming_radius_rules_out_pairs_before_the_cosine() -> None:
    x = _library()
    x[10] = _near(x[3], np.arccos(0.99), seed=1)
    facts = _facts(x, bits=64)
    close = find_groups(facts, GroupingOptions(radius=64))
    assert [g.positions for g in close.groups] == [(3, 10)]
    words = facts.words
    assert words is not None
    distance = int(np.bitwise_count(words[:, 3] ^ words[:, 10]).sum())
    assert distance > 0  # the two codes differ, so a radius below it must drop the pair
    too_tight = find_groups(facts, GroupingOptions(radius=distance - 1))
    assert too_tight.groups == ()


def test_exact_copies_are_grouped_whatever_the_features_and_labelled_exact() -> None:
    x = _library()
    keys = [f"k{i}" for i in range(len(x))]
    keys[40] = keys[4]  # same file content; features deliberately unrelated
    keys[41] = keys[4]
    result = find_groups(_facts(x, keys=keys))
    assert [(g.kind, g.positions) for g in result.groups] == [("exact", (4, 40, 41))]


def test_a_near_copy_of_an_exact_pair_makes_a_near_group() -> None:
    x = _library()
    x[30] = x[2]
    x[31] = _near(x[2], np.arccos(0.98), seed=3)
    keys = [f"k{i}" for i in range(len(x))]
    keys[30] = keys[2]
    result = find_groups(_facts(x, keys=keys))
    assert [(g.kind, g.positions) for g in result.groups] == [("near", (2, 30, 31))]


def test_burst_needs_capture_times_within_the_window() -> None:
    x = _library()
    x[11] = _near(x[1], np.arccos(0.97), seed=4)
    x[12] = _near(x[1], np.arccos(0.97), seed=5)
    times: list[str | None] = [None] * len(x)
    times[1], times[11], times[12] = (
        "2024-05-01T10:00:00",
        "2024-05-01T10:00:04",
        "2024-05-01T10:00:09",
    )
    result = find_groups(_facts(x, times=times))
    assert [(g.kind, g.positions) for g in result.groups] == [("burst", (1, 11, 12))]
    times[12] = "2024-05-01T10:01:00"  # a minute later: no longer a chain of shots
    assert [g.kind for g in find_groups(_facts(x, times=times)).groups] == ["near"]


def test_bursts_option_links_looser_pairs_only_when_shot_close_in_time() -> None:
    x = _library()
    x[13] = _near(x[6], np.arccos(0.92), seed=6)  # a re-take: below 0.95, above 0.90
    x[14] = _near(x[7], np.arccos(0.92), seed=7)  # as similar, but an hour apart
    times: list[str | None] = [None] * len(x)
    times[6], times[13] = "2024-05-01T10:00:00", "2024-05-01T10:00:03"
    times[7], times[14] = "2024-05-01T10:00:00", "2024-05-01T11:00:00"
    assert find_groups(_facts(x, times=times)).groups == ()
    found = find_groups(_facts(x, times=times), GroupingOptions(bursts=True, radius=64))
    assert [(g.kind, g.positions) for g in found.groups] == [("burst", (6, 13))]


def test_default_radius_follows_the_random_hyperplane_bound() -> None:
    assert default_radius(64, 0.95) == 11
    assert default_radius(64, 0.90) > default_radius(64, 0.95)
    assert default_radius(128, 0.95) > default_radius(64, 0.95)
    assert default_radius(16, -1.0) == 16
    assert default_radius(64, 0.95, common=0.5) > default_radius(64, 0.95)


def test_radius_allows_for_the_centring_hashers_do_on_features_with_a_common_direction() -> None:
    rng = np.random.default_rng(5)
    common = rng.standard_normal(DIM).astype(np.float32)
    common /= np.linalg.norm(common)
    spread = rng.standard_normal((80, DIM)).astype(np.float32) * 0.04
    x = unit_rows(common + spread)  # pairs ~0.95 apart: one direction dominates, as in the tests
    x[50] = _near(x[20], np.arccos(0.992), seed=8)
    centred = x - x.mean(axis=0)
    planes = np.random.default_rng(99).standard_normal((DIM, 64)).astype(np.float32)
    words = to_words(np.packbits(centred @ planes > 0, axis=1))  # LSH on centred features
    facts = PhotoFacts(np.arange(80, dtype=np.int64), x, [f"k{i}" for i in range(80)],
                       [None] * 80, words, 64)  # fmt: skip
    distance = int(np.bitwise_count(words[:, 20] ^ words[:, 50]).sum())
    options = GroupingOptions(min_cosine=0.99)
    assert distance > options.radius_for(64)  # the raw-cosine radius would lose the pair
    result = find_groups(facts, options)
    assert result.radius is not None
    assert result.radius >= distance
    assert [g.positions for g in result.groups] == [(20, 50)]


def test_facts_must_line_up() -> None:
    x = _library(5)
    with pytest.raises(ValueError, match="line up"):
        PhotoFacts(np.arange(4, dtype=np.int64), x, ["a"] * 5, [None] * 5)
