"""Hand-made image descriptors for SVG artwork: colour histogram, HOG and LBP.

No pretrained image network is assumed, so the benchmark's image features are the
kind the classic cross-modal hashing benchmarks used: a colour histogram of the
drawn (non-white) pixels, a HOG descriptor of the shapes, and a grid of LBP texture
histograms. Each block is L2-normalised, then the concatenation is, so every block
weighs the same. SVGs are rendered with CairoSVG on white.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.errors import DatasetError
from core.progress import CancelToken, Progress, ProgressCallback, RateLimitedReporter
from core.types import FloatArray

RgbImage = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class DescriptorSettings:
    """How images are rendered and described (recorded in dataset metadata).

    Attributes:
        size_px: Rendered width and height.
        hue_bins, saturation_bins, value_bins: HSV histogram of the drawn pixels.
        hog_cell_px: HOG cell size (2x2 cells per block, 9 orientations).
        lbp_grid: LBP histograms on a ``lbp_grid`` x ``lbp_grid`` grid (uniform, P=8, R=1).
        white_threshold: Pixels with every channel at or above it count as background.
    """

    size_px: int = 128
    hue_bins: int = 8
    saturation_bins: int = 3
    value_bins: int = 3
    hog_cell_px: int = 16
    lbp_grid: int = 2
    white_threshold: int = 245

    @property
    def dim(self) -> int:
        """Length of one descriptor."""
        cells = self.size_px // self.hog_cell_px
        hog = (cells - 1) ** 2 * 4 * 9
        return self.hue_bins * self.saturation_bins * self.value_bins + hog + 10 * self.lbp_grid**2


def render_svg(svg: bytes, size_px: int) -> RgbImage:
    """Rasterise an SVG document to ``(size_px, size_px, 3)`` uint8 RGB on white."""
    import cairosvg  # deferred: a builder-only dependency
    from PIL import Image

    try:
        png = cairosvg.svg2png(
            bytestring=svg, output_width=size_px, output_height=size_px, background_color="white"
        )
        with Image.open(io.BytesIO(png)) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except Exception as exc:  # cairosvg raises many kinds on malformed SVG
        raise DatasetError(
            "An SVG drawing of the benchmark could not be rendered.", repr(exc)
        ) from exc


def describe(rgb: RgbImage, settings: DescriptorSettings) -> FloatArray:
    """The concatenated, L2-normalised descriptor of one rendered image."""
    from skimage.color import rgb2gray, rgb2hsv
    from skimage.feature import hog, local_binary_pattern

    drawn = (rgb < settings.white_threshold).any(axis=2)
    hsv = rgb2hsv(rgb)[drawn]
    bins = (settings.hue_bins, settings.saturation_bins, settings.value_bins)
    colour, _ = np.histogramdd(hsv, bins=bins, range=((0, 1), (0, 1), (0, 1)))
    gray = rgb2gray(rgb)
    shape = hog(
        gray,
        orientations=9,
        pixels_per_cell=(settings.hog_cell_px, settings.hog_cell_px),
        cells_per_block=(2, 2),
        feature_vector=True,
    )
    gray_8bit = (gray * 255).astype(np.uint8)
    codes = local_binary_pattern(gray_8bit, P=8, R=1, method="uniform")  # type: ignore[no-untyped-call]
    texture = [
        np.bincount(part.astype(np.int64).ravel(), minlength=10)[:10]
        for rows in np.array_split(codes, settings.lbp_grid, axis=0)
        for part in np.array_split(rows, settings.lbp_grid, axis=1)
    ]
    blocks = [colour.ravel(), shape, np.concatenate(texture)]
    return l2_normalise(np.concatenate([l2_normalise(b.astype(np.float32)) for b in blocks]))


def describe_svgs(
    svgs: Sequence[bytes],
    settings: DescriptorSettings,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> FloatArray:
    """``(len(svgs), settings.dim)`` float32 descriptors, rendering each SVG once."""
    reporter = RateLimitedReporter(progress)
    out = np.empty((len(svgs), settings.dim), dtype=np.float32)
    for row, svg in enumerate(svgs):
        if cancel is not None and row % 64 == 0:
            cancel.raise_if_cancelled()
        out[row] = describe(render_svg(svg, settings.size_px), settings)
        reporter(Progress("image descriptors", row + 1, len(svgs)))
    return out


def l2_normalise(vector: npt.NDArray[np.floating]) -> FloatArray:
    """``vector / ||vector||`` (a zero vector stays zero)."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm > 0 else vector).astype(np.float32)


def l2_normalise_rows(matrix: Iterable[FloatArray] | FloatArray) -> FloatArray:
    """Each row divided by its norm (zero rows stay zero)."""
    array = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return (array / np.where(norms > 0, norms, 1.0)).astype(np.float32)
