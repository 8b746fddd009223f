"""Load a model's ONNX export without torch or open_clip: the fast start of search and index.

The full loader (:func:`core.encoders.encoder_runtime.load_runtime_encoder`) imports
torch and open_clip (about 5 s on two cores) to resolve, load and export the model,
and remembers what it chose. :func:`load_encoder` reuses that choice when it still holds
(same configuration, weights and model config files unchanged, this onnxruntime, CPU)
and loads the export directly; otherwise it runs the full loader. ``hashlens search``
therefore never imports torch once the model has been exported, and neither does
``hashlens index`` (``tests/pipeline/test_cli_onnx.py`` checks the first;
import-linter keeps this module free of torch and open_clip).
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.config import EncoderConfig
from core.encoders.encoder import Encoder
from core.encoders.onnx_cache import (
    ConfigRecord,
    export_dir_name,
    onnx_cache_dir,
    read_config_record,
)
from core.encoders.onnx_encoder import Manifest, OnnxEncoder, tower_file
from core.errors import EncoderCacheError
from core.progress import ProgressCallback

logger = logging.getLogger(__name__)


def load_encoder(
    cfg: EncoderConfig,
    *,
    progress: ProgressCallback | None = None,
    onnx_root: Path | None = None,
) -> Encoder:
    """The exported encoder when it can be used as is, else the full loader's choice.

    Raises:
        ConfigError: An invalid setting.
        ModelNotAvailableError: The model cannot be loaded.
    """
    encoder = load_exported(cfg, onnx_root=onnx_root)
    if encoder is not None:
        return encoder
    from core.encoders.encoder_runtime import load_runtime_encoder  # torch: slow to import

    return load_runtime_encoder(cfg, onnx_root=onnx_root, progress=progress)


def load_exported(cfg: EncoderConfig, *, onnx_root: Path | None = None) -> OnnxEncoder | None:
    """The ONNX encoder the last full load chose for ``cfg``, if that choice still holds."""
    if cfg.runtime == "torch":
        return None
    root = onnx_root or onnx_cache_dir()
    record = read_config_record(cfg, root)
    if record is None or not _usable(cfg, record):
        return None
    try:
        manifest = Manifest.read(root / record.export)
        precision = _precision(cfg, record, manifest)
        encoder = OnnxEncoder(
            manifest, precision, batch_size=cfg.batch_size, num_threads=cfg.num_threads
        )
    except EncoderCacheError as exc:
        logger.warning("%s (%s)", exc.user_message, exc.details)
        return None
    logger.info(
        "Loaded %s from its ONNX export (%s) without torch", encoder.model_id, record.choice.reason
    )
    return encoder


def _usable(cfg: EncoderConfig, record: ConfigRecord) -> bool:
    device = cfg.device.strip().lower() or "auto"
    auto_on_cpu = record.auto_device == "cpu" or cfg.runtime == "onnx"
    on_cpu = device == "cpu" or (device == "auto" and auto_on_cpu)
    return (
        record.choice.runtime == "onnx"
        and on_cpu
        and (cfg.precision != "auto" or record.precision_setting == "auto")
        and record.export == export_dir_name(record.model_id)
        and record.stamps_current()
    )


def _precision(cfg: EncoderConfig, record: ConfigRecord, manifest: Manifest) -> dict[str, str]:
    if cfg.precision == "fp32":
        return {"vision": "fp32", "text": "fp32"}
    if cfg.precision == "int8":
        return {
            t: "int8" if manifest.has(tower_file(t, "int8")) else "fp32" for t in ("vision", "text")
        }
    return {t: record.tower_precision.get(t, "fp32") for t in ("vision", "text")}
