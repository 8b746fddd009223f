"""Fixtures shared by every test folder: an isolated environment and a tiny open_clip model."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.config import EncoderConfig

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports huggingface_hub

TINY_MODEL_NAME = "hashlens-tiny-test"
# vocab_size stays 49408 so open_clip's real SimpleTokenizer can encode captions.
TINY_MODEL_CFG: dict[str, Any] = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@dataclass(frozen=True)
class TinyClip:
    """A tiny open_clip architecture with saved random weights."""

    model_name: str
    config_path: Path
    weights_path: Path

    def encoder_config(self, **changes: Any) -> EncoderConfig:
        """Settings that load the tiny model on the CPU through ``--pretrained FILE``."""
        values: dict[str, Any] = {
            "model": self.model_name,
            "pretrained": str(self.weights_path),
            "model_config": str(self.config_path),
            "device": "cpu",
            **changes,
        }
        return EncoderConfig(**values)


@pytest.fixture(scope="session", autouse=True)
def shared_onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One ONNX export cache for the session: the tiny model is exported once, not per test.

    Session-wide (not only per test) so that module-scoped encoders and model processes,
    built before the per-test environment, never write into the user's cache either.
    """
    folder = tmp_path_factory.mktemp("onnx_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HASHLENS_ONNX_CACHE", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_onnx_cache: Path) -> None:
    monkeypatch.setenv("HASHLENS_HOME", str(tmp_path / "hashlens_home"))
    monkeypatch.setenv("HASHLENS_ONNX_CACHE", str(shared_onnx_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")


def save_tiny_weights(config_path: Path, model_name: str, weights_path: Path, seed: int) -> Path:
    """Build ``model_name`` (registered from ``config_path``) with seeded random weights."""
    import open_clip
    import torch

    open_clip.add_model_config(config_path)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        clip = open_clip.create_model(model_name, pretrained=None)
    torch.save(clip.state_dict(), weights_path)
    return weights_path


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory, shared_onnx_cache: Path) -> TinyClip:
    folder = tmp_path_factory.mktemp("tiny_clip")
    config_path = folder / f"{TINY_MODEL_NAME}.json"
    config_path.write_text(json.dumps(TINY_MODEL_CFG), encoding="utf-8")
    weights_path = save_tiny_weights(config_path, TINY_MODEL_NAME, folder / "tiny.pt", seed=0)
    tiny = TinyClip(TINY_MODEL_NAME, config_path, weights_path)
    # Export it for ONNX Runtime (and run the int8 check) once, up front, into the
    # session's cache: every later load is the fast one, so no test's timeout has to
    # cover a first export.
    from core.encoders.encoder_runtime import load_runtime_encoder

    load_runtime_encoder(tiny.encoder_config(), onnx_root=shared_onnx_cache)
    return tiny
