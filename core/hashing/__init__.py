"""Cross-modal hashing: the Hasher interface, codes, metrics and methods.

Public API (see docs/design/DESIGN.md): ``create_hasher``, ``list_hashers``, ``PairedFeatures``,
``StreamBatch`` and the ``Hasher`` base class.
"""

from core.hashing.base import Hasher
from core.hashing.data import CONCEPT_EMBEDDINGS, PairedFeatures, StreamBatch
from core.hashing.registry import create_hasher, hasher_specs, list_hashers

__all__ = [
    "CONCEPT_EMBEDDINGS",
    "Hasher",
    "PairedFeatures",
    "StreamBatch",
    "create_hasher",
    "hasher_specs",
    "list_hashers",
]
