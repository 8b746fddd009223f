"""Export an open_clip model's towers to ONNX once, for :class:`OnnxEncoder`.

open_clip stays the model source: this module takes the model, transform and tokenizer
that :func:`core.encoders.clip_encoder.load_encoder` built and writes, into a temporary
folder beside the final one:

1. ``vision.onnx``: ``encode_image`` (batch dimension dynamic);
2. ``text.onnx``: the text tower with a dynamic sequence length, so a query runs over its
   used tokens only (the same trimming as :mod:`core.encoders.text_tower`);
3. ``vision.int8.onnx`` and ``text.int8.onnx``: onnxruntime's dynamic int8 quantisation
   (weights int8, activations quantised per batch). They are only *used* once
   :mod:`core.encoders.int8_check` has passed them for this model;
4. ``vocab.txt.gz`` and ``manifest.json``.

Each exported tower is checked against torch on probe inputs, and the NumPy image
transform and tokenizer against open_clip's, before the folder is renamed into place
(atomic: a crash or a full disk leaves no half export behind). Any failure raises
:class:`~core.errors.EncoderExportError`; the caller then keeps the torch encoder.

The legacy TorchScript exporter (``dynamo=False``) is used: it needs no ``onnxscript``
and exports open_clip's ViTs in seconds.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch alias
from open_clip import tokenizer as open_clip_tokenizer
from PIL import Image
from torchvision import transforms as tv

from core.encoders.clip_tokenizer import ClipTokenizer
from core.encoders.image_preprocess import ImagePreprocessor, PreprocessSpec
from core.encoders.onnx_cache import (
    EXPORT_FORMAT,
    MANIFEST_NAME,
    export_dir_name,
    onnxruntime_version,
    write_json_atomic,
)
from core.encoders.onnx_encoder import Manifest, open_session, tower_file
from core.errors import EncoderCacheError, EncoderExportError
from core.media.file_fingerprint import weights_fingerprint
from core.progress import Progress, ProgressCallback

logger = logging.getLogger(__name__)

OPSET = 17
VOCAB_NAME = "vocab.txt.gz"
MIN_PROBE_COSINE = 0.9999
"""An exported fp32 tower must reproduce torch's vectors to this cosine on the probes."""
SPACE_FACTOR = 1.6
"""Free space needed, per byte of fp32 weights: both fp32 towers plus both int8 ones."""
_PROBE_TEXTS = ("", "a photo of a dog on the beach", "Ünïcödé 東京 🙂 " * 20)
_EXPORT_STEPS = 4


def export_model(
    clip: Any,
    transform: Callable[[Image.Image], torch.Tensor],
    tokenizer: Any,
    *,
    model_id: str,
    dim: int,
    root: Path,
    progress: ProgressCallback | None = None,
) -> Manifest:
    """Export the towers of ``clip`` into ``root/<export folder>`` and return its manifest.

    Raises:
        EncoderExportError: The model, its transform or tokenizer cannot be expressed for
            the ONNX runtime, an exported tower does not match torch, or the disk is full.
    """
    tokenizer_info = describe_tokenizer(tokenizer)
    spec = describe_transform(transform)
    _check_preprocess(transform, spec)
    _check_tokenizer(tokenizer, tokenizer_info)
    target = root / export_dir_name(model_id)
    _check_space(clip, root)
    report = progress or (lambda _p: None)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=root))
    try:
        report(Progress("export", 0, _EXPORT_STEPS, "vision tower"))
        _export_vision(clip, spec, tmp / tower_file("vision", "fp32"))
        report(Progress("export", 1, _EXPORT_STEPS, "text tower"))
        _export_text(clip, tokenizer, tmp / tower_file("text", "fp32"))
        report(Progress("export", 2, _EXPORT_STEPS, "int8 towers"))
        quantised = _quantise(tmp)
        report(Progress("export", 3, _EXPORT_STEPS, "checking"))
        shutil.copyfile(open_clip_tokenizer.default_bpe(), tmp / VOCAB_NAME)
        names = [tower_file(t, "fp32") for t in ("vision", "text")] + quantised + [VOCAB_NAME]
        write_json_atomic(
            tmp / MANIFEST_NAME,
            _manifest(model_id, dim, tokenizer_info, spec, tmp, names, _pooling(clip)),
        )
        manifest = Manifest.read(tmp)
        _verify(clip, tokenizer, manifest, spec)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
        report(Progress("export", _EXPORT_STEPS, _EXPORT_STEPS, "done"))
    except EncoderExportError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise EncoderExportError(
                f"There is not enough free space in {root} to export the model for the fast "
                "runtime; using the torch runtime. Free some space and run again.",
                str(exc),
            ) from exc
        raise EncoderExportError(
            f"The model could not be written to {root} for the fast runtime; using the torch "
            "runtime.",
            str(exc),
        ) from exc
    except Exception as exc:  # torch.onnx and onnxruntime raise many untyped errors
        shutil.rmtree(tmp, ignore_errors=True)
        raise EncoderExportError(
            f"The model {model_id} could not be exported for the fast runtime; using the "
            "torch runtime.",
            f"{type(exc).__name__}: {exc}",
        ) from exc
    logger.info("Exported %s to %s (int8 towers: %s)", model_id, target, bool(quantised))
    return Manifest.read(target)


