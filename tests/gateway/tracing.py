"""An in-test OpenTelemetry Collector (OTLP/gRPC TraceService that keeps what it is sent) and a local mesh whose
services export their spans to it: what the tracing tests and the hardening suites' PII scan read."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2

from shopmesh.mesh import Supervisor, available_services, free_port
from tests.gateway.conftest import load_shop, mesh_env


@dataclass(frozen=True)
class Received:
    """One exported span and the service.name of the process that sent it."""

    service: str
    span: trace_pb2.Span

    def attr(self, key: str) -> Any:
        for kv in self.span.attributes:
            if kv.key == key:
                value = kv.value
                kind = value.WhichOneof("value")
                if kind == "array_value":
                    return [getattr(v, v.WhichOneof("value")) for v in value.array_value.values]
                return getattr(value, kind) if kind else None
        return None


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP/gRPC trace receiver that keeps what it is sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spans: list[Received] = []

    def Export(self, request: trace_service_pb2.ExportTraceServiceRequest,
               context: grpc.ServicerContext) -> trace_service_pb2.ExportTraceServiceResponse:
        received = []
        for resource_spans in request.resource_spans:
            service = next((kv.value.string_value for kv in resource_spans.resource.attributes
                            if kv.key == "service.name"), "")
            for scope in resource_spans.scope_spans:
                received += [Received(service, span) for span in scope.spans]
        with self._lock:
            self.spans += received
        return trace_service_pb2.ExportTraceServiceResponse()

    def trace(self, trace_id: bytes) -> list[Received]:
        """The spans received so far of one trace."""
        with self._lock:
            return [r for r in self.spans if r.span.trace_id == trace_id]


@dataclass
class TracedMesh:
    """The running mesh and the collector its services export to."""

    mesh: Supervisor
    sink: Collector


@contextlib.contextmanager
def traced_mesh(home: Path) -> Iterator[TracedMesh]:
    """Every service (the MovieLens shop loaded) exporting to a collector that starts once the mesh is up (the
    exporters retry), so no gRPC server threads run in this process while the Supervisor forks the services."""
    load_shop(home)
    port = free_port()
    supervisor = Supervisor(available_services(), home, extra_env=mesh_env(home), otlp_endpoint=f"127.0.0.1:{port}")
    sink = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(sink, server)
    try:
        supervisor.start(timeout_s=300)
        assert server.add_insecure_port(f"127.0.0.1:{port}") == port
        server.start()
        yield TracedMesh(supervisor, sink)
    finally:
        server.stop(0)
        supervisor.stop()
