"""EncoderProcess: the Encoder protocol served by a separate model process.

The window uses it so that its process never imports torch: loading torch and
open_clip holds the GIL for hundreds of milliseconds at a time (shared libraries load
under it), which froze the window during the first search (issue #7). The model
process (:mod:`core.encoders.encoder_host`) gets the same settings and runs the same
``load_encoder``, so its vectors are the ones the command line computes in-process.

* Images cross as raw decoded pixels (:class:`ImagePayload`): decoding stays in the
  caller's worker threads, open_clip's preprocessing runs in the model process.
* One request at a time: a search waits for the indexing batch in progress, as it
  would for the encoder lock in-process.
* If the model process dies, the request fails with :class:`EncoderProcessError` and
  the next request starts a new one. It exits by itself when its stdin closes, so it
  never outlives the window.

This module imports neither torch nor open_clip (import-linter checks it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.config import EncoderConfig
from core.encoders.encoder_channel import Channel, ChannelClosed, ImagePayload
from core.errors import CoreError, EncoderProcessError, ModelNotAvailableError
from core.progress import ProgressCallback
from core.types import FloatArray

logger = logging.getLogger(__name__)

HOST_MODULE = "core.encoders.encoder_host"
FROZEN_HOST_FLAG = "--encoder-host"
"""A frozen build has no ``-m``: its executable runs the host when given this flag."""
STOP_TIMEOUT_S = 5.0


def host_command() -> list[str]:
    """The command line that starts a model process with this interpreter (or frozen app).

    ``-P`` (Python 3.11+) keeps the working directory off the child's ``sys.path``:
    ``python -m`` would otherwise put it first, and a ``numpy.py`` in the folder where
    the window was started would run inside the model process. The venv's
    site-packages and ``PYTHONPATH`` still apply (``-I`` would drop both).
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_HOST_FLAG]
    return [sys.executable, "-P", "-m", HOST_MODULE]


def _host_environment() -> dict[str, str]:
    """This environment, with the folder holding ``core`` first on the child's path.

    An empty ``PYTHONPATH`` entry means the working directory even under ``-P``, and
    ``PYTHONPATH=$PWD:$PYTHONPATH`` with the variable unset leaves one: empty entries
    are dropped. A relative entry someone wrote on purpose is kept, made absolute.
    """
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    given = env.get("PYTHONPATH", "").split(os.pathsep)
    entries = [root, *(os.path.abspath(entry) for entry in given if entry)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(entries))
    return env


