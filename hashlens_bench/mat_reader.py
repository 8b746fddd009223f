"""Read every numeric variable of a MATLAB ``.mat`` file (v5 via SciPy, v7.3 via h5py).

Struct fields are flattened to dotted names (``param.indexTest``). Sparse matrices
become dense. v7.3 files are HDF5, where MATLAB stores arrays transposed; the
readers return arrays as stored and leave orientation to the layout code, which
knows which dimensions must agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import DatasetError

_V73_MARKER = b"MATLAB 7.3"


@dataclass(frozen=True)
class MatContents:
    """The numeric variables of one file.

    Attributes:
        variables: Name (dotted for struct fields) to array.
        is_hdf5: True for a v7.3 (HDF5) file, whose 2-D arrays are stored transposed.
    """

    variables: Mapping[str, np.ndarray]
    is_hdf5: bool


def read_mat(path: Path) -> MatContents:
    """All numeric variables of ``path``; raises :class:`DatasetError` if unreadable."""
    try:
        with path.open("rb") as handle:
            header = handle.read(128)
    except OSError as exc:
        raise DatasetError(f"Could not open {path}.", str(exc)) from exc
    if _V73_MARKER in header or header.startswith(b"\x89HDF"):
        return MatContents(_read_hdf5(path), is_hdf5=True)
    return MatContents(_read_v5(path), is_hdf5=False)


def _read_v5(path: Path) -> dict[str, np.ndarray]:
    try:
        import scipy.io
        import scipy.sparse
        from scipy.io.matlab import MatReadError
    except ImportError as exc:
        raise _needs_extra("scipy", exc) from exc
    try:
        raw = scipy.io.loadmat(path, simplify_cells=True)
    except (OSError, ValueError, TypeError, NotImplementedError, MatReadError) as exc:
        raise DatasetError(f"{path.name} is not a readable .mat file.", str(exc)) from exc
    out: dict[str, np.ndarray] = {}
    _flatten_v5(raw, "", out, scipy.sparse.issparse)
    return out


def _flatten_v5(value: Any, prefix: str, out: dict[str, np.ndarray], issparse: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not str(key).startswith("__"):
                _flatten_v5(item, f"{prefix}{key}.", out, issparse)
        return
    name = prefix.rstrip(".")
    if issparse(value):
        out[name] = np.asarray(value.toarray())
    elif isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        out[name] = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[name] = np.asarray([value])


def _read_hdf5(path: Path) -> dict[str, np.ndarray]:
    try:
        import h5py
    except ImportError as exc:
        raise _needs_extra("h5py", exc) from exc
    out: dict[str, np.ndarray] = {}
    try:
        with h5py.File(path, "r") as handle:

            def visit(name: str, node: Any) -> None:
                numeric = isinstance(node, h5py.Dataset) and node.dtype.kind in "fiub"
                if numeric and not name.startswith("#"):  # skip MATLAB's #refs# bookkeeping
                    out[name.replace("/", ".")] = node[()]

            handle.visititems(visit)
    except OSError as exc:
        raise DatasetError(f"{path.name} is not a readable v7.3 .mat file.", str(exc)) from exc
    return out


def _needs_extra(module: str, exc: ImportError) -> DatasetError:
    return DatasetError(
        f"Reading .mat files needs {module}: pip install 'hashlens[bench]'.", str(exc)
    )
