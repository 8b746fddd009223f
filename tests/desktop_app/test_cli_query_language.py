"""``hashlens search`` query language: a + b - c, weights, text plus a photo, --min-score,
and "more like this" that leaves the photo itself out (the real CLI, the tiny model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.cli.main import run


def _search(capsys: pytest.CaptureFixture[str], library: Path, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--library", str(library), "search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _hits(capsys: pytest.CaptureFixture[str], library: Path, *argv: str) -> list[dict[str, object]]:
    code, out, err = _search(capsys, library, "--json", "--k", "11", *argv)
    assert code == 0, err
    hits = json.loads(out)
    assert isinstance(hits, list)
    return hits


def _ranking(hits: list[dict[str, object]]) -> list[tuple[object, float]]:
    return [(h["path"], round(float(str(h["score"])), 5)) for h in hits]


def test_terms_add_and_subtract_in_any_order_and_weights_count(
    indexed_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    combined = _ranking(_hits(capsys, indexed_library, "a cup of coffee + a rocket - a cat"))
    reordered = _ranking(_hits(capsys, indexed_library, "a rocket - a cat + a cup of coffee"))
    assert combined == reordered
    assert len(combined) == 11
    plain = _ranking(_hits(capsys, indexed_library, "a cup of coffee + a rocket"))
    assert combined != plain  # the subtracted term changed the scores
    # each term is normalised, so a repeated term is the same direction as the term alone
    once = _ranking(_hits(capsys, indexed_library, "a rocket"))
    assert _ranking(_hits(capsys, indexed_library, "a rocket + a rocket")) == once
    assert _ranking(_hits(capsys, indexed_library, "2*a rocket")) == once
    weighted = _ranking(_hits(capsys, indexed_library, "3*a cup of coffee + a rocket"))
    assert weighted != plain


def test_tags_still_filter_a_combined_query(
    indexed_library: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("chelsea.jpg", "coffee.jpg"):
        argv = ["--library", str(indexed_library), "tag", str(photos / name), "--add", "pets"]
        assert run(argv) == 0
    hits = _hits(capsys, indexed_library, "#pets a cup of coffee - a rocket")
    chosen = {str((photos / n).resolve()) for n in ("chelsea.jpg", "coffee.jpg")}
    assert {h["path"] for h in hits} == chosen


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["a cat + + a dog"], "empty term after '+'"),
        (["a cat +"], "empty term after '+'"),
        (["--", "-rain - fog"], "only says what to leave out"),
        (["0*a cat + a dog"], "must be above 0"),
        (["11*a cat"], "at most 10"),
        (["a cat*2"], "'*' is only for weights"),
        (["a cat - a cat"], "cancel each other out"),
    ],
)
def test_unusable_queries_say_why_and_exit_1(
    indexed_library: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code, out, err = _search(capsys, indexed_library, *argv)
    assert code == 1
    assert out == ""
    assert says in err
    assert "Traceback" not in err


def test_more_like_this_leaves_the_photo_itself_out(
    indexed_library: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rocket = str((photos / "rocket.jpg").resolve())
    hits = _hits(capsys, indexed_library, "--image", rocket, "--target", "photos")
    assert len(hits) == 10
    assert rocket not in [h["path"] for h in hits]
    captions = _hits(capsys, indexed_library, "--image", rocket)  # captions: unchanged
    assert captions
    assert all(h["kind"] == "caption" for h in captions)


def test_a_text_and_a_photo_make_one_query_for_photos(
    indexed_library: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rocket = str((photos / "rocket.jpg").resolve())
    both = _hits(capsys, indexed_library, "a cup of coffee", "--image", rocket)
    assert all(h["kind"] == "photo" for h in both)
    assert rocket not in [h["path"] for h in both]
    text_only = _hits(capsys, indexed_library, "a cup of coffee")
    image_only = _hits(capsys, indexed_library, "--image", rocket, "--target", "photos")
    assert _ranking(both) != _ranking(text_only)
    assert _ranking(both) != _ranking(image_only)
    # a photo is something to look for: with it, a term to avoid alone is a query
    minus = _hits(capsys, indexed_library, "--image", rocket, "--", "-a cup of coffee")
    assert minus
    assert rocket not in [h["path"] for h in minus]
    # filters narrow a text-plus-photo query too
    code, _, err = _search(
        capsys, indexed_library, "a cat", "--image", rocket, "--after", "2090-01-01"
    )
    assert code == 1
    assert "No photo is from 2090-01-01." in err


def test_min_score_keeps_only_hits_that_score_enough(
    indexed_library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores = [float(str(h["score"])) for h in _hits(capsys, indexed_library, "a rocket")]
    threshold = scores[4]
    kept = _hits(capsys, indexed_library, "a rocket", "--min-score", str(threshold))
    assert [float(str(h["score"])) for h in kept] == [s for s in scores if s >= threshold]
    assert len(kept) < len(scores)
    none = _hits(capsys, indexed_library, "a rocket", "--min-score", "1")
    assert none == [] or all(float(str(h["score"])) >= 1.0 for h in none)
    code, _, err = _search(capsys, indexed_library, "a rocket", "--min-score", "1.5")
    assert code == 1
    assert "--min-score is a cosine similarity" in err
    code, _, err = _search(capsys, indexed_library, "--after", "2000", "--min-score", "0.2")
    assert code == 1
    assert "--min-score needs words or a photo" in err
