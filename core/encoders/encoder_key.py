"""The key naming which CLIP weights made a library's features, typed.

A library stores the model it was indexed with as this key (``Store.remember_encoder``
keeps it as the active encoder and names the encoder record by it; ``LazyEncoder``
carries it; the ONNX export cache records it). The stored text is a JSON object of the
three fields with sorted keys, for example
``{"model": "ViT-B-32", "model_config": "", "pretrained": "laion2b_s34b_b79k"}``:
libraries already on disk hold exactly this text, so :meth:`EncoderKey.format` must keep
producing it byte for byte (the key is compared as a string, not parsed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from core.config import EncoderConfig

KEY_FIELDS = ("model", "pretrained", "model_config")
"""The configuration fields the key holds (device, batch size, threads are not part of it)."""


@dataclass(frozen=True, slots=True)
class EncoderKey:
    """Which weights a configuration loads: architecture, weights tag or path, config file.

    Attributes:
        model: The open_clip architecture (``--model``).
        pretrained: The weights: a tag, a file or a folder (``--pretrained``).
        model_config: A custom architecture's JSON file, or empty (``--model-config``).
    """

    model: str
    pretrained: str
    model_config: str = ""

    @classmethod
    def of(cls, cfg: EncoderConfig) -> EncoderKey:
        """The key of an encoder configuration."""
        return cls(cfg.model, cfg.pretrained, cfg.model_config)

    @classmethod
    def parse(cls, text: str) -> EncoderKey:
        """Read a stored key.

        Raises:
            ValueError: Not JSON, not an object, or a field is missing.
        """
        try:
            values = json.loads(text)
            return cls(*(str(values[name]) for name in KEY_FIELDS))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"unreadable model key {text!r}: {exc!r}") from exc

    def format(self) -> str:
        """The stored text (stable: sorted keys, the format every version has written)."""
        return json.dumps(self.as_dict(), sort_keys=True)

    def as_dict(self) -> dict[str, str]:
        """The three fields by name (``status --json`` shows this as ``model``)."""
        return {name: getattr(self, name) for name in KEY_FIELDS}

    def apply(self, cfg: EncoderConfig) -> EncoderConfig:
        """``cfg`` loading these weights; its device, batch size and threads stay."""
        return replace(
            cfg, model=self.model, pretrained=self.pretrained, model_config=self.model_config
        )

    def describe(self) -> str:
        """``ViT-B-32 (weights: laion2b_s34b_b79k)`` for messages."""
        return f"{self.model} (weights: {self.pretrained})"


def encoder_config_key(cfg: EncoderConfig) -> str:
    """The stored key of ``cfg`` (``EncoderKey.of(cfg).format()``)."""
    return EncoderKey.of(cfg).format()
