"""Fixtures every service's tests share: one mesh CA with a certificate per identity any suite dials or serves
as, the gateway's user-context signer, and the local tritonserver. The kit's tests keep their own certificates
(they also need a foreign CA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.usercontext import UserContextSigner
from shopmesh.certs import ensure_certs
from shopmesh.models.tritonserver import TritonInstall, ensure_installed

MESH_IDENTITIES = ("vault", "gateway", "profile", "support", "console", "ops", "cli", "retrieval", "embedding",
                   "loader", "trainer", "orders", "ranking")


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


@pytest.fixture(scope="session")
def triton_install() -> TritonInstall:
    """The nvidia-pytriton wheel's tritonserver, unpacked under $SHOPMESH_HOME/triton once.

    Where the wheel cannot run (glibc < 2.35, not Linux x86-64) the Triton tests are skipped with the reason
    on a developer's machine; under CI (CI=true) they fail instead, so CI never passes without real Triton.
    """
    install, reason = ensure_installed()
    if install is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the real tritonserver, and it cannot run here: {reason}")
        pytest.skip(f"the local tritonserver cannot run on this machine: {reason}")
    return install
