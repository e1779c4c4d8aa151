"""Ranking metrics over per-user ranked lists of dense item indices."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def recall_at(ranked: Sequence[Sequence[int]], targets: Sequence[Sequence[int]], k: int) -> float:
    """Mean over users of |top-k ∩ targets| / |targets|."""
    values = [len(set(r[:k]) & set(t)) / len(t) for r, t in zip(ranked, targets, strict=True) if t]
    return float(np.mean(values)) if values else 0.0


def ndcg_at(ranked: Sequence[Sequence[int]], targets: Sequence[Sequence[int]], k: int) -> float:
    """Mean over users of binary-relevance NDCG@k."""
    values = []
    for r, t in zip(ranked, targets, strict=True):
        if not t:
            continue
        wanted = set(t)
        dcg = sum(1.0 / math.log2(pos + 2) for pos, item in enumerate(r[:k]) if item in wanted)
        ideal = sum(1.0 / math.log2(pos + 2) for pos in range(min(k, len(wanted))))
        values.append(dcg / ideal)
    return float(np.mean(values)) if values else 0.0


def top_k(scores: np.ndarray, k: int, banned: Sequence[int] = ()) -> list[int]:
    """Indices of the k highest finite scores, best first, skipping banned ones and -inf."""
    row = scores.astype(np.float64, copy=True)
    if len(banned):
        row[np.asarray(banned, dtype=np.int64)] = -np.inf
    k = min(k, int(np.isfinite(row).sum()))
    if k <= 0:
        return []
    part = np.argpartition(-row, k - 1)[:k]
    return [int(i) for i in part[np.lexsort((part, -row[part]))]]
