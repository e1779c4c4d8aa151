"""Component tests on real grpc.aio servers: the end-user context goes only to peers that take one.

A service that acts for no end user (the embedding service) runs without user-context keys, so its envelope
answers a forwarded context with UNAUTHENTICATED. `ChannelFactory.channel(..., forward_user_context=False)`
is the per-peer switch: that peer's calls drop the caller's context, other peers still get it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from kittest.v1 import echo_pb2

from shared import context as rpc_context
from shared.channels import ChannelFactory
from shared.server import ServiceHost
from shared.tls import TlsFiles
from shared.usercontext import METADATA_KEY, UserContextSigner
from tests.kit.conftest import echo_settings
from tests.kit.echo_server import build
from tests.kit.helpers import ECHO_SERVICE, echo_stub


def error_reason(error: grpc.aio.AioRpcError) -> str:
    """The google.rpc.ErrorInfo reason of a failed call ("" when it has none)."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return str(info.reason)
    return ""


@pytest.fixture
async def contextless_peer(mesh_certs: Path) -> AsyncIterator[ServiceHost]:
    """An echo server configured with no user-context keys: it refuses any end-user context."""
    host, _servicer = build(echo_settings(mesh_certs, user_context_public_keys=[]))
    await host.start()
    await host.set_ready(True)
    yield host
    await host.stop(0)


@pytest.fixture
async def verifying_peer(mesh_certs: Path) -> AsyncIterator[ServiceHost]:
    """An echo server that verifies end-user contexts."""
    host, _servicer = build(echo_settings(mesh_certs))
    await host.start()
    await host.set_ready(True)
    yield host
    await host.stop(0)


@pytest.fixture
def user_token(mesh_certs: Path) -> str:
    """A gateway-signed context for user-42."""
    return UserContextSigner.from_file(mesh_certs / "user-context.key").sign("user-42", ttl_seconds=30)


@pytest.fixture
def acting_for_user(user_token: str) -> Iterator[None]:
    """This code runs as if inside an RPC made for user-42 (what the server envelope sets)."""
    reset = rpc_context.caller_var.set(rpc_context.Caller(service="gateway", user_id="user-42",
                                                          user_token=user_token))
    yield
    rpc_context.caller_var.reset(reset)


def _stub(factory: ChannelFactory, port: int, *, forward: bool):
    from kittest.v1 import echo_pb2_grpc

    channel = factory.channel(f"127.0.0.1:{port}", "kittest", [ECHO_SERVICE], forward_user_context=forward)
    return echo_pb2_grpc.EchoServiceStub(channel)


async def test_a_forwarded_context_is_refused_by_a_peer_that_takes_none(
        contextless_peer: ServiceHost, gateway_tls: TlsFiles, acting_for_user: None) -> None:
    factory = ChannelFactory(gateway_tls)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await echo_stub(factory, contextless_peer.port).Inspect(echo_pb2.InspectRequest(), timeout=2)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(info.value) == "USER_CONTEXT_UNEXPECTED"
    await factory.close()


async def test_a_non_forwarding_channel_reaches_that_peer_with_request_id_and_deadline(
        contextless_peer: ServiceHost, gateway_tls: TlsFiles, acting_for_user: None) -> None:
    factory = ChannelFactory(gateway_tls)
    reset = rpc_context.request_id_var.set("req-peer-1")
    try:
        seen = await _stub(factory, contextless_peer.port, forward=False).Inspect(echo_pb2.InspectRequest(),
                                                                                 timeout=1.5)
    finally:
        rpc_context.request_id_var.reset(reset)
    assert seen.user_id == ""
    assert seen.caller_service == "gateway"
    assert seen.request_id == "req-peer-1"
    assert 0 < seen.remaining_ms <= 1500
    await factory.close()


async def test_the_switch_is_per_peer_on_one_factory(contextless_peer: ServiceHost, verifying_peer: ServiceHost,
                                                    gateway_tls: TlsFiles, acting_for_user: None) -> None:
    factory = ChannelFactory(gateway_tls)
    plain = await _stub(factory, contextless_peer.port, forward=False).Inspect(echo_pb2.InspectRequest(), timeout=2)
    verified = await _stub(factory, verifying_peer.port, forward=True).Inspect(echo_pb2.InspectRequest(), timeout=2)
    assert (plain.user_id, verified.user_id) == ("", "user-42")
    # The same target with and without forwarding are two channels; each is cached.
    target = f"127.0.0.1:{verifying_peer.port}"
    dropping = factory.channel(target, "kittest", forward_user_context=False)
    assert dropping is not factory.channel(target, "kittest")
    assert dropping is factory.channel(target, "kittest", forward_user_context=False)
    assert (await _stub(factory, verifying_peer.port, forward=False).Inspect(
        echo_pb2.InspectRequest(), timeout=2)).user_id == ""
    await factory.close()


async def test_an_explicit_context_in_the_call_metadata_is_kept(verifying_peer: ServiceHost, gateway_tls: TlsFiles,
                                                               user_token: str) -> None:
    factory = ChannelFactory(gateway_tls)
    seen = await _stub(factory, verifying_peer.port, forward=False).Inspect(
        echo_pb2.InspectRequest(), metadata=((METADATA_KEY, user_token),), timeout=2)
    assert seen.user_id == "user-42"
    await factory.close()


@pytest.mark.parametrize("drop", [True, False])
async def test_a_relaying_service_drops_the_context_only_for_the_peer_it_marks(
        echo_server, verifying_peer: ServiceHost, contextless_peer: ServiceHost, *, gateway_tls: TlsFiles,
        user_token: str, drop: bool) -> None:
    factory = ChannelFactory(gateway_tls)
    stub = echo_stub(factory, echo_server.host.port)
    metadata = ((METADATA_KEY, user_token), ("x-request-id", "req-relay-2"))
    seen = await stub.Relay(echo_pb2.RelayRequest(target=f"127.0.0.1:{verifying_peer.port}", drop_user_context=drop),
                            metadata=metadata, timeout=2)
    assert seen.user_id == ("" if drop else "user-42")
    assert seen.request_id == "req-relay-2"
    assert seen.caller_service == "kittest"
    relay = stub.Relay(echo_pb2.RelayRequest(target=f"127.0.0.1:{contextless_peer.port}", drop_user_context=drop),
                       metadata=metadata, timeout=2)
    if drop:
        assert (await relay).user_id == ""
    else:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await relay
        # What support saw before the switch: the peer refuses, the relaying hop's turn fails.
        assert info.value.code() == grpc.StatusCode.INTERNAL
    await factory.close()
