"""One mesh for the fault suites (chaos, hot swap, soak), started once for the package: every service, with
profile on the package's own PostgreSQL (event log, orders, profiles) and Redis (online features), the vault on
that PostgreSQL, and support's sessions in that Redis, so the suites can kill -9 the stores too. The MovieLens
shop is loaded into those stores first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shopmesh.mesh import Supervisor, available_services
from tests.gateway.conftest import LOAD_RATINGS, mesh_env
from tests.hardening.conftest import install_snapshot
from tests.hardening.procs import shopmesh
from tests.hardening.stores import OwnPostgres, OwnRedis


@dataclass
class Stores:
    """The package's own servers."""

    redis: OwnRedis
    postgres: OwnPostgres

    def env(self, schema_prefix: str = "") -> dict[str, str]:
        """Settings pointing profile, the vault and support at these servers (schemas/prefixes per mesh)."""
        return {
            "SHOPMESH_PROFILE_POSTGRES_DSN": self.postgres.dsn,
            "SHOPMESH_PROFILE_POSTGRES_SCHEMA": f"{schema_prefix}profile",
            "SHOPMESH_PROFILE_REDIS_URL": self.redis.url,
            "SHOPMESH_PROFILE_REDIS_PREFIX": f"{schema_prefix}shopmesh:profile:",
            "SHOPMESH_VAULT_STORE": "postgres",
            "SHOPMESH_VAULT_POSTGRES_DSN": self.postgres.dsn,
            "SHOPMESH_VAULT_POSTGRES_SCHEMA": f"{schema_prefix}vault_data",
            "SHOPMESH_VAULT_KEYSTORE_POSTGRES_SCHEMA": f"{schema_prefix}vault_keystore",
            "SHOPMESH_SUPPORT_SESSION_STORE": "redis",
            "SHOPMESH_SUPPORT_REDIS_URL": self.redis.url,
            "SHOPMESH_SUPPORT_REDIS_PREFIX": f"{schema_prefix}shopmesh:support:",
        }


def start_stores(root: Path) -> Stores:
    """Starts a Redis (AOF, fsync always) and a PostgreSQL of their own."""
    redis = OwnRedis(root / "redis")
    postgres = OwnPostgres()
    redis.start()
    postgres.start()
    return Stores(redis, postgres)


def load_shop_into(home: Path, env: dict[str, str]) -> None:
    """`shopmesh data load` (MovieLens, first LOAD_RATINGS ratings) into the stores `env` names."""
    shopmesh(env, "data", "load", "--limit", str(LOAD_RATINGS), "--no-clothing", timeout_s=600)


@dataclass
class FaultMesh:
    """The running mesh and the stores it uses."""

    mesh: Supervisor
    stores: Stores


@contextlib.contextmanager
def mesh_on_own_stores(home: Path, snapshot: Path, *, replicas: dict[str, int] | None = None,
                       **extra: str) -> Iterator[FaultMesh]:
    """Own Redis and PostgreSQL, the shop loaded into them, the built snapshot installed, and every service
    started (`replicas` per service) on them; everything stopped and removed afterwards."""
    install_snapshot(snapshot, home)
    stores = start_stores(home / "stores")
    try:
        env = mesh_env(home, **extra, **stores.env())
        load_shop_into(home, env)
        supervisor = Supervisor(available_services(), home, extra_env=env, replicas=replicas)
        try:
            supervisor.start(timeout_s=900)
            yield FaultMesh(supervisor, stores)
        finally:
            supervisor.stop()
    finally:
        stores.redis.stop()
        stores.postgres.remove()


@pytest.fixture(scope="package")
def faults_mesh(tmp_path_factory: pytest.TempPathFactory, full_snapshot: Path) -> Iterator[FaultMesh]:
    """The package's mesh on its own stores, serving the full snapshot. Ranking looks for a newly promoted
    ranker every 2 s instead of 30 (the hot-swap suite waits for it)."""
    with mesh_on_own_stores(tmp_path_factory.mktemp("faults-mesh"), full_snapshot,
                            SHOPMESH_RANKING_REFRESH_INTERVAL_S="2") as mesh:
        yield mesh
