"""Fixtures for the vault's tests: mesh certificates for every caller, and a real vault gRPC server (mTLS, port 0)
on SQLite or on PostgreSQL at 127.0.0.1:5432 (a fresh pair of schemas per test, dropped afterwards)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import psycopg
import pytest

from services.vault.app import build
from services.vault.keys import ensure_key_dir
from services.vault.servicer import VaultServicer
from services.vault.settings import VaultSettings
from shared.server import ServiceHost
from shared.tls import TlsFiles
from shared.usercontext import UserContextSigner
from shopmesh.vault.v1 import vault_service_pb2_grpc

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")




@dataclass
class PgSchemas:
    """The two schemas of one PostgreSQL-backed vault."""

    data: str
    keystore: str

    def dump(self, schema: str) -> str:
        """pg_dump of one schema, as SQL text."""
        out = subprocess.run(["pg_dump", "--dbname", PG_DSN, "--schema", schema, "--no-owner"],
                             capture_output=True, text=True, check=True, timeout=60)
        return out.stdout


@pytest.fixture
def pg_schemas() -> Iterator[PgSchemas]:
    """Unique data and keystore schemas in the `test` database, dropped after the test."""
    suffix = uuid.uuid4().hex[:10]
    schemas = PgSchemas(f"vault_data_{suffix}", f"vault_ks_{suffix}")
    yield schemas
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        for schema in (schemas.data, schemas.keystore):
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def vault_settings(certs: Path, root: Path, backend: str, pg: PgSchemas | None = None,
                   **overrides: object) -> VaultSettings:
    """Settings of a test vault on port 0 with mTLS, keys in root/keys."""
    ensure_key_dir(root / "keys")
    values: dict[str, object] = {
        "certs_dir": certs, "user_context_public_keys": [certs / "user-context.pub"], "metrics_enabled": False,
        "key_dir": root / "keys", "data_dir": root / "store", "grace_seconds": 1.0, "store": backend,
    }
    if backend == "postgres":
        assert pg is not None
        values.update(postgres_dsn=PG_DSN, postgres_schema=pg.data, keystore_postgres_schema=pg.keystore)
    values.update(overrides)
    return VaultSettings(**values)  # type: ignore[arg-type]


@dataclass
class RunningVault:
    """A started vault server and how to call it as any mesh identity."""

    host: ServiceHost
    servicer: VaultServicer
    settings: VaultSettings
    certs: Path
    signer: UserContextSigner
    pg: PgSchemas | None
    channels: list[grpc.aio.Channel]
    stopped: bool = False

    def stub(self, identity: str) -> vault_service_pb2_grpc.VaultServiceStub:
        """A stub presenting `identity`'s certificate (no retries: the tests see every failure)."""
        ca, chain, key = TlsFiles.in_dir(self.certs, identity).read()
        channel = grpc.aio.secure_channel(
            f"127.0.0.1:{self.host.port}", grpc.ssl_channel_credentials(ca, key, chain),
            options=[("grpc.ssl_target_name_override", "vault")])
        self.channels.append(channel)
        return vault_service_pb2_grpc.VaultServiceStub(channel)

    def as_user(self, user_id: str) -> tuple[tuple[str, str], ...]:
        """Call metadata carrying a gateway-signed context for user_id."""
        return (("x-shopmesh-user-context", self.signer.sign(user_id)),)


async def start_vault(settings: VaultSettings, certs: Path, signer: UserContextSigner,
                      pg: PgSchemas | None = None) -> RunningVault:
    """Builds and starts a vault server, ready."""
    host, servicer = build(settings)
    await host.start()
    servicer.admin.start_rewrap()
    await host.set_ready(True)
    return RunningVault(host, servicer, settings, certs, signer, pg, [])


async def stop_vault(running: RunningVault) -> None:
    """Closes the test channels, stops the server and closes the stores (once)."""
    if running.stopped:
        return
    running.stopped = True
    for channel in running.channels:
        await channel.close()
    await running.host.stop(0)
    running.servicer.vault.data.close()
    running.servicer.vault.keys.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each contract test runs on SQLite and on the real PostgreSQL."""
    return str(request.param)


VaultFactory = Callable[..., Awaitable[RunningVault]]


@pytest.fixture
async def vault_factory(backend: str, mesh_certs: Path, signer: UserContextSigner, tmp_path: Path,
                        pg_schemas: PgSchemas) -> AsyncIterator[VaultFactory]:
    """Starts vaults on the parametrised backend with settings overrides (the same stores each time)."""
    started: list[RunningVault] = []

    async def make(**overrides: object) -> RunningVault:
        settings = vault_settings(mesh_certs, tmp_path, backend, pg_schemas, **overrides)
        running = await start_vault(settings, mesh_certs, signer, pg_schemas if backend == "postgres" else None)
        started.append(running)
        return running

    yield make
    for running in started:
        await stop_vault(running)


@pytest.fixture
async def vault(backend: str, mesh_certs: Path, signer: UserContextSigner, tmp_path: Path,
                pg_schemas: PgSchemas) -> AsyncIterator[RunningVault]:
    """A running vault on the parametrised backend."""
    settings = vault_settings(mesh_certs, tmp_path, backend, pg_schemas)
    running = await start_vault(settings, mesh_certs, signer, pg_schemas if backend == "postgres" else None)
    yield running
    await stop_vault(running)
