"""Untrusted text (file names, captions, labels, messages that quote them) made safe to print.

A file name or caption can hold bytes a terminal obeys: ESC sequences that clear the
screen, set the window title or rewrite earlier lines, a carriage return that hides
what came before it on the line, and Unicode bidi controls (U+202E RIGHT-TO-LEFT
OVERRIDE) that make ``photo_gpj.exe`` look like ``photo_exe.jpg``. :func:`for_terminal`
writes each such character as a visible backslash escape; :func:`json_for_terminal`
keeps the real value in JSON, escaping the same characters as ``\\uXXXX`` so the
document parses to exactly the stored text.
"""

from __future__ import annotations

import json
import re

from core.store.records import printable

_C0 = "\x00-\x1f"  # ESC, CR, BEL, ...
_OTHERS = (
    "\x7f-\x9f"  # DEL and C1 controls (CSI, OSC)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides
    "\u2028\u2029"  # line and paragraph separators
)
_UNSAFE = re.compile(f"[{_C0}{_OTHERS}]")
_UNSAFE_IN_JSON = re.compile(f"[{_OTHERS}]")
"""``json.dumps`` escapes C0 controls itself, and the line breaks between tokens stay."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """``text`` with control and bidi characters (and undecodable bytes) as escapes."""
    return _UNSAFE.sub(_escape, printable(text))


def lines_for_terminal(text: str) -> str:
    """Like :func:`for_terminal`, keeping line breaks (``\n``) as they are."""
    return "\n".join(for_terminal(line) for line in text.split("\n"))


def one_line(text: str) -> str:
    """Like :func:`for_terminal`, with line breaks and tabs first turned into spaces."""
    return for_terminal(re.sub(r"[\t\n\r\u2028\u2029]+", " ", text))


def json_for_terminal(payload: object) -> str:
    """``payload`` as indented JSON whose text holds no character a terminal obeys.

    Non-ASCII text stays readable (``ensure_ascii=False``); only the characters that
    :func:`for_terminal` escapes are written as ``\\uXXXX``, which JSON reads back as the
    same characters (they can occur only inside strings).
    """
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
