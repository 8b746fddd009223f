"""The model asked for with ``index --model/--pretrained`` outlives a Ctrl-C during its load."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from PIL import Image

from core.config import AppConfig, EncoderConfig, IndexingConfig
from core.encoders.encoder import Encoder, LazyEncoder
from core.errors import ModelNotAvailableError
from core.library.indexing.indexer import Indexer
from core.store.database import Store
from desktop_app.application.model_choice import encoder_config_key
from desktop_app.cli.runtime import effective_encoder_config

CHOSEN = EncoderConfig(model="ViT-L-14", pretrained="/weights/vit-l-14.bin", model_config="")
PLAIN_ARGS = argparse.Namespace(model=None, pretrained=None, model_config=None)


def _library(tmp_path: Path) -> Store:
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (32, 32), "blue").save(folder / "a.jpg")
    store = Store.open(tmp_path / "library.sqlite")
    with store.atomic():
        store.media.add_folder(str(folder))
    return store


def _run(store: Store, cfg: EncoderConfig, failure: BaseException) -> None:
    def load() -> Encoder:
        raise failure

    Indexer(store, LazyEncoder(encoder_config_key(cfg), load), IndexingConfig()).run()


def test_ctrl_c_while_the_chosen_model_loads_leaves_it_to_the_next_plain_index(
    tmp_path: Path,
) -> None:
    store = _library(tmp_path)
    default = AppConfig()

    with pytest.raises(KeyboardInterrupt):
        _run(store, CHOSEN, KeyboardInterrupt())

    to_index = effective_encoder_config(default, store, PLAIN_ARGS, for_indexing=True)
    assert (to_index.model, to_index.pretrained) == (CHOSEN.model, CHOSEN.pretrained)
    # search and training keep the model whose vectors the library holds (none yet: default)
    to_search = effective_encoder_config(default, store, PLAIN_ARGS)
    assert to_search.model == default.encoder.model
    store.close()


def test_a_model_that_cannot_load_is_not_remembered(tmp_path: Path) -> None:
    store = _library(tmp_path)
    default = AppConfig()
    with pytest.raises(KeyboardInterrupt):
        _run(store, CHOSEN, KeyboardInterrupt())
    typo = EncoderConfig(model="ViT-B-3", pretrained="laion", model_config="")

    with pytest.raises(ModelNotAvailableError):
        _run(store, typo, ModelNotAvailableError("Unknown model ViT-B-3."))

    to_index = effective_encoder_config(default, store, PLAIN_ARGS, for_indexing=True)
    assert to_index.model == CHOSEN.model
    store.close()
