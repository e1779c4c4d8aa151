"""Fixtures for the embedding tests: the model repository (built once, reused across runs), mesh
certificates, an embedding service on port 0 with mTLS, and a real tritonserver from the wheel."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.embedding.app import build_engine, build_host, watch
from services.embedding.engine import EmbeddingEngine
from services.embedding.settings import EmbeddingSettings
from shared.server import ServiceHost
from shared.tls import TlsFiles, channel_credentials, create_ca, issue_service_cert
from shopmesh.embedding.v1 import embedding_service_pb2_grpc as pb_grpc
from shopmesh.mesh import free_port
from shopmesh.models.repository import CPU, models_dir
from shopmesh.models.tritonserver import TritonInstall

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def models_root() -> Path:
    """The model repository under $SHOPMESH_HOME/models, built on first use (idempotent, locked)."""
    from shopmesh.models.build import build_repository

    root = models_dir()
    build_repository(root, check_triton=False, progress=lambda line: None)
    return root


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mesh CA with certificates for `embedding` (server) and `retrieval` (a caller)."""
    folder = tmp_path_factory.mktemp("embedding-certs")
    create_ca(folder)
    for name in ("embedding", "retrieval"):
        issue_service_cert(folder, name)
    return folder


def settings_for(certs: Path, models: Path, **overrides: object) -> EmbeddingSettings:
    """Settings for a service on port 0 with mTLS."""
    values: dict[str, object] = {"certs_dir": certs, "metrics_enabled": False, "models_dir": models,
                                 "grace_seconds": 1.0, "build_models_on_start": False,
                                 "readiness_interval_s": 0.2}
    values.update(overrides)
    return EmbeddingSettings(**values)  # type: ignore[arg-type]


@dataclass
class RunningService:
    """An embedding service started in this event loop, and a caller's channel to it."""

    host: ServiceHost
    engine: EmbeddingEngine
    channel: grpc.aio.Channel

    @property
    def stub(self) -> pb_grpc.EmbeddingServiceStub:
        """A stub over the mTLS channel (as `retrieval`)."""
        return pb_grpc.EmbeddingServiceStub(self.channel)

    async def health(self) -> int:
        """The overall health status on the plaintext health port."""
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.host.health_port}") as channel:
            response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            return int(response.status)

    async def wait_health(self, status: int, timeout_s: float) -> float:
        """Waits until health is `status`; returns the seconds it took."""
        started = time.monotonic()
        while await self.health() != status:
            if time.monotonic() - started > timeout_s:
                raise AssertionError(f"health not {status} after {timeout_s} s")
            await _sleep(0.05)
        return time.monotonic() - started


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@contextlib.asynccontextmanager
async def running_service(settings: EmbeddingSettings, certs: Path, models: Path) -> AsyncIterator[RunningService]:
    """Starts host + engine (readiness watched), yields, stops both."""
    engine = build_engine(settings, models)
    host = build_host(settings, engine)
    await host.start()
    await engine.start()
    task = watch(host, engine, settings)
    tls = TlsFiles.in_dir(certs, "retrieval")
    channel = grpc.aio.secure_channel(f"localhost:{host.port}", channel_credentials(tls))
    try:
        yield RunningService(host, engine, channel)
    finally:
        await channel.close()
        task.cancel()
        await host.stop(0)
        await engine.close()




class TritonServer:
    """A real tritonserver child serving the CPU repository; can be killed and started again on its port."""

    def __init__(self, install: TritonInstall, repository: Path, log: Path):
        self.install = install
        self.repository = repository
        self.log = log
        self.grpc_port = free_port()
        self._ports = (free_port(), free_port())
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """host:port of its gRPC endpoint."""
        return f"127.0.0.1:{self.grpc_port}"

    def start(self) -> None:
        """Spawns it (not waiting for readiness)."""
        env = self.install.env()
        env.update(OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.install.command(self.repository, self.grpc_port, *self._ports),
                                         env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout_s: float = 90.0) -> float:
        """Blocks until both models are ready; returns the seconds it took."""
        import tritonclient.grpc as grpcclient

        started = time.monotonic()
        client = grpcclient.InferenceServerClient(self.url)
        try:
            while True:
                with contextlib.suppress(Exception):
                    if client.is_model_ready("minilm-l6-v2") and client.is_model_ready("multilingual-e5-small"):
                        return time.monotonic() - started
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
                assert time.monotonic() - started < timeout_s, "tritonserver not ready in time"
                time.sleep(0.1)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture(scope="module")
def triton(triton_install: TritonInstall, models_root: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[TritonServer]:
    """A ready tritonserver on the CPU repository, shared by a test module."""
    server = TritonServer(triton_install, models_root / CPU, tmp_path_factory.mktemp("triton") / "triton.log")
    server.start()
    server.wait_ready()
    yield server
    server.stop()
