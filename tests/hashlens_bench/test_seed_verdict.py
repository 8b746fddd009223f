"""benchmarks/seed_verdict.py: item 4's rule over seeded generalisation runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.lpih_protocol import CARRIED
from benchmarks.seed_verdict import compare, interval, main, read_cells, read_lpih_cells


def write_run(path: Path, seed: int, scores: dict[tuple[str, str, int], float]) -> Path:
    """A generalisation.py --out file: (dataset, method, bits) -> score (I→T = T→I)."""
    cells = [
        {"dataset": d, "method": m, "bits": bits, "i2t": score, "t2i": score}
        for (d, m, bits), score in scores.items()
    ]
    cells.append({"dataset": "x", "method": "itq", "bits": 32, "i2t": None, "t2i": None})
    path.write_text(json.dumps({"args": {"seed": seed}, "cells": cells}), encoding="utf-8")
    return path


def runs(tmp_path: Path, margins: dict[str, list[float]]) -> list[Path]:
    """One file per seed; dataset -> HPsEH's margin over BATCH (0.5) at each seed."""
    seeds = len(next(iter(margins.values())))
    paths = []
    for seed in range(seeds):
        scores: dict[tuple[str, str, int], float] = {}
        for dataset, margin in margins.items():
            for bits in (32, 64):
                scores[(dataset, "batch", bits)] = 0.5
                scores[(dataset, "hpseh", bits)] = 0.5 + margin[seed]
        paths.append(write_run(tmp_path / f"s{seed}.json", seed, scores))
    return paths


def test_the_interval_decides_met_tie_and_loss(tmp_path: Path) -> None:
    paths = runs(
        tmp_path,
        {
            "ahead": [0.010, 0.012, 0.011, 0.009],
            "level": [0.010, -0.010, 0.004, -0.003],
            "behind": [-0.02, -0.03, -0.025, -0.02],
        },
    )

    rows = compare(read_cells(paths, "hpseh"), read_cells(paths, "batch"))

    overall = {r.dataset: r for r in rows if r.bits == "all"}
    assert {d: r.verdict for d, r in overall.items()} == {
        "ahead": "met", "level": "tie", "behind": "loss",
    }  # fmt: skip
    ahead = overall["ahead"]
    assert ahead.difference == pytest.approx(0.0105)
    assert (ahead.seeds, ahead.cells, ahead.wins) == (4, 8, 8)
    assert ahead.score_b == pytest.approx(0.5)
    assert [r.bits for r in rows if r.dataset == "ahead"] == ["32", "64", "all"]


def test_the_interval_is_student_t_and_undefined_for_one_seed() -> None:
    mean, low, high = interval([1.0, 2.0, 3.0])

    assert mean == 2.0
    assert (low, high) == pytest.approx((2.0 - 2.4841, 2.0 + 2.4841), abs=1e-4)  # t(2)=4.303
    single = interval([0.4])
    assert single[0] == 0.4
    assert single[1] != single[1]  # NaN


def test_a_seed_in_two_files_is_refused(tmp_path: Path) -> None:
    scores = {("d", "hpseh", 32): 0.6, ("d", "batch", 32): 0.5}
    paths = [write_run(tmp_path / "a.json", 0, scores), write_run(tmp_path / "b.json", 0, scores)]

    with pytest.raises(ValueError, match="appears in two files"):
        read_cells(paths, "hpseh")


def test_main_prints_the_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = runs(tmp_path, {"d": [0.01, 0.02, 0.015]})
    out = tmp_path / "verdict.json"

    assert main([*map(str, paths), "--json", str(out)]) == 0

    printed = capsys.readouterr().out
    assert "| d | all | 3 | 0.5000 | 0.5150 | +0.0150 |" in printed
    assert "**met**" in printed
    assert json.loads(out.read_text(encoding="utf-8"))[-1]["verdict"] == "met"


def test_main_says_when_nothing_pairs_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_run(tmp_path / "s0.json", 0, {("d", "hpseh", 32): 0.6})

    assert main([str(path)]) == 1
    assert "no cell has both hpseh and batch" in capsys.readouterr().err
    assert main([str(tmp_path / "absent.json")]) == 1


def write_lpih_run(path: Path, seed: int, margins: dict[float, float]) -> Path:
    """An lpih_protocol.py --out file for one seed: share -> LPIH's margin over stage 0."""
    fractions = {
        str(share): {
            "map": {
                f"{CARRIED}@64": [0.30, 0.30],
                "lpih@64": [0.30 + margin, 0.30 + margin],
                "upper bound@64": [0.9, 0.9],
            }
        }
        for share, margin in margins.items()
    }
    run = {"dataset": "remix", "seed": seed, "hasher_seed": seed, "fractions": fractions}
    path.write_text(json.dumps([run]), encoding="utf-8")
    return path


def test_item_5_is_judged_per_dataset_and_share_by_the_same_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    margins = {0.05: [-0.02, -0.03, -0.025], 0.1: [0.01, -0.01, 0.002], 0.25: [0.02, 0.03, 0.025]}
    paths = [
        write_lpih_run(
            tmp_path / f"lpih-s{seed}.json", seed, {s: m[seed] for s, m in margins.items()}
        )
        for seed in range(3)
    ]

    rows = compare(read_lpih_cells(paths, "lpih"), read_lpih_cells(paths, CARRIED))

    overall = {r.dataset: r.verdict for r in rows if r.bits == "all"}
    assert overall == {"remix at 5 %": "loss", "remix at 10 %": "tie", "remix at 25 %": "met"}
    assert list(overall) == ["remix at 5 %", "remix at 10 %", "remix at 25 %"]
    assert main(["--lpih", *map(str, paths)]) == 0
    assert "| remix at 25 % | all | 3 |" in capsys.readouterr().out


def test_a_seed_twice_in_the_lpih_runs_is_an_error(tmp_path: Path) -> None:
    first = write_lpih_run(tmp_path / "a.json", 0, {0.1: 0.01})
    again = write_lpih_run(tmp_path / "b.json", 0, {0.1: 0.02})

    with pytest.raises(ValueError, match="appears twice"):
        read_lpih_cells([first, again], "lpih")


def test_lpih_runs_can_hold_any_two_of_their_rows_against_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [write_lpih_run(tmp_path / f"s{s}.json", s, {0.1: 0.02 + 0.005 * s}) for s in range(3)]

    # stage 0 against LPIH: LPIH is ahead at every seed, so stage 0 loses
    assert main(["--lpih", "--a", "stage-0", "--b", "lpih", *map(str, paths)]) == 0
    out = capsys.readouterr().out
    assert f"| {CARRIED} − lpih |" in out
    assert "| remix at 10 % | all | 3 | 0.3250 | 0.3000 | -0.0250 |" in out
    assert "**loss**" in out
    assert main(["--lpih", "--a", "lpih(pseudo_trust=true)", *map(str, paths)]) == 1
    assert "no cell has both lpih(pseudo_trust=true) and" in capsys.readouterr().err
