"""OpenClipEncoder: the open_clip implementation of the :class:`~core.encoders.encoder.Encoder`.

Only the composition root imports this module: it pulls in torch and open_clip, which
``core.search`` and ``core.store`` must never load.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import open_clip
import torch
from PIL import Image

from core import paths
from core.config import EncoderConfig
from core.encoders.model_download import ensure_weights
from core.encoders.model_source import (
    ModelSource,
    pretrained_tag_cfg,
    resolve_model_source,
)
from core.encoders.text_tower import encode_text_trimmed
from core.errors import ConfigError, ModelNotAvailableError
from core.progress import ProgressCallback
from core.types import FloatArray

logger = logging.getLogger(__name__)

RANDOM_WEIGHTS_SEED = 0
_RANDOM_INIT_WARNING = "No pretrained weights loaded"
_ARCHITECTURE_MISMATCH_HINTS = (
    "size mismatch",
    "Missing key",
    "Unexpected key",
    "pos_embed width changed",  # open_clip resizing a text position table of another width
)
_DEVICE_HELP = "Use auto, cpu, cuda, cuda:N or mps."

ImageTransform = Callable[[Image.Image], torch.Tensor]
Tokenizer = Callable[[list[str]], torch.Tensor]


class OpenClipEncoder:
    """An open_clip model behind the Encoder protocol.

    Build it with :func:`load_encoder`. ``preprocess`` is thread-safe and never calls the
    model; the ``encode_*`` methods run one batch at a time under a lock and return
    float32 rows with unit L2 norm.
    """

    def __init__(
        self,
        clip: torch.nn.Module,
        transform: ImageTransform,
        tokenizer: Tokenizer,
        *,
        model_id: str,
        device: torch.device,
        batch_size: int = 32,
    ) -> None:
        self._clip: Any = clip.eval()  # open_clip models are untyped (encode_image, ...)
        self._transform = transform
        self._tokenizer = tokenizer
        self._model_id = model_id
        self._device = device
        self._batch_size = max(1, batch_size)
        self._lock = threading.Lock()
        self._dim = self._probe_dim()

    @property
    def model_id(self) -> str:
        """Stable id of the weights, e.g. ``"ViT-B-32:laion2b_s34b_b79k"``."""
        return self._model_id

    @property
    def dim(self) -> int:
        """Length of every feature vector (the model's embed dim)."""
        return self._dim

    @property
    def device(self) -> torch.device:
        """The device the model runs on."""
        return self._device

    def parts(self) -> tuple[Any, ImageTransform, Tokenizer]:
        """The open_clip model, its eval transform and tokenizer (for the ONNX export)."""
        return self._clip, self._transform, self._tokenizer

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """Resize, crop and normalise one RGB image with open_clip's eval transform."""
        tensor: torch.Tensor = self._transform(image)
        return tensor

    def encode_preprocessed(self, batch: Sequence[torch.Tensor]) -> FloatArray:
        """Encode preprocessed images: ``(len(batch), dim)`` float32, rows L2-normalised."""
        chunks = [
            self._encode_chunk(self._clip.encode_image, torch.stack(list(part)))
            for part in self._chunks(batch)
        ]
        return self._concat(chunks)

    def encode_images(self, images: Sequence[Image.Image]) -> FloatArray:
        """Preprocess and encode decoded RGB images."""
        return self.encode_preprocessed([self.preprocess(image) for image in images])

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        """Encode texts: ``(len(texts), dim)`` float32, rows L2-normalised."""
        chunks = [
            self._encode_chunk(self._encode_tokens, self._tokenizer(list(part)))
            for part in self._chunks(texts)
        ]
        return self._concat(chunks)

    def ignored_text(self, text: str) -> str:
        """The end of ``text`` past the context (77 tokens for most models), as text.

        Known for open_clip's own BPE tokenizer, which cuts a long text to its first
        ``context_length - 2`` tokens (start and end markers take two); '' for others.
        """
        tokenizer: Any = self._tokenizer
        context = getattr(tokenizer, "context_length", None)
        if not isinstance(tokenizer, open_clip.tokenizer.SimpleTokenizer) or not context:
            return ""
        if getattr(tokenizer, "reduction_fn", None) is not None:  # not a plain cut
            return ""
        ids = tokenizer.encode(text)
        budget = int(context) - 2
        return str(tokenizer.decode(ids[budget:])).strip() if len(ids) > budget else ""

    def _encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        return encode_text_trimmed(self._clip, tokens)

    def _probe_dim(self) -> int:
        return int(self._encode_chunk(self._clip.encode_text, self._tokenizer([""])).shape[1])

    def _chunks(self, items: Sequence[Any]) -> Iterator[Sequence[Any]]:
        for start in range(0, len(items), self._batch_size):
            yield items[start : start + self._batch_size]

    def _concat(self, chunks: list[FloatArray]) -> FloatArray:
        if not chunks:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.concatenate(chunks).astype(np.float32, copy=False)

    def _encode_chunk(
        self, encode: Callable[[torch.Tensor], Any], inputs: torch.Tensor
    ) -> FloatArray:
        with self._lock, torch.inference_mode(), self._autocast():
            features: torch.Tensor = encode(inputs.to(self._device)).float()
            features = features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            rows: FloatArray = features.cpu().numpy().astype(np.float32, copy=False)
        return rows

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self._device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()


def load_encoder(
    cfg: EncoderConfig,
    *,
    cache_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> OpenClipEncoder:
    """Resolve, fetch if needed, and load the open_clip model described by ``cfg``.

    open_clip always gets a local weights file, so it never touches the network itself.

    Args:
        cfg: Encoder settings (architecture, weights, device, batch size, threads).
        cache_dir: Where downloaded weights live (default ``paths.model_cache_dir()``).
        progress: Receives ``"download"`` progress while weights are downloaded.

    Raises:
        ConfigError: An invalid setting (architecture, tag, model_config, device).
        ModelNotAvailableError: No weights, no network, or a file that cannot be loaded.
    """
    device = resolve_device(cfg.device)
    if cfg.batch_size < 1:
        raise ConfigError("Setting encoder.batch_size must be at least 1.")
    if cfg.num_threads > 0:
        torch.set_num_threads(cfg.num_threads)
    source = resolve_model_source(cfg)
    weights = ensure_weights(source, cache_dir or paths.model_cache_dir(), progress=progress)
    started_s = time.perf_counter()
    clip, transform, tokenizer = _build(source, weights, device)
    encoder = OpenClipEncoder(
        clip,
        transform,
        tokenizer,
        model_id=source.model_id,
        device=device,
        batch_size=cfg.batch_size,
    )
    logger.info(
        "Loaded %s (dim %d) on %s in %.2f s",
        encoder.model_id,
        encoder.dim,
        device,
        time.perf_counter() - started_s,
    )
    return encoder


def resolve_device(value: str) -> torch.device:
    """Turn the ``device`` setting into a torch device.

    ``"auto"`` picks CUDA, then Apple MPS, then the CPU.

    Raises:
        ConfigError: Unknown device, or one that this machine does not have.
    """
    name = (value or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError) as exc:
        raise ConfigError(f"Unknown device '{value}'. {_DEVICE_HELP}") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                f"Device '{value}' was requested but no CUDA GPU is available. "
                "Use device auto or cpu."
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            count = torch.cuda.device_count()
            raise ConfigError(f"Device '{value}' does not exist: this machine has {count} GPU(s).")
    elif device.type == "mps" and not _mps_available():
        raise ConfigError(f"Device '{value}' was requested but Apple MPS is not available.")
    elif device.type not in {"cpu", "cuda", "mps"}:
        raise ConfigError(f"Device '{value}' is not supported. {_DEVICE_HELP}")
    return device


def _mps_available() -> bool:
    return bool(torch.backends.mps.is_available())


def _build(
    source: ModelSource, weights: Path | None, device: torch.device
) -> tuple[torch.nn.Module, ImageTransform, Tokenizer]:
    """Create the model, its eval transform and its tokenizer; map failures to our errors."""
    name = f"local-dir:{source.location}" if source.has_dir_config else source.model_name
    try:
        if source.kind == "random":
            clip, transform = _create_random(name, device)
        elif source.has_dir_config:
            clip, transform = _create(name, None, device)
        else:
            clip, transform = _create(name, str(weights), device, **_tag_overrides(source))
    except Exception as exc:  # torch, pickle, safetensors and open_clip all raise their own
        raise _load_failure(source, weights, exc) from exc
    try:
        tokenizer: Tokenizer = open_clip.get_tokenizer(name)
    except Exception as exc:  # e.g. a Hugging Face tokenizer that is not cached
        raise ModelNotAvailableError(
            f"The text tokenizer for {source.model_name} could not be loaded.",
            f"{type(exc).__name__}: {exc}",
        ) from exc
    return clip, transform, tokenizer


def _create(
    name: str, pretrained: str | None, device: torch.device, **overrides: Any
) -> tuple[torch.nn.Module, ImageTransform]:
    clip, _, transform = open_clip.create_model_and_transforms(
        name, pretrained=pretrained, device=device, require_pretrained=True, **overrides
    )
    return clip, transform


def _create_random(name: str, device: torch.device) -> tuple[torch.nn.Module, ImageTransform]:
    """Random weights from a fixed seed, without touching the caller's RNG state."""
    with torch.random.fork_rng(devices=[]), _without_random_init_warning():
        torch.manual_seed(RANDOM_WEIGHTS_SEED)
        clip, _, transform = open_clip.create_model_and_transforms(
            name, pretrained=None, device=device
        )
    logger.info("Built %s with random weights (seed %d)", name, RANDOM_WEIGHTS_SEED)
    return clip, transform


def _tag_overrides(source: ModelSource) -> dict[str, Any]:
    """What open_clip would take from a tag's config when it downloads the weights itself."""
    tag_cfg = pretrained_tag_cfg(source)
    if not tag_cfg:
        return {}
    return {
        "force_quick_gelu": bool(tag_cfg.get("quick_gelu", False)),
        "image_mean": tag_cfg.get("mean"),
        "image_std": tag_cfg.get("std"),
        "image_interpolation": tag_cfg.get("interpolation"),
        "image_resize_mode": tag_cfg.get("resize_mode"),
    }


def _load_failure(
    source: ModelSource, weights: Path | None, exc: Exception
) -> ModelNotAvailableError:
    details = f"{type(exc).__name__}: {exc}"
    if source.kind == "random":
        return ModelNotAvailableError(f"The model {source.model_name} could not be built.", details)
    where = source.location if source.kind == "dir" else str(weights)
    if any(hint in str(exc) for hint in _ARCHITECTURE_MISMATCH_HINTS):
        situation = (
            f"The weights in {where} were made for another model architecture than "
            f"{source.model_name}."
        )
        return ModelNotAvailableError(
            f"The weights in {where} do not fit the model architecture {source.model_name}. "
            "Choose the architecture they were trained for (--model).",
            details,
            situation=situation,
            remedy="architecture",
        )
    situation = (
        f"The weights in {where} could not be loaded for {source.model_name}; the file may "
        "be damaged or incomplete."
    )
    return ModelNotAvailableError(
        f"{situation} Download or copy it again.", details, situation=situation, remedy="damaged"
    )


class _DropMessage(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self._prefix)


@contextlib.contextmanager
def _without_random_init_warning() -> Iterator[None]:
    """Drop open_clip's root-logger warning about random init; we log our own INFO."""
    root = logging.getLogger()
    message_filter = _DropMessage(_RANDOM_INIT_WARNING)
    root.addFilter(message_filter)
    try:
        yield
    finally:
        root.removeFilter(message_filter)
