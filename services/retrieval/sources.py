"""Candidate sources over one snapshot. Each returns (positions, scores) best first, already filtered.

`allowed` is the request's filter mask over item positions (shard ownership, stock, purchases, explicit
filters, excluded ids); sources cut to their quota after it, so a filter never starves a source that had
more to give.
"""

from __future__ import annotations

import numpy as np

from services.retrieval.snapshot import Snapshot
from services.retrieval.vector_index import VectorIndex

Proposal = tuple[np.ndarray, np.ndarray]
EMPTY: Proposal = (np.zeros(0, np.int64), np.zeros(0, np.float32))
TEXT_ANCHORS = 3
"""Recent items whose text neighbours are looked up (each a FAISS query)."""
RECENCY_DECAY = 0.8


def top_allowed(scores: np.ndarray, allowed: np.ndarray, k: int, floor: float = -np.inf) -> Proposal:
    """The k best allowed positions of a full score vector with score > floor, ties by position."""
    masked = np.where(allowed & (scores > floor), scores, -np.inf)
    k = min(k, int(np.isfinite(masked).sum()))
    if k <= 0:
        return EMPTY
    part = np.argpartition(-masked, k - 1)[:k]
    order = part[np.lexsort((part, -masked[part]))]
    return order.astype(np.int64), masked[order].astype(np.float32)


def top_of(positions: np.ndarray, scores: np.ndarray, allowed: np.ndarray, k: int) -> Proposal:
    """The k best allowed entries of a small (positions, scores) set, ties by position."""
    keep = allowed[positions]
    positions, scores = positions[keep], scores[keep]
    order = np.lexsort((positions, -scores))[:k]
    return positions[order].astype(np.int64), scores[order].astype(np.float32)


