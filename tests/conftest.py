"""Fixtures every service's tests share: one mesh CA with a certificate per identity any suite dials or serves
as, and the gateway's user-context signer. The kit's tests keep their own (they also need a foreign CA)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.usercontext import UserContextSigner
from shopmesh.certs import ensure_certs

MESH_IDENTITIES = ("vault", "gateway", "profile", "support", "console", "ops", "cli", "retrieval", "embedding",
                   "loader", "trainer", "orders")


@pytest.fixture(scope="session")
def mesh_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mesh CA, a certificate per identity in MESH_IDENTITIES, and the user-context key pair."""
    certs = tmp_path_factory.mktemp("mesh-certs")
    ensure_certs(certs, MESH_IDENTITIES)
    return certs


@pytest.fixture(scope="session")
def signer(mesh_certs: Path) -> UserContextSigner:
    """Signs end-user contexts as the gateway does."""
    return UserContextSigner.from_file(mesh_certs / "user-context.key")
