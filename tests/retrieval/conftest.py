"""Fixtures for retrieval tests: mesh certificates and real retrieval servers (grpc.aio, mTLS, port 0)
over synthetic snapshots built in tmp dirs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from services.retrieval.app import RetrievalApp
from services.retrieval.settings import RetrievalSettings
from shared.tls import TlsFiles
from shopmesh.certs import ensure_certs
from shopmesh.retrieval.v1 import retrieval_service_pb2_grpc as pb_grpc
from tests.retrieval import helpers


@pytest.fixture(scope="session")
def retrieval_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mesh CA with certificates for retrieval and its callers."""
    certs = tmp_path_factory.mktemp("retrieval-certs")
    ensure_certs(certs, ("retrieval", "gateway", "embedding"))
    return certs


@dataclass
class RunningRetrieval:
    """A started retrieval replica and stubs to call it as the gateway."""

    app: RetrievalApp
    root: Path
    certs: Path
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def stub(self) -> pb_grpc.RetrievalServiceStub:
        """A stub presenting the gateway's certificate (no retries: tests see every failure)."""
        ca, chain, key = TlsFiles.in_dir(self.certs, "gateway").read()
        channel = grpc.aio.secure_channel(f"127.0.0.1:{self.app.host.port}",
                                          grpc.ssl_channel_credentials(ca, key, chain),
                                          options=[("grpc.ssl_target_name_override", "retrieval")])
        self.channels.append(channel)
        return pb_grpc.RetrievalServiceStub(channel)


RetrievalFactory = Callable[..., Awaitable[RunningRetrieval]]


@pytest.fixture
async def retrieval_factory(retrieval_certs: Path, tmp_path: Path) -> AsyncIterator[RetrievalFactory]:
    """Starts replicas over tmp_path/indexes (build snapshots there first, or pass build=False)."""
    started: list[RunningRetrieval] = []

    async def make(*, root: Path | None = None, **overrides: object) -> RunningRetrieval:
        index_root = root or tmp_path / "indexes"
        values: dict[str, object] = {"certs_dir": retrieval_certs, "metrics_enabled": False, "index_root": index_root,
                                     "grace_seconds": 1.0, "refresh_interval_s": 0.2, "catalogs": ["movielens"],
                                     "build_on_start": False}
        values.update(overrides)
        app = RetrievalApp(RetrievalSettings(**values))  # type: ignore[arg-type]
        await app.start()
        running = RunningRetrieval(app, index_root, retrieval_certs)
        started.append(running)
        return running

    yield make
    for running in started:
        for channel in running.channels:
            await channel.close()
        await running.app.stop(0)


@pytest.fixture
async def retrieval(retrieval_factory: RetrievalFactory, tmp_path: Path) -> RunningRetrieval:
    """One replica serving a 40-item synthetic snapshot, version 1."""
    helpers.build(tmp_path / "indexes", "1")
    return await retrieval_factory()
