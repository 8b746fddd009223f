"""Method variants for benchmarks: a registry key with hyperparameter overrides.

``hpseh`` is the method with its defaults; ``hpseh(self_expression=false, anchors=500)``
the same method with two settings changed, so that ablations and tuned baselines sit in
the same table as the defaults. Values are read as integers, floats, booleans
(``true``/``false``) or else strings; the method itself checks the names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError
from core.hashing.base import JSONScalar
from core.hashing.registry import get_spec

_VARIANT = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*(?:\((.*)\))?\s*$")


@dataclass(frozen=True)
class MethodVariant:
    """A registry key, its overrides and the label used in tables."""

    key: str
    params: dict[str, Any]
    label: str


def parse_variant(text: str) -> MethodVariant:
    """``key`` or ``key(name=value, ...)`` → :class:`MethodVariant`."""
    match = _VARIANT.match(text)
    if match is None:
        raise ConfigError(
            f"{text!r} is not a method: write a key such as hpseh, or hpseh(beta=10).", text
        )
    key, inside = match.group(1), match.group(2)
    get_spec(key)  # unknown keys fail here, naming the known ones
    params: dict[str, JSONScalar] = {}
    for item in filter(None, (part.strip() for part in (inside or "").split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{item!r} in {text!r} is not name=value.", text)
        if name.strip() in ("seed", "n_bits"):
            raise ConfigError(f"Set {name.strip()} with its own option, not in {text!r}.", text)
        params[name.strip()] = parse_value(value.strip())
    label = key if not params else f"{key}({', '.join(f'{k}={v}' for k, v in params.items())})"
    return MethodVariant(key, params, label)


def split_methods(text: str) -> list[str]:
    """Split a comma-separated method list, keeping commas inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def parse_value(text: str) -> JSONScalar:
    """A setting's value from text: bool (true/false), int, float, else the string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
