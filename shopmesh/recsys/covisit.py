"""Recency-weighted co-visitation: the batch job behind the CO_VISITATION source and SimilarItems.

Two items co-visit when they occur within `window` positions of each other in one user's event sequence.
Counts are cosine-normalised (c_ij / sqrt(n_i n_j)) so blockbusters do not neighbour everything, and each
item keeps only its `max_neighbours` strongest neighbours, the table the service loads. A user is scored
from the last `last_n` items, the k-th most recent weighted decay**k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class CoVisitationConfig:
    """Settings of the builder and the scorer (defaults: the #7 reference baseline).

    Attributes:
        window: Positions apart within one user's sequence that still co-visit.
        last_n: Recent items a user is scored from.
        decay: Weight ratio between consecutive recent items (most recent weighs 1).
        max_neighbours: Neighbours kept per item in the table.
    """

    window: int = 20
    last_n: int = 5
    decay: float = 0.8
    max_neighbours: int = 500


class CoVisitationTable:
    """Item -> neighbours with cosine-normalised co-visitation weights (a CSR matrix over dense indices)."""

    def __init__(self, matrix: sparse.csr_matrix, config: CoVisitationConfig) -> None:
        self.matrix = matrix
        self.config = config

    @property
    def n_items(self) -> int:
        """Number of items the table spans."""
        return int(self.matrix.shape[0])

    def neighbours(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k strongest neighbours of one item as (indices, weights), best first."""
        start, end = self.matrix.indptr[item], self.matrix.indptr[item + 1]
        cols, vals = self.matrix.indices[start:end], self.matrix.data[start:end]
        order = np.lexsort((cols, -vals))[:k]
        return cols[order], vals[order]

    def score_history(self, history: Sequence[int]) -> np.ndarray:
        """Scores of every item for a user whose visible items are `history` (oldest first)."""
        scores = np.zeros(self.n_items, dtype=np.float32)
        recent = _distinct_recent(history, self.config.last_n)
        for age, item in enumerate(recent):
            if 0 <= item < self.n_items:
                start, end = self.matrix.indptr[item], self.matrix.indptr[item + 1]
                scores[self.matrix.indices[start:end]] += (self.config.decay ** age) * self.matrix.data[start:end]
        return scores


def _distinct_recent(history: Sequence[int], n: int) -> list[int]:
    """The n most recent distinct items, most recent first."""
    out: list[int] = []
    for item in reversed(history):
        if item not in out:
            out.append(item)
            if len(out) == n:
                break
    return out


def build_co_visitation(sequences: Sequence[Sequence[int]], n_items: int,
                        config: CoVisitationConfig | None = None) -> CoVisitationTable:
    """Builds the table from users' item sequences (oldest first), visible events only.

    Args:
        sequences: One item-index sequence per user.
        n_items: Size of the item index space.
        config: Builder settings.
    """
    config = config or CoVisitationConfig()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for seq in sequences:
        arr = np.asarray(seq, dtype=np.int64)
        for offset in range(1, min(config.window, len(arr) - 1) + 1):
            a, b = arr[:-offset], arr[offset:]
            keep = a != b
            rows += [a[keep], b[keep]]
            cols += [b[keep], a[keep]]
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
    else:
        r = c = np.zeros(0, dtype=np.int64)
    counts = sparse.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(n_items, n_items))
    counts.sum_duplicates()
    occurrences = np.zeros(n_items, dtype=np.float64)
    for seq in sequences:
        np.add.at(occurrences, np.asarray(seq, dtype=np.int64), 1.0)
    norm = 1.0 / np.sqrt(np.maximum(occurrences, 1.0))
    cosine = sparse.diags(norm) @ counts @ sparse.diags(norm)
    return CoVisitationTable(_keep_top(cosine.tocsr().astype(np.float32), config.max_neighbours), config)


def _keep_top(matrix: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Keeps each row's k largest entries."""
    indptr, indices, data = [0], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        cols, vals = matrix.indices[start:end], matrix.data[start:end]
        if len(vals) > k:
            top = np.argpartition(-vals, k - 1)[:k]
            cols, vals = cols[top], vals[top]
        order = np.argsort(cols)
        indices.append(cols[order])
        data.append(vals[order])
        indptr.append(indptr[-1] + len(cols))
    return sparse.csr_matrix(
        (np.concatenate(data) if data else np.zeros(0, np.float32),
         np.concatenate(indices) if indices else np.zeros(0, np.int32), np.asarray(indptr)),
        shape=matrix.shape)
