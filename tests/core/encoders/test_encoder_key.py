"""The model key a library stores: one typed format, read and written the way libraries hold it."""

from __future__ import annotations

import pytest

from core.config import EncoderConfig
from core.encoders.encoder_key import EncoderKey, encoder_config_key
from core.encoders.onnx_cache import config_key

# The text libraries written before the key was typed hold (json.dumps of the three
# fields, sorted keys), for the default model and for a custom architecture file.
STORED_DEFAULT = '{"model": "ViT-B-32", "model_config": "", "pretrained": "laion2b_s34b_b79k"}'
STORED_CUSTOM = '{"model": "tiny", "model_config": "/m/tiny.json", "pretrained": "/m/tiny.pt"}'


def test_the_key_is_written_byte_for_byte_as_libraries_hold_it() -> None:
    assert encoder_config_key(EncoderConfig()) == STORED_DEFAULT
    custom = EncoderConfig(model="tiny", pretrained="/m/tiny.pt", model_config="/m/tiny.json")
    assert EncoderKey.of(custom).format() == STORED_CUSTOM


@pytest.mark.parametrize("stored", [STORED_DEFAULT, STORED_CUSTOM])
def test_a_stored_key_reads_back_and_formats_to_the_same_text(stored: str) -> None:
    assert EncoderKey.parse(stored).format() == stored


def test_applying_a_key_changes_the_weights_only() -> None:
    base = EncoderConfig(device="cpu", batch_size=7)
    cfg = EncoderKey.parse(STORED_CUSTOM).apply(base)
    assert (cfg.model, cfg.pretrained, cfg.model_config) == ("tiny", "/m/tiny.pt", "/m/tiny.json")
    assert (cfg.device, cfg.batch_size) == ("cpu", 7)


def test_the_export_cache_names_a_model_as_the_library_does() -> None:
    cfg = EncoderConfig(model="tiny", pretrained="random")
    assert config_key(cfg) == encoder_config_key(cfg)


@pytest.mark.parametrize("text", ["", "nope", "[1]", '{"model": "x"}'])
def test_an_unreadable_key_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="unreadable model key"):
        EncoderKey.parse(text)
