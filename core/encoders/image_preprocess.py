"""open_clip's eval image transform in PIL and NumPy, without torch.

open_clip's usual eval transform is torchvision's ``Resize(shortest side)`` →
``CenterCrop`` → convert to RGB → ``ToTensor`` → ``Normalize``. On PIL images
torchvision resizes with PIL itself, so the same PIL calls and the same float32
arithmetic give the same array, bit for bit (the exporter checks this on probe images
before a model uses the ONNX runtime; ``tests/core/encoders/test_onnx_runtime.py``
checks it on real photos). Other transforms (``squash``, ``longest``, non-square crops)
are not described here: those models keep the torch path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from core.types import FloatArray

_INTERPOLATIONS = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
}


@dataclass(frozen=True, slots=True)
class PreprocessSpec:
    """What the transform does: resize the short side to ``resize``, crop ``crop`` square.

    Attributes:
        resize: Length of the short side after resizing.
        crop: Side of the centred square crop.
        interpolation: ``bicubic``, ``bilinear``, ``nearest`` or ``lanczos``.
        mean: Per-channel mean subtracted after scaling to [0, 1].
        std: Per-channel standard deviation divided by.
    """

    resize: int
    crop: int
    interpolation: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the export manifest stores it)."""
        return {
            "resize": self.resize,
            "crop": self.crop,
            "interpolation": self.interpolation,
            "mean": list(self.mean),
            "std": list(self.std),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PreprocessSpec:
        """The inverse of :meth:`to_json`.

        Raises:
            ValueError: A missing or malformed field.
        """
        try:
            mean = tuple(float(v) for v in data["mean"])
            std = tuple(float(v) for v in data["std"])
            spec = cls(
                int(data["resize"]), int(data["crop"]), str(data["interpolation"]),
                (mean[0], mean[1], mean[2]), (std[0], std[1], std[2]),
            )  # fmt: skip
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"bad preprocessing spec: {exc}") from exc
        if spec.interpolation not in _INTERPOLATIONS or min(spec.resize, spec.crop) < 1:
            raise ValueError(f"bad preprocessing spec: {data}")
        return spec


class ImagePreprocessor:
    """Turns a PIL image into the model's ``(3, crop, crop)`` float32 input."""

    def __init__(self, spec: PreprocessSpec) -> None:
        self.spec = spec
        self._resample = _INTERPOLATIONS[spec.interpolation]
        # Every uint8 level's normalised value per channel, computed with the same float32
        # operations as ``(pixels / 255 - mean) / std``, so a lookup gives the same bits.
        mean = np.asarray(spec.mean, dtype=np.float32)[:, None]
        std = np.asarray(spec.std, dtype=np.float32)[:, None]
        levels = np.arange(256, dtype=np.float32)[None, :] / np.float32(255)
        self._table = np.ascontiguousarray((levels - mean) / std, dtype=np.float32)

    def __call__(self, image: Image.Image) -> FloatArray:
        """Resize, crop, convert to RGB, scale and normalise (thread-safe)."""
        image = self._center_crop(self._resize(image)).convert("RGB")
        pixels = np.asarray(image, dtype=np.uint8)
        out: FloatArray = np.empty((3, *pixels.shape[:2]), dtype=np.float32)
        for channel in range(3):
            np.take(self._table[channel], pixels[:, :, channel], out=out[channel])
        return out

    def _resize(self, image: Image.Image) -> Image.Image:
        width, height = image.size
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.spec.resize, int(self.spec.resize * long / short)
        size = (new_short, new_long) if width <= height else (new_long, new_short)
        if size == image.size:
            return image
        return image.resize(size, self._resample)

    def _center_crop(self, image: Image.Image) -> Image.Image:
        crop = self.spec.crop
        width, height = image.size
        if crop > width or crop > height:
            padded = Image.new(image.mode, (max(crop, width), max(crop, height)))
            left = (crop - width) // 2 if crop > width else 0
            top = (crop - height) // 2 if crop > height else 0
            padded.paste(image, (left, top))
            image = padded
            width, height = image.size
        top = round((height - crop) / 2.0)
        left = round((width - crop) / 2.0)
        return image.crop((left, top, left + crop, top + crop))
