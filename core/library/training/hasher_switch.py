"""Switch search to a hasher trained earlier: code what it has not seen, then activate it.

The window's hashing panel and ``hashlens train --activate`` both switch through here, so
both leave the library in the same state: every photo and caption indexed since the
hasher was trained gets its code first, and only then does search use the hasher.
"""

from __future__ import annotations

from core.errors import HashingInputError
from core.library.training.code_writer import CodesWritten, load_hasher, write_missing_codes
from core.progress import CancelToken, ProgressCallback
from core.store.database import Store
from core.store.records import EncoderRecord, HasherRecord

GONE = "That hashing model is no longer in this library; train one again."


def find_trained(
    store: Store, encoder: EncoderRecord, method: str, n_bits: int
) -> HasherRecord | None:
    """The stored hasher of ``method`` at ``n_bits`` for ``encoder``'s features, if any.

    Training keeps one version per method and code length, so there is at most one.
    """
    matches = [
        h
        for h in store.codes.hashers()
        if h.encoder_id == encoder.id and h.name == method and h.n_bits == n_bits
    ]
    return max(matches, key=lambda h: h.version, default=None)


def switch_to(
    store: Store,
    encoder: EncoderRecord,
    hasher_id: int,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[HasherRecord, CodesWritten]:
    """Make a stored hasher the one search uses, first coding items added since its training.

    Returns:
        The activated hasher's record and the codes written for it.

    Raises:
        HashingInputError: The hasher is gone or was trained on another model's features.
        HasherFileError: Its stored model cannot be read.
    """
    try:
        record = store.codes.hasher(hasher_id)
    except KeyError:
        record = None
    if record is None or record.encoder_id != encoder.id:
        raise HashingInputError(GONE, f"hasher {hasher_id}")
    hasher = load_hasher(store, record)
    written = write_missing_codes(store, record, hasher, encoder, progress=progress, cancel=cancel)
    with store.atomic():
        store.codes.activate(record.id)
    return store.codes.hasher(record.id), written
