"""The registry is data (listing imports nothing), so each entry is checked against its class.

Every flag the table repeats from a class attribute (key = ``name``, ``supervision``,
``online`` = ``supports_partial_fit``) must agree with the class it names; the trainer
picks rows by ``HasherSpec.supervision`` and online learning by ``online``, while the
class enforces its own attributes, so a disagreement would train a method on the wrong
rows or skip its online updates.
"""

from __future__ import annotations

import importlib
from dataclasses import replace

import pytest

from core.errors import HashingInputError
from core.hashing.registry import (
    HasherSpec,
    create_hasher,
    hasher_specs,
    list_hashers,
    resolve,
)


def mismatches(spec: HasherSpec) -> list[str]:
    """The flags on which ``spec`` and the class it names disagree."""
    module, _, name = spec.target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    pairs = {
        "key": (cls.name, spec.key),
        "supervision": (cls.supervision, spec.supervision),
        "online": (cls.supports_partial_fit, spec.online),
    }
    return [flag for flag, (of_class, of_table) in pairs.items() if of_class != of_table]


@pytest.mark.parametrize("key", list_hashers())
def test_every_registry_flag_matches_the_class(key: str) -> None:
    (spec,) = [s for s in hasher_specs() if s.key == key]
    assert mismatches(spec) == []
    assert resolve(key).__name__ == spec.target.partition(":")[2]


def test_a_wrong_flag_is_caught() -> None:
    spec = next(s for s in hasher_specs() if s.key == "lpih")
    assert mismatches(replace(spec, supervision="supervised")) == ["supervision"]
    assert mismatches(replace(spec, online=True)) == ["online"]
    assert mismatches(replace(spec, key="hpseh")) == ["key"]


def test_keys_are_unique_kebab_case_and_titled() -> None:
    keys = list_hashers()
    assert len(set(keys)) == len(keys)
    for spec in hasher_specs():
        assert spec.key == spec.key.lower().replace("_", "-")
        assert spec.title


@pytest.mark.parametrize(
    ("key", "setting", "choices"),
    [
        ("hpseh", {"final": "bogus"}, "'joint', 'ridge'"),
        ("lpih", {"inherit_basis": "sometimes"}, "'relearned', 'stage0'"),
        ("batch", {"features": "pixels"}, "'raw', 'kernel'"),
    ],
)
def test_a_setting_outside_its_choices_is_refused_with_the_choices(
    key: str, setting: dict[str, str], choices: str
) -> None:
    with pytest.raises(HashingInputError, match="must be one of") as caught:
        create_hasher(key, 16, **setting)
    assert choices in caught.value.user_message
