"""Hybrid search: BM25 (jieba for Chinese) and dense retrieval over the query embedding, fused by reciprocal rank.

Reciprocal-rank fusion (score = sum 1/(RRF_K + rank)) needs no score calibration between BM25 and cosine,
which differ per query; RRF_K = 60 is the value from Cormack et al. that most systems keep.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from services.retrieval.filters import allowed_mask
from services.retrieval.lexical import detect_language
from services.retrieval.snapshot import Snapshot
from services.retrieval.sources import search_index, top_allowed
from services.retrieval.types import CandidateOut, CandidateResult, ItemFilterSpec, Outcome, SourceRun

RRF_K = 60
MAX_QUERY_CHARS = 256
MAX_SEARCH_K = 1000
DEPTH = 100
"""Results each retriever contributes before fusion."""


@dataclass(frozen=True)
class SearchQuery:
    """A search in domain terms (validated by the caller)."""

    query: str
    k: int
    language_code: str = ""
    mode: str = "HYBRID"
    filter: ItemFilterSpec = field(default_factory=ItemFilterSpec)
    query_vector: np.ndarray | None = None


def rrf(lists: dict[str, list[tuple[int, float]]], k: int) -> list[tuple[int, float, list[tuple[str, float, int]]]]:
    """Fuses ranked (position, score) lists by reciprocal rank; ties by position."""
    fused: dict[int, float] = {}
    provenance: dict[int, list[tuple[str, float, int]]] = {}
    for source, ranked in lists.items():
        for rank, (position, score) in enumerate(ranked):
            fused[position] = fused.get(position, 0.0) + 1.0 / (RRF_K + rank + 1)
            provenance.setdefault(position, []).append((source, score, rank))
    ordered = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [(p, v, provenance[p]) for p, v in ordered]


def search(snapshot: Snapshot, query: SearchQuery) -> CandidateResult:
    """Runs the search; dense is skipped (mode_used LEXICAL) when there is no query vector or text index."""
    language = query.language_code or detect_language(query.query)
    allowed = allowed_mask(snapshot.items, query.filter, [])
    depth = max(DEPTH, query.k)
    runs: list[SourceRun] = []
    lists: dict[str, list[tuple[int, float]]] = {}
    if query.mode in ("HYBRID", "LEXICAL"):
        started = time.perf_counter()
        positions, scores = top_allowed(snapshot.lexical.scores(query.query).astype(np.float64), allowed, depth,
                                        floor=0.0)
        lists["LEXICAL_MATCH"] = list(zip(positions.tolist(), scores.tolist(), strict=True))
        runs.append(SourceRun("LEXICAL_MATCH", Outcome.OK, depth, len(positions),
                              latency_us=int((time.perf_counter() - started) * 1e6)))
    dense_ok = query.query_vector is not None and snapshot.text_index is not None
    if query.mode in ("HYBRID", "DENSE"):
        run = SourceRun("DENSE_MATCH", Outcome.OK, depth)
        started = time.perf_counter()
        if dense_ok and snapshot.text_index is not None and query.query_vector is not None:
            positions, scores = search_index(snapshot.text_index, snapshot.text_keys, query.query_vector, allowed,
                                             depth)
            lists["DENSE_MATCH"] = list(zip(positions.tolist(), scores.tolist(), strict=True))
            run.returned = len(positions)
        else:
            run.outcome, run.detail = Outcome.SKIPPED_NO_INPUT, "no query embedding"
        run.latency_us = int((time.perf_counter() - started) * 1e6)
        runs.append(run)
    mode_used = query.mode
    if query.mode == "HYBRID" and not dense_ok:
        mode_used = "LEXICAL"
    fused = rrf(lists, query.k)
    counts: dict[str, int] = {}
    for _, _, srcs in fused:
        for s, _, _ in srcs:
            counts[s] = counts.get(s, 0) + 1
    for run in runs:
        run.contributed = counts.get(run.source, 0)
    records = snapshot.items.records
    candidates = [CandidateOut(records[p].item_id, score, srcs) for p, score, srcs in fused]
    for c in candidates:
        dense = next((s for name, s, _ in c.sources if name == "DENSE_MATCH"), None)
        c.text_similarity = dense
    return CandidateResult(candidates, runs, False, snapshot.versions(), mode_used, language)
