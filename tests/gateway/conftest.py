"""The gateway's test fixtures: one local mesh per module (`shopmesh up`'s Supervisor, embedded defaults) on a
home with the MovieLens shop loaded, and a client that calls the gateway as the app does (TLS + bearer JWT)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopmesh.mesh import Supervisor, available_services
from tests.gateway.helpers import REPO, GatewayClient

LOAD_RATINGS = 20_000
"""Ratings replayed into profile for the e2e mesh: enough users with history, and loads in ~30 s."""


def load_shop(home: Path) -> None:
    """`shopmesh data load` (MovieLens, first LOAD_RATINGS ratings) into the mesh home's profile store."""
    from shopmesh.data.paths import default_data_dir

    env = dict(os.environ, SHOPMESH_HOME=str(home), SHOPMESH_DATA_DIR=str(default_data_dir()))
    done = subprocess.run([sys.executable, "-m", "shopmesh", "data", "load", "--limit", str(LOAD_RATINGS),
                           "--no-clothing"], env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def mesh_env(home: Path, **extra: str) -> dict[str, str]:
    """The children's environment: the fetched data and the already built models, so start-up builds nothing."""
    from shopmesh.data.paths import default_data_dir

    models = REPO / "var" / "models"
    # Support embeds its FAQ at start; the supervisor starts every process at once, so with the embedding
    # service still loading Triton support would fail its start. Its in-process encoder is the same model.
    env = {"SHOPMESH_HOME": str(home), "SHOPMESH_DATA_DIR": str(default_data_dir()),
           "SHOPMESH_GATEWAY_FEED_DEADLINE_MS": "1500", "SHOPMESH_SUPPORT_ENCODER": "in_process"}
    if (models / "artifacts").is_dir():
        env["SHOPMESH_MODELS_DIR"] = str(models)
        env["SHOPMESH_SUPPORT_MODELS_DIR"] = str(models / "artifacts")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervisor]:
    """Every installed service, started once for the test module and stopped after it."""
    home = tmp_path_factory.mktemp("gateway-mesh")
    load_shop(home)
    supervisor = Supervisor(available_services(), home, extra_env=mesh_env(home))
    try:
        supervisor.start(timeout_s=300)
        yield supervisor
    finally:
        supervisor.stop()


@pytest.fixture(scope="module")
def gateway(mesh: Supervisor) -> Iterator[GatewayClient]:
    """A client of the mesh's gateway with the development JWT key."""
    client = GatewayClient.for_mesh(mesh)
    try:
        yield client
    finally:
        client.close()
