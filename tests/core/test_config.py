from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_config
from core.errors import ConfigError


def test_defaults_come_from_the_packaged_file(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml", environ={})
    assert config.encoder.model == "ViT-B-32"
    assert config.indexing.max_image_pixels == 120_000_000


def test_layers_apply_in_order_file_env_overrides(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text('[encoder]\nmodel = "RN50"\nbatch_size = 8\n[search]\nk = 5\n')
    env = {"HASHLENS_ENCODER_BATCH_SIZE": "16", "HASHLENS_SEARCH_K": "7"}
    config = load_config(
        user, environ=env, overrides={"search": {"k": 3}, "encoder": {"model": None}}
    )
    assert config.encoder.model == "RN50"
    assert config.encoder.batch_size == 16
    assert config.search.k == 3


def test_unknown_key_and_bad_value_are_config_errors(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text("[encoder]\nmodle = 'x'\n")
    with pytest.raises(ConfigError, match=r"encoder\.modle"):
        load_config(user, environ={})
    with pytest.raises(ConfigError, match="batch_size"):
        load_config(tmp_path / "none.toml", environ={"HASHLENS_ENCODER_BATCH_SIZE": "many"})


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text("[encoder\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(user, environ={})


def test_library_path_comes_from_hashlens_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHLENS_LIBRARY", str(tmp_path / "x.sqlite"))
    assert load_config(tmp_path / "none.toml", environ={}).library_path == tmp_path / "x.sqlite"
