"""Search filters: query #tags, dates, and narrowing the float and code indexes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from core.errors import SearchFilterError
from core.search.code_index import CodeIndex
from core.search.filter_index import restrict_codes, restrict_floats
from core.search.filters import PhotoFilter, last_day, parse_day, split_query
from core.search.float_index import FloatIndex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#tuscany", ("", ("tuscany",))),
        ("sunset #Tuscany #beach", ("sunset", ("tuscany", "beach"))),
        ("#tuscany sunset #tuscany", ("sunset", ("tuscany",))),
        ("learning C# at #1 page#top", ("learning C# at #1 page#top", ())),
        ("dog on a beach", ("dog on a beach", ())),
    ],
)
def test_split_query_takes_hashtags_out_of_the_text(
    text: str, expected: tuple[str, tuple[str, ...]]
) -> None:
    assert split_query(text) == expected


def test_days_months_and_years_are_read_as_ranges_that_include_both_ends() -> None:
    assert parse_day("2024-05-31", "--after") == date(2024, 5, 31)
    assert parse_day("2024-05", "--after") == date(2024, 5, 1)
    assert parse_day("2024", "--after") == date(2024, 1, 1)
    assert last_day("2024-02", "--before") == date(2024, 2, 29)
    assert last_day("2024-12", "--before") == date(2024, 12, 31)
    assert last_day("2023", "--before") == date(2023, 12, 31)
    assert last_day("2023-04-09", "--before") == date(2023, 4, 9)


@pytest.mark.parametrize("value", ["yesterday", "2024-13", "2024-02-30", "24-05-01", ""])
def test_a_date_that_is_not_one_is_refused_naming_the_option(value: str) -> None:
    with pytest.raises(SearchFilterError, match="--before needs a date like 2024-05-31"):
        parse_day(value, "--before")


def test_a_reversed_range_is_refused_and_described() -> None:
    with pytest.raises(SearchFilterError, match="reversed: 2024-06-01 is after 2024-01-01"):
        PhotoFilter(after=date(2024, 6, 1), before=date(2024, 1, 1))
    same_day = PhotoFilter(after=date(2024, 6, 1), before=date(2024, 6, 1))
    assert not same_day.is_empty
    assert PhotoFilter().is_empty
    tagged = PhotoFilter(folder="/p").with_tags(("Tuscany", "tuscany"))
    assert tagged.tags == ("tuscany",)
    assert tagged.describe() == "tagged #tuscany, in /p"


def test_restricted_indexes_keep_only_the_allowed_items_in_order() -> None:
    rng = np.random.default_rng(0)
    ids = np.array([2, 5, 7, 9, 11], dtype=np.int64)
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    full = FloatIndex(ids, vectors)
    floats = restrict_floats(full, np.array([11, 5, 3], dtype=np.int64))
    assert floats.ids.tolist() == [5, 11]
    assert np.array_equal(floats.vectors, full.vectors[[1, 4]])  # rows as the index holds them
    codes = rng.integers(0, 256, size=(5, 8), dtype=np.uint8)
    index = CodeIndex.build(ids, codes, 64)
    narrowed = restrict_codes(index, np.array([7, 2], dtype=np.int64))
    assert narrowed.item_ids.tolist() == [2, 7]
    assert np.array_equal(narrowed.codes_at(np.arange(2)), codes[[0, 2]])
    found, _ = narrowed.search(codes[2], 1)
    assert found.tolist() == [7]
