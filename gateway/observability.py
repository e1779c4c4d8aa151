"""The gateway's service-level metrics and span attributes for list surfaces (home feed, similar items, search).

- `shopmesh_list_latency_seconds{surface, page}`: time in the gateway for one page (first or later);
- `shopmesh_list_responses_total{surface, degraded}`: pages served, whole ("false") or degraded ("true"),
  so the degraded-response ratio is one division;
- `shopmesh_list_degradations_total{surface, dependency}`: which dependency a degraded page did without.

The span of the RPC gets the surface, experiment and variant, the item count and the degraded flags; never
the user.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from gateway.lists import ListOutcome
from shared.tracing import annotate

SURFACE_NAMES = {1: "home_feed", 2: "similar_items", 3: "search"}
LIST_LATENCY_BUCKETS_SECONDS = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5,
                                1.0, 2.5)
"""Finer around the 50 ms p99 budget of the home feed than the per-RPC buckets."""


class ListMetrics:
    """Records one served page of a list surface."""

    def __init__(self, registry: CollectorRegistry):
        self.latency = Histogram("shopmesh_list_latency_seconds", "Gateway time per list page.",
                                 ["surface", "page"], buckets=LIST_LATENCY_BUCKETS_SECONDS, registry=registry)
        self.responses = Counter("shopmesh_list_responses_total", "List pages served, by degraded or whole.",
                                 ["surface", "degraded"], registry=registry)
        self.degradations = Counter("shopmesh_list_degradations_total",
                                    "Dependencies a degraded page did without.", ["surface", "dependency"],
                                    registry=registry)
        for surface in SURFACE_NAMES.values():  # every series exists from the start, so ratios are defined
            for degraded in ("true", "false"):
                self.responses.labels(surface, degraded)
            for page in ("first", "later"):
                self.latency.labels(surface, page)

    def record(self, surface: int, outcome: ListOutcome, seconds: float, *, first_page: bool) -> None:
        """Counts the page, its latency and degradations, and annotates the RPC's span."""
        name = SURFACE_NAMES.get(surface, "unknown")
        peers = sorted({d.peer for d in outcome.degradations})
        self.latency.labels(name, "first" if first_page else "later").observe(seconds)
        self.responses.labels(name, "true" if peers else "false").inc()
        for peer in peers:
            self.degradations.labels(name, peer).inc()
        annotate({"shopmesh.surface": name, "shopmesh.page": "first" if first_page else "later",
                  "shopmesh.experiment": outcome.experiment_id, "shopmesh.variant": outcome.variant,
                  "shopmesh.items": len(outcome.cards), "shopmesh.degraded": bool(peers),
                  "shopmesh.degraded_dependencies": peers})