def describe_tokenizer(tokenizer: Any) -> dict[str, Any]:
    """The settings :class:`ClipTokenizer` needs to reproduce ``tokenizer``.

    Raises:
        EncoderExportError: Not open_clip's plain ``SimpleTokenizer`` (e.g. a Hugging Face one).
    """
    if type(tokenizer) is not open_clip_tokenizer.SimpleTokenizer or tokenizer.reduction_fn:
        raise EncoderExportError(
            "This model's tokenizer is not CLIP's byte-pair tokenizer; using the torch runtime."
        )
    cleaners = {
        open_clip_tokenizer._clean_lower: "lower",
        open_clip_tokenizer._clean_whitespace: "whitespace",
        open_clip_tokenizer._clean_canonicalize: "canonicalize",
    }
    clean = cleaners.get(tokenizer.clean_fn)
    if clean is None:
        raise EncoderExportError(
            "This model's tokenizer cleans text in an unknown way; using the torch runtime."
        )
    specials = [tokenizer.decoder[i] for i in tokenizer.all_special_ids]
    return {
        "context_length": int(tokenizer.context_length),
        "clean": clean,
        "extra_special_tokens": specials[2:],
    }


def describe_transform(transform: Any) -> PreprocessSpec:
    """The :class:`PreprocessSpec` of open_clip's eval transform.

    Raises:
        EncoderExportError: Any other transform (squash, letterbox, non-square crop...).
    """
    steps = list(getattr(transform, "transforms", []))
    kinds = [type(s).__name__ for s in steps]
    if kinds != ["Resize", "CenterCrop", "MaybeConvertMode", "MaybeToTensor", "Normalize"]:
        raise EncoderExportError(
            f"This model's image transform ({', '.join(kinds) or 'unknown'}) has no NumPy "
            "equivalent here; using the torch runtime."
        )
    resize, crop, _, _, normalize = steps
    size, crop_size = resize.size, crop.size
    resize_side = size if isinstance(size, int) else (size[0] if len(size) == 1 else None)
    if resize_side is None or resize.max_size is not None or crop_size[0] != crop_size[1]:
        raise EncoderExportError(
            "This model's image resize has no NumPy equivalent here; using the torch runtime."
        )
    interpolation = {
        tv.InterpolationMode.BICUBIC: "bicubic",
        tv.InterpolationMode.BILINEAR: "bilinear",
        tv.InterpolationMode.NEAREST: "nearest",
        tv.InterpolationMode.LANCZOS: "lanczos",
    }.get(resize.interpolation)
    if interpolation is None:
        raise EncoderExportError(
            "This model's image interpolation has no NumPy equivalent; using the torch runtime."
        )
    mean = tuple(float(v) for v in normalize.mean)
    std = tuple(float(v) for v in normalize.std)
    return PreprocessSpec(
        int(resize_side), int(crop_size[0]), interpolation,
        (mean[0], mean[1], mean[2]), (std[0], std[1], std[2]),
    )  # fmt: skip


def probe_images() -> list[Image.Image]:
    """Images of awkward sizes and modes that exercise resize, crop and conversion."""
    rng = np.random.default_rng(0)
    images = []
    for width, height, mode in (
        (640, 480, "RGB"),
        (333, 517, "RGB"),
        (97, 61, "L"),
        (224, 224, "RGBA"),
    ):
        channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
        images.append(Image.fromarray(pixels.squeeze(-1) if channels == 1 else pixels, mode))
    return images


