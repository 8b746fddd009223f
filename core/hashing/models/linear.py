"""Shared out-of-sample form of the shallow methods: ``b = sgn(φ_m(x)·W_m − t)``.

Every baseline here (and HPsEH) ends with one feature map φ_m and one projection W_m
per modality, plus an optional per-bit threshold t; only how W_m is learned differs.
Subclasses implement ``_fit`` and finish it with :meth:`LinearHasher._set_functions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.hashing.base import Hasher, StateDict
from core.hashing.models.preprocess import FeatureMap
from core.types import FloatArray

Weights = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LinearFunctions:
    """φ_x, φ_y, W_x (k_x, r), W_y (k_y, r) and the per-bit threshold t (r,)."""

    maps: tuple[FeatureMap, FeatureMap]
    weights: tuple[Weights, Weights]
    offset: Weights


class LinearHasher(Hasher):
    """A hasher whose functions are a feature map and a linear projection per modality."""

    _functions: LinearFunctions | None = None

    def _set_functions(
        self,
        maps: tuple[FeatureMap, FeatureMap],
        W_x: npt.NDArray[Any],
        W_y: npt.NDArray[Any],
        offset: npt.NDArray[Any] | None = None,
    ) -> None:
        """Install the learned functions: W_x (k_x, r), W_y (k_y, r), offset (r,)."""
        zero = np.zeros(self.n_bits, np.float32)
        self._functions = LinearFunctions(
            maps,
            (np.asarray(W_x, np.float32), np.asarray(W_y, np.float32)),
            zero if offset is None else np.asarray(offset, np.float32),
        )

    @property
    def functions(self) -> LinearFunctions:
        """The learned functions (raises NotFittedError before training)."""
        self.dims  # noqa: B018 - raises NotFittedError when unfitted
        assert self._functions is not None
        return self._functions

    def _project(self, modality: int, features: FloatArray) -> npt.NDArray[np.float32]:
        functions = self._functions
        assert functions is not None
        mapped = functions.maps[modality].transform(features)
        projection: npt.NDArray[np.float32] = mapped @ functions.weights[modality]
        return projection - functions.offset

    def _project_image(self, features: FloatArray) -> npt.NDArray[np.floating[Any]]:
        return self._project(0, features)

    def _project_text(self, features: FloatArray) -> npt.NDArray[np.floating[Any]]:
        return self._project(1, features)

    def _state(self) -> StateDict:
        functions = self._functions
        assert functions is not None
        return {
            **functions.maps[0].state("image"),
            **functions.maps[1].state("text"),
            "W_x": functions.weights[0],
            "W_y": functions.weights[1],
            "offset": functions.offset,
        }

    def _set_state(self, state: StateDict) -> None:
        maps = (FeatureMap.from_state("image", state), FeatureMap.from_state("text", state))
        W_x, W_y, offset = state["W_x"], state["W_y"], state["offset"]
        shapes_ok = (
            W_x.shape == (maps[0].out_dim, self.n_bits)
            and W_y.shape == (maps[1].out_dim, self.n_bits)
            and offset.shape == (self.n_bits,)
        )
        if not shapes_ok:
            raise ValueError(f"inconsistent shapes {W_x.shape} {W_y.shape} {offset.shape}")
        self._set_functions(maps, W_x, W_y, offset)
