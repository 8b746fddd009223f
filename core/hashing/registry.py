"""The table of hashing methods: registry key → implementing class, imported lazily.

The registry is data, not decorators: listing the methods imports nothing heavy, and
adding a method is one line here plus its module in ``core/hashing/models``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import CoreError, HashingInputError

if TYPE_CHECKING:
    from core.hashing.base import Hasher, Supervision


@dataclass(frozen=True, slots=True)
class HasherSpec:
    """One registered method.

    Attributes:
        key: Registry key used by ``create_hasher`` and the CLI (kebab-case).
        target: ``"module:Class"`` of the implementation.
        supervision: "unsupervised", "supervised" or "semi-supervised".
        online: Whether the method learns from a stream (``partial_fit``).
        title: Human name with its paper, for listings and reports.
    """

    key: str
    target: str
    supervision: Supervision
    online: bool
    title: str


_SPECS: tuple[HasherSpec, ...] = (
    HasherSpec(
        "lsh",
        "core.hashing.models.lsh:LSH",
        "unsupervised",
        False,
        "Random-projection LSH (Charikar, STOC 2002)",
    ),
    HasherSpec(
        "itq",
        "core.hashing.models.itq:ITQ",
        "unsupervised",
        False,
        "ITQ on the pooled feature space (Gong & Lazebnik, CVPR 2011)",
    ),
    HasherSpec(
        "cca-itq",
        "core.hashing.models.cca_itq:CCAITQ",
        "unsupervised",
        False,
        "CCA-ITQ (Gong, Lazebnik, Gordo & Perronnin, TPAMI 2013)",
    ),
    HasherSpec(
        "cmfh",
        "core.hashing.models.cmfh:CMFH",
        "unsupervised",
        False,
        "Collective matrix factorisation hashing (Ding, Guo & Zhou, CVPR 2014)",
    ),
    HasherSpec(
        "batch",
        "core.hashing.models.batch:BATCH",
        "supervised",
        False,
        "BATCH, label-based asymmetric discrete hashing (Wang et al., TKDE 2020)",
    ),
    HasherSpec(
        "hpseh",
        "core.hashing.models.hpseh:HPsEH",
        "supervised",
        False,
        "HPsEH, heterogeneous pairwise-semantic enhancement hashing (Wong et al., TMM 2025)",
    ),
    HasherSpec(
        "lpih",
        "core.hashing.models.lpih:LPIH",
        "semi-supervised",
        False,
        "LPIH, label-prediction inherited hashing (Jiang et al., ACM MM 2025)",
    ),
    HasherSpec(
        "fpo-cmh",
        "core.hashing.fpo_cmh.hasher:FPOCMH",
        "unsupervised",
        True,
        "FPO-CMH, fast partial-modal online cross-modal hashing (Li et al., IEEE TIP 2025)",
    ),
)


def list_hashers() -> list[str]:
    """Registry keys of every available method, in table order."""
    return [spec.key for spec in _SPECS]


def hasher_specs() -> tuple[HasherSpec, ...]:
    """Every registered method with its metadata (imports nothing)."""
    return _SPECS


def get_spec(key: str) -> HasherSpec:
    """The spec of ``key``; raises HashingInputError naming the known keys."""
    for spec in _SPECS:
        if spec.key == key:
            return spec
    raise HashingInputError(
        f"Unknown hashing method '{key}'. Known methods: {', '.join(list_hashers())}.", key
    )


def resolve(key: str, *, error: type[CoreError] = HashingInputError) -> type[Hasher]:
    """Import and return the class registered under ``key``."""
    try:
        spec = get_spec(key)
    except HashingInputError as exc:
        raise error(exc.user_message, key) from exc
    module_name, _, class_name = spec.target.partition(":")
    cls: type[Hasher] = getattr(importlib.import_module(module_name), class_name)
    return cls


def create_hasher(key: str, n_bits: int = 64, *, seed: int = 0, **hyperparams: Any) -> Hasher:
    """Build an unfitted hasher: ``create_hasher("cca-itq", n_bits=64, seed=0)``."""
    return resolve(key)(n_bits, seed=seed, **hyperparams)
