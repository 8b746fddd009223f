"""CCA-ITQ: canonical correlation analysis into a common space, then ITQ.

Gong, Lazebnik, Gordo & Perronnin, "Iterative quantization: a Procrustean approach
to learning binary codes for large-scale image retrieval", TPAMI 35(12), 2013, §5;
docs/design/research/hpseh-lpih.md §4.1 (steps 1–6 map one to one onto ``_fit``).

Symbols (rows are items): Φ_x (n, k_x), Φ_y (n, k_y) the centred features of §0;
C_xx = Φ_xᵀΦ_x/n + εI with ε = reg·tr(C_xx)/k_x (likewise C_yy), C_xy = Φ_xᵀΦ_y/n;
K = C_xx^{-1/2} C_xy C_yy^{-1/2} = U Σ Vᵀ; P_x = C_xx^{-1/2} U_r Σ_r^p,
P_y = C_yy^{-1/2} V_r Σ_r^p (``power`` = p); Z = [Φ_x P_x; Φ_y P_y] (2n, r);
R = ITQ rotation of Z; codes b = sgn(φ_m(x)·P_m·R).

Needs n_bits ≤ min(k_x, k_y). Works for unaligned modalities (different dimensions).

Defaults (reg = 1, power = 2) come from a validation sweep on the emoji and Phosphor
training sets (benchmarks/validation_sweep.py; docs/benchmarks.md): the spec's
ε = 1e-4·tr/d over-fits the 1,876-d descriptors (mean I→T/T→I validation mAP 0.25
vs 0.33), and power 2 keeps weak late directions from spending bits as freely as
strong ones (Gong et al. report p = 4 as best on their data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import HashingInputError
from core.hashing.base import FitContext
from core.hashing.data import PairedFeatures
from core.hashing.models.linalg import itq_rotation
from core.hashing.models.linear import LinearHasher
from core.hashing.models.preprocess import FeatureKind, fit_feature_maps
from core.hashing.models.ridge import ridge_of
from core.hashing.tunable import tuned_anchors, tuned_ridge


@dataclass(frozen=True)
class CCAITQParams:
    """Hyperparameters of CCAITQ (see the module docstring for their symbols)."""

    reg: float = 1.0
    power: float = 2.0
    iterations: int = 50
    features: FeatureKind = "raw"
    anchors: int = 1000


class CCAITQ(LinearHasher):
    """Unsupervised cross-modal hashing: CCA projections + ITQ rotation."""

    name = "cca-itq"

    Params = CCAITQParams
    tunable = (tuned_anchors("anchors"), tuned_ridge("reg", values=(1.0, 0.3, 3.0)))
    params: CCAITQParams

    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        rng = context.rng
        anchors = self.params.anchors
        maps, (Phi_x, Phi_y) = fit_feature_maps(data, self.params.features, rng, (anchors, anchors))
        limit = min(Phi_x.shape[1], Phi_y.shape[1])
        if self.n_bits > limit:
            raise HashingInputError(
                f"CCA can make at most {limit} bits from these features.", f"n_bits={self.n_bits}"
            )
        n = Phi_x.shape[0]
        Wx = _inverse_sqrt(_covariance(Phi_x, Phi_x, n, self.params.reg))
        Wy = _inverse_sqrt(_covariance(Phi_y, Phi_y, n, self.params.reg))
        C_xy = (Phi_x.T @ Phi_y).astype(np.float64) / n
        U, sigma, Vt = np.linalg.svd(Wx @ C_xy @ Wy)
        scale = np.maximum(sigma[: self.n_bits], 0.0) ** self.params.power
        P_x = Wx @ U[:, : self.n_bits] * scale
        P_y = Wy @ Vt[: self.n_bits].T * scale
        Z = np.vstack([Phi_x @ P_x, Phi_y @ P_y])
        context.step(1, 2)
        R = itq_rotation(Z, self.params.iterations, rng)
        self._set_functions(maps, P_x @ R, P_y @ R)


def _covariance(
    A: npt.NDArray[Any], B: npt.NDArray[Any], n: int, reg: float
) -> npt.NDArray[np.float64]:
    cov = (A.T @ B).astype(np.float64) / n
    d = cov.shape[0]
    regularised: npt.NDArray[np.float64] = cov + ridge_of(cov, reg) * np.eye(d)
    return regularised


def _inverse_sqrt(C: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    eigval, eigvec = np.linalg.eigh(C)
    eigval = np.maximum(eigval, 1e-12)
    root: npt.NDArray[np.float64] = (eigvec / np.sqrt(eigval)) @ eigvec.T
    return root
