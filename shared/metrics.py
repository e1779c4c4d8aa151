"""Prometheus metrics per RPC (count by code, latency histogram, in flight), served over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

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
