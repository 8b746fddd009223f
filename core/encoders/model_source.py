"""Where the CLIP weights come from: a pretrained tag, a local file or folder, or random.

:func:`resolve_model_source` turns an :class:`~core.config.EncoderConfig` into a
:class:`ModelSource` without touching the network;
:func:`core.encoders.model_download.ensure_weights` then makes the weights a local file.
"""

from __future__ import annotations

import difflib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import open_clip

from core.config import EncoderConfig
from core.errors import ConfigError, ModelNotAvailableError
from core.media.file_fingerprint import weights_fingerprint as weights_fingerprint

logger = logging.getLogger(__name__)

SourceKind = Literal["tag", "file", "dir", "random"]

RANDOM_WEIGHTS = "random"
DIR_CONFIG_NAME = "open_clip_config.json"
HF_WEIGHTS_NAME = "open_clip_pytorch_model.bin"
HF_SAFE_WEIGHTS_NAME = "open_clip_model.safetensors"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth", ".pt")
# open_clip's own order for picking the checkpoint of a ``local-dir:`` folder.
_DIR_PREFERRED_NAMES = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
    "open_clip_pytorch_model.pth",
    "model.safetensors",
    "pytorch_model.bin",
    "pytorch_model.pth",
    "model.pth",
)
_LOCAL_DIR_SUFFIXES = (".safetensors", ".bin", ".pth")
_ARCH_KEYS = ("embed_dim", "vision_cfg", "text_cfg")


@dataclass(frozen=True, slots=True)
class ModelSource:
    """What to load.

    Attributes:
        model_name: open_clip architecture name (e.g. ``"ViT-B-32"``).
        kind: ``"tag"`` (open_clip pretrained tag), ``"file"`` (a checkpoint file),
            ``"dir"`` (a folder, open_clip ``local-dir:`` layout or a single checkpoint)
            or ``"random"`` (random weights, for tests and benchmarks).
        location: The tag, the absolute file or folder path, or ``""`` for random.
        model_id: Stable id stored with every vector.
    """

    model_name: str
    kind: SourceKind
    location: str
    model_id: str

    @property
    def has_dir_config(self) -> bool:
        """Whether a ``"dir"`` source brings its own ``open_clip_config.json``."""
        return self.kind == "dir" and (Path(self.location) / DIR_CONFIG_NAME).is_file()


def resolve_model_source(cfg: EncoderConfig) -> ModelSource:
    """Decide where the weights for ``cfg`` come from; never touches the network.

    Args:
        cfg: The encoder settings. ``model_config`` (a JSON file or a folder of them) is
            registered with open_clip first, so its architectures can be named in ``model``.

    Returns:
        The resolved source with its ``model_id``.

    Raises:
        ConfigError: Bad ``model_config``, unknown architecture or unknown tag.
        ModelNotAvailableError: ``pretrained`` names a file or folder that does not exist
            or holds no usable checkpoint.
    """
    if cfg.model_config:
        register_model_config(Path(cfg.model_config).expanduser())
    model_name = cfg.model.strip()
    pretrained = cfg.pretrained.strip()
    if not pretrained:
        raise ConfigError(
            "No model weights are set: set 'pretrained' to a pretrained tag, "
            "a weights file or a folder."
        )
    path = Path(pretrained).expanduser()
    if not _looks_like_path(pretrained) and (_is_name(model_name, pretrained) or not path.exists()):
        _check_architecture(model_name)
        if pretrained.lower() == RANDOM_WEIGHTS:
            return ModelSource(model_name, "random", "", f"{model_name}:{RANDOM_WEIGHTS}")
        tag = _check_tag(model_name, pretrained)
        return ModelSource(model_name, "tag", tag, f"{model_name}:{tag}")
    if path.is_dir() and (path / DIR_CONFIG_NAME).is_file():
        # The folder's own config defines the architecture; ``model`` is only a label.
        return _dir_source(model_name or "local-dir", path.resolve())
    _check_architecture(model_name)
    if path.is_file():
        weights = path.resolve()
        return ModelSource(model_name, "file", str(weights), _file_model_id(model_name, weights))
    if path.is_dir():
        return _dir_source(model_name, path.resolve())
    raise ModelNotAvailableError(
        f"The weights file or folder {path} does not exist. "
        "Check the 'pretrained' setting (--pretrained)."
    )


