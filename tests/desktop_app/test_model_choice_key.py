"""The app remembers a library's model through core's key type (one format, defined in core)."""

from __future__ import annotations

from pathlib import Path

from core.config import EncoderConfig
from core.encoders.encoder_key import EncoderKey, encoder_config_key
from core.store.database import ACTIVE_ENCODER_SETTING, Store
from desktop_app.application import model_choice


def test_the_app_names_a_model_as_core_does() -> None:
    cfg = EncoderConfig(model="tiny", pretrained="random")
    assert model_choice.encoder_config_key(cfg) == encoder_config_key(cfg)
    assert model_choice.MODEL_KEYS == ("model", "pretrained", "model_config")


def test_a_key_stored_before_is_remembered(tmp_path: Path) -> None:
    stored = '{"model": "tiny", "model_config": "", "pretrained": "/m/tiny.pt"}'
    with Store.open(tmp_path / "lib.db") as store:
        store.set_setting(ACTIVE_ENCODER_SETTING, stored)
        cfg = model_choice.remembered_encoder_config(EncoderConfig(device="cpu"), store)
    assert EncoderKey.of(cfg).format() == stored
    assert cfg.device == "cpu"