def _check_preprocess(transform: Any, spec: PreprocessSpec) -> None:
    ours = ImagePreprocessor(spec)
    for image in probe_images():
        expected = transform(image).numpy()
        if not np.array_equal(ours(image), expected):
            raise EncoderExportError(
                "The NumPy image transform does not reproduce open_clip's for this model; "
                "using the torch runtime.",
                f"max difference {np.abs(ours(image) - expected).max():.3g}",
            )


def _check_tokenizer(tokenizer: Any, info: dict[str, Any]) -> None:
    ours = ClipTokenizer(
        Path(open_clip_tokenizer.default_bpe()),
        context_length=info["context_length"],
        clean=info["clean"],
        extra_special_tokens=info["extra_special_tokens"],
    )
    if not np.array_equal(ours(list(_PROBE_TEXTS)), tokenizer(list(_PROBE_TEXTS)).numpy()):
        raise EncoderExportError(
            "The tokenizer does not reproduce open_clip's for this model; using the torch runtime."
        )


def _check_space(clip: Any, root: Path) -> None:
    weight_bytes = sum(p.numel() * 4 for p in clip.parameters())
    needed = int(weight_bytes * SPACE_FACTOR) + (8 << 20)
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if free < needed:
        raise EncoderExportError(
            f"There is not enough free space in {root} to export the model for the fast "
            f"runtime (it needs about {needed / 1e6:.0f} MB, {free / 1e6:.0f} MB are free); "
            "using the torch runtime. Free some space and run again."
        )


class _VisionTower(torch.nn.Module):
    def __init__(self, clip: Any) -> None:
        super().__init__()
        self.clip = clip

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.clip.encode_image(pixels)
        return out


class _TextTower(torch.nn.Module):
    """The text tower over however many tokens it is given (the used prefix)."""

    def __init__(self, clip: Any) -> None:
        super().__init__()
        self.clip = clip

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        from core.encoders.text_tower import can_trim, prefix_features

        if not can_trim(self.clip):
            out: torch.Tensor = self.clip.encode_text(tokens)
            return out
        return prefix_features(self.clip, tokens)


