"""Maximal marginal relevance over category and item vectors, and the intra-list diversity it is judged by.

Similarity of two items is `category_weight * [same category] + (1 - category_weight) * max(cos, 0)` over
the item space (category only where an item has no vector). MMR picks greedily the item maximising
`(1 - lambda) * relevance - lambda * max similarity to those already picked`, relevance being the model
score min-max scaled over the list; lambda 0 keeps the model order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CATEGORY_WEIGHT = 0.5


def similarity_matrix(categories: Sequence[str], vectors: np.ndarray | None, known: np.ndarray | None,
                      category_weight: float = CATEGORY_WEIGHT) -> np.ndarray:
    """Pairwise item similarity in [0, 1] (vectors unit-norm; rows with known False use category only)."""
    codes: dict[str, int] = {}
    cats = np.asarray([codes.setdefault(c, len(codes)) for c in categories])
    same = (cats[:, None] == cats[None, :]).astype(np.float64)
    if vectors is None or known is None or not known.any():
        return same
    cos = np.clip(vectors @ vectors.T, 0.0, 1.0).astype(np.float64)
    both = known[:, None] & known[None, :]
    return np.where(both, category_weight * same + (1 - category_weight) * cos, same)


def mmr(scores: np.ndarray, similarity: np.ndarray, lam: float, page: int) -> np.ndarray:
    """The first `page` positions chosen by MMR, then the rest in score order; returns indices into scores.

    Args:
        scores: Model scores (higher is better).
        similarity: Pairwise similarity (n x n).
        lam: Diversity weight in [0, 1].
        page: How many positions MMR fills (the rest keep score order).
    """
    order = np.argsort(-scores, kind="stable")
    n = len(scores)
    if lam <= 0 or n <= 1:
        return order
    span = float(scores.max() - scores.min())
    relevance = (scores - scores.min()) / span if span > 0 else np.zeros(n)
    chosen: list[int] = []
    free = np.ones(n, dtype=bool)
    closest = np.zeros(n)
    for _ in range(min(page, n)):
        value = np.where(free, (1 - lam) * relevance - lam * closest, -np.inf)
        pick = int(np.argmax(value))
        chosen.append(pick)
        free[pick] = False
        closest = np.maximum(closest, similarity[pick])
    rest = [int(i) for i in order if free[i]]
    return np.asarray(chosen + rest, dtype=np.int64)


def intra_list_diversity(similarity: np.ndarray) -> float:
    """Mean pairwise dissimilarity (1 - similarity) of a list's items (0 for fewer than two)."""
    n = similarity.shape[0]
    if n < 2:
        return 0.0
    upper = similarity[np.triu_indices(n, k=1)]
    return float(np.mean(1.0 - upper))