def first_allowed(order: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """The first k allowed positions of a precomputed order.

    Reads a prefix a few times k long and widens it only when the filters ate too much, instead of
    gathering the mask over the whole catalogue-long order on every request.
    """
    span = max(4 * k, 256)
    while True:
        head = order[:span]
        picked = head[allowed[head]]
        if len(picked) >= k or span >= len(order):
            return picked[:k]
        span *= 4


def search_index(index: VectorIndex, keys: np.ndarray, query: np.ndarray, allowed: np.ndarray, k: int) -> Proposal:
    """ANN search mapped to item positions and filtered; widens the search when filters eat the results."""
    # Ask a little more than k (filters drop some); widen only when they dropped too many, by the share they
    # kept. HNSW's cost grows with the results asked, and a graph search can reach fewer items than asked (on
    # clustered vectors, parts of the graph are far from the query): then asking for more finds nothing more,
    # and widening up to the whole index cost about 6 ms for the same results.
    want = min(index.size, k + max(32, k // 4))
    while True:
        result = index.search(query, want)[0]
        positions = keys[result.positions]
        keep = allowed[positions]
        kept = int(keep.sum())
        if kept >= k or want >= index.size or len(positions) < want:
            return positions[keep][:k], result.scores[keep][:k]
        want = min(index.size, want * 4 if kept < want // 8 else int(want * k * 1.25 / kept) + 32)


def ann(snapshot: Snapshot, vector: np.ndarray, allowed: np.ndarray, k: int) -> Proposal:
    """USER_VECTOR_ANN: the user vector against the learned index."""
    assert snapshot.learned_index is not None
    return search_index(snapshot.learned_index, snapshot.learned_keys, vector, allowed, k)


def co_visitation(snapshot: Snapshot, history: list[int], allowed: np.ndarray, k: int) -> Proposal:
    """CO_VISITATION: recency-weighted neighbours of the last items (history oldest first).

    Accumulates over the few neighbour rows only, not a catalogue-sized vector.
    """
    table = snapshot.co_visitation
    recent = [i for i in dict.fromkeys(reversed(history)) if 0 <= i < table.n_items][: table.config.last_n]
    if not recent:
        return EMPTY
    matrix = table.matrix
    cols = [matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]] for i in recent]
    vals = [table.config.decay ** age * matrix.data[matrix.indptr[i]:matrix.indptr[i + 1]]
            for age, i in enumerate(recent)]
    if not sum(len(c) for c in cols):
        return EMPTY
    unique, inverse = np.unique(np.concatenate(cols), return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate(vals))
    positive = scores > 0
    return top_of(unique[positive].astype(np.int64), scores[positive], allowed, k)


def text_vectors(snapshot: Snapshot, positions: list[int]) -> tuple[np.ndarray, list[int]]:
    """Stored text vectors of the given item positions that are in the text index (and which ones)."""
    if snapshot.text_index is None or not positions:
        return np.zeros((0, 0), np.float32), []
    rows = snapshot.text_row[np.asarray(positions, dtype=np.int64)]
    known = rows >= 0
    return snapshot.text_matrix[rows[known]], [p for p, k in zip(positions, known.tolist(), strict=True) if k]


def in_text_index(snapshot: Snapshot, position: int) -> bool:
    """Whether an item has a text vector."""
    return bool(snapshot.text_row[position] >= 0)


def text_neighbours(snapshot: Snapshot, anchors: list[int], allowed: np.ndarray, k: int) -> Proposal:
    """TEXT_NEIGHBOURS: nearest text-space items of the most recent anchors (newest first), recency-weighted."""
    vectors, known = text_vectors(snapshot, anchors[:TEXT_ANCHORS])
    if not known or snapshot.text_index is None:
        return EMPTY
    found_positions, found_scores = [], []
    want = min(snapshot.text_index.size, k + max(32, k // 4))
    # One FAISS call for every anchor; an anchor whose results the filters thinned out is searched again wider.
    for age, (vector, hit) in enumerate(zip(vectors, snapshot.text_index.search(vectors, want), strict=True)):
        positions = snapshot.text_keys[hit.positions]
        keep = allowed[positions]
        positions, scores = positions[keep][:k], hit.scores[keep][:k]
        if len(positions) < k and want < snapshot.text_index.size:
            positions, scores = search_index(snapshot.text_index, snapshot.text_keys, vector, allowed, k)
        found_positions.append(positions)
        found_scores.append(scores * RECENCY_DECAY ** age)
    every = np.concatenate(found_positions)
    if not len(every):
        return EMPTY
    unique, inverse = np.unique(every, return_inverse=True)
    best = np.full(len(unique), -np.inf)
    np.maximum.at(best, inverse, np.concatenate(found_scores))
    return top_of(unique, best, allowed, k)


def text_profile(snapshot: Snapshot, recent: list[int]) -> np.ndarray | None:
    """The user's text-space profile: recency-weighted mean of recent items' text vectors, L2-normalised."""
    vectors, known = text_vectors(snapshot, recent)
    if not known:
        return None
    weights = RECENCY_DECAY ** np.arange(len(known), dtype=np.float32)
    profile = (weights[:, None] * vectors).sum(0)
    norm = float(np.linalg.norm(profile))
    return profile / norm if norm > 0 else None


def recent_text_vectors(snapshot: Snapshot, profile: np.ndarray, allowed: np.ndarray, k: int) -> Proposal:
    """RECENT_TEXT_VECTORS: the text profile against the text index (the ANN fallback without a user vector)."""
    assert snapshot.text_index is not None
    return search_index(snapshot.text_index, snapshot.text_keys, profile, allowed, k)


def repurchase(snapshot: Snapshot, purchased: dict[int, tuple[int, int]], allowed: np.ndarray, k: int,
               half_life_days: float = 60.0) -> Proposal:
    """REPURCHASE: the user's purchased items by count decayed from the last purchase (event time)."""
    if not purchased:
        return EMPTY
    newest = max(t for _, t in purchased.values())
    rate = np.log(2.0) / (half_life_days * 86400.0)
    positions = np.fromiter(purchased, dtype=np.int64, count=len(purchased))
    scores = np.asarray([c * float(np.exp(-rate * (newest - t))) for c, t in purchased.values()])
    return top_of(positions, scores, allowed, k)


def trending(snapshot: Snapshot, allowed: np.ndarray, k: int) -> Proposal:
    """TRENDING: decayed popularity as of the snapshot's newest event (a prefix of the precomputed order)."""
    positions = first_allowed(snapshot.items.trending_order, allowed, k)
    return positions.astype(np.int64), snapshot.items.trending[positions].astype(np.float32)


def category_affinity(snapshot: Snapshot, affinities: dict[int, float], allowed: np.ndarray, k: int) -> Proposal:
    """CATEGORY_AFFINITY: trending items of the user's categories, scaled by the category's affinity."""
    table = snapshot.items
    found_positions, found_scores = [], []
    for category, value in affinities.items():
        if value <= 0:
            continue
        positions = first_allowed(table.category_orders[category], allowed, k)
        found_positions.append(positions)
        found_scores.append(value * np.log1p(table.trending[positions].astype(np.float64)))
    if not found_positions:
        return EMPTY
    return top_of(np.concatenate(found_positions), np.concatenate(found_scores), allowed, k)


def cold_start(snapshot: Snapshot, allowed: np.ndarray, k: int) -> Proposal:
    """COLD_START: trending picks spread over categories (round robin by category), so a new user sees range.

    Falls back to any allowed item (by position) when nothing has trended, so it is empty only when the
    filters allow nothing.
    """
    table = snapshot.items
    positions, scores = top_allowed(table.trending.astype(np.float64), allowed, max(k * 4, k))
    if len(positions) < k:
        rest = np.flatnonzero(allowed & ~np.isin(np.arange(len(table)), positions))[: k - len(positions)]
        positions = np.concatenate([positions, rest])
        scores = np.concatenate([scores, np.zeros(len(rest), np.float32)])
    by_category: dict[int, list[int]] = {}
    for p in positions.tolist():
        by_category.setdefault(int(table.category[p]), []).append(p)
    picks: list[int] = []
    while len(picks) < k and any(by_category.values()):
        for queue in by_category.values():
            if queue and len(picks) < k:
                picks.append(queue.pop(0))
    ranked = np.asarray(picks, np.int64)
    return ranked, (1.0 / (1.0 + np.arange(len(ranked)))).astype(np.float32)
