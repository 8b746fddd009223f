"""The encoder protocol: what the indexer and search need from a CLIP-like model.

Decoding and preprocessing run in worker threads (``preprocess``) while the
model runs batches (``encode_preprocessed``), so the two overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from core.types import FloatArray


class Encoder(Protocol):
    """A model that maps photos and texts into one shared, L2-normalised space."""

    @property
    def model_id(self) -> str:
        """Stable id of the weights, stored with every vector (``"ViT-B-32:laion2b_s34b_b79k"``)."""
        ...

    @property
    def dim(self) -> int:
        """Length of every feature vector."""
        ...

    def preprocess(self, image: Image.Image) -> Any:
        """Turn one decoded RGB image into the model's input; thread-safe, no model call."""
        ...

    def encode_preprocessed(self, batch: Sequence[Any]) -> FloatArray:
        """Encode preprocessed images: ``(len(batch), dim)`` float32, rows L2-normalised."""
        ...

    def encode_images(self, images: Sequence[Image.Image]) -> FloatArray:
        """Preprocess and encode decoded RGB images."""
        ...

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        """Encode texts: ``(len(texts), dim)`` float32, rows L2-normalised."""
        ...


@runtime_checkable
class ReadsLimitedText(Protocol):
    """An encoder that reads only the first tokens of a text and can say what it ignored."""

    def ignored_text(self, text: str) -> str:
        """The end of ``text`` past the model's context, as text ('' when it all fits)."""
        ...


@runtime_checkable
class Closable(Protocol):
    """An encoder holding a resource beyond memory (the model process)."""

    def close(self) -> None:
        """Release it; the encoder may start it again when used."""
        ...


class LazyEncoder:
    """Loads the encoder on first use, so jobs with nothing to encode never import torch.

    Args:
        config_key: A stable string naming the configured model (used to remember,
            per library, which ``model_id`` that configuration produced).
        loader: Builds the encoder (e.g. ``clip_encoder.load_encoder`` bound to a config).
    """

    def __init__(self, config_key: str, loader: Callable[[], Encoder]) -> None:
        self.config_key = config_key
        self._loader = loader
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()

    @property
    def is_loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._encoder is not None

    def get(self) -> Encoder:
        """The encoder, loading it on the first call (thread-safe)."""
        with self._lock:
            if self._encoder is None:
                self._encoder = self._loader()
            return self._encoder

    def close(self) -> None:
        """Release what the loaded encoder holds (stops a model process); a later use reloads."""
        with self._lock:
            encoder, self._encoder = self._encoder, None
        if isinstance(encoder, Closable):
            encoder.close()
