"""FPO-CMH's hash heads: f_m(x) = tanh(φ_m(x)·W_m + b_m), with their SGD state.

A head is the base hasher's frozen feature map φ_m (L2-normalise and centre, or RBF
kernel features) followed by a trainable linear layer and tanh, the DADH/DJSRH head
shape of docs/design/research/fpo-cmh.md §4 on the app's shallow features. Gradients are derived
by hand (the learner in ``fpo_learner`` computes them); this module owns the
parameters, the accumulated gradients and the optimiser step, which follows
``torch.optim.SGD`` exactly (weight decay added to the gradient, momentum buffer
initialised with the first gradient, no dampening, no Nesterov).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from core.hashing.models.preprocess import FeatureMap

Matrix = npt.NDArray[np.float32]
Vector = npt.NDArray[np.float32]
StateDict = dict[str, npt.NDArray[Any]]


@cache
def _blas_threads() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with BLAS on one thread (process-wide, restored afterwards).

    The online updates are sequences of tiny matrix products; OpenBLAS's worker threads
    cost more than they save there, many times more when other work holds the cores
    (benchmarks/online_stream.py: 1.3 s vs 7.2 s for one emoji stream on a busy
    2-core machine).
    """
    with _blas_threads().limit(limits=1, user_api="blas"):
        yield


@dataclass(frozen=True)
class SGDSettings:
    """Learning rate, momentum and weight decay of one head's optimiser."""

    lr: float
    momentum: float
    weight_decay: float


class TanhHead:
    """One modality's head: parameters, accumulated gradients and momentum buffers.

    Args:
        feature_map: The frozen φ_m.
        W: (d'_m, k) weights.
        b: (k,) bias.
    """

    def __init__(self, feature_map: FeatureMap, W: npt.NDArray[Any], b: npt.NDArray[Any]) -> None:
        self.feature_map = feature_map
        self.W = np.array(W, dtype=np.float32)
        self.b = np.array(b, dtype=np.float32)
        self.grad_W = np.zeros_like(self.W)
        self.grad_b = np.zeros_like(self.b)
        self.momentum_W = np.zeros_like(self.W)
        self.momentum_b = np.zeros_like(self.b)
        self.has_momentum = False
        self.steps = 0

    def features(self, X: npt.NDArray[Any]) -> Matrix:
        """φ_m of (n, d_m) inputs → (n, d'_m)."""
        return self.feature_map.transform(X)

    def pre_activation(self, Phi: Matrix) -> Matrix:
        """φ·W + b for (n, d'_m) mapped rows → (n, k)."""
        out: Matrix = Phi @ self.W + self.b
        return out

    def step(self, settings: SGDSettings) -> None:
        """Apply the accumulated gradients (``torch.optim.SGD.step``), then zero them."""
        for param, grad, buf in (
            (self.W, self.grad_W, self.momentum_W),
            (self.b, self.grad_b, self.momentum_b),
        ):
            d_p = grad + np.float32(settings.weight_decay) * param
            if self.has_momentum:
                buf *= np.float32(settings.momentum)
                buf += d_p
            else:
                buf[...] = d_p
            param -= np.float32(settings.lr) * buf
            grad.fill(0.0)
        self.has_momentum = settings.momentum != 0.0
        self.steps += 1

    def state(self, prefix: str) -> StateDict:
        """Parameters, gradients and optimiser state under ``prefix/``."""
        return {
            **self.feature_map.state(f"{prefix}/map"),
            f"{prefix}/W": self.W,
            f"{prefix}/b": self.b,
            f"{prefix}/grad_W": self.grad_W,
            f"{prefix}/grad_b": self.grad_b,
            f"{prefix}/momentum_W": self.momentum_W,
            f"{prefix}/momentum_b": self.momentum_b,
            f"{prefix}/has_momentum": np.array(self.has_momentum),
            f"{prefix}/steps": np.array(self.steps, dtype=np.int64),
        }

    @classmethod
    def from_state(cls, prefix: str, state: StateDict, n_bits: int) -> TanhHead:
        """Inverse of :meth:`state` (KeyError/ValueError when broken)."""
        head = cls(
            FeatureMap.from_state(f"{prefix}/map", state),
            state[f"{prefix}/W"],
            state[f"{prefix}/b"],
        )
        if head.W.shape != (head.feature_map.out_dim, n_bits) or head.b.shape != (n_bits,):
            raise ValueError(f"{prefix}: shapes {head.W.shape} {head.b.shape}")
        for name in ("grad_W", "grad_b", "momentum_W", "momentum_b"):
            value = np.asarray(state[f"{prefix}/{name}"], np.float32)
            target = getattr(head, name)
            if value.shape != target.shape:
                raise ValueError(f"{prefix}/{name}: shape {value.shape}")
            target[...] = value
        head.has_momentum = bool(state[f"{prefix}/has_momentum"])
        head.steps = int(state[f"{prefix}/steps"])
        return head