def _export_attention(
    block: Any,
    q_x: torch.Tensor,
    k_x: torch.Tensor | None = None,
    v_x: torch.Tensor | None = None,
    attn_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """``nn.MultiheadAttention`` self-attention written with shapes the tracer keeps dynamic.

    The legacy exporter bakes the batch and sequence sizes of the example into
    ``F.multi_head_attention_forward``'s reshapes, so a graph exported for 7 tokens
    fails on 8. The same arithmetic (packed in-projection, scaled dot product, out
    projection) with ``reshape`` on traced sizes exports with dynamic axes.
    """
    attn = block.attn
    x = q_x if attn.batch_first else q_x.transpose(0, 1)
    heads = attn.num_heads
    head_dim = attn.embed_dim // heads
    q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (
        t.reshape(t.shape[0], t.shape[1], heads, head_dim).transpose(1, 2) for t in (q, k, v)
    )
    mask = attn_mask.to(q.dtype) if attn_mask is not None else None
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    projected: torch.Tensor = attn.out_proj(out.transpose(1, 2).flatten(2))
    return projected if attn.batch_first else projected.transpose(0, 1)


def _plain_self_attention(block: Any) -> bool:
    attn = getattr(block, "attn", None)
    return (
        isinstance(attn, torch.nn.MultiheadAttention)
        and not hasattr(block, "ln_1_kv")
        and attn._qkv_same_embed_dim
        and attn.bias_k is None
        and not attn.add_zero_attn
        and attn.in_proj_weight is not None
    )


@contextlib.contextmanager
def _exportable(clip: Any) -> Iterator[None]:
    """Quiet warnings, and swap open_clip's attention for :func:`_export_attention`."""
    from open_clip.transformer import ResidualAttentionBlock

    blocks = [m for m in clip.modules() if isinstance(m, ResidualAttentionBlock)]
    patched = [b for b in blocks if _plain_self_attention(b)]
    for block in patched:
        block.attention = functools.partial(_export_attention, block)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for block in patched:
            del block.attention


def _export_vision(clip: Any, spec: PreprocessSpec, path: Path) -> None:
    example = torch.zeros(2, 3, spec.crop, spec.crop)
    with torch.inference_mode(False), torch.enable_grad(), _exportable(clip):
        torch.onnx.export(
            _VisionTower(clip).eval(), (example,), str(path), dynamo=False,
            input_names=["pixels"], output_names=["embedding"], opset_version=OPSET,
            dynamic_axes={"pixels": {0: "batch"}, "embedding": {0: "batch"}},
        )  # fmt: skip


def _export_text(clip: Any, tokenizer: Any, path: Path) -> None:
    example = tokenizer(["a photo of a dog", "a cat"])
    axes: dict[str, dict[int, str]] = {"tokens": {0: "batch"}, "embedding": {0: "batch"}}
    from core.encoders.text_tower import can_trim

    if can_trim(clip):
        axes["tokens"][1] = "length"
    with torch.inference_mode(False), torch.enable_grad(), _exportable(clip):
        torch.onnx.export(
            _TextTower(clip).eval(), (example,), str(path), dynamo=False,
            input_names=["tokens"], output_names=["embedding"], opset_version=OPSET,
            dynamic_axes=axes,
        )  # fmt: skip


def _quantise(folder: Path) -> list[str]:
    """Write the int8 towers; an exporter failure here only means no int8 (fp32 is used)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        logger.info("No int8 towers: onnxruntime's quantisation needs the onnx package (%s)", exc)
        return []
    written = []
    quant_logger = logging.getLogger()
    level = quant_logger.level
    for tower in ("vision", "text"):
        target = folder / tower_file(tower, "int8")
        try:
            quant_logger.setLevel(logging.ERROR)  # the quantiser logs advice at WARNING
            quantize_dynamic(
                folder / tower_file(tower, "fp32"), target, weight_type=QuantType.QInt8
            )
        except OSError:
            raise
        except Exception as exc:  # the quantiser raises untyped errors on unusual graphs
            logger.warning("The %s tower could not be quantised to int8: %s", tower, exc)
            target.unlink(missing_ok=True)
            continue
        finally:
            quant_logger.setLevel(level)
        written.append(target.name)
    return written


def _manifest(
    model_id: str,
    dim: int,
    tokenizer_info: dict[str, Any],
    spec: PreprocessSpec,
    folder: Path,
    names: list[str],
    pooling: str,
) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "model_id": model_id,
        "dim": dim,
        "onnxruntime": onnxruntime_version(),
        "torch": torch.__version__,
        "open_clip": metadata.version("open_clip_torch"),
        "opset": OPSET,
        "tokenizer": {**tokenizer_info, "pooling": pooling},
        "preprocess": spec.to_json(),
        "files": {
            name: {
                "size": (folder / name).stat().st_size,
                "fingerprint": weights_fingerprint(folder / name),
            }
            for name in names
        },
    }


def _pooling(clip: Any) -> str:
    """How the text tower pools; ``"none"`` for a tower that must see the full context."""
    from core.encoders.text_tower import can_trim

    return str(clip.text_pool_type) if can_trim(clip) else "none"


def _verify(clip: Any, tokenizer: Any, manifest: Manifest, spec: PreprocessSpec) -> None:
    """The fp32 towers reproduce torch on probe inputs, or the export is refused."""
    from core.encoders.text_tower import encode_text_trimmed

    pixels = np.stack([ImagePreprocessor(spec)(image) for image in probe_images()])
    texts = list(_PROBE_TEXTS)
    with torch.inference_mode():
        want_images = clip.encode_image(torch.from_numpy(pixels)).float().numpy()
        want_texts = np.concatenate(
            [encode_text_trimmed(clip, tokenizer([t])).float().numpy() for t in texts]
        )
    from core.encoders.onnx_encoder import OnnxEncoder

    try:  # batches of 1 and 3 and each length alone: shapes other than the export example
        encoder = OnnxEncoder(manifest, {"vision": "fp32", "text": "fp32"}, batch_size=3)
        got_images = encoder.encode_preprocessed(list(pixels))
        got_texts = np.concatenate([encoder.encode_texts([t]) for t in texts])
        got_batch = encoder.encode_texts(texts[:2])
    except EncoderCacheError as exc:
        raise EncoderExportError(exc.user_message, exc.details) from exc
    checks = (
        ("vision", want_images, got_images),
        ("text", want_texts, got_texts),
        ("text", want_texts[:2], got_batch),
    )
    for name, want, got in checks:
        want = want / np.maximum(np.linalg.norm(want, axis=1, keepdims=True), 1e-12)
        cosine = float(np.min(np.sum(want * got, axis=1)))
        if not cosine >= MIN_PROBE_COSINE:
            raise EncoderExportError(
                f"The exported {name} tower does not reproduce the model; using the torch runtime.",
                f"min cosine {cosine:.6f} < {MIN_PROBE_COSINE}",
            )


__all__ = ["describe_tokenizer", "describe_transform", "export_model", "open_session"]
