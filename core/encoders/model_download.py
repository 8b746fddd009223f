"""Getting a pretrained tag's weights: the local cache first, the hub only when it answers.

An offline machine fails within seconds (a short reachability probe instead of the hub
client's minute of retries) with a message that says how to import a file by hand.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.encoders.model_source import (
    HF_SAFE_WEIGHTS_NAME,
    HF_WEIGHTS_NAME,
    ModelSource,
    find_dir_weights,
    pretrained_tag_cfg,
)
from core.errors import ModelNotAvailableError
from core.progress import Progress, ProgressCallback, RateLimitedReporter

logger = logging.getLogger(__name__)

DEFAULT_HF_ENDPOINT = "https://huggingface.co"
_OFFLINE_MODE = "downloads are turned off (HF_HUB_OFFLINE)"
_HUB_UNREACHABLE = "the Hugging Face hub cannot be reached"


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
    situation = (
        f"The model {source.model_name} with pretrained weights '{source.location}' is not "
        f"downloaded yet, and {problem}."
    )
    return ModelNotAvailableError(
        f"{situation} To import it by hand, "
        f"start with --pretrained /path/to/{HF_WEIGHTS_NAME} (or a folder holding it), "
        f"or copy {HF_WEIGHTS_NAME} or {HF_SAFE_WEIGHTS_NAME} into {manual}.",
        reason,
        situation=situation,
        remedy="import",
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
            failed = f"Downloading the model {source.model_name} ({source.location}) failed."
            raise ModelNotAvailableError(
                f"{failed} Try again, or import a weights file with --pretrained.",
                f"{type(exc).__name__}: {exc}",
                situation=failed,
                remedy="import",
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
