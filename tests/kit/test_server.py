"""Component tests of the kit's server on a real grpc.aio server: health, mTLS, errors, decoding, metrics."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from kittest.v1 import echo_pb2, echo_pb2_grpc

from shared.channels import ChannelFactory
from shared.tls import TlsFiles
from tests.kit.conftest import echo_settings
from tests.kit.echo_server import SERVICE_NAME, build
from tests.kit.helpers import echo_stub, raw_channel


async def _health(port: int, service: str = "") -> str:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=2
        )
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


async def test_health_serving_only_after_readiness_on_plaintext_port(mesh_certs: Path) -> None:
    host, _ = build(echo_settings(mesh_certs))
    await host.start()
    try:
        assert await _health(host.health_port) == "NOT_SERVING"
        assert await _health(host.health_port, SERVICE_NAME) == "NOT_SERVING"
        await host.set_ready(True)
        assert await _health(host.health_port) == "SERVING"
        assert await _health(host.health_port, SERVICE_NAME) == "SERVING"
    finally:
        await host.stop(0)


async def test_rpcs_before_the_first_readiness_are_unavailable_not_ready(mesh_certs: Path,
                                                                       gateway_tls: TlsFiles) -> None:
    """The main port is bound before the service has loaded what it serves: until its first SERVING, calls get
    UNAVAILABLE NOT_READY (retryable elsewhere), never a half-built servicer's INTERNAL; health still answers.
    A later NOT_SERVING (a store down) does not close the gate again."""
    host, _ = build(echo_settings(mesh_certs))
    await host.start()
    try:
        async with raw_channel(host.port, gateway_tls) as channel:
            stub = echo_pb2_grpc.EchoServiceStub(channel)
            for call in (stub.Echo(echo_pb2.EchoRequest(text="hi"), timeout=2),
                         _drain(stub.Chunks(echo_pb2.EchoRequest(text="hi"), timeout=2))):
                with pytest.raises(grpc.aio.AioRpcError) as early:
                    await call
                assert early.value.code() == grpc.StatusCode.UNAVAILABLE
                status = rpc_status.from_call(early.value)
                assert status is not None
                info = error_details_pb2.ErrorInfo()
                assert status.details[0].Unpack(info) and info.reason == "NOT_READY"
            health = health_pb2_grpc.HealthStub(channel)
            assert (await health.Check(health_pb2.HealthCheckRequest(), timeout=2)).status == \
                health_pb2.HealthCheckResponse.NOT_SERVING
            await host.set_ready(True)
            assert (await stub.Echo(echo_pb2.EchoRequest(text="hi"), timeout=2)).text == "hi"
            await host.set_ready(False)
            assert (await stub.Echo(echo_pb2.EchoRequest(text="again"), timeout=2)).text == "again"
    finally:
        await host.stop(0)


async def _drain(call: object) -> None:
    async for _ in call:  # type: ignore[attr-defined]
        pass


async def test_health_watchers_keep_hearing_changes_and_end_on_shutdown(mesh_certs: Path) -> None:
    """Every peer channel keeps a Watch per replica: when one watcher leaves, the others still hear the next
    change (grpcio-health-checking's servicer stopped telling them), and SIGTERM's NOT_SERVING ends every
    watch so open watches do not hold the drain."""
    host, _ = build(echo_settings(mesh_certs))
    await host.start()
    await host.set_ready(True)
    stopped = False
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.health_port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            leaving = stub.Watch(health_pb2.HealthCheckRequest(service=""))
            staying = stub.Watch(health_pb2.HealthCheckRequest(service=""))
            serving = health_pb2.HealthCheckResponse.SERVING
            assert (await leaving.read()).status == serving and (await staying.read()).status == serving
            leaving.cancel()
            await asyncio.sleep(0.2)
            await host.set_ready(False)
            assert (await asyncio.wait_for(staying.read(), 2)).status == health_pb2.HealthCheckResponse.NOT_SERVING
            await host.set_ready(True)
            assert (await asyncio.wait_for(staying.read(), 2)).status == serving
            started = asyncio.get_running_loop().time()
            stopping = asyncio.create_task(host.stop(5))
            assert (await asyncio.wait_for(staying.read(), 2)).status == health_pb2.HealthCheckResponse.NOT_SERVING
            assert await asyncio.wait_for(staying.read(), 2) is grpc.aio.EOF
            await stopping
            stopped = True
            assert asyncio.get_running_loop().time() - started < 3, "the open watch held the drain"
    finally:
        if not stopped:
            await host.stop(0)


async def test_health_port_serves_only_health(echo_server, gateway_tls: TlsFiles) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{echo_server.host.health_port}") as channel:
        echo = channel.unary_unary("/kittest.v1.EchoService/Echo",
                                   request_serializer=echo_pb2.EchoRequest.SerializeToString,
                                   response_deserializer=echo_pb2.EchoResponse.FromString)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await echo(echo_pb2.EchoRequest(text="hi"), timeout=2)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_main_port_requires_a_mesh_client_certificate(echo_server, mesh_certs: Path, foreign_certs: Path,
                                                            gateway_tls: TlsFiles) -> None:
    port = echo_server.host.port
    # No certificate at all (server-authenticated TLS only).
    ca = (mesh_certs / "ca.pem").read_bytes()
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(ca),
                                       options=[("grpc.ssl_target_name_override", "kittest")]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as no_cert:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    assert no_cert.value.code() == grpc.StatusCode.UNAVAILABLE
    # A certificate from another CA.
    foreign = TlsFiles(ca=mesh_certs / "ca.pem", cert=foreign_certs / "gateway.pem", key=foreign_certs / "gateway.key")
    async with raw_channel(port, foreign) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as wrong_ca:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    assert wrong_ca.value.code() == grpc.StatusCode.UNAVAILABLE
    # Plaintext.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as plain:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    assert plain.value.code() == grpc.StatusCode.UNAVAILABLE
    # The mesh's own certificate works, and the server sees the caller's identity.
    factory = ChannelFactory(gateway_tls)
    seen = await echo_stub(factory, port).Inspect(echo_pb2.InspectRequest(), timeout=2)
    assert seen.caller_service == "gateway"
    await factory.close()


async def test_invalid_utf8_is_invalid_argument_not_internal(echo_server, gateway_tls: TlsFiles) -> None:
    bad = b"\x0a\x03\xff\xfe\xfd"  # field 1 (text), length 3, not UTF-8
    async with raw_channel(echo_server.host.port, gateway_tls) as channel:
        call = channel.unary_unary("/kittest.v1.EchoService/Echo", request_serializer=lambda raw: raw,
                                   response_deserializer=echo_pb2.EchoResponse.FromString)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call(bad, timeout=2)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(info.value)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert any(detail.Unpack(bad_request) for detail in status.details)
    assert bad_request.field_violations[0].field == "request"


async def test_invalid_utf8_in_a_stream_response_rpc(echo_server, gateway_tls: TlsFiles) -> None:
    async with raw_channel(echo_server.host.port, gateway_tls) as channel:
        call = channel.unary_stream("/kittest.v1.EchoService/Chunks", request_serializer=lambda raw: raw,
                                    response_deserializer=echo_pb2.EchoResponse.FromString)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in call(b"\x0a\x01\xff", timeout=2):
                pass
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(("fail_with", "code"), [("not_found", grpc.StatusCode.NOT_FOUND),
                                                  ("invalid", grpc.StatusCode.INVALID_ARGUMENT)])
async def test_domain_errors_map_to_their_status(echo_server, gateway_tls: TlsFiles, fail_with: str,
                                                 code: grpc.StatusCode) -> None:
    factory = ChannelFactory(gateway_tls)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await echo_stub(factory, echo_server.host.port).Echo(echo_pb2.EchoRequest(fail_with=fail_with), timeout=2)
    assert info.value.code() == code
    if fail_with == "invalid":
        status = rpc_status.from_call(info.value)
        bad_request = error_details_pb2.BadRequest()
        assert status is not None and any(d.Unpack(bad_request) for d in status.details)
        assert [(v.field, v.description) for v in bad_request.field_violations] == [("text", "must not be 'x'")]
    await factory.close()


async def test_unexpected_exception_is_generic_internal(echo_server, gateway_tls: TlsFiles,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    factory = ChannelFactory(gateway_tls)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await echo_stub(factory, echo_server.host.port).Echo(
            echo_pb2.EchoRequest(fail_with="unexpected"), metadata=(("x-request-id", "req-123"),), timeout=2
        )
    assert info.value.code() == grpc.StatusCode.INTERNAL
    assert info.value.details() == "internal error (request id req-123)"
    logged = capsys.readouterr()
    text = logged.out + logged.err
    assert "rpc.unexpected_error" in text and "req-123" in text
    assert "alice@example.com" not in text and "secret-internal-detail" not in text
    await factory.close()


async def test_stream_errors_after_messages_keep_their_status(echo_server, gateway_tls: TlsFiles) -> None:
    factory = ChannelFactory(gateway_tls)
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for chunk in echo_stub(factory, echo_server.host.port).Chunks(
            echo_pb2.EchoRequest(text="abc", fail_with="not_found"), timeout=2
        ):
            received.append(chunk.text)
    assert received == ["a", "b", "c"]
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    await factory.close()


async def test_metrics_count_rpcs_and_latency(echo_server, gateway_tls: TlsFiles) -> None:
    factory = ChannelFactory(gateway_tls)
    stub = echo_stub(factory, echo_server.host.port)
    for _ in range(3):
        await stub.Echo(echo_pb2.EchoRequest(text="x"), timeout=2)
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Echo(echo_pb2.EchoRequest(fail_with="not_found"), timeout=2)
    url = f"http://127.0.0.1:{echo_server.host.metrics_port}/metrics"
    labels = 'grpc_method="Echo",grpc_service="kittest.v1.EchoService"'
    # An aborted call's status reaches the client before the server's envelope has counted it.
    for _ in range(100):
        body = urllib.request.urlopen(url, timeout=2).read().decode()
        if f"grpc_server_handling_seconds_count{{{labels}}} 4.0" in body:
            break
        await asyncio.sleep(0.02)
    assert f'grpc_server_handled_total{{grpc_code="OK",{labels}}} 3.0' in body
    assert f'grpc_server_handled_total{{grpc_code="NOT_FOUND",{labels}}} 1.0' in body
    assert f"grpc_server_handling_seconds_count{{{labels}}} 4.0" in body
    assert f"grpc_server_in_flight{{{labels}}} 0.0" in body
    await factory.close()
