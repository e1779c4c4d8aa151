"""One mesh for the hostile-input suites (fuzzing, security): every service on embedded defaults with the
MovieLens shop loaded, exporting its spans to an in-test OTLP collector (so the security suite can scan the
trace export for PII), started once for the package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shopmesh.mesh import Supervisor
from tests.gateway.helpers import GatewayClient
from tests.gateway.tracing import TracedMesh, traced_mesh

HostileMesh = TracedMesh
"""The running mesh and the collector its services export their spans to."""


@pytest.fixture(scope="package")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileMesh]:
    """The package's mesh."""
    with traced_mesh(tmp_path_factory.mktemp("hostile-mesh")) as mesh:
        yield mesh


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
