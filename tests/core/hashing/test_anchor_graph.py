"""Anchor graph and label propagation (LPIH's transductive label scores)."""

from __future__ import annotations

import numpy as np
import pytest

from core.hashing.models.anchor_graph import (
    AnchorGraph,
    anchor_graph,
    propagated_scores,
    unit_rows,
)


def dense(graph: AnchorGraph, n: int) -> np.ndarray:
    Z = np.zeros((n, graph.n_anchors))
    np.put_along_axis(Z, graph.neighbours, graph.weights, axis=1)
    return Z


def blobs(
    n_per: int, classes: int, dim: int, spread: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, dim)) * 3.0
    which = np.repeat(np.arange(classes), n_per)
    X = centres[which] + spread * rng.standard_normal((which.size, dim))
    labels = np.zeros((which.size, classes), dtype=np.uint8)
    labels[np.arange(which.size), which] = 1
    return X, labels


def test_products_through_the_non_zeros_equal_the_dense_anchor_graph() -> None:
    rng = np.random.default_rng(0)
    X = unit_rows(rng.standard_normal((300, 16)))
    graph = anchor_graph(X, 40, 4, np.random.default_rng(1))
    Z = dense(graph, 300)
    assert graph.neighbours.shape == (300, 4)
    np.testing.assert_allclose(Z.sum(axis=1), 1.0)
    assert ((Z > 0).sum(axis=1) <= 4).all()
    F = rng.standard_normal((300, 3))
    np.testing.assert_allclose(graph.transpose_times(F), Z.T @ F, atol=1e-10)
    W = Z @ np.diag(1.0 / Z.sum(axis=0).clip(1e-12)) @ Z.T
    np.testing.assert_allclose(graph.adjacency_times(F), W @ F, atol=1e-10)


def test_propagation_reaches_every_row_of_a_cluster_from_one_label() -> None:
    X, labels = blobs(150, 3, 10, 0.5, seed=2)
    graph = anchor_graph(unit_rows(X), 30, 3, np.random.default_rng(0))
    Y = np.zeros(labels.shape)
    seeds = [0, 150, 300]  # one labelled row per class
    Y[seeds] = labels[seeds]
    F = graph.propagate(Y, 0.8, 30)
    assert (np.argmax(F, axis=1) == np.argmax(labels, axis=1)).mean() > 0.95


def test_the_modality_whose_graph_predicts_held_out_labels_is_chosen() -> None:
    text, labels = blobs(120, 4, 12, 0.6, seed=3)
    noise = np.random.default_rng(4).standard_normal(text.shape)  # images carry nothing
    rng = np.random.default_rng(0)
    graphs = {
        "image": anchor_graph(unit_rows(noise), 40, 5, rng),
        "text": anchor_graph(unit_rows(text), 40, 5, rng),
    }
    labelled = np.zeros(labels.shape[0], dtype=bool)
    labelled[rng.choice(labels.shape[0], 48, replace=False)] = True
    scores = propagated_scores(graphs, labelled, labels, alpha=0.8, iterations=20, rng=rng)
    assert scores.space == "text"
    assert scores.accuracy["text"] > 0.9 > 0.5 > scores.accuracy["image"]
    assert scores.held_out.shape == (48, 4)
    unl = ~labelled
    predicted = np.argmax(scores.scores[unl], axis=1)
    assert (predicted == np.argmax(labels[unl], axis=1)).mean() > 0.9


def test_held_out_scores_never_see_the_row_they_score() -> None:
    """A labelled row alone in its class cannot be predicted from the other fold."""
    X, labels = blobs(60, 2, 8, 0.3, seed=5)
    X = np.vstack([X, X[:1] + 0.01])  # a near copy of a class-0 row...
    labels = np.hstack([labels, np.zeros((labels.shape[0], 1), np.uint8)])
    labels = np.vstack([labels, np.array([[0, 0, 1]], np.uint8)])  # ...in a class of its own
    labelled = np.ones(labels.shape[0], dtype=bool)
    graph = anchor_graph(unit_rows(X), 20, 3, np.random.default_rng(0))
    scores = propagated_scores(
        {"x": graph}, labelled, labels, alpha=0.8, iterations=20, rng=np.random.default_rng(0)
    )
    assert scores.held_out[-1, 2] == pytest.approx(0.0, abs=1e-12)
    assert scores.scores[-1, 2] > 0
