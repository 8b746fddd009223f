"""Encode caption texts that have no vector from the current encoder, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence

from core.encoders.encoder import Encoder
from core.progress import CancelToken, Progress, RateLimitedReporter
from core.store.database import Store

TEXT_BATCH = 64


def encode_captions(
    store: Store,
    encoder: Encoder,
    encoder_id: int,
    items: Sequence[tuple[int, str]],
    report: RateLimitedReporter,
    cancel: CancelToken | None = None,
) -> int:
    """Encode ``items`` ((caption id, text)); each batch commits on its own. Returns the count."""
    done = 0
    for start in range(0, len(items), TEXT_BATCH):
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = items[start : start + TEXT_BATCH]
        vectors = encoder.encode_texts([text for _, text in chunk])
        with store.atomic():
            store.vectors.put_caption_features(encoder_id, [cid for cid, _ in chunk], vectors)
        done += len(chunk)
        report(Progress("captions", done, len(items)))
    return done
