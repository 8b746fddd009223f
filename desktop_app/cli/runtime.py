"""Composition root of the CLI: configuration and the model a command uses."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import AppConfig, EncoderConfig, load_config
from core.errors import ConfigError
from core.store.database import Store
from desktop_app.application.model_choice import (
    MODEL_KEYS,
    encoder_config_key,
    lazy_encoder,
    remembered_encoder_config,
)

__all__ = ["build_config", "effective_encoder_config", "encoder_config_key", "lazy_encoder"]


def build_config(args: argparse.Namespace) -> AppConfig:
    """Settings from every layer, with the command line on top.

    Raises:
        ConfigError: ``--config`` names a file that does not exist (the default file
            may be missing; one the user names must not be silently ignored).
    """
    if args.config is not None and not args.config.expanduser().is_file():
        raise ConfigError(f"The settings file {args.config} (--config) does not exist.")
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


def effective_encoder_config(
    config: AppConfig, store: Store, args: argparse.Namespace, *, for_indexing: bool = False
) -> EncoderConfig:
    """Model options given on the command line win; else the library's last model; else config.

    ``for_indexing`` (``index``, ``watch``): the model the last index run was asked for,
    even one cancelled before the model loaded (see ``model_choice``).
    """
    if any(getattr(args, k, None) for k in MODEL_KEYS):
        return config.encoder
    return remembered_encoder_config(config.encoder, store, for_indexing=for_indexing)
