"""Whether a model's int8 towers are faithful enough to replace fp32: checked once per model.

Dynamic int8 quantisation keeps random-weight towers within a cosine of 0.9998 of
fp32, but trained weights have outliers that quantise worse, so every model is checked
on real inputs before its int8 towers are used: the sample photos in
``resources/samples`` (scikit-image's photos) and the concept prompts
(``resources/concepts``, "a photo of {}."), each tower on its own against fp32:

* vision: cosine of every photo's int8 vector with its fp32 vector, and agreement of
  each photo's top-5 concepts (int8 photo vectors against fp32 prompt vectors);
* text: cosine of every prompt's int8 vector with its fp32 vector, and agreement of each
  photo's top-5 concepts (fp32 photo vectors against int8 prompt vectors).

A tower passes when its minimum cosine is at least :data:`MIN_COSINE`, its mean cosine at
least :data:`MIN_MEAN_COSINE` and the mean top-5 overlap at least
:data:`MIN_TOP_K_AGREEMENT`. The figures and verdicts are written to ``fidelity.json``
in the export folder and read from there afterwards. No torch here.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.encoders.concepts import load_vocabulary
from core.encoders.onnx_cache import FIDELITY_NAME, read_json, write_json_atomic
from core.encoders.onnx_encoder import Manifest, OnnxEncoder, tower_file
from core.types import FloatArray

logger = logging.getLogger(__name__)

MIN_COSINE = 0.98
MIN_MEAN_COSINE = 0.995
MIN_TOP_K_AGREEMENT = 0.8
TOP_K = 5
PROMPT_TEMPLATE = "a photo of {}."
CHECK_VERSION = 1


@dataclass(frozen=True, slots=True)
class TowerVerdict:
    """The int8 check of one tower.

    Attributes:
        tower: ``"vision"`` or ``"text"``.
        passed: Whether int8 may replace fp32.
        min_cosine: Smallest int8-vs-fp32 cosine over the samples.
        mean_cosine: Mean of those cosines.
        top_k_agreement: Mean overlap of each photo's top-5 concepts (1.0: identical sets).
        samples: How many vectors were compared.
    """

    tower: str
    passed: bool
    min_cosine: float
    mean_cosine: float
    top_k_agreement: float
    samples: int

    def describe(self) -> str:
        """A short phrase for ``hashlens status``."""
        verdict = "passed" if self.passed else "failed"
        return (
            f"{self.tower} {verdict} (min cosine {self.min_cosine:.4f}, mean "
            f"{self.mean_cosine:.4f}, top-{TOP_K} agreement {self.top_k_agreement:.2f})"
        )


def sample_photos() -> list[Image.Image]:
    """The check's photos, decoded as RGB."""
    folder = resources.files("resources") / "samples"
    photos = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".jpg"):
            with entry.open("rb") as handle, Image.open(handle) as image:
                photos.append(image.convert("RGB"))
    return photos


def sample_prompts() -> list[str]:
    """One prompt per concept of the everyday vocabulary."""
    return [PROMPT_TEMPLATE.format(p) for p in load_vocabulary().phrases]


def remembered_verdicts(folder: Path) -> dict[str, TowerVerdict] | None:
    """The verdicts stored for an export, if the check already ran there."""
    data = read_json(folder / FIDELITY_NAME)
    if data is None or data.get("version") != CHECK_VERSION:
        return None
    try:
        return {t: TowerVerdict(**data["towers"][t]) for t in ("vision", "text")}
    except (KeyError, TypeError):
        return None


def check_int8(
    manifest: Manifest,
    photos: list[Image.Image] | None = None,
    prompts: list[str] | None = None,
) -> dict[str, TowerVerdict]:
    """Compare the int8 towers with fp32 and remember the verdicts in the export folder.

    A tower without an int8 file fails with zero figures.
    """
    photos = sample_photos() if photos is None else photos
    prompts = sample_prompts() if prompts is None else prompts
    fp32 = OnnxEncoder(manifest, {"vision": "fp32", "text": "fp32"})
    images32 = fp32.encode_images(photos)
    texts32 = fp32.encode_texts(prompts)
    reference = _top_k(images32 @ texts32.T)
    verdicts: dict[str, TowerVerdict] = {}
    for tower in ("vision", "text"):
        if not manifest.has(tower_file(tower, "int8")):
            verdicts[tower] = TowerVerdict(tower, False, 0.0, 0.0, 0.0, 0)
            continue
        int8 = OnnxEncoder(manifest, {"vision": "fp32", "text": "fp32", tower: "int8"})
        if tower == "vision":
            quantised, exact = int8.encode_images(photos), images32
            ranks = _top_k(quantised @ texts32.T)
        else:
            quantised, exact = int8.encode_texts(prompts), texts32
            ranks = _top_k(images32 @ quantised.T)
        verdicts[tower] = _verdict(tower, quantised, exact, ranks, reference)
    _remember(manifest.folder, verdicts)
    for verdict in verdicts.values():
        logger.info("int8 check of %s: %s", manifest.model_id, verdict.describe())
    return verdicts


def _verdict(
    tower: str,
    quantised: FloatArray,
    exact: FloatArray,
    ranks: np.ndarray[Any, Any],
    reference: np.ndarray[Any, Any],
) -> TowerVerdict:
    cosines = np.sum(quantised * exact, axis=1)
    overlap = [len(set(a) & set(b)) / TOP_K for a, b in zip(ranks, reference, strict=True)]
    min_cos, mean_cos = float(cosines.min()), float(cosines.mean())
    agreement = float(np.mean(overlap))
    passed = (
        min_cos >= MIN_COSINE and mean_cos >= MIN_MEAN_COSINE and agreement >= MIN_TOP_K_AGREEMENT
    )
    return TowerVerdict(tower, passed, min_cos, mean_cos, agreement, len(cosines))


def _top_k(scores: FloatArray) -> np.ndarray[Any, Any]:
    k = min(TOP_K, scores.shape[1])
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _remember(folder: Path, verdicts: dict[str, TowerVerdict]) -> None:
    data = {
        "version": CHECK_VERSION,
        "thresholds": {
            "min_cosine": MIN_COSINE,
            "min_mean_cosine": MIN_MEAN_COSINE,
            "min_top_k_agreement": MIN_TOP_K_AGREEMENT,
            "top_k": TOP_K,
        },
        "towers": {t: asdict(v) for t, v in verdicts.items()},
    }
    try:
        write_json_atomic(folder / FIDELITY_NAME, data)
    except OSError as exc:
        logger.warning("Could not remember the int8 check (it runs again next time): %s", exc)
