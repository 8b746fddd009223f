"""Narrow the immutable float and code indexes to the photos a filter lets through.

A filtered query ranks within the narrowed copies, so the ``k`` hits it returns all pass
the filter (filtering the top-k afterwards would return fewer, or none). Copying the rows
costs one pass over the matrix, as the query itself does.
"""

from __future__ import annotations

import numpy as np

from core.search.code_index import CodeIndex
from core.search.float_index import FloatIndex, IdArray


def restrict_floats(index: FloatIndex, allowed: IdArray) -> FloatIndex:
    """The rows of ``index`` whose ids are in ``allowed``."""
    keep = np.isin(index.ids, allowed, assume_unique=True)
    if keep.all():  # every item passes: the index itself, no copy
        return index
    return FloatIndex(index.ids[keep], np.ascontiguousarray(index.vectors[keep]))


def restrict_codes(index: CodeIndex, allowed: IdArray) -> CodeIndex:
    """The codes of ``index`` whose item ids are in ``allowed``, in storage order."""
    keep = np.isin(index.item_ids, allowed, assume_unique=True)
    if keep.all():
        return index
    ids = index.item_ids[keep].copy()
    words = np.ascontiguousarray(index.words[:, keep])
    ids.setflags(write=False)
    words.setflags(write=False)
    return CodeIndex(index.n_bits, ids, words)
