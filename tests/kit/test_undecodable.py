"""A request the server cannot parse is the caller's mistake: INVALID_ARGUMENT with a google.rpc.BadRequest,
never grpcio's INTERNAL "Exception deserializing request!" — for every handler the kit's server registers:
the service's own (behind the envelope), and health and reflection on the main port and on the plaintext
health port (found by the fuzzing suite, tests/hardening/hostile/test_fuzz.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_status import rpc_status

from shared.tls import TlsFiles
from tests.kit.helpers import raw_channel

NOT_UTF8 = b"\x0a\x03\xff\xfe\xfd"
"""Field 1 (a string in each request below), length 3, not UTF-8."""
TRUNCATED = b"\x0a\x7f"
"""Field 1, length 127, then nothing."""
TOO_DEEP = b"\x0b" * 101 + b"\x0c" * 101
"""Groups nested one past protobuf's recursion limit."""


def _assert_bad_request(error: grpc.aio.AioRpcError) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert any(detail.Unpack(bad_request) for detail in status.details)
    assert bad_request.field_violations[0].field == "request"


async def _one(messages: list[bytes]) -> AsyncIterator[bytes]:
    for message in messages:
        yield message


@pytest.mark.parametrize("raw", [NOT_UTF8, TRUNCATED, TOO_DEEP], ids=["not-utf8", "truncated", "too-deep"])
async def test_health_check_on_the_main_port(echo_server, gateway_tls: TlsFiles, raw: bytes) -> None:
    async with raw_channel(echo_server.host.port, gateway_tls) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await channel.unary_unary("/grpc.health.v1.Health/Check")(raw, timeout=2)
    _assert_bad_request(info.value)


async def test_health_watch_on_the_main_port(echo_server, gateway_tls: TlsFiles) -> None:
    async with raw_channel(echo_server.host.port, gateway_tls) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in channel.unary_stream("/grpc.health.v1.Health/Watch")(NOT_UTF8, timeout=2):
                pass
    _assert_bad_request(info.value)


async def test_reflection_stream_on_the_main_port(echo_server, gateway_tls: TlsFiles) -> None:
    good = b"\x3a\x00"  # list_services = ""
    async with raw_channel(echo_server.host.port, gateway_tls) as channel:
        call = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in call(_one([good, NOT_UTF8]), timeout=2):
                pass
    _assert_bad_request(info.value)


async def test_health_port_check(echo_server) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{echo_server.host.health_port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await channel.unary_unary("/grpc.health.v1.Health/Check")(NOT_UTF8, timeout=2)
        _assert_bad_request(info.value)
        # A good request still answers.
        answer = await channel.unary_unary("/grpc.health.v1.Health/Check",
                                           response_deserializer=health_pb2.HealthCheckResponse.FromString)(
            health_pb2.HealthCheckRequest().SerializeToString(), timeout=2)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("raw", [TRUNCATED, TOO_DEEP], ids=["truncated", "too-deep"])
async def test_service_rpcs_too(echo_server, gateway_tls: TlsFiles, raw: bytes) -> None:
    async with raw_channel(echo_server.host.port, gateway_tls) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await channel.unary_unary("/kittest.v1.EchoService/Echo")(raw, timeout=2)
    _assert_bad_request(info.value)
