"""Which CLIP model a library uses, shared by the CLI and the window (no Qt here).

A library remembers the model it was last indexed with (``Store.remember_encoder``
stores the configuration key as the active encoder); later runs reuse it unless the
user picks another one. An index run also stores the model it was asked for before
loading it (``Store.request_encoder``), so a run cancelled while the model loads
(Ctrl-C) is continued by the next plain ``index`` with that model; search and training
keep using the active model, whose vectors the library holds, until then.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

from core.config import EncoderConfig
from core.encoders.encoder import Encoder, LazyEncoder
from core.encoders.encoder_key import KEY_FIELDS, EncoderKey, encoder_config_key
from core.encoders.encoder_process import EncoderProcess
from core.progress import ProgressCallback
from core.store.database import ACTIVE_ENCODER_SETTING, REQUESTED_ENCODER_SETTING, Store

logger = logging.getLogger(__name__)

__all__ = [
    "MODEL_KEYS",
    "RANDOM_WEIGHTS",
    "download_bytes",
    "encoder_config_key",
    "has_local_weights",
    "lazy_encoder",
    "remembered_encoder_config",
]

MODEL_KEYS = KEY_FIELDS
"""The fields of the stored model key (:mod:`core.encoders.encoder_key`, which defines it)."""
RANDOM_WEIGHTS = "random"
DEFAULT_DOWNLOAD_BYTES = {("ViT-B-32", "laion2b_s34b_b79k"): 605_000_000}
"""Download sizes of the weights we know, to say what a first download costs."""


def remembered_encoder_config(
    default: EncoderConfig, store: Store, *, for_indexing: bool = False
) -> EncoderConfig:
    """The library's last model (architecture and weights) on top of ``default``.

    Device, batch size and threads always come from ``default``. With ``for_indexing``,
    the model the last index run was asked for wins, even if it never finished loading.
    """
    requested = store.get_setting(REQUESTED_ENCODER_SETTING) if for_indexing else None
    stored = requested or store.get_setting(ACTIVE_ENCODER_SETTING)
    if stored is None:
        return default
    try:
        return EncoderKey.parse(stored).apply(default)
    except ValueError:
        logger.warning("Ignoring an unreadable stored model setting: %r", stored)
        return default


def has_local_weights(cfg: EncoderConfig) -> bool:
    """Whether the weights are a file or folder on this computer (or random): no download."""
    value = cfg.pretrained.strip()
    return value.lower() == RANDOM_WEIGHTS or (bool(value) and Path(value).expanduser().exists())


def download_bytes(cfg: EncoderConfig) -> int | None:
    """How many bytes downloading the weights of ``cfg`` takes, where known."""
    return DEFAULT_DOWNLOAD_BYTES.get((cfg.model, cfg.pretrained))


def lazy_encoder(
    cfg: EncoderConfig,
    progress: ProgressCallback | None = None,
    *,
    separate_process: bool = False,
) -> LazyEncoder:
    """An encoder that loads only when first used; downloads report progress.

    In-process (the command line) loading runs the model's ONNX export without torch
    once it exists (:mod:`core.encoders.fast_encoder`), else imports torch here; with
    ``separate_process`` (the window, ``encoder.process = "separate"``) the model runs
    in a process of its own and this process never imports torch.
    """

    def load() -> Encoder:
        logger.info("Loading model %s", asdict(cfg))
        if separate_process:
            return EncoderProcess.start(cfg, progress=progress)
        from core.encoders.fast_encoder import load_encoder  # torch only if not exported yet

        return load_encoder(cfg, progress=progress)

    return LazyEncoder(encoder_config_key(cfg), load)
