"""The query language: terms, signs, weights and #tags, and every way a query is refused."""

from __future__ import annotations

import re

import pytest

from core.errors import QueryError
from core.search.query_syntax import MAX_WEIGHT, QueryTerm, parse_query


def test_plain_text_is_one_term_of_weight_one() -> None:
    parsed = parse_query("  dog   on a beach ")
    assert parsed.terms == (QueryTerm("dog on a beach", 1.0),)
    assert parsed.is_plain
    assert parsed.has_positive
    assert parsed.tags == ()


def test_plus_and_minus_join_terms_and_a_leading_minus_subtracts() -> None:
    assert parse_query("sunset + beach - rain").terms == (
        QueryTerm("sunset"), QueryTerm("beach"), QueryTerm("rain", -1.0),
    )  # fmt: skip
    assert parse_query("beach -people +sea").terms == (
        QueryTerm("beach"), QueryTerm("people", -1.0), QueryTerm("sea"),
    )  # fmt: skip


def test_signs_inside_words_stay_part_of_the_term() -> None:
    parsed = parse_query("black-and-white t-shirt C++ poster")
    assert parsed.terms == (QueryTerm("black-and-white t-shirt C++ poster"),)


def test_weights_come_before_a_term_and_multiply_its_sign() -> None:
    parsed = parse_query("2*sunset + 0.5 * beach -1.5*rain + .25*fog")
    assert [(t.text, t.weight) for t in parsed.terms] == [
        ("sunset", 2.0), ("beach", 0.5), ("rain", -1.5), ("fog", 0.25),
    ]  # fmt: skip
    assert not parsed.is_plain


def test_tags_filter_and_are_never_terms() -> None:
    parsed = parse_query("#tuscany sunset - rain #Family")
    assert parsed.terms == (QueryTerm("sunset"), QueryTerm("rain", -1.0))
    assert parsed.tags == ("tuscany", "family")
    tags_only = parse_query("#tuscany")
    assert tags_only.terms == ()
    assert not tags_only.has_terms
    assert tags_only.tags == ("tuscany",)


def test_only_negative_terms_parse_but_have_nothing_to_look_for() -> None:
    parsed = parse_query("-rain - fog")
    assert parsed.terms == (QueryTerm("rain", -1.0), QueryTerm("fog", -1.0))
    assert not parsed.has_positive


def test_repeated_terms_are_encoded_once() -> None:
    assert parse_query("sea + sky - sea + 2*sky").texts() == ["sea", "sky"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("sunset + + beach", "empty term after '+'"),
        ("sunset +", "empty term after '+'"),
        ("sunset -", "empty term after '-'"),
        ("- #tuscany", "empty term after '-'"),
        ("0*sunset + beach", "must be above 0"),
        ("beach + 0.0*sea", "must be above 0"),
        (f"{MAX_WEIGHT + 1:g}*sunset", "at most 10"),
        ("1000000*sunset", "at most 10"),
        ("2*", "has no term after it"),
        ("2*-rain", "sign before the weight"),
        ("*sunset", "'*' is only for weights"),
        ("sun*set", "'*' is only for weights"),
        ("1e9*sunset", "'*' is only for weights"),
        ("2*3*sunset", "'*' is only for weights"),
    ],
)
def test_unusable_queries_are_refused_with_a_message(query: str, says: str) -> None:
    with pytest.raises(QueryError, match=re.escape(says)) as caught:
        parse_query(query)
    assert caught.value.details == query  # the query as typed, for the log
    assert "“" in caught.value.user_message or "e.g." in caught.value.user_message


def test_empty_text_has_no_terms() -> None:
    assert parse_query("   ").terms == ()
