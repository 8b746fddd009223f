"""Frozen configuration tree.

Precedence: built-in defaults < ``resources/default_config.toml`` < the user's
``config.toml`` < ``HASHLENS_<SECTION>_<KEY>`` environment variables < explicit
overrides (command-line options). Loaded once by the composition root.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from core import paths
from core.errors import ConfigError

ENCODER_PROCESS_MODES = ("separate", "inline")
"""Where the window runs the model: a process of its own (the window never imports
torch) or the window's process. ``hashlens`` commands always run it inline (there is no
window to keep responsive)."""
ENCODER_RUNTIMES = ("auto", "onnx", "torch")
"""``auto``: ONNX Runtime on the CPU (exported once per model), torch on CUDA or MPS."""
ENCODER_PRECISIONS = ("auto", "fp32", "int8")
"""``auto``: int8 towers where the model passes the int8 fidelity check, else fp32."""


@dataclass(frozen=True, slots=True)
class EncoderConfig:
    """Which open_clip model encodes photos and text, and how it runs."""

    model: str = "ViT-B-32"
    pretrained: str = "laion2b_s34b_b79k"
    model_config: str = ""
    device: str = "auto"
    batch_size: int = 32
    num_threads: int = 0
    process: str = "separate"
    runtime: str = "auto"
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.process not in ENCODER_PROCESS_MODES:
            modes = " or ".join(ENCODER_PROCESS_MODES)
            raise ConfigError(f"Setting encoder.process must be {modes}.")
        if self.runtime not in ENCODER_RUNTIMES:
            raise ConfigError(f"Setting encoder.runtime must be {', '.join(ENCODER_RUNTIMES)}.")
        if self.precision not in ENCODER_PRECISIONS:
            raise ConfigError(f"Setting encoder.precision must be {', '.join(ENCODER_PRECISIONS)}.")


@dataclass(frozen=True, slots=True)
class IndexingConfig:
    """How folders are scanned and photos decoded."""

    decode_workers: int = 2
    max_image_pixels: int = 120_000_000
    missing_guard_fraction: float = 0.5
    missing_guard_min_files: int = 20


WATCH_MODES = ("auto", "polling", "off")


@dataclass(frozen=True, slots=True)
class WatchConfig:
    """How folders are watched for changes while the app (or ``hashlens watch``) runs.

    Attributes:
        mode: ``auto`` (the system's file events; polling on network and removable
            drives), ``polling`` (always poll) or ``off``.
        quiet_s: A burst of changes is over after this long without a new one.
        settle_s: A changed file counts as complete once its size and modification
            time stayed the same this long (and no program still has it open for writing).
        max_delay_s: During a change storm longer than this, index what has settled so far.
        poll_interval_s: How often polled folders are listed, and missing folders looked for.
    """

    mode: str = "auto"
    quiet_s: float = 1.0
    settle_s: float = 1.0
    max_delay_s: float = 30.0
    poll_interval_s: float = 5.0

    def __post_init__(self) -> None:
        if self.mode not in WATCH_MODES:
            raise ConfigError(f"Setting watch.mode must be one of {', '.join(WATCH_MODES)}.")
        for name in ("quiet_s", "settle_s", "max_delay_s", "poll_interval_s"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"Setting watch.{name} must be a positive number of seconds.")


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """Search defaults."""

    k: int = 20
    mode: str = "auto"
    shortlist: int = 1000


@dataclass(frozen=True, slots=True)
class DuplicatesConfig:
    """Thresholds of duplicate groups (why these: ``core.search.duplicate_groups``)."""

    min_cosine: float = 0.95
    radius: int = -1
    """Hamming radius in bits; -1: derived from ``min_cosine`` and the code length."""
    burst_seconds: float = 10.0
    burst_min_cosine: float = 0.90


@dataclass(frozen=True, slots=True)
class AppConfig:
    """The whole configuration; built once and passed down."""

    library_path: Path = field(default_factory=paths.default_library_path)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    indexing: IndexingConfig = field(default_factory=IndexingConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    duplicates: DuplicatesConfig = field(default_factory=DuplicatesConfig)


_SECTIONS: dict[str, type[Any]] = {
    "encoder": EncoderConfig,
    "indexing": IndexingConfig,
    "search": SearchConfig,
    "watch": WatchConfig,
    "duplicates": DuplicatesConfig,
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The settings file {path} is not valid TOML.", str(exc)) from exc


def _default_toml() -> dict[str, Any]:
    text = resources.files("resources").joinpath("default_config.toml").read_text("utf-8")
    return tomllib.loads(text)


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if isinstance(value, str) and expected is not str:
        try:
            return expected(float(value)) if expected is int else expected(value)
        except ValueError as exc:
            raise ConfigError(f"Setting {section}.{key} must be a {expected.__name__}.") from exc
    if expected is float and isinstance(value, int):
        return float(value)
    if not isinstance(value, expected):
        raise ConfigError(f"Setting {section}.{key} must be a {expected.__name__}.")
    return value


def _merge(section: str, cls: type[Any], layers: list[dict[str, Any]]) -> Any:
    obj = cls()
    names = {f.name for f in dataclasses.fields(cls)}
    for layer in layers:
        values = layer.get(section, {})
        unknown = set(values) - names
        if unknown:
            raise ConfigError(f"Unknown setting {section}.{sorted(unknown)[0]}.")
        coerced = {k: _coerce(section, k, v, getattr(obj, k)) for k, v in values.items()}
        obj = dataclasses.replace(obj, **coerced)
    return obj


def _env_layer(environ: dict[str, str]) -> dict[str, Any]:
    layer: dict[str, dict[str, str]] = {}
    for section, cls in _SECTIONS.items():
        for f in dataclasses.fields(cls):
            value = environ.get(f"HASHLENS_{section.upper()}_{f.name.upper()}")
            if value is not None:
                layer.setdefault(section, {})[f.name] = value
    return layer


def load_config(
    config_file: Path | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    library_path: Path | None = None,
) -> AppConfig:
    """Build the configuration from every layer.

    Args:
        config_file: The user's ``config.toml``; defaults to the platform config dir.
        environ: Environment to read ``HASHLENS_*`` variables from (default: ``os.environ``).
        overrides: ``{section: {key: value}}`` from the command line; ``None`` values are ignored.
        library_path: Explicit library file (``--library``).

    Raises:
        ConfigError: A file is not valid TOML, or a key or value is unknown or mistyped.
    """
    env = dict(os.environ if environ is None else environ)
    layers = [_default_toml()]
    user_file = config_file or paths.config_dir() / "config.toml"
    if user_file.is_file():
        layers.append(_read_toml(user_file))
    layers.append(_env_layer(env))
    if overrides:
        layers.append(
            {s: {k: v for k, v in kv.items() if v is not None} for s, kv in overrides.items()}
        )
    sections = {name: _merge(name, cls, layers) for name, cls in _SECTIONS.items()}
    library = library_path or paths.default_library_path()
    return AppConfig(library_path=library.expanduser().resolve(), **sections)
