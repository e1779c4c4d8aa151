"""Fixtures of the profile tests: mesh certificates, the two backends, a fake vault, a running service.

Backends: `sqlite` (embedded, always) and `postgres_redis` (the real servers on 127.0.0.1; each test gets
its own PostgreSQL schema and Redis key prefix, removed afterwards; it never flushes the shared Redis).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.profile.app import ProfileApp, build
from services.profile.settings import ProfileSettings
from shared.channels import ChannelFactory
from shared.server import ServiceHost
from shared.settings import ServiceSettings
from shared.tls import TlsFiles
from shopmesh.profile.v1 import profile_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2_grpc as pb_grpc
from tests.profile.fake_vault import FakeVault, build_fake_vault

POSTGRES_DSN = os.environ.get("SHOPMESH_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SHOPMESH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PROFILE_SERVICE = pb.DESCRIPTOR.services_by_name["ProfileService"]




@dataclass
class Backend:
    """Store settings of one test: the overrides for ProfileSettings and how to clean up."""

    name: str
    overrides: dict[str, object]
    schema: str = ""
    prefix: str = ""


def postgres_and_redis_available() -> bool:
    """Whether the real servers answer (they do on this machine kind and in CI)."""
    try:
        import psycopg
        import redis

        with psycopg.connect(POSTGRES_DSN, connect_timeout=2):
            pass
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return True
    except Exception:
        return False


def make_backend(name: str, tmp_path: Path) -> Backend:
    """Fresh, isolated stores for one test."""
    if name == "sqlite":
        return Backend(name, {"data_dir": tmp_path / "profile-data"})
    run = uuid.uuid4().hex[:10]
    schema, prefix = f"profile_test_{run}", f"shopmesh-test:{run}:"
    return Backend(name, {"postgres_dsn": POSTGRES_DSN, "postgres_schema": schema, "redis_url": REDIS_URL,
                          "redis_prefix": prefix}, schema, prefix)


def cleanup_backend(backend: Backend) -> None:
    """Drops the test's schema and deletes its Redis keys (its own prefix only)."""
    if backend.name != "postgres_redis":
        return
    import redis

    from services.profile.store_postgres import drop_schema

    drop_schema(POSTGRES_DSN, backend.schema)
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=backend.prefix.replace("*", "\\*") + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["sqlite", "postgres_redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each contract test runs once per backend."""
    if request.param == "postgres_redis" and not postgres_and_redis_available():
        pytest.fail("PostgreSQL or Redis on 127.0.0.1 is not answering (see /work/shared/notes/toolchain.md)")
    chosen = make_backend(request.param, tmp_path)
    yield chosen
    cleanup_backend(chosen)


def service_settings(certs: Path, name: str, **overrides: object) -> ServiceSettings:
    """Kit settings for an auxiliary service (the fake vault) on port 0."""
    return ServiceSettings(service_name=name, certs_dir=certs, metrics_enabled=False,  # type: ignore[call-arg]
                           user_context_public_keys=[certs / "user-context.pub"], **overrides)


@pytest.fixture
async def fake_vault(mesh_certs: Path) -> AsyncIterator[tuple[ServiceHost, FakeVault]]:
    """The fake vault on an mTLS port."""
    host, fake = build_fake_vault(service_settings(mesh_certs, "vault"))
    await host.start()
    await host.set_ready(True)
    yield host, fake
    await host.stop(0)


def profile_settings(certs: Path, backend: Backend, vault_port: int, **overrides: object) -> ProfileSettings:
    """Profile settings for an in-process server on port 0."""
    values: dict[str, object] = {
        "certs_dir": certs, "user_context_public_keys": [certs / "user-context.pub"], "metrics_enabled": False,
        "vault_address": f"127.0.0.1:{vault_port}", "grace_seconds": 2.0, **backend.overrides, **overrides,
    }
    return ProfileSettings(**values)  # type: ignore[arg-type]


@dataclass
class Running:
    """A started profile service and stubs to it under several identities."""

    app: ProfileApp
    port: int
    stubs: dict[str, pb_grpc.ProfileServiceStub]
    factories: list[ChannelFactory]
    vault: FakeVault

    def stub(self, identity: str = "gateway") -> pb_grpc.ProfileServiceStub:
        """A stub calling as `identity`."""
        return self.stubs[identity]


def stubs_for(certs: Path, port: int) -> tuple[dict[str, pb_grpc.ProfileServiceStub], list[ChannelFactory]]:
    """One stub per client identity to a profile server on 127.0.0.1:port."""
    stubs, factories = {}, []
    for identity in ("gateway", "loader", "trainer", "support", "orders", "console"):
        factory = ChannelFactory(TlsFiles.in_dir(certs, identity))
        factories.append(factory)
        stubs[identity] = pb_grpc.ProfileServiceStub(
            factory.channel(f"127.0.0.1:{port}", "profile", [PROFILE_SERVICE]))
    return stubs, factories


@pytest.fixture
async def profile(mesh_certs: Path, backend: Backend, fake_vault: tuple[ServiceHost, FakeVault]
                  ) -> AsyncIterator[Running]:
    """A started profile service on the test's backend, talking to the fake vault."""
    vault_host, fake = fake_vault
    app = build(profile_settings(mesh_certs, backend, vault_host.port))
    await app.start()
    stubs, factories = stubs_for(mesh_certs, app.host.port)
    yield Running(app, app.host.port, stubs, factories, fake)
    for factory in factories:
        await factory.close()
    await app.stop(0)
