"""Sources and baselines that score every item for a user: popularity, trending, ALS, repurchase, category.

Each returns scores over dense item indices; -inf marks an item the source does not propose.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from shopmesh.recsys.protocol import Split


def popularity(split: Split) -> np.ndarray:
    """Count of visible events per item (one score row shared by every user)."""
    counts = np.zeros(split.n_items, dtype=np.float64)
    for items in split.histories:
        np.add.at(counts, np.asarray(items, dtype=np.int64), 1.0)
    return counts


def trending(split: Split, half_life_days: float = 14.0) -> np.ndarray:
    """Popularity decayed by event age relative to the newest visible event (event time, never wall clock)."""
    now = max((max(t) for t in split.history_times if t), default=0)
    scores = np.zeros(split.n_items, dtype=np.float64)
    rate = np.log(2.0) / (half_life_days * 86400.0)
    for items, times in zip(split.histories, split.history_times, strict=True):
        ages = now - np.asarray(times, dtype=np.float64)
        np.add.at(scores, np.asarray(items, dtype=np.int64), np.exp(-rate * ages))
    return scores


class ALSModel:
    """implicit's ALS over the visible user x item matrix (the reference baseline settings by default)."""

    def __init__(self, split: Split, *, factors: int = 32, regularization: float = 0.01, alpha: float = 1.0,
                 iterations: int = 15, seed: int = 0, threads: int = 1) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        self.user_items = split.train_matrix()
        # Binary preferences: a user who rated a movie twice is not twice as confident.
        self.user_items.data[:] = 1.0
        self.model = AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=alpha,
                                             iterations=iterations, random_state=seed, num_threads=threads,
                                             calculate_training_loss=False)
        self.model.fit(self.user_items, show_progress=False)

    def scores(self, user: int) -> np.ndarray:
        """Dot products of the user's factors with every item's."""
        return np.asarray(self.model.item_factors @ self.model.user_factors[user], dtype=np.float64)

    @property
    def item_factors(self) -> np.ndarray:
        """Item factors (n_items x factors)."""
        return np.asarray(self.model.item_factors)


def repurchase(history: Sequence[int], times: Sequence[int], n_items: int, half_life_days: float = 60.0) -> np.ndarray:
    """Items the user bought before, by recency-decayed purchase count; -inf for items never bought."""
    scores = np.full(n_items, -np.inf)
    if not history:
        return scores
    now = max(times)
    rate = np.log(2.0) / (half_life_days * 86400.0)
    weights = np.exp(-rate * (now - np.asarray(times, dtype=np.float64)))
    items = np.asarray(history, dtype=np.int64)
    acc = np.zeros(n_items)
    np.add.at(acc, items, weights)
    scores[np.unique(items)] = acc[np.unique(items)]
    return scores


def category_affinity(history: Sequence[int], item_category: np.ndarray, base: np.ndarray,
                      last_n: int = 50) -> np.ndarray:
    """Popular items of the user's favourite categories: category share of recent items x item popularity.

    Args:
        history: Visible item indices, oldest first.
        item_category: Category index per item.
        base: A popularity score per item (e.g. trending).
        last_n: Recent items the affinity is computed from.
    """
    recent = np.asarray(history[-last_n:], dtype=np.int64)
    if not len(recent):
        return np.full(len(base), -np.inf)
    share = np.bincount(item_category[recent], minlength=int(item_category.max()) + 1) / len(recent)
    scores = share[item_category] * np.log1p(np.maximum(base, 0.0))
    scores[scores <= 0] = -np.inf
    return scores


def sparse_rows_to_lists(matrix: sparse.csr_matrix) -> list[list[int]]:
    """CSR rows as lists of column indices."""
    return [matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]].tolist() for r in range(matrix.shape[0])]
