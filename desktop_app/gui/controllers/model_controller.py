"""The CLIP model the window uses: ready, needed (download or import), loading or failed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, Signal, Slot

from core.config import EncoderConfig
from core.encoders.encoder import LazyEncoder
from core.errors import CoreError
from core.progress import Progress
from desktop_app.application.error_report import ErrorReport, report_for
from desktop_app.application.library import ModelStatus
from desktop_app.application.model import LoadedModel, load_model, remember_model
from desktop_app.application.model_choice import download_bytes, encoder_config_key, lazy_encoder
from desktop_app.application.progress_text import RateMeter
from desktop_app.gui.tasks import TaskRunner

MODEL_STARTING = "Starting… (the first search after launch waits for it)"
StateKind = Literal["unknown", "ready", "needed", "working", "failed"]


@dataclass(frozen=True, slots=True)
class ModelState:
    """What the model panel shows.

    Attributes:
        kind: ``needed`` asks the user to download or import a model; ``working`` shows
            progress; ``failed`` shows why and asks again.
        name: The model in words (architecture and weights).
        message: A sentence for the panel (progress, or why it failed).
        download_bytes: Size of the default download where known.
        progress: ``(done, total)`` while downloading, else None.
    """

    kind: StateKind
    name: str
    message: str = ""
    download_bytes: int | None = None
    progress: tuple[int, int] | None = None


def model_name(cfg: EncoderConfig) -> str:
    """``ViT-B-32 (laion2b_s34b_b79k)``, or the weights file's name for an imported model."""
    weights = cfg.pretrained
    if "/" in weights or "\\" in weights:
        weights = Path(weights).name
    return f"{cfg.model} ({weights})"


class ModelController(QObject):
    """Holds the encoder the window uses and lets the user get one.

    Signals:
        state_changed: a ``ModelState``.
        model_ready: the model loaded and the library remembers it.
        error_raised: an ``ErrorReport`` for a failure that is not about availability.
    """

    state_changed = Signal(object)
    model_ready = Signal()
    error_raised = Signal(object)
    _download_progressed = Signal(object)  # emitted on a pool thread, delivered here

    def __init__(self, library_path: Path, default_encoder: EncoderConfig, tasks: TaskRunner):
        super().__init__()
        self._library_path = library_path
        self._tasks = tasks
        self._config = default_encoder
        self._previous = default_encoder  # restored when loading another model fails
        self._encoder: LazyEncoder | None = None
        self._state = ModelState("unknown", model_name(default_encoder))
        self._meter = RateMeter()
        self._download_progressed.connect(self._on_download_progressed)

    @property
    def state(self) -> ModelState:
        """The state on show."""
        return self._state

    @property
    def is_ready(self) -> bool:
        """Whether indexing and search can use the model without asking first."""
        return self._state.kind == "ready"

    @property
    def encoder(self) -> LazyEncoder:
        """The encoder of the current model; it loads on first use, in a task."""
        if self._encoder is None or self._encoder.config_key != encoder_config_key(self._config):
            if self._encoder is not None:
                self._encoder.close()  # another model: stop the old one's process
            self._encoder = lazy_encoder(
                self._config,
                progress=self._report_download,
                separate_process=self._config.process == "separate",
            )
        return self._encoder

    def close(self) -> None:
        """Stop the model process, if one runs (the window is closing)."""
        if self._encoder is not None:
            self._encoder.close()

    @Slot(object)
    def set_status(self, status: ModelStatus) -> None:
        """Adopt what the library says about its model (ignored while a load runs)."""
        if self._state.kind == "working":
            return
        if self._state.kind in {"ready", "failed"} and status.config == self._config:
            return
        self._config = status.config
        name = model_name(status.config)
        if status.is_ready:
            self._set_state(ModelState("ready", name))
        else:
            self._set_state(ModelState("needed", name, download_bytes=status.download_bytes))

    @Slot()
    def download(self) -> None:
        """Get the configured model (downloaded once into the cache), then load it."""
        self._activate(self._config)

    @Slot(object)
    def import_weights(self, path: Path) -> None:
        """Use a weights file or folder from this computer (for machines without internet)."""
        self._activate(replace(self._config, pretrained=str(path.expanduser().resolve())))

    @Slot()
    def show_starting(self) -> None:
        """A search waits for the model to start (its process loads it): say so on the card."""
        if self._state.kind == "ready":
            self._set_state(ModelState("working", self._state.name, MODEL_STARTING))

    @Slot()
    def show_started(self) -> None:
        """The model answered the search that waited for it."""
        if self._state.kind == "working" and self._state.message == MODEL_STARTING:
            self._set_state(ModelState("ready", self._state.name))

    @Slot(object)
    def report_unavailable(self, report: ErrorReport) -> None:
        """Indexing or search could not load the model: ask the user for one."""
        sized = download_bytes(self._config)
        self._set_state(ModelState("failed", model_name(self._config), report.message, sized))

    def _activate(self, cfg: EncoderConfig) -> None:
        if self._state.kind == "working":
            return
        self._previous = self._config
        self._config = cfg
        self._meter = RateMeter()
        self._set_state(ModelState("working", model_name(cfg), "Loading the model…"))
        encoder = self.encoder
        self._tasks.submit(
            lambda: load_model(encoder),
            pool="shared",
            on_result=self._on_load_result,
            on_error=self._on_load_error,
        )

    def _report_download(self, progress: Progress) -> None:
        """Runs on the pool thread that loads the model; the signal queues it to the GUI."""
        self._download_progressed.emit(progress)

    @Slot(object)
    def _on_download_progressed(self, progress: Progress) -> None:
        if self._state.kind != "working" or progress.stage != "download":
            return
        text = self._meter.describe(progress)
        span = (progress.done, progress.total)
        self._set_state(ModelState("working", self._state.name, text, progress=span))

    @Slot(object)
    def _on_load_result(self, loaded: LoadedModel) -> None:
        path = self._library_path
        self._set_state(ModelState("working", self._state.name, "Saving the choice…"))
        self._tasks.submit(
            lambda: remember_model(path, loaded),
            pool="writer",
            on_result=self._on_remember_result,
            on_error=self._on_load_error,
        )

    @Slot(object)
    def _on_remember_result(self, _loaded: LoadedModel) -> None:
        self._set_state(ModelState("ready", model_name(self._config)))
        self.model_ready.emit()

    @Slot(object)
    def _on_load_error(self, error: Exception) -> None:
        failed = self._config
        self._config = self._previous
        self._encoder = None
        report = report_for(error, "The model could not be loaded")
        state = ModelState("failed", model_name(failed), report.message, download_bytes(failed))
        self._set_state(state)
        if not isinstance(error, CoreError):
            self.error_raised.emit(report)

    def _set_state(self, state: ModelState) -> None:
        self._state = state
        self.state_changed.emit(state)
