"""The query language shared by ``hashlens search`` and the window's search box.

A query is terms joined by ``+`` (look for it too) and ``-`` (look for it less)::

    sunset + beach - rain       # sunset and beach, away from rain
    beach -people               # a leading "-" subtracts the next term
    2*sunset + beach            # a weight: how much a term counts (a number > 0, at most 10)
    #tuscany sunset             # #tags filter the photos; they are not terms

An operator counts only at the start of the query or after a space, so ``t-shirt`` and
``black-and-white`` stay one term. ``WEIGHT*`` may start a term (``0.5*fog``); any other ``*``
is refused. Each term's text embedding is normalised, multiplied by its weight and summed
(subtracted for ``-``), as rclip combines its ``+``/``-`` queries; the sum is normalised again
and searched like any single query (see ``query_vector``). A query of only ``-`` terms is
refused: it says what to avoid, not what to find (add a photo or a term to look for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import QueryError
from core.search.filters import split_query

MAX_WEIGHT = 10.0
"""The largest weight a term may have: more would drown every other term anyway."""

SYNTAX_HINT = (
    "Combine terms: sunset + beach - rain. A term after - counts against a photo "
    "(beach -people); 2*sunset counts a term twice; #tag shows only photos with that tag."
)
"""One line on the syntax, for the search box's tooltip and ``hashlens search --help``."""

_OPERATOR = re.compile(r"(?:^|(?<=\s))([+-])")
_WEIGHT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*\*\s*(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One term of a query.

    Attributes:
        text: The words the text encoder reads (whitespace collapsed).
        weight: How much it counts: positive adds it, negative subtracts it.
    """

    text: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A typed query: the terms to rank by and the ``#tags`` the photos must carry."""

    terms: tuple[QueryTerm, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def has_terms(self) -> bool:
        """Whether there is anything to rank by (else: tags alone, a listing)."""
        return bool(self.terms)

    @property
    def has_positive(self) -> bool:
        """Whether some term says what to look for (not only what to avoid)."""
        return any(t.weight > 0 for t in self.terms)

    @property
    def is_plain(self) -> bool:
        """One term of weight 1: the query is just its text, as before the language."""
        return len(self.terms) == 1 and self.terms[0].weight == 1.0

    def texts(self) -> list[str]:
        """Each distinct term text once, in order of first use (what to encode)."""
        return list(dict.fromkeys(t.text for t in self.terms))


def parse_query(text: str) -> ParsedQuery:
    """Parse a typed query into weighted terms and ``#tags``.

    Args:
        text: The query as typed (CLI argument or search box).

    Returns:
        The terms (none when the text is empty or only ``#tags``) and the tags.

    Raises:
        QueryError: An empty term (``a + + b``, a trailing ``+``), a ``*`` that is not
            a weight, or a weight that is 0 or above ``MAX_WEIGHT``.
    """
    rest, tags = split_query(text)
    if not rest:
        return ParsedQuery((), tags)
    pieces = _OPERATOR.split(" " + rest)
    # pieces: [before the first operator, op, term, op, term, ...]
    terms: list[QueryTerm] = []
    first = pieces[0].strip()
    if first:
        terms.append(_term(first, 1.0, text))
    elif len(pieces) == 1:
        return ParsedQuery((), tags)
    for position in range(1, len(pieces), 2):
        operator, body = pieces[position], pieces[position + 1].strip()
        if not body:
            raise QueryError(
                f"The query has an empty term after '{operator}': {_quoted(text)}. "
                "Put a word or phrase between the signs, e.g. sunset + beach - rain.",
                text,
            )
        terms.append(_term(body, 1.0 if operator == "+" else -1.0, text))
    return ParsedQuery(tuple(terms), tags)


def _term(body: str, sign: float, query: str) -> QueryTerm:
    """One term with its weight (``2*sunset``), checked."""
    weight = 1.0
    match = _WEIGHT.match(body)
    if match:
        weight = float(match.group(1))
        body = match.group(2).strip()
        if not body:
            raise QueryError(
                f"The weight {match.group(1)} has no term after it: {_quoted(query)}. "
                "Write it before the words it weighs, e.g. 2*sunset.",
                query,
            )
        if weight <= 0:
            raise QueryError(
                f"A weight must be above 0 (got {match.group(1)}): {_quoted(query)}. "
                "Leave a term out to ignore it, or subtract it with '-' to avoid it.",
                query,
            )
        if weight > MAX_WEIGHT:
            raise QueryError(
                f"A weight can be at most {MAX_WEIGHT:g} (got {match.group(1)}): "
                f"{_quoted(query)}. Larger weights drown every other term.",
                query,
            )
    if match and body[0] in "+-":
        raise QueryError(
            f"Write the sign before the weight, e.g. -2*rain: {_quoted(query)}.", query
        )
    if "*" in body:
        raise QueryError(
            f"'*' is only for weights, written before a term like 2*sunset: {_quoted(query)}.",
            query,
        )
    return QueryTerm(" ".join(body.split()), sign * weight)


def _quoted(text: str) -> str:
    shown = " ".join(text.split())
    return f"“{shown if len(shown) <= 80 else shown[:79] + '…'}”"
