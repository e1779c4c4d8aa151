"""What every hardening mesh shares: a full retrieval snapshot (text, learned, co-visitation and lexical parts,
with the user tower it was built from), built once per session and copied into each mesh's home. A fresh home's
start-up snapshot has no text or learned index, so search would be lexical-only and the embedding service
would never be on the request path; the fault suites need both spaces served."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.gateway.conftest import mesh_env
from tests.hardening.procs import shopmesh

TOWER_EPOCHS = 2


def build_snapshot(home: Path, version: str, *, epochs: int = TOWER_EPOCHS, promote: bool = False) -> Path:
    """Trains user tower `version` (`epochs` epochs) and builds snapshot `version` from it under home/indexes
    (promoted with `promote`)."""
    env = mesh_env(home)
    towers = home / "models" / "artifacts" / "user-tower"
    shopmesh(env, "train", "user-tower", "--out", str(towers), "--version", version, "--epochs", str(epochs),
             "--threads", "1")
    shopmesh(env, "build", "index", "movielens", "--root", str(home / "indexes"), "--version", version,
             "--tower", str(towers / version), *(["--promote"] if promote else []))
    return home / "indexes" / "movielens" / version


def train_ranker(home: Path, version: str, seed: int) -> None:
    """`shopmesh train ranker movielens --quick` (the ranking service's first-start recipe) into home/models."""
    shopmesh(mesh_env(home), "train", "ranker", "movielens", "--quick", "--seed", str(seed), "--threads", "1",
             "--version", version, "--models-dir", str(home / "models"))


@pytest.fixture(scope="session")
def full_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding models/artifacts/user-tower/1, indexes/movielens/1 (promoted) and a first ranker, so a
    mesh's ranking replicas do not each train one at start (two replicas would race on one folder)."""
    home = tmp_path_factory.mktemp("hardening-snapshot")
    build_snapshot(home, "1", promote=True)
    train_ranker(home, "1", seed=7)
    return home


def install_snapshot(snapshot_home: Path, home: Path) -> None:
    """Copies the built snapshot, its tower and the ranker into a mesh home before the mesh starts."""
    for part in ("indexes", "models/artifacts/user-tower", "models/artifacts/ranker-movielens"):
        shutil.copytree(snapshot_home / part, home / part, dirs_exist_ok=True)
