"""Composition root of the CLI: configuration, library, lazily loaded encoder."""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, replace
from pathlib import Path

from core.config import AppConfig, EncoderConfig, load_config
from core.features.encoder import Encoder, LazyEncoder
from core.progress import ProgressCallback
from core.store.database import ACTIVE_ENCODER_SETTING, Store

logger = logging.getLogger(__name__)

_MODEL_KEYS = ("model", "pretrained", "model_config")


def build_config(args: argparse.Namespace) -> AppConfig:
    """Settings from every layer, with the command line on top."""
    encoder_overrides = {
        "model": getattr(args, "model", None),
        "pretrained": _absolute_if_path(getattr(args, "pretrained", None)),
        "model_config": _absolute_if_path(getattr(args, "model_config", None)),
        "device": getattr(args, "device", None),
        "batch_size": getattr(args, "batch_size", None),
    }
    return load_config(
        args.config, overrides={"encoder": encoder_overrides}, library_path=args.library
    )


def _absolute_if_path(value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    return str(path.resolve()) if path.exists() else value


def encoder_config_key(cfg: EncoderConfig) -> str:
    """A stable key naming which weights a configuration loads."""
    return json.dumps({k: getattr(cfg, k) for k in _MODEL_KEYS}, sort_keys=True)


def effective_encoder_config(
    config: AppConfig, store: Store, args: argparse.Namespace
) -> EncoderConfig:
    """Model options given on the command line win; else the library's last model; else config."""
    explicit = any(getattr(args, k, None) for k in _MODEL_KEYS)
    stored = store.get_setting(ACTIVE_ENCODER_SETTING)
    if explicit or stored is None:
        return config.encoder
    try:
        remembered = json.loads(stored)
        return replace(
            config.encoder,
            model=str(remembered["model"]),
            pretrained=str(remembered["pretrained"]),
            model_config=str(remembered["model_config"]),
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("Ignoring an unreadable stored model setting: %r", stored)
        return config.encoder


def lazy_encoder(cfg: EncoderConfig, progress: ProgressCallback | None = None) -> LazyEncoder:
    """An encoder that loads (importing torch) only when first used; downloads report progress."""

    def load() -> Encoder:
        from core.features.clip_encoder import load_encoder  # deferred: torch is slow to import

        logger.info("Loading model %s", asdict(cfg))
        return load_encoder(cfg, progress=progress)

    return LazyEncoder(encoder_config_key(cfg), load)
