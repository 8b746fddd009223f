"""Untrusted text is printed with every character a terminal obeys made visible."""

from __future__ import annotations

import json
import os

import pytest

from desktop_app.application.terminal_text import for_terminal, json_for_terminal, one_line

HOSTILE = {
    "clear screen": ("a\x1b[2J\x1b[Hb", "a\\x1b[2J\\x1b[Hb"),
    "window title": ("\x1b]0;owned\x07x", "\\x1b]0;owned\\x07x"),
    "carriage return": ("real.jpg\rfake.jpg", "real.jpg\\x0dfake.jpg"),
    "C1 CSI": ("\x9b31mred", "\\x9b31mred"),
    "right-to-left override": ("photo_\u202egpj.exe", "photo_\\u202egpj.exe"),
    "isolate": ("a\u2067b\u2069", "a\\u2067b\\u2069"),
    "delete": ("a\x7fb", "a\\x7fb"),
    "line separator": ("a\u2028b", "a\\u2028b"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_control_and_bidi_characters_are_written_as_escapes(case: str) -> None:
    raw, shown = HOSTILE[case]
    assert for_terminal(raw) == shown


def test_ordinary_text_is_left_as_it_is() -> None:
    text = "Café au lait, 東京, emoji 👩‍👩‍👧 (with joiners), ümlaut\\backslash"
    assert for_terminal(text) == text


def test_undecodable_bytes_in_a_file_name_are_shown_as_escapes() -> None:
    assert for_terminal(os.fsdecode(b"caf\xe9\x1b.jpg")) == "caf\\xe9\\x1b.jpg"


def test_one_line_turns_line_breaks_into_spaces_first() -> None:
    assert one_line("two\nlines\r\n\tand\x1b") == "two lines and\\x1b"


def test_json_keeps_the_real_value_and_holds_no_raw_control() -> None:
    payload = [{"path": raw, "n": 1} for raw, _ in HOSTILE.values()]
    text = json_for_terminal(payload)
    assert json.loads(text) == payload
    assert not any(ord(c) < 0x20 and c != "\n" for c in text)
    assert not any(0x7F <= ord(c) <= 0x9F or c in "\u202e\u2067\u2069\u2028" for c in text)
    assert "Café" in json_for_terminal({"caption": "Café"})  # not \u00e9: stays readable


def test_log_messages_on_stderr_quote_file_names_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``watch`` logs warnings naming folders to stderr; the log file keeps the raw text."""
    import logging

    from desktop_app.application.log_setup import setup_logging

    setup_logging(stderr_level=logging.WARNING)
    try:
        logging.getLogger("hashlens.test").warning("folder %s is gone", "/p/\x1b]0;owned\x07")
    finally:
        for handler in logging.getLogger().handlers[:]:
            if getattr(handler, "_hashlens_handler", False):
                logging.getLogger().removeHandler(handler)
                handler.close()
    err = capsys.readouterr().err
    assert "folder /p/\\x1b]0;owned\\x07 is gone" in err
    assert "\x1b" not in err
