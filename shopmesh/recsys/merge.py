"""Merging candidate sources: quotas, dedup, a fused score, and every source that proposed an item.

Each source's scores mean different things (cosine sums, logits, decayed counts), so before fusing each list
is turned into a distribution over its own items: softmax with a per-source temperature for logits, share of
the total for non-negative counts. The merged score is the weighted sum of those probabilities, a mixture of
the sources' next-item distributions; it beat reciprocal-rank fusion on MovieLens-100K (docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Normalisation(StrEnum):
    """How a source's raw scores become a distribution over its items."""

    SOFTMAX = "softmax"
    SHARE = "share"


@dataclass(frozen=True)
class SourceResult:
    """One source's proposals, best first.

    Attributes:
        source: Source name (the proto's CandidateSource without prefix, e.g. "CO_VISITATION").
        items: Item keys, best first, no duplicates.
        scores: Raw scores aligned with items.
    """

    source: str
    items: Sequence[int] | np.ndarray
    scores: Sequence[float] | np.ndarray


@dataclass(frozen=True)
class FusionWeight:
    """A source's weight in the merge and how its scores are normalised."""

    weight: float = 1.0
    normalisation: Normalisation = Normalisation.SHARE
    temperature: float = 1.0


@dataclass
class MergedCandidate:
    """A merged candidate with its fused score and per-source (source, score, rank) entries."""

    item: int
    score: float
    sources: list[tuple[str, float, int]] = field(default_factory=list)


def normalise(scores: Sequence[float] | np.ndarray, how: FusionWeight) -> np.ndarray:
    """Scores of one list as probabilities summing to 1 (empty stays empty)."""
    values = np.asarray(scores, dtype=np.float64)
    if not len(values):
        return values
    if how.normalisation is Normalisation.SOFTMAX:
        z = values / max(how.temperature, 1e-9)
        z = np.exp(z - z.max())
        return z / z.sum()
    values = np.maximum(values, 0.0)
    total = values.sum()
    # All-zero counts (e.g. trending on a fresh log) still carry an order: fall back to rank weights.
    if total <= 0:
        values = 1.0 / (1.0 + np.arange(len(values)))
        total = values.sum()
    return values / total


@dataclass(frozen=True)
class MergedArrays:
    """The merge as arrays (no per-candidate objects): what the service's hot path encodes directly.

    Attributes:
        items: Chosen item keys, best first.
        scores: Their fused scores.
        entry_slot: Per (candidate, source) entry, the candidate's index in `items`; entries are ordered by
            slot, then by the order of the results passed in.
        entry_source: The entry's source, an index into `sources`.
        entry_score: The source's raw score.
        entry_rank: The item's 0-based rank in that source's list.
        sources: Source names of the results merged, in the order given.
    """

    items: np.ndarray
    scores: np.ndarray
    entry_slot: np.ndarray
    entry_source: np.ndarray
    entry_score: np.ndarray
    entry_rank: np.ndarray
    sources: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.items)


_EMPTY_INT = np.zeros(0, dtype=np.int64)


def merge_arrays(results: Sequence[SourceResult], weights: Mapping[str, FusionWeight], k: int) -> MergedArrays:
    """Fuses source lists into at most k candidates, best first, ties broken by item key.

    One np.unique over every proposal and one sort of the chosen entries: a feed merges a few thousand
    proposals per request, and a Python loop over them cost about a millisecond.

    Args:
        results: Each source's proposals (already cut to its quota and filtered).
        weights: Fusion weight per source name; a source without one weighs 1 with SHARE normalisation.
        k: How many to keep.
    """
    live = [r for r in results if len(r.items)]
    names = tuple(r.source for r in live)
    if not live or k <= 0:
        empty_float = np.zeros(0, dtype=np.float64)
        return MergedArrays(_EMPTY_INT, empty_float, _EMPTY_INT, _EMPTY_INT, empty_float, _EMPTY_INT, names)
    keys = np.concatenate([np.asarray(r.items, dtype=np.int64) for r in live])
    raw = np.concatenate([np.asarray(r.scores, dtype=np.float64) for r in live])
    lengths = np.asarray([len(r.items) for r in live])
    source = np.repeat(np.arange(len(live)), lengths)
    rank = np.arange(len(keys)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    contributions = np.concatenate([
        weights.get(r.source, FusionWeight()).weight * normalise(r.scores, weights.get(r.source, FusionWeight()))
        for r in live])
    unique, inverse = np.unique(keys, return_inverse=True)
    fused = np.bincount(inverse, weights=contributions, minlength=len(unique))
    # Highest fused score first, then the smaller key (np.lexsort sorts by the last key first).
    order = np.lexsort((unique, -fused))[:k]
    slot_of_unique = np.full(len(unique), -1, dtype=np.int64)
    slot_of_unique[order] = np.arange(len(order))
    slot = slot_of_unique[inverse]
    kept = np.flatnonzero(slot >= 0)
    kept = kept[np.lexsort((source[kept], slot[kept]))]
    return MergedArrays(unique[order], fused[order], slot[kept], source[kept], raw[kept], rank[kept], names)


def merge(results: Sequence[SourceResult], weights: Mapping[str, FusionWeight], k: int) -> list[MergedCandidate]:
    """Fuses source lists into at most k candidates, best first, ties broken by item key.

    The object form of merge_arrays (offline evaluation, the shard client, the ranker's replay).

    Args:
        results: Each source's proposals (already cut to its quota and filtered).
        weights: Fusion weight per source name; a source without one weighs 1 with SHARE normalisation.
        k: How many to keep.
    """
    arrays = merge_arrays(results, weights, k)
    merged = [MergedCandidate(item, score) for item, score in zip(arrays.items.tolist(), arrays.scores.tolist(),
                                                                  strict=True)]
    names = arrays.sources
    for slot, source, raw, rank in zip(arrays.entry_slot.tolist(), arrays.entry_source.tolist(),
                                       arrays.entry_score.tolist(), arrays.entry_rank.tolist(), strict=True):
        merged[slot].sources.append((names[source], raw, rank))
    return merged
