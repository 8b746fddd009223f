"""CLIP embeddings of the concept vocabulary's prompts, made by the library's own model.

Prompt embeddings are only comparable with the stored photo features when the same
CLIP model made both, so the model handed in is checked against the encoder that
produced the library's features before anything is embedded. Used for FPO-CMH's
zero-shot pseudo-labels and for the zero-shot labels stored in the library.
"""

from __future__ import annotations

import logging
import time

from core.encoders.concepts import ConceptVocabulary, prompt_embeddings
from core.encoders.encoder import Encoder, LazyEncoder
from core.errors import IncompatibleCodesError
from core.progress import CancelToken, Progress, ProgressCallback
from core.store.records import EncoderRecord
from core.types import FloatArray

logger = logging.getLogger(__name__)

CONCEPTS_STAGE = "concepts"
"""Progress stage of embedding the concept prompts."""


def library_text_encoder(text_encoder: LazyEncoder | None, features: EncoderRecord) -> Encoder:
    """The CLIP model (loaded now) if it is the one that made ``features``.

    Raises:
        IncompatibleCodesError: No model was given, or it is another model than the
            one whose features are stored.
        ModelNotAvailableError: The model cannot be loaded.
    """
    if text_encoder is None:
        raise IncompatibleCodesError(
            "The CLIP model that indexed this library is needed to embed the concept "
            "prompts, and none was given.",
            f"stored features: {features.model_id}",
        )
    encoder = text_encoder.get()
    if encoder.model_id != features.model_id or encoder.dim != features.dim:
        raise IncompatibleCodesError(
            f"The loaded model {encoder.model_id} did not make the library's features "
            f"({features.model_id}), so its concept prompts cannot be compared with them. "
            "Use the model the library was indexed with.",
            f"{encoder.model_id}/{encoder.dim} vs {features.model_id}/{features.dim}",
        )
    return encoder


def embed_concepts(
    encoder: Encoder,
    vocabulary: ConceptVocabulary,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> FloatArray:
    """(C, d) unit embeddings of the vocabulary's concepts (their prompts averaged).

    Raises:
        TaskCancelled: ``cancel`` was set between batches.
    """
    n_prompts = len(vocabulary.prompts())

    def report(done: int, total: int) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(Progress(CONCEPTS_STAGE, done, total, f"{len(vocabulary)} concepts"))

    report(0, n_prompts)
    started = time.perf_counter()
    embeddings = prompt_embeddings(vocabulary, encoder.encode_texts, report)
    logger.info("Embedded %d concept prompts in %.1f s", n_prompts, time.perf_counter() - started)
    return embeddings
