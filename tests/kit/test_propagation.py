"""Component tests across two hops on real grpc.aio servers: deadline, trace context, request id, end-user
context, and retries decided by the proto's idempotency options."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest
from kittest.v1 import echo_pb2, echo_pb2_grpc

from shared.channels import ChannelFactory, retry_service_config
from shared.tls import TlsFiles
from shared.usercontext import METADATA_KEY, UserContextSigner
from tests.kit.conftest import echo_settings
from tests.kit.echo_server import build
from tests.kit.helpers import ECHO_SERVICE, echo_stub

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_deadline_trace_and_request_id_reach_the_second_hop(echo_server, second_hop,
                                                                  gateway_tls: TlsFiles) -> None:
    factory = ChannelFactory(gateway_tls)
    seen = await echo_stub(factory, echo_server.host.port).Relay(
        echo_pb2.RelayRequest(target=f"127.0.0.1:{second_hop.port}"),
        metadata=(("traceparent", TRACEPARENT), ("x-request-id", "req-relay-1")),
        timeout=1.5,
    )
    assert 0 < seen.remaining_ms <= 1500
    assert seen.remaining_ms > 1000  # the budget was passed on, not the hop's own 5 s default
    assert seen.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert seen.request_id == "req-relay-1"
    assert seen.caller_service == "kittest"  # the first hop called with its own certificate
    await factory.close()


async def test_a_call_without_deadline_gets_the_default_budget(echo_server, gateway_tls: TlsFiles) -> None:
    async with grpc.aio.secure_channel(
        f"127.0.0.1:{echo_server.host.port}",
        grpc.ssl_channel_credentials(*[gateway_tls.read()[i] for i in (0, 2, 1)]),
        options=[("grpc.ssl_target_name_override", "kittest")],
    ) as channel:
        inspect = channel.unary_unary("/kittest.v1.EchoService/Inspect",
                                      request_serializer=echo_pb2.InspectRequest.SerializeToString,
                                      response_deserializer=echo_pb2.InspectResponse.FromString)
        seen = await inspect(echo_pb2.InspectRequest())  # no timeout at all
    assert 4000 < seen.remaining_ms <= 5000


async def test_a_deadline_shorter_than_the_work_is_deadline_exceeded(echo_server, gateway_tls: TlsFiles) -> None:
    factory = ChannelFactory(gateway_tls)
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await echo_stub(factory, echo_server.host.port).Echo(echo_pb2.EchoRequest(sleep_ms=3000), timeout=0.3)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 1.5
    await factory.close()


async def test_user_context_is_verified_and_forwarded(echo_server, second_hop, mesh_certs: Path,
                                                      gateway_tls: TlsFiles) -> None:
    token = UserContextSigner.from_file(mesh_certs / "user-context.key").sign("user-42", ttl_seconds=30)
    factory = ChannelFactory(gateway_tls)
    seen = await echo_stub(factory, echo_server.host.port).Relay(
        echo_pb2.RelayRequest(target=f"127.0.0.1:{second_hop.port}"), metadata=((METADATA_KEY, token),), timeout=2
    )
    assert seen.user_id == "user-42"
    await factory.close()


@pytest.mark.parametrize("kind", ["forged", "expired", "garbage", "tampered"])
async def test_bad_user_context_is_unauthenticated(echo_server, mesh_certs: Path, gateway_tls: TlsFiles,
                                                   tmp_path: Path, kind: str) -> None:
    from shared.usercontext import generate_keypair

    signer = UserContextSigner.from_file(mesh_certs / "user-context.key")
    if kind == "forged":
        generate_keypair(tmp_path / "other.key", tmp_path / "other.pub")
        token = UserContextSigner.from_file(tmp_path / "other.key").sign("user-42")
    elif kind == "expired":
        token = signer.sign("user-42", ttl_seconds=1, now=time.time() - 120)
    elif kind == "tampered":
        genuine = signer.sign("user-42")
        version, _, signature = genuine.split(".")
        other = signer.sign("user-43").split(".")[1]
        token = f"{version}.{other}.{signature}"
    else:
        token = "not-a-token"
    factory = ChannelFactory(gateway_tls)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await echo_stub(factory, echo_server.host.port).Inspect(echo_pb2.InspectRequest(),
                                                                metadata=((METADATA_KEY, token),), timeout=2)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    await factory.close()


def test_service_config_retries_only_idempotent_methods() -> None:
    config = retry_service_config([ECHO_SERVICE])
    retried = {name["method"] for name in config["methodConfig"][0]["name"]}
    assert retried == {"Echo", "Relay", "Inspect"}
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    assert config["healthCheckConfig"] == {"serviceName": ""}


async def test_calls_go_only_to_replicas_that_report_serving(mesh_certs: Path, gateway_tls: TlsFiles) -> None:
    """Two replicas behind one ipv4: target: while one is not ready (loading, or draining after SIGTERM),
    round_robin sends every call to the other, never-retried calls included; once it is SERVING it takes its
    share again."""
    hosts = [build(echo_settings(mesh_certs)) for _ in range(2)]
    for host, _ in hosts:
        await host.start()
    (ready, ready_servicer), (loading, loading_servicer) = hosts
    await ready.set_ready(True)
    factory = ChannelFactory(gateway_tls)
    try:
        target = f"ipv4:127.0.0.1:{ready.port},127.0.0.1:{loading.port}"
        stub = echo_pb2_grpc.EchoServiceStub(factory.channel(target, "kittest", [ECHO_SERVICE]))
        for n in range(12):  # Record is never retried: one call routed to the loading replica would fail
            await stub.Record(echo_pb2.EchoRequest(text=str(n), key=f"r{n}"), timeout=5)
        assert sum(ready_servicer.attempts.values()) == 12 and not loading_servicer.attempts
        await loading.set_ready(True)
        await asyncio.sleep(1.0)  # the health watch reports the change
        for n in range(12):
            await stub.Record(echo_pb2.EchoRequest(text=str(n), key=f"s{n}"), timeout=5)
        assert loading_servicer.attempts, "the replica that became SERVING takes calls again"
    finally:
        await factory.close()
        for host, _ in hosts:
            await host.stop(0)


async def test_idempotent_call_is_retried_and_non_idempotent_is_not(echo_server, gateway_tls: TlsFiles) -> None:
    factory = ChannelFactory(gateway_tls)
    stub = echo_stub(factory, echo_server.host.port)
    answer = await stub.Echo(echo_pb2.EchoRequest(text="ok", fail_first=2, key="idem"), timeout=5)
    assert answer.text == "ok" and answer.attempts == 3
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Record(echo_pb2.EchoRequest(text="once", fail_first=1, key="side-effect"), timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert echo_server.servicer.attempts["side-effect"] == 1
    await factory.close()
