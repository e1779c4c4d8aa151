"""The migrations hook Jobs' commands, run as rendered (env and all) against the real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from tests.charts.conftest import REPO_ROOT, Manifest

pytestmark = pytest.mark.integration

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
Render = Callable[..., list[Manifest]]


@pytest.fixture
def schemas() -> Iterator[dict[str, str]]:
    """Unique schemas for the vault's data and keystore and for the profile store, dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    names = {"SHOPMESH_VAULT_POSTGRES_SCHEMA": f"hook_vault_{suffix}",
             "SHOPMESH_VAULT_KEYSTORE_POSTGRES_SCHEMA": f"hook_vault_ks_{suffix}",
             "SHOPMESH_PROFILE_POSTGRES_SCHEMA": f"hook_profile_{suffix}"}
    yield names
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        for schema in names.values():
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.parametrize("component", ["vault", "profile"])
def test_hook_job_migrates_a_fresh_database(render: Render, schemas: dict[str, str], component: str) -> None:
    name = f"shopmesh-{component}-migrations"
    job = next(o for o in render() if o["kind"] == "Job" and o["metadata"]["name"] == name)
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {"PATH": "/usr/bin:/bin"}
    for entry in container["env"]:
        env[entry["name"]] = entry.get("value", PG_DSN)  # the DSNs come from the Secret
    env.update(schemas)
    command = [sys.executable if part == "python" else part for part in container["command"]]
    for attempt in range(2):  # the second run finds everything applied and changes nothing
        result = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"run {attempt}: {result.stderr}"
    with psycopg.connect(PG_DSN) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'schema_migrations'")}
    wanted = {s for k, s in schemas.items() if k.startswith(f"SHOPMESH_{component.upper()}_")}
    assert wanted <= tables
