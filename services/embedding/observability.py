"""The embedding service's metrics beyond the per-RPC ones: its vector cache and Triton's queue.

- `shopmesh_cache_lookups_total{cache="embedding_text_vector"}` (hit/miss), from the cache's counters;
- `shopmesh_triton_queue_seconds_total{model}` and `shopmesh_triton_requests_total{model}`: Triton's own
  running totals (inference statistics), polled every few seconds; their rates give the mean queue time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from shared.logging import get_logger

_log = get_logger(__name__)
POLL_INTERVAL_S = 5.0


class TritonQueueStats(Collector):
    """The last polled queue totals per model, exported at scrape time."""

    def __init__(self) -> None:
        self.totals: dict[str, tuple[int, int]] = {}

    def collect(self) -> Iterator[CounterMetricFamily]:
        requests = CounterMetricFamily("shopmesh_triton_requests", "Requests Triton has queued, per model.",
                                       labels=["model"])
        queued = CounterMetricFamily("shopmesh_triton_queue_seconds", "Time requests waited in Triton's queue.",
                                     labels=["model"])
        for model, (count, ns) in sorted(self.totals.items()):
            requests.add_metric([model], count)
            queued.add_metric([model], ns / 1e9)
        yield requests
        yield queued

    async def poll(self, read: Callable[[], Awaitable[dict[str, tuple[int, int]]]],
                   interval_s: float = POLL_INTERVAL_S) -> None:
        """Reads Triton's statistics every `interval_s` until cancelled (a failed read keeps the last totals)."""
        while True:
            try:
                self.totals = await read()
            except Exception as exc:  # Triton restarting: the readiness watch reports it, this only waits
                _log.debug("triton.statistics_failed", error=type(exc).__name__)
            await asyncio.sleep(interval_s)


def register(registry: CollectorRegistry, stats: TritonQueueStats) -> None:
    """Adds the Triton queue totals to the service's registry."""
    with contextlib.suppress(ValueError):  # already registered (one host per registry)
        registry.register(stats)
