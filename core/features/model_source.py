"""Where the CLIP weights come from: a pretrained tag, a local file or folder, or random.

:func:`resolve_model_source` turns an :class:`~core.config.EncoderConfig` into a
:class:`ModelSource` without touching the network. :func:`ensure_weights` then makes the
weights available as a local file: a tag is looked up in the cache first and downloaded
only when the hub answers, so an offline machine fails within seconds with a message
that says how to import a file by hand.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import open_clip

from core.config import EncoderConfig
from core.errors import ConfigError, ModelNotAvailableError
from core.progress import Progress, ProgressCallback, RateLimitedReporter

logger = logging.getLogger(__name__)

SourceKind = Literal["tag", "file", "dir", "random"]

RANDOM_WEIGHTS = "random"
DIR_CONFIG_NAME = "open_clip_config.json"
HF_WEIGHTS_NAME = "open_clip_pytorch_model.bin"
HF_SAFE_WEIGHTS_NAME = "open_clip_model.safetensors"
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
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
_OFFLINE_MODE = "downloads are turned off (HF_HUB_OFFLINE)"
_HUB_UNREACHABLE = "the Hugging Face hub cannot be reached"
_ARCH_KEYS = ("embed_dim", "vision_cfg", "text_cfg")
_FINGERPRINT_EDGE_BYTES = 1 << 20
_FINGERPRINT_SAMPLES = 16
_FINGERPRINT_SAMPLE_BYTES = 64 << 10


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


def ensure_weights(
    source: ModelSource,
    cache_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    probe_timeout_s: float = 3.0,
) -> Path | None:
    """Make the weights of ``source`` available as a local file.

    A tag is looked up in ``cache_dir`` (Hugging Face cache layout, or a file copied into
    ``cache_dir/<model>/<tag>/``) and downloaded only if the hub host answers within
    ``probe_timeout_s`` and ``HF_HUB_OFFLINE`` is not set.

    Args:
        source: What to load (from :func:`resolve_model_source`).
        cache_dir: Folder for downloaded weights (``paths.model_cache_dir()``).
        progress: Receives ``"download"`` progress in bytes while a tag is downloaded.
        probe_timeout_s: How long to wait for the hub host before giving up.

    Returns:
        The local weights file, or ``None`` for random weights.

    Raises:
        ModelNotAvailableError: The weights are not cached and cannot be downloaded.
    """
    if source.kind == "random":
        return None
    if source.kind == "file":
        return Path(source.location)
    if source.kind == "dir":
        return find_dir_weights(Path(source.location))
    repo_id, filenames = _hub_files(source)
    cached = _cached_weights(repo_id, filenames, cache_dir, source)
    if cached is not None:
        logger.info("Using cached weights %s for %s", cached, source.model_id)
        return cached
    endpoint = (os.environ.get("HF_ENDPOINT") or DEFAULT_HF_ENDPOINT).rstrip("/")
    if _is_true(os.environ.get("HF_HUB_OFFLINE")):
        raise _offline_error(source, cache_dir, _OFFLINE_MODE, "HF_HUB_OFFLINE is set")
    reason = _probe_host(endpoint, probe_timeout_s)
    if reason:
        raise _offline_error(source, cache_dir, _HUB_UNREACHABLE, reason)
    return _download(source, repo_id, filenames, cache_dir, endpoint, progress)


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


def weights_fingerprint(path: Path) -> str:
    """A short content hash that is cheap for a 600 MB file.

    It hashes the size, the first and last MiB and 16 evenly spread 64 KiB samples, so a
    moved or renamed file keeps its fingerprint and a different checkpoint gets a new one
    without reading the whole file.
    """
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(_FINGERPRINT_EDGE_BYTES))
        for i in range(1, _FINGERPRINT_SAMPLES + 1):
            handle.seek(size * i // (_FINGERPRINT_SAMPLES + 1))
            digest.update(handle.read(_FINGERPRINT_SAMPLE_BYTES))
        handle.seek(max(0, size - _FINGERPRINT_EDGE_BYTES))
        digest.update(handle.read(_FINGERPRINT_EDGE_BYTES))
    return digest.hexdigest()[:16]


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


def _hub_files(source: ModelSource) -> tuple[str, list[str]]:
    """The hub repo and the file names open_clip would try, safetensors first."""
    hf_hub = str(pretrained_tag_cfg(source).get("hf_hub", ""))
    if not hf_hub:
        raise ModelNotAvailableError(
            f"The weights for {source.model_name} ({source.location}) are not on the "
            "Hugging Face hub; pass a weights file with --pretrained."
        )
    repo_id, filename = os.path.split(hf_hub)
    if not filename or filename == HF_WEIGHTS_NAME:
        return repo_id, [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]
    if filename.endswith((".bin", ".pth")):
        return repo_id, [filename[:-4] + ".safetensors", filename]
    return repo_id, [filename]


def manual_weights_dir(source: ModelSource, cache_dir: Path) -> Path:
    """Where a user may copy the weights file of a tag by hand."""
    return cache_dir / source.model_name / source.location


def _cached_weights(
    repo_id: str, filenames: list[str], cache_dir: Path, source: ModelSource
) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    manual = manual_weights_dir(source, cache_dir)
    for name in filenames:
        if (manual / name).is_file():
            return manual / name
    for name in filenames:
        hit = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
        if isinstance(hit, str) and Path(hit).is_file():
            return Path(hit)
    return None


def _probe_host(endpoint: str, timeout_s: float) -> str:
    """Return ``""`` if the hub host accepts a TCP connection, else why not.

    Runs in a daemon thread so that a hanging DNS lookup is bounded by ``timeout_s`` too.
    """
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = parts.port or (80 if parts.scheme == "http" else 443)
    outcome: list[str] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                outcome.append("")
        except (OSError, ValueError) as exc:
            outcome.append(f"cannot reach {host}:{port} ({exc})")

    worker = threading.Thread(target=attempt, name="hashlens-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout_s)
    return outcome[0] if outcome else f"no answer from {host}:{port} within {timeout_s:g} s"


def _offline_error(
    source: ModelSource, cache_dir: Path, problem: str, reason: str
) -> ModelNotAvailableError:
    manual = manual_weights_dir(source, cache_dir)
    return ModelNotAvailableError(
        f"The model {source.model_name} with pretrained weights '{source.location}' is not "
        f"downloaded yet, and {problem}. To import it by hand, "
        f"start with --pretrained /path/to/{HF_WEIGHTS_NAME} (or a folder holding it), "
        f"or copy {HF_WEIGHTS_NAME} or {HF_SAFE_WEIGHTS_NAME} into {manual}.",
        reason,
    )


def _download(
    source: ModelSource,
    repo_id: str,
    filenames: list[str],
    cache_dir: Path,
    endpoint: str,
    progress: ProgressCallback | None,
) -> Path:
    from huggingface_hub import hf_hub_download

    message = f"Downloading {source.model_name} ({source.location})"
    last_error: Exception | None = None
    for name in filenames:
        logger.info("Downloading %s/%s from %s", repo_id, name, endpoint)
        try:
            local = hf_hub_download(
                repo_id,
                name,
                cache_dir=cache_dir,
                endpoint=endpoint,
                library_name="open_clip",
                tqdm_class=_progress_bar_class(progress, message),
            )
        except Exception as exc:  # network, HTTP, disk: all mean "not available"
            if _is_missing_on_hub(exc):
                last_error = exc
                continue
            raise ModelNotAvailableError(
                f"Downloading the model {source.model_name} ({source.location}) failed. "
                "Try again, or import a weights file with --pretrained.",
                f"{type(exc).__name__}: {exc}",
            ) from exc
        path = Path(str(local))
        if progress is not None:
            size = path.stat().st_size
            progress(Progress("download", size, size, message))
        return path
    raise ModelNotAvailableError(
        f"The hub has no weights file for {source.model_name} ({source.location}).",
        str(last_error),
    )


def _is_missing_on_hub(exc: Exception) -> bool:
    """A 404 for this file name (try the next one), not a network failure."""
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    return isinstance(exc, EntryNotFoundError) and not isinstance(exc, LocalEntryNotFoundError)


def _progress_bar_class(progress: ProgressCallback | None, message: str) -> type[Any] | None:
    """A silent tqdm class for ``hf_hub_download`` that forwards byte counts to ``progress``."""
    if progress is None:
        return None
    from tqdm.std import tqdm

    reporter = RateLimitedReporter(progress)

    class _DownloadBar(tqdm):  # type: ignore[misc]  # tqdm ships no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True  # core never prints
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs)
            self.done_bytes = int(kwargs.get("initial") or 0)
            reporter(self._snapshot(), force=True)

        def update(self, n: float | None = 1) -> bool | None:
            self.done_bytes += int(n or 0)
            reporter(self._snapshot())
            result: bool | None = super().update(n)
            return result

        def _snapshot(self) -> Progress:
            return Progress("download", self.done_bytes, int(self.total or 0), message)

    return _DownloadBar


def _is_true(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}
