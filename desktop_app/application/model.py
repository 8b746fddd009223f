"""Model jobs: load the chosen model (downloading it if needed) and remember the choice."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.encoders.encoder import LazyEncoder
from core.store.database import Store


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A model that loaded: what the library records about it."""

    config_key: str
    model_id: str
    dim: int


def load_model(encoder: LazyEncoder) -> LoadedModel:
    """Load (downloading first where needed) and report what loaded.

    Raises:
        ModelNotAvailableError: No weights, no network, or a file that does not load.
        ConfigError: The architecture or settings are invalid.
    """
    loaded = encoder.get()
    return LoadedModel(encoder.config_key, loaded.model_id, loaded.dim)


def remember_model(library_path: Path, loaded: LoadedModel) -> LoadedModel:
    """Make the loaded model the library's model (used by later runs and the CLI)."""
    with Store.open(library_path) as store:
        store.remember_encoder(loaded.config_key, loaded.model_id, loaded.dim)
    return loaded
