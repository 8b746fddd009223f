"""Pick and build the encoder runtime: ONNX Runtime on the CPU, torch on a GPU or as fallback.

:func:`load_runtime_encoder` is the full loader (it imports torch and open_clip): it
loads the model with open_clip, exports its towers once (:mod:`core.encoders.onnx_export`),
runs the int8 check once (:mod:`core.encoders.int8_check`), and returns an
:class:`~core.encoders.onnx_encoder.OnnxEncoder`; whatever fails on the way (the export,
a damaged or foreign cache, a full disk) is said through ``progress`` as a ``"notice"``
and in the log, and the torch encoder is returned, so indexing goes on. The choice and
its reason are remembered per configuration (:mod:`core.encoders.onnx_cache`) for
``hashlens status`` and for :mod:`core.encoders.fast_encoder`, which later loads the
export without torch.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

from core.config import EncoderConfig
from core.encoders.clip_encoder import OpenClipEncoder, load_encoder, resolve_device
from core.encoders.encoder import Encoder
from core.encoders.int8_check import TowerVerdict, check_int8, remembered_verdicts
from core.encoders.model_source import find_dir_weights, resolve_model_source
from core.encoders.onnx_cache import (
    ConfigRecord,
    RuntimeChoice,
    config_key,
    export_dir_name,
    file_stamp,
    onnx_cache_dir,
    read_config_record,
    write_config_record,
)
from core.encoders.onnx_encoder import Manifest, OnnxEncoder
from core.errors import ConfigError, EncoderCacheError, EncoderExportError
from core.progress import Progress, ProgressCallback

logger = logging.getLogger(__name__)


def load_runtime_encoder(
    cfg: EncoderConfig,
    *,
    cache_dir: Path | None = None,
    onnx_root: Path | None = None,
    progress: ProgressCallback | None = None,
) -> Encoder:
    """The encoder ``cfg`` asks for, on the runtime that fits this machine.

    Raises:
        ConfigError: An invalid setting (``runtime = onnx`` with a GPU device, ...).
        ModelNotAvailableError: The model itself cannot be loaded.
    """
    root = onnx_root or onnx_cache_dir()
    if cfg.runtime == "onnx" and cfg.device.strip().lower() in {"", "auto"}:
        cfg = replace(cfg, device="cpu")  # ONNX Runtime runs here on the CPU only
    device = resolve_device(cfg.device)
    if cfg.runtime == "onnx" and device.type != "cpu":
        raise ConfigError(
            f"encoder.runtime = onnx runs on the CPU, but device is {cfg.device}. "
            "Set device = cpu or auto, or runtime = auto to use torch on the GPU."
        )
    torch_encoder = load_encoder(cfg, cache_dir=cache_dir, progress=progress)
    auto_device = resolve_device("auto").type
    if cfg.runtime == "torch" or device.type != "cpu":
        why = "set by encoder.runtime" if cfg.runtime == "torch" else f"the model runs on {device}"
        _remember(
            cfg, root, torch_encoder.model_id, "", auto_device, RuntimeChoice("torch", "fp32", why)
        )
        return torch_encoder
    failed = _remembered_failure(cfg, root, torch_encoder.model_id)
    if failed is not None:
        _notice(progress, f"Using the torch runtime: {failed}")
        return torch_encoder
    try:
        manifest = ensure_export(torch_encoder, root, progress=progress)
        precision, why = choose_precision(manifest, cfg.precision, progress=progress)
        encoder = OnnxEncoder(
            manifest, precision, batch_size=cfg.batch_size, num_threads=cfg.num_threads
        )
    except (EncoderExportError, EncoderCacheError) as exc:
        _notice(progress, exc.user_message)
        logger.warning("%s (%s)", exc.user_message, exc.details)
        choice = RuntimeChoice("torch", "fp32", f"{FALLBACK_PREFIX}{exc.user_message}")
        failed_export = export_dir_name(torch_encoder.model_id)
        _remember(cfg, root, torch_encoder.model_id, failed_export, auto_device, choice)
        return torch_encoder
    label = _precision_label(precision)
    choice = RuntimeChoice("onnx", label, why)
    _remember(cfg, root, encoder.model_id, manifest.folder.name, auto_device, choice, precision)
    logger.info("Encoder runtime: ONNX Runtime, %s (%s)", label, why)
    return encoder


FALLBACK_PREFIX = "fallback: "
_RETRIED_FAILURES = ("free space", "could not be written", "exported again")
"""Failures that may be gone next time (a full disk, a damaged cache): export is tried again."""


def _remembered_failure(cfg: EncoderConfig, root: Path, model_id: str) -> str | None:
    """Why exporting this model failed before, if it would fail the same way again.

    An exporter that cannot handle a model fails on every try (and a try costs a minute
    for ViT-B-32), so the failure is remembered for this model, onnxruntime version and
    export format while the model's files are unchanged; disk and cache problems retry.
    """
    record = read_config_record(cfg, root)
    if (
        record is None
        or record.choice.runtime != "torch"
        or not record.choice.reason.startswith(FALLBACK_PREFIX)
        or record.export != export_dir_name(model_id)
        or any(hint in record.choice.reason for hint in _RETRIED_FAILURES)
        or not record.stamps_current()
    ):
        return None
    return f"exporting this model failed before ({record.choice.reason[len(FALLBACK_PREFIX) :]})"


def ensure_export(
    encoder: OpenClipEncoder, root: Path, *, progress: ProgressCallback | None = None
) -> Manifest:
    """The model's export for this onnxruntime, exporting it first if needed.

    A damaged export is exported again; exports of the same model made for another
    onnxruntime version or export format are removed (they are never read).

    Raises:
        EncoderExportError: The export failed (the torch path should be used).
    """
    from core.encoders.onnx_export import export_model  # deferred: pulls in torch.onnx

    target = root / export_dir_name(encoder.model_id)
    _remove_foreign_exports(root, target, progress)
    if target.is_dir():
        try:
            manifest = Manifest.read(target)
            OnnxEncoder(manifest, {"vision": "fp32", "text": "fp32"})  # checks every file
            return manifest
        except EncoderCacheError as exc:
            _notice(progress, exc.user_message)
            logger.warning("%s (%s)", exc.user_message, exc.details)
            shutil.rmtree(target, ignore_errors=True)
    clip, transform, tokenizer = encoder.parts()
    return export_model(
        clip,
        transform,
        tokenizer,
        model_id=encoder.model_id,
        dim=encoder.dim,
        root=root,
        progress=progress,
    )


def choose_precision(
    manifest: Manifest, setting: str, *, progress: ProgressCallback | None = None
) -> tuple[dict[str, str], str]:
    """Each tower's precision for ``encoder.precision = setting``, and why."""
    if setting == "fp32":
        return {"vision": "fp32", "text": "fp32"}, "fp32 set by encoder.precision"
    verdicts = remembered_verdicts(manifest.folder)
    if verdicts is None:
        _notice(progress, "Checking the int8 model against fp32 (once per model)...")
        verdicts = check_int8(manifest)
    figures = "; ".join(v.describe() for v in verdicts.values())
    if setting == "int8":
        present = {t: "int8" if v.samples else "fp32" for t, v in verdicts.items()}
        return present, f"int8 set by encoder.precision (int8 check: {figures})"
    chosen = {t: "int8" if v.passed else "fp32" for t, v in verdicts.items()}
    return chosen, f"int8 check: {figures}"


