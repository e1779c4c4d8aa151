"""Retrieval's service-level metrics and span attributes: candidates per source and what each source did.

- `shopmesh_retrieval_candidates{surface, source}`: candidates a source contributed to one answer
  (histogram; a source that did not run contributes 0);
- `shopmesh_retrieval_source_outcomes_total{surface, source, outcome}`: OK, skipped (and why) or failed.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.retrieval.types import CandidateResult
from shared.tracing import annotate

CANDIDATE_BUCKETS = (0, 5, 10, 25, 50, 100, 150, 200, 300, 500, 1000)


class RetrievalMetrics:
    """Records one answer's source reports."""

    def __init__(self, registry: CollectorRegistry):
        self.candidates = Histogram("shopmesh_retrieval_candidates", "Candidates one source contributed.",
                                    ["surface", "source"], buckets=CANDIDATE_BUCKETS, registry=registry)
        self.outcomes = Counter("shopmesh_retrieval_source_outcomes_total", "Source runs, by outcome.",
                                ["surface", "source", "outcome"], registry=registry)

    def record(self, surface: str, result: CandidateResult) -> None:
        """Counts the answer and annotates the RPC's span (counts, versions, cold start; no user)."""
        for run in result.reports:
            self.candidates.labels(surface, run.source).observe(run.contributed)
            self.outcomes.labels(surface, run.source, str(run.outcome)).inc()
        attributes: dict[str, str | int | bool] = {
            "shopmesh.candidates": len(result.listed) if result.packed is None else len(result.packed),
            "shopmesh.cold_start": result.cold_start,
        }
        for run in result.reports:
            attributes[f"shopmesh.source.{run.source.lower()}"] = run.contributed
        for part, version in result.snapshot_versions.items():
            if version:
                attributes[f"shopmesh.snapshot.{part}"] = version
        annotate(attributes)