def register_model_config(path: Path) -> None:
    """Validate a JSON architecture file (or a folder of them) and add it to open_clip.

    Every ``*.json`` is checked first: open_clip rescans all registered paths on every
    registration, so one broken file would break every later load in this process.

    Raises:
        ConfigError: The path is missing, not JSON, or holds no open_clip architecture.
    """
    if not path.exists():
        raise ConfigError(f"The model config {path} does not exist.")
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise ConfigError(f"The model config folder {path} holds no .json files.")
        configs = [_read_json(f) for f in files]
        if not any(all(k in c for k in _ARCH_KEYS) for c in configs):
            raise ConfigError(
                f"No file in {path} is an open_clip model config "
                "(it needs embed_dim, vision_cfg and text_cfg)."
            )
    else:
        if path.suffix != ".json":
            raise ConfigError(f"The model config {path} must be a .json file.")
        config = _read_json(path)
        if not all(k in config for k in _ARCH_KEYS):
            raise ConfigError(
                f"The model config {path} is not an open_clip model config "
                "(it needs embed_dim, vision_cfg and text_cfg)."
            )
    try:
        open_clip.add_model_config(path.resolve())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"open_clip could not register the model config {path}.", str(exc)
        ) from exc


def find_dir_weights(folder: Path) -> Path:
    """Pick the checkpoint file of a weights folder.

    A folder with ``open_clip_config.json`` uses open_clip's ``local-dir:`` rules; a plain
    folder must hold one checkpoint (or one with an open_clip standard name).

    Raises:
        ModelNotAvailableError: No checkpoint, or several and none is preferred.
    """
    has_config = (folder / DIR_CONFIG_NAME).is_file()
    suffixes = _LOCAL_DIR_SUFFIXES if has_config else WEIGHT_SUFFIXES
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in suffixes)
    preferred = [name for name in _DIR_PREFERRED_NAMES if (folder / name).is_file()]
    if preferred:
        return folder / preferred[0]
    if len(found) == 1 or (has_config and found):
        # open_clip takes the first .safetensors, else the first name in sort order.
        return sorted(found, key=lambda p: p.suffix != ".safetensors")[0]
    kinds = ", ".join(suffixes)
    if not found:
        raise ModelNotAvailableError(f"The folder {folder} holds no weights file ({kinds}).")
    names = ", ".join(p.name for p in found)
    raise ModelNotAvailableError(
        f"The folder {folder} holds several weights files ({names}); "
        "pass the one to use as a file path."
    )


def pretrained_tag_cfg(source: ModelSource) -> dict[str, Any]:
    """open_clip's pretrained config for a tag source (preprocessing, quick_gelu)."""
    if source.kind != "tag":
        return {}
    return dict(open_clip.get_pretrained_cfg(source.model_name, source.location))


def _dir_source(model_name: str, folder: Path) -> ModelSource:
    if (folder / DIR_CONFIG_NAME).is_file():
        config = _read_json(folder / DIR_CONFIG_NAME)
        if "model_cfg" not in config:
            raise ConfigError(f"{folder / DIR_CONFIG_NAME} has no 'model_cfg' entry.")
    weights = find_dir_weights(folder)
    return ModelSource(model_name, "dir", str(folder), _file_model_id(model_name, weights))


def _file_model_id(model_name: str, weights: Path) -> str:
    try:
        return f"{model_name}:file:{weights_fingerprint(weights)}"
    except OSError as exc:
        raise ModelNotAvailableError(
            f"The weights file {weights} cannot be read.", str(exc)
        ) from exc


def _check_architecture(model_name: str) -> None:
    known = list(open_clip.list_models())
    if model_name in known:
        return
    close = difflib.get_close_matches(model_name, known, n=5, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ConfigError(
        f"Unknown model architecture '{model_name}'.{hint} "
        "A custom architecture needs its JSON file in 'model_config'."
    )


def _check_tag(model_name: str, pretrained: str) -> str:
    tag = pretrained.lower().replace("-", "_")
    tags = list(open_clip.list_pretrained_tags_by_model(model_name))
    if tag in tags:
        return tag
    if not tags:
        raise ConfigError(
            f"'{pretrained}' is neither a file nor a folder, and {model_name} has no "
            "pretrained tags: pass a weights file with --pretrained."
        )
    raise ConfigError(
        f"Unknown pretrained tag '{pretrained}' for {model_name}. "
        f"Valid tags: {', '.join(tags)}; or pass a weights file or folder."
    )


def _is_name(model_name: str, pretrained: str) -> bool:
    """``random`` or a known tag: wins over a same-named file in the working folder."""
    tag = pretrained.lower().replace("-", "_")
    return tag == RANDOM_WEIGHTS or tag in open_clip.list_pretrained_tags_by_model(model_name)


def _looks_like_path(value: str) -> bool:
    return (
        "/" in value
        or "\\" in value
        or value.startswith(("~", "."))
        or value.lower().endswith((*WEIGHT_SUFFIXES, ".npz"))
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"The model config {path} is not valid JSON.", str(exc)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"The model config {path} must hold a JSON object.")
    return data