def _precision_label(precision: dict[str, str]) -> str:
    values = set(precision.values())
    if len(values) == 1:
        return values.pop()
    return ", ".join(f"{t} {p}" for t, p in precision.items())


def _remove_foreign_exports(root: Path, target: Path, progress: ProgressCallback | None) -> None:
    """Delete this model's exports for another onnxruntime version or export format."""
    if not root.is_dir():
        return
    prefix = target.name.split("-ort", 1)[0] + "-ort"
    for folder in root.iterdir():
        if folder.is_dir() and folder.name.startswith(prefix) and folder.name != target.name:
            version = folder.name[len(prefix) :]
            message = (
                f"The exported model in {folder.name} was made for another onnxruntime or "
                f"export format ({version}); it is exported again for this one."
            )
            _notice(progress, message)
            logger.warning(message)
            shutil.rmtree(folder, ignore_errors=True)


def _remember(
    cfg: EncoderConfig,
    root: Path,
    model_id: str,
    export: str,
    auto_device: str,
    choice: RuntimeChoice,
    precision: dict[str, str] | None = None,
) -> None:
    record = ConfigRecord(
        config_key(cfg),
        model_id,
        export,
        _source_stamps(cfg),
        auto_device,
        choice,
        precision or {},
        cfg.precision,
    )
    write_config_record(cfg, record, root)


def _source_stamps(cfg: EncoderConfig) -> list[list[object]]:
    """The files the configuration was resolved from (weights, model configs)."""
    stamps: list[list[object]] = []
    try:
        source = resolve_model_source(cfg)
        if source.kind == "file":
            stamps.append(file_stamp(Path(source.location)))
        elif source.kind == "dir":
            stamps.append(file_stamp(find_dir_weights(Path(source.location))))
        if cfg.model_config:
            config = Path(cfg.model_config).expanduser()
            files = sorted(config.glob("*.json")) if config.is_dir() else [config]
            stamps.extend(file_stamp(f) for f in files)
    except (OSError, ConfigError) as exc:
        logger.info("Could not stamp the model's files: %s", exc)
    return stamps


def _notice(progress: ProgressCallback | None, message: str) -> None:
    if progress is not None:
        progress(Progress("notice", 0, 0, message))


__all__ = ["TowerVerdict", "choose_precision", "ensure_export", "load_runtime_encoder"]