def _exit_description(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (perhaps for lack of memory)" if -code == signal.SIGKILL else ""
        return f"it was stopped by {name}{hint}"
    return f"it exited with code {code}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Close the model process's stdin (it exits on that), make sure it is gone, close pipes."""
    try:
        if process.poll() is None:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(STOP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):  # a write still buffered for a dead reader
                pipe.close()


class EncoderProcess:
    """An :class:`~core.encoders.encoder.Encoder` whose model runs in a child process.

    Args:
        cfg: The encoder settings, passed to ``load_encoder`` in the child.
        progress: Receives ``"download"`` progress while the child fetches weights.
        command: The child's command line (default :func:`host_command`).
    """

    def __init__(
        self,
        cfg: EncoderConfig,
        *,
        progress: ProgressCallback | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self._cfg = cfg
        self._progress = progress
        self._command = list(command or host_command())
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: Channel | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._model_id = ""
        self._dim = 0

    @classmethod
    def start(
        cls, cfg: EncoderConfig, *, progress: ProgressCallback | None = None
    ) -> EncoderProcess:
        """Start the model process and wait until the model is loaded.

        Raises:
            ModelNotAvailableError: The model cannot be loaded (or the process died loading it).
            ConfigError: An invalid setting.
        """
        encoder = cls(cfg, progress=progress)
        with encoder._lock:
            encoder._ensure_running()
        return encoder

    @property
    def model_id(self) -> str:
        """Stable id of the weights the child loaded."""
        return self._model_id

    @property
    def dim(self) -> int:
        """Length of every feature vector."""
        return self._dim

    @property
    def pid(self) -> int | None:
        """The model process's id while it runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def preprocess(self, image: Image.Image) -> ImagePayload:
        """Copy the decoded pixels; open_clip's transform runs in the model process."""
        return ImagePayload.of(image)

    def encode_preprocessed(self, batch: Sequence[Any]) -> FloatArray:
        """Encode :meth:`preprocess` outputs: ``(len(batch), dim)`` float32, unit rows."""
        return self._encode(("images", list(batch)), len(batch))

    def encode_images(self, images: Sequence[Image.Image]) -> FloatArray:
        """Encode decoded RGB images."""
        return self.encode_preprocessed([self.preprocess(image) for image in images])

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        """Encode texts: ``(len(texts), dim)`` float32, unit rows."""
        return self._encode(("texts", list(texts)), len(texts))

    def close(self) -> None:
        """Stop the model process (it is started again by the next request)."""
        with self._lock:
            self._discard()

    # ------------------------------------------------------------------ internals
    def _encode(self, request: tuple[Any, ...], count: int) -> FloatArray:
        with self._lock:
            self._ensure_running()
            if count == 0:
                return np.zeros((0, self._dim), dtype=np.float32)
            answer = self._exchange(request, loading=False)
        vectors = np.asarray(answer[1], dtype=np.float32)
        if vectors.shape != (count, self._dim):
            raise EncoderProcessError(
                "The model process answered with the wrong number of vectors.",
                f"expected {(count, self._dim)}, got {vectors.shape}",
            )
        return vectors

    def _ensure_running(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        if self._process is not None:
            logger.warning(
                "The model process had stopped (%s); starting it again",
                _exit_description(self._process.returncode),
            )
            self._discard()
        try:
            process = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_host_environment(),
            )
        except OSError as exc:
            raise ModelNotAvailableError(
                "The model process could not be started.", f"{self._command}: {exc}"
            ) from exc
        assert process.stdin is not None
        assert process.stdout is not None
        self._process = process
        self._channel = Channel(process.stdout, process.stdin)
        self._finalizer = weakref.finalize(self, _stop, process)
        logger.info("Started the model process (pid %d)", process.pid)
        try:
            ready = self._exchange(("load", asdict(self._cfg)), loading=True)
        except CoreError:
            self._discard()
            raise
        model_id, dim = str(ready[1]), int(ready[2])
        if self._model_id and model_id != self._model_id:
            logger.warning("The model process now loads %s (was %s)", model_id, self._model_id)
        self._model_id, self._dim = model_id, dim

    def _exchange(self, request: tuple[Any, ...], *, loading: bool) -> tuple[Any, ...]:
        """Send one request and read until its answer, handling logs and progress."""
        assert self._channel is not None
        try:
            self._channel.send(request)
            while True:
                message = self._channel.recv()
                kind = message[0]
                if kind == "log":
                    _log_record(message[1])
                elif kind == "progress":
                    if self._progress is not None:
                        self._progress(message[1])
                elif kind == "error":
                    error = message[1]
                    if not isinstance(error, CoreError):
                        raise EncoderProcessError("The model process failed.", repr(error))
                    raise error
                elif kind in {"ready", "vectors"}:
                    return message
                else:
                    raise EncoderProcessError("The model process answered nonsense.", repr(kind))
        except ChannelClosed as exc:
            raise self._died(loading, str(exc)) from exc

    def _died(self, loading: bool, detail: str) -> CoreError:
        process, code = self._process, None
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = process.wait(STOP_TIMEOUT_S)
        self._discard()
        how = _exit_description(code)
        if loading:
            return ModelNotAvailableError(
                f"The model process stopped while loading the model: {how}. The log has details.",
                detail,
            )
        return EncoderProcessError(
            f"The model process stopped: {how}. It starts again when next needed.", detail
        )

    def _discard(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # stops the process once, however often it is called
        self._finalizer = None
        self._process = None
        self._channel = None


def _log_record(fields: dict[str, Any]) -> None:
    """Log a record forwarded by the model process as if it happened here."""
    target = logging.getLogger(str(fields.get("name", HOST_MODULE)))
    if target.isEnabledFor(int(fields.get("levelno", logging.INFO))):
        target.handle(logging.makeLogRecord({**fields, "processName": "model process"}))
