"""Certificate rotation without restart: the server serves a new certificate (and CA) to new connections,
and the channel factory dials with rotated client certificates."""

from __future__ import annotations

import shutil
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kittest.v1 import echo_pb2

from shared.channels import ChannelFactory
from shared.tls import TlsFiles, create_ca, issue_service_cert
from tests.kit.conftest import echo_settings
from tests.kit.echo_server import build
from tests.kit.helpers import echo_stub, raw_channel


async def _check(port: int, tls: TlsFiles) -> grpc.StatusCode:
    async with raw_channel(port, tls) as channel:
        try:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


async def test_rotated_server_certificate_is_used_without_restart(tmp_path: Path) -> None:
    live, old_ca, new_ca = tmp_path / "live", tmp_path / "old", tmp_path / "new"
    for folder in (old_ca, new_ca):
        create_ca(folder, common_name=f"CA {folder.name}")
        issue_service_cert(folder, "kittest")
        issue_service_cert(folder, "gateway")
    shutil.copytree(old_ca, live)
    host, _ = build(echo_settings(live, user_context_public_keys=[]))
    await host.start()
    try:
        client_old = TlsFiles.in_dir(old_ca, "gateway")
        client_new = TlsFiles.in_dir(new_ca, "gateway")
        assert await _check(host.port, client_old) == grpc.StatusCode.OK
        assert await _check(host.port, client_new) == grpc.StatusCode.UNAVAILABLE
        # Rotate: the new CA's server certificate, and a bundle trusting both CAs for clients mid-rotation.
        bundle = (new_ca / "ca.pem").read_bytes() + (old_ca / "ca.pem").read_bytes()
        (live / "ca.pem").write_bytes(bundle)
        shutil.copy(new_ca / "kittest.key", live / "kittest.key")
        shutil.copy(new_ca / "kittest.pem", live / "kittest.pem")
        assert await _check(host.port, client_new) == grpc.StatusCode.OK
        assert await _check(host.port, client_old) == grpc.StatusCode.UNAVAILABLE  # old CA no longer vouches
    finally:
        await host.stop(0)


async def test_channel_factory_picks_up_rotated_client_certificates(mesh_certs: Path, tmp_path: Path) -> None:
    host, _ = build(echo_settings(mesh_certs))
    await host.start()
    await host.set_ready(True)
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    shutil.copy(mesh_certs / "ca.pem", client_dir / "ca.pem")
    create_ca(tmp_path / "rogue")
    issue_service_cert(tmp_path / "rogue", "gateway")
    for suffix in ("pem", "key"):
        shutil.copy(tmp_path / "rogue" / f"gateway.{suffix}", client_dir / f"gateway.{suffix}")
    factory = ChannelFactory(TlsFiles.in_dir(client_dir, "gateway"))
    try:
        with pytest.raises(grpc.aio.AioRpcError):
            await echo_stub(factory, host.port).Echo(echo_pb2.EchoRequest(text="x"), timeout=2)
        for suffix in ("pem", "key"):
            shutil.copy(mesh_certs / f"gateway.{suffix}", client_dir / f"gateway.{suffix}")
        answer = await echo_stub(factory, host.port).Echo(echo_pb2.EchoRequest(text="rotated"), timeout=2)
        assert answer.text == "rotated"
    finally:
        await factory.close()
        await host.stop(0)
