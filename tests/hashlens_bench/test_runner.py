"""The benchmark runner and ``hashlens bench`` on a small synthetic dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing import PairedFeatures, create_hasher
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.hashing.registry import hasher_specs, resolve
from desktop_app.cli.main import run
from hashlens_bench.dataset import FeatureDataset, save_npz
from hashlens_bench.runner import REFERENCE, BenchOptions, run_benchmark
from hashlens_bench.synthetic import make_synthetic


@pytest.fixture(scope="module")
def synthetic() -> FeatureDataset:
    return make_synthetic(600, 40, 32, 6, seed=1)


def test_runner_scores_every_method_bits_and_direction(synthetic: FeatureDataset) -> None:
    options = BenchOptions(["lsh", "itq", "cca-itq", "batch"], [8, 16])
    result = run_benchmark(synthetic, options)
    combos = {(r.method, r.n_bits, r.direction) for r in result.rows}
    assert ("batch", 16, "t2i") in combos
    assert (REFERENCE, 0, "i2i") in combos
    assert len(combos) == 4 + 3 * 2 * 4  # reference + three methods that ran
    # ITQ needs one shared space; these modalities differ, so it is reported, not run
    assert [(m, b) for m, b, _ in result.failures] == [("itq", 8), ("itq", 16)]
    by_key = {(r.method, r.n_bits, r.direction): r for r in result.rows}
    assert by_key[("batch", 16, "i2t")].metrics.map > by_key[("lsh", 16, "i2t")].metrics.map + 0.2


def test_runner_figures_equal_a_direct_evaluation(synthetic: FeatureDataset) -> None:
    result = run_benchmark(synthetic, BenchOptions(["cca-itq"], [16], ["t2i"], reference=False))
    (row,) = result.rows
    d = synthetic
    hasher = create_hasher("cca-itq", 16).fit(PairedFeatures(d.image[d.train], d.text[d.train]))
    distances = hamming_matrix(
        hasher.encode_text(d.text[d.query]), hasher.encode_image(d.image[d.database]), 16
    )
    expected = evaluate_ranking(distances, relevance(d.labels[d.query], d.labels[d.database]))
    assert row.metrics.map == pytest.approx(expected.map)
    assert row.fit_seconds > 0
    assert row.encode_us_per_item > 0


def test_bench_cli_prints_table_and_writes_json_and_plots(
    synthetic,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    features = tmp_path / "synthetic.npz"
    save_npz(synthetic, features)
    out, plots = tmp_path / "out.json", tmp_path / "plots"
    argv = ["bench", "--features", str(features), "--methods", "lsh,cmfh", "--bits", "8,16"]
    code = run([*argv, "--directions", "i2t,t2i", "--json", str(out), "--plot", str(plots)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| cmfh | 16 |" in printed
    assert "| float | float |" in printed
    payload = json.loads(out.read_text())
    assert {(r["method"], r["n_bits"]) for r in payload["rows"]} >= {("lsh", 8), ("cmfh", 16)}
    assert sorted(p.name for p in plots.iterdir())[0].startswith("pr-")
    assert len(list(plots.glob("*.png"))) == 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--bits", "12"], "multiple of 8"),
        (["--methods", "nope"], "Unknown hashing method"),
        (["--directions", "x2y"], "Unknown direction"),
        (["--bits", "sixteen"], "whole numbers"),
    ],
)
def test_bench_cli_words_bad_options(
    synthetic,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    features = tmp_path / "s.npz"
    save_npz(synthetic, features)
    assert run(["bench", "--features", str(features), "--methods", "lsh", *extra]) == 1
    assert message in capsys.readouterr().err


def test_variants_run_with_their_settings_beside_the_defaults(synthetic: FeatureDataset) -> None:
    options = BenchOptions(
        ["hpseh", "hpseh(projections=specific, final=ridge)"], [16], ["i2t"], reference=False
    )
    result = run_benchmark(synthetic, options)
    by_label = {row.method: row.metrics.map for row in result.rows}
    assert set(by_label) == {"hpseh", "hpseh(projections=specific, final=ridge)"}
    d = synthetic
    paired = PairedFeatures(d.image[d.train], d.text[d.train], d.labels[d.train])
    variant = create_hasher("hpseh", 16, projections="specific", final="ridge").fit(paired)
    default = create_hasher("hpseh", 16).fit(paired)
    assert not np.array_equal(variant.encode_text(d.text), default.encode_text(d.text))
    distances = hamming_matrix(
        variant.encode_image(d.image[d.query]), variant.encode_text(d.text[d.database]), 16
    )
    expected = evaluate_ranking(distances, relevance(d.labels[d.query], d.labels[d.database]))
    assert by_label["hpseh(projections=specific, final=ridge)"] == pytest.approx(expected.map)


def test_a_variant_with_an_unknown_setting_fails_before_any_work(
    synthetic: FeatureDataset,
) -> None:
    with pytest.raises(HashingInputError, match="no setting betta"):
        run_benchmark(synthetic, BenchOptions(["cca-itq", "hpseh(betta=1)"], [16]))


def test_fpo_cmh_is_benchmarked_with_the_labels_it_learns_from(synthetic: FeatureDataset) -> None:
    # FPO-CMH is unsupervised in the registry but fits its pseudo-labeller to labels when
    # given; stripping them left it nothing to learn from, so it never ran in a benchmark
    result = run_benchmark(synthetic, BenchOptions(["fpo-cmh", "lsh"], [16], ["i2t"]))
    assert result.failures == []
    given = {r.method: r.given_labels for r in result.rows if r.method != REFERENCE}
    assert given == {"fpo-cmh": True, "lsh": False}
    by_method = {r.method: r.metrics.map for r in result.rows}
    assert by_method["fpo-cmh"] > by_method["lsh"]


def test_every_method_that_uses_labels_says_so() -> None:
    for spec in hasher_specs():
        cls = resolve(spec.key)
        expected = spec.supervision != "unsupervised" or spec.key == "fpo-cmh"
        assert cls.learns_from_labels() is expected, spec.key


def test_bench_cli_shows_what_each_method_was_given_and_fails_when_one_did_not_run(
    synthetic: FeatureDataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    features = tmp_path / "s.npz"
    save_npz(synthetic, features)
    argv = ["bench", "--features", str(features), "--methods", "fpo-cmh,lsh,itq"]
    assert run([*argv, "--bits", "16", "--directions", "i2t", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "| fpo-cmh | 16 | yes |" in captured.out
    assert "| lsh | 16 | no |" in captured.out
    assert "itq at 16 bits did not run" in captured.out
    assert "1 method runs did not complete" in captured.err
