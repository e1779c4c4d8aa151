"""Prometheus metrics per RPC (count by code, latency histogram, in flight), served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS_SECONDS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)


@dataclass
class RpcMetrics:
    """The per-RPC server metrics of one service, in their own registry (so tests can run many servers)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        labels = ["grpc_service", "grpc_method"]
        self.handled = Counter(
            "grpc_server_handled_total", "RPCs completed, by status code.", [*labels, "grpc_code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "grpc_server_handling_seconds", "Time from request to final status.", labels,
            buckets=LATENCY_BUCKETS_SECONDS, registry=self.registry,
        )
        self.in_flight = Gauge("grpc_server_in_flight", "RPCs being handled now.", labels, registry=self.registry)

    def serve_http(self, host: str, port: int) -> int:
        """Starts the /metrics HTTP server in a daemon thread; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_port)


def split_method(full_method: str) -> tuple[str, str]:
    """`/pkg.Service/Method` → (`pkg.Service`, `Method`)."""
    _, service, method = full_method.split("/", 2) if full_method.count("/") >= 2 else ("", "", full_method)
    return service, method


class CacheStats(Protocol):
    """What a cache counts for its hit rate: plain integers, so the cache itself knows nothing of Prometheus."""

    @property
    def hits(self) -> int:
        """Lookups answered from the cache."""

    @property
    def misses(self) -> int:
        """Lookups the cache could not answer."""


class _CacheCollector(Collector):
    """`shopmesh_cache_lookups_total{cache, result}`, read from the caches' own counters at scrape time."""

    def __init__(self, caches: Mapping[str, CacheStats]):
        self._caches = dict(caches)

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("shopmesh_cache_lookups", "Cache lookups, by cache and hit or miss.",
                                     labels=["cache", "result"])
        for name, cache in self._caches.items():
            family.add_metric([name, "hit"], cache.hits)
            family.add_metric([name, "miss"], cache.misses)
        yield family


def register_caches(registry: CollectorRegistry, caches: Mapping[str, CacheStats]) -> None:
    """Exports the hit and miss counts of these caches (name -> cache) on the service's /metrics."""
    registry.register(_CacheCollector(caches))
