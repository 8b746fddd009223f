"""Method variants: ablations and tuned baselines named on the command line."""

from __future__ import annotations

import pytest

from core.errors import ConfigError, HashingInputError
from hashlens_bench.method_variant import parse_variant, split_methods


def test_split_keeps_commas_inside_parentheses() -> None:
    text = "batch, hpseh(beta=10,anchors=500),cca-itq"
    assert split_methods(text) == ["batch", "hpseh(beta=10,anchors=500)", "cca-itq"]


def test_values_are_typed_and_the_label_names_them() -> None:
    variant = parse_variant("hpseh(self_expression=false, anchors=500, alpha0=0.1, final=ridge)")
    assert variant.key == "hpseh"
    assert variant.params == {
        "self_expression": False,
        "anchors": 500,
        "alpha0": 0.1,
        "final": "ridge",
    }
    assert type(variant.params["anchors"]) is int
    assert variant.label.startswith("hpseh(self_expression=False, anchors=500")
    assert parse_variant(" batch ").label == "batch"


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("nope(beta=1)", HashingInputError, "Known methods"),
        ("hpseh(beta)", ConfigError, "not name=value"),
        ("hpseh(seed=3)", ConfigError, "own option"),
        ("hpseh(beta=1", ConfigError, "not a method"),
    ],
)
def test_bad_variants_are_refused(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parse_variant(text)
