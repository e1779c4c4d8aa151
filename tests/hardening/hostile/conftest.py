"""One mesh for the hostile-input suites (fuzzing, security): every service on embedded defaults with the
MovieLens shop loaded, exporting its spans to an in-test OTLP collector (so the security suite can scan the
trace export for PII), started once for the package."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from shopmesh.mesh import Supervisor, available_services, free_port
from tests.gateway.conftest import load_shop, mesh_env
from tests.gateway.helpers import GatewayClient
from tests.gateway.test_observability import Collector


@dataclass
class HostileMesh:
    """The running mesh and the collector its services export their spans to."""

    mesh: Supervisor
    sink: Collector


@pytest.fixture(scope="package")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileMesh]:
    """The package's mesh; the collector starts after the services are forked (the exporters retry)."""
    home = tmp_path_factory.mktemp("hostile-mesh")
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
        yield HostileMesh(supervisor, sink)
    finally:
        server.stop(0)
        supervisor.stop()


@pytest.fixture(scope="package")
def mesh(hostile: HostileMesh) -> Supervisor:
    """The package's running mesh."""
    return hostile.mesh


@pytest.fixture(scope="package")
def gateway(hostile: HostileMesh) -> Iterator[GatewayClient]:
    """A client of the mesh's gateway as the app dials it (TLS + development JWTs)."""
    client = GatewayClient.for_mesh(hostile.mesh)
    try:
        yield client
    finally:
        client.close()
