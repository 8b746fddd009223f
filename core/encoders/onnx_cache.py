"""Where exported ONNX towers live, how they are named, and what a library last decided.

Layout under ``paths.cache_dir() / "onnx"``::

    <model>-<sha of model id>-ort<onnxruntime version>-f<export format>/
        manifest.json   model id, dim, tokenizer and preprocessing, file sizes and fingerprints
        vision.onnx text.onnx [vision.int8.onnx text.int8.onnx] vocab.txt.gz
        fidelity.json   the int8 check's figures and verdict (written once)
    configs/<sha of the configuration key>.json
        which export a configuration (model, pretrained, model_config) loads, the stat of
        the files it was resolved from, and the runtime and precision chosen, with why

The folder name holds everything the files depend on (model identity, onnxruntime
version, export format), so a new onnxruntime or exporter never reads an old export:
it exports again. A configuration record lets ``hashlens search`` find the export
without importing open_clip to resolve the model; it is trusted only while the weights
file and model config it was resolved from keep their size and modification time.

No torch, no open_clip here (import-linter checks it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import paths
from core.config import EncoderConfig
from core.encoders.encoder_key import encoder_config_key

logger = logging.getLogger(__name__)

EXPORT_FORMAT = 1
"""Bumped whenever the exported graphs or the manifest change meaning."""
MANIFEST_NAME = "manifest.json"
FIDELITY_NAME = "fidelity.json"
CONFIGS_DIR = "configs"


def onnxruntime_version() -> str:
    """The installed onnxruntime's version ("" if it is not installed)."""
    from importlib import metadata

    try:
        return metadata.version("onnxruntime")
    except metadata.PackageNotFoundError:
        return ""


def onnx_cache_dir() -> Path:
    """The root of every export: ``HASHLENS_ONNX_CACHE``, else the cache folder's ``onnx``."""
    value = os.environ.get("HASHLENS_ONNX_CACHE")
    return Path(value).expanduser() if value else paths.cache_dir() / "onnx"


def config_key(cfg: EncoderConfig) -> str:
    """The key the library stores for ``cfg`` (:class:`core.encoders.encoder_key.EncoderKey`)."""
    return encoder_config_key(cfg)


def export_dir_name(model_id: str, ort_version: str | None = None) -> str:
    """The export folder of a model for this onnxruntime and export format."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id.split(":", 1)[0])[:40]
    digest = hashlib.sha256(model_id.encode()).hexdigest()[:12]
    version = onnxruntime_version() if ort_version is None else ort_version
    return f"{slug}-{digest}-ort{version}-f{EXPORT_FORMAT}"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or ``None`` if it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def file_stamp(path: Path) -> list[Any]:
    """``[path, size, mtime_ns]``: changes when the file is replaced or rewritten."""
    stat = path.stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


@dataclass(frozen=True, slots=True)
class RuntimeChoice:
    """Which runtime and precision a configuration uses, and why (``hashlens status``).

    Attributes:
        runtime: ``"onnx"`` or ``"torch"``.
        precision: ``"fp32"`` or ``"int8"`` (``"int8"`` may be one tower only, see reason).
        reason: One sentence for the user.
    """

    runtime: str
    precision: str
    reason: str


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    """What a configuration resolved to the last time the full loader ran.

    Attributes:
        key: The configuration key.
        model_id: The model's stable id.
        export: The export folder's name (``""`` when the torch path is used).
        stamps: ``file_stamp`` of the weights file and model config it was resolved from.
        auto_device: What ``device = auto`` resolved to (``"cpu"``, ``"cuda"``, ``"mps"``).
        choice: The runtime choice.
        tower_precision: ``{"vision": "int8"|"fp32", "text": ...}`` for an ONNX choice.
        precision_setting: The ``encoder.precision`` setting the choice was made under.
    """

    key: str
    model_id: str
    export: str
    stamps: list[list[Any]]
    auto_device: str
    choice: RuntimeChoice
    tower_precision: dict[str, str] = field(default_factory=dict)
    precision_setting: str = "auto"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "key": self.key,
            "model_id": self.model_id,
            "export": self.export,
            "stamps": self.stamps,
            "auto_device": self.auto_device,
            "runtime": self.choice.runtime,
            "precision": self.choice.precision,
            "reason": self.choice.reason,
            "tower_precision": self.tower_precision,
            "precision_setting": self.precision_setting,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConfigRecord | None:
        """The record, or ``None`` for a malformed one."""
        try:
            return cls(
                str(data["key"]),
                str(data["model_id"]),
                str(data["export"]),
                [list(s) for s in data["stamps"]],
                str(data["auto_device"]),
                RuntimeChoice(str(data["runtime"]), str(data["precision"]), str(data["reason"])),
                {str(k): str(v) for k, v in dict(data.get("tower_precision", {})).items()},
                str(data.get("precision_setting", "auto")),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def stamps_current(self) -> bool:
        """Whether every file it was resolved from is unchanged."""
        for path, size, mtime_ns in self.stamps:
            try:
                if file_stamp(Path(path))[1:] != [size, mtime_ns]:
                    return False
            except OSError:
                return False
        return True


def config_record_path(cfg: EncoderConfig, root: Path | None = None) -> Path:
    """Where the record of a configuration lives."""
    digest = hashlib.sha256(config_key(cfg).encode()).hexdigest()[:24]
    return (root or onnx_cache_dir()) / CONFIGS_DIR / f"{digest}.json"


def read_config_record(cfg: EncoderConfig, root: Path | None = None) -> ConfigRecord | None:
    """The configuration's record if one exists and belongs to this configuration."""
    data = read_json(config_record_path(cfg, root))
    record = ConfigRecord.from_json(data) if data is not None else None
    if record is None or record.key != config_key(cfg):
        return None
    return record


def write_config_record(cfg: EncoderConfig, record: ConfigRecord, root: Path | None = None) -> None:
    """Remember a configuration's resolution; a failure to write only costs speed later."""
    try:
        write_json_atomic(config_record_path(cfg, root), record.to_json())
    except OSError as exc:
        logger.warning("Could not remember the encoder runtime choice: %s", exc)
