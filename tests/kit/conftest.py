"""Fixtures for the kit's component tests: the test-only proto compiled at session start, mesh certificates,
and echo servers on port 0."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

_PROTO_ROOT = Path(__file__).parent / "protos"


def _compile_test_protos() -> Path:
    from grpc_tools import protoc

    out = Path(tempfile.mkdtemp(prefix="kittest-gen-"))
    (out / "kittest" / "v1").mkdir(parents=True)
    (out / "kittest" / "__init__.py").touch()
    (out / "kittest" / "v1" / "__init__.py").touch()
    code = protoc.main(["protoc", f"-I{_PROTO_ROOT}", f"--python_out={out}", f"--grpc_python_out={out}",
                        str(_PROTO_ROOT / "kittest" / "v1" / "echo.proto")])
    assert code == 0, "protoc failed on the test proto"
    return out


_GEN = _compile_test_protos()
sys.path.insert(0, str(_GEN))
_REPO = Path(__file__).resolve().parents[2]
# Child processes (echo servers run with `python -m`) find the generated code and the repo the same way.
os.environ["PYTHONPATH"] = os.pathsep.join([str(_GEN), str(_REPO), os.environ.get("PYTHONPATH", "")])

from shared.server import ServiceHost  # noqa: E402
from shared.tls import TlsFiles, create_ca, issue_service_cert  # noqa: E402
from tests.kit.echo_server import EchoServicer, EchoSettings, build  # noqa: E402


@pytest.fixture(scope="session")
def mesh_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mesh CA with certificates for `kittest` and `gateway`, plus the user-context key pair."""
    from shared.usercontext import generate_keypair

    certs = tmp_path_factory.mktemp("certs")
    create_ca(certs)
    for name in ("kittest", "gateway"):
        issue_service_cert(certs, name)
    generate_keypair(certs / "user-context.key", certs / "user-context.pub")
    return certs


@pytest.fixture(scope="session")
def foreign_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Certificates for `gateway` from a CA the mesh does not trust."""
    certs = tmp_path_factory.mktemp("foreign")
    create_ca(certs, common_name="someone else's CA")
    issue_service_cert(certs, "gateway")
    return certs


def echo_settings(certs: Path | None, **overrides: object) -> EchoSettings:
    """Settings for an in-process echo server on port 0 (mTLS when certs is given)."""
    values: dict[str, object] = {"metrics_port": 0, "grace_seconds": 5.0}
    if certs is None:
        values["plaintext"] = True
    else:
        values["certs_dir"] = certs
        values["user_context_public_keys"] = [certs / "user-context.pub"]
    values.update(overrides)
    return EchoSettings(**values)  # type: ignore[arg-type]


class RunningEcho:
    """An echo server started in this event loop."""

    def __init__(self, host: object, servicer: EchoServicer):
        self.host = host
        self.servicer = servicer


@pytest.fixture
async def echo_server(mesh_certs: Path) -> AsyncIterator[RunningEcho]:
    """An mTLS echo server on port 0, ready (SERVING)."""
    host, servicer = build(echo_settings(mesh_certs))
    await host.start()
    await host.set_ready(True)
    yield RunningEcho(host, servicer)
    await host.stop(0)


@pytest.fixture
async def second_hop(mesh_certs: Path) -> AsyncIterator[ServiceHost]:
    """A second mTLS echo server, for calls relayed through the first."""
    host, _servicer = build(echo_settings(mesh_certs))
    await host.start()
    await host.set_ready(True)
    yield host
    await host.stop(0)


@pytest.fixture
def gateway_tls(mesh_certs: Path) -> TlsFiles:
    """The client-side identity `gateway` in the mesh."""
    return TlsFiles.in_dir(mesh_certs, "gateway")


@pytest.fixture
def clean_env() -> Iterator[None]:
    """Leaves os.environ as it found it."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
