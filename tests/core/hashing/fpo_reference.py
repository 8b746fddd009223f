# ruff: noqa: N803, N806 - the spec's symbols (W, A0, B0, Cm...) keep their case
"""A literal torch transcription of research/fpo-cmh.md §6 (with the §7 fixes), for tests.

It recomputes everything per item with autograd — f_m over the whole bank, the two
soft cross-entropies, ``backward`` into both heads, the rehearsal MSE and
``torch.optim.SGD`` — so the hand-derived, cached NumPy learner can be checked against it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

from core.hashing.fpo_cmh.learner import OnlineLearner


def reference_stream(
    start: OnlineLearner, stream: Sequence[tuple[np.ndarray, int, list[int]]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Run ``stream`` ((x, modality, labels) items) from ``start``'s state; return (Ws, bs)."""
    s = start.settings
    heads = [copy.deepcopy(h) for h in start.heads]
    bank = copy.deepcopy(start.bank)
    W = [torch.tensor(h.W, dtype=torch.float64, requires_grad=True) for h in heads]
    b = [torch.tensor(h.b, dtype=torch.float64, requires_grad=True) for h in heads]
    opts = [
        torch.optim.SGD([W[m], b[m]], lr=s.sgd.lr, momentum=s.sgd.momentum,
                        weight_decay=s.sgd.weight_decay)
        for m in (0, 1)
    ]  # fmt: skip

    def f(m: int, X: np.ndarray) -> torch.Tensor:
        phi = torch.tensor(heads[m].features(X), dtype=torch.float64)
        return torch.tanh(phi @ W[m] + b[m])

    def unit(m: int, X: np.ndarray) -> torch.Tensor:
        return torch.tensor(start.targets.embed(X, m), dtype=torch.float64)

    A0 = [a.copy() for a in start.anchors0]
    B0 = [torch.tensor(t, dtype=torch.float64) for t in start.targets0]
    n = [0, 0]
    for x, m, labels in stream:
        o = 1 - m
        Am, Ao = bank.features[m].copy(), bank.features[o].copy()
        h = f(m, x[None, :])[0]
        known = any(bank.is_known(c) for c in labels)
        w = 0.0 if not labels else (1.0 if known else 1.0 - s.phi)
        n[m] += 1
        Cm, Co = f(m, Am), f(o, Ao)
        if w > 0 and bank.size:
            t = unit(m, x[None, :])[0]
            p_intra = F.softmax(s.temperature * unit(m, Am) @ t, dim=0)
            p_inter = (
                F.softmax(s.temperature * unit(o, Ao) @ t, dim=0) if s.cross_targets else p_intra
            )
            k = s.code_temperature
            l_intra = F.cross_entropy(k * F.cosine_similarity(h[None], Cm), p_intra)
            l_inter = F.cross_entropy(k * F.cosine_similarity(h[None], Co), p_inter)
            (w * (s.alpha * l_intra + s.beta * l_inter) / s.mu).backward()
        h0 = h.detach().numpy().astype(np.float32)
        live = Cm.detach().numpy().astype(np.float32)
        if labels:
            bank.observe(m, x, h0, labels, live.__getitem__)
        if n[m] == s.mu:
            if len(A0[m]):
                (s.gamma * F.mse_loss(f(m, A0[m]), B0[m])).backward()
            opts[m].step()
            opts[m].zero_grad()
            n[m] = 0
    return [w.detach().numpy() for w in W], [v.detach().numpy() for v in b]
