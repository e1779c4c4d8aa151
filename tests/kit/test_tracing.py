"""Spans from the kit on real grpc.aio servers, collected by the OpenTelemetry SDK's in-memory exporter: a
server span per RPC, a client span per outbound unary call, parented across two hops, status recorded."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from kittest.v1 import echo_pb2
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

from shared import tracing
from shared.channels import ChannelFactory
from shared.settings import ServiceSettings
from shared.tls import TlsFiles
from tests.kit.helpers import echo_stub


class _Switch(Sampler):
    """Samples while a test of this module runs and drops everything otherwise."""

    on = False

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        attributes = kwargs.get("attributes", args[4] if len(args) > 4 else None)
        # The SDK gives the span the attributes the sampler returns, so they are passed back whole.
        return SamplingResult(Decision.RECORD_AND_SAMPLE if self.on else Decision.DROP, attributes)

    def get_description(self) -> str:
        return "kit-test-switch"


_SWITCH = _Switch()
_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """An SDK provider exporting to memory, recording only during the test.

    The API takes one provider per process and its proxy tracers (the envelope's, the channels') bind to it
    on first use, so the provider is installed once and switched on and off by its sampler.
    """
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider(sampler=_SWITCH)
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    _SWITCH.on = True
    tracing._installed.append("kittest")
    try:
        yield _EXPORTER
    finally:
        tracing._installed.clear()
        _SWITCH.on = False


def _by_name(finished: tuple[ReadableSpan, ...], name: str, kind: trace.SpanKind) -> list[ReadableSpan]:
    return [s for s in finished if s.name == name and s.kind == kind]


async def test_two_hops_give_one_trace_with_client_and_server_spans_parented(
        spans: InMemorySpanExporter, echo_server, second_hop, gateway_tls: TlsFiles) -> None:
    factory = ChannelFactory(gateway_tls)
    seen = await echo_stub(factory, echo_server.host.port).Relay(
        echo_pb2.RelayRequest(target=f"127.0.0.1:{second_hop.port}"), timeout=2)
    await factory.close()
    finished = spans.get_finished_spans()
    relay_client, = _by_name(finished, "kittest.v1.EchoService/Relay", trace.SpanKind.CLIENT)
    relay_server, = _by_name(finished, "kittest.v1.EchoService/Relay", trace.SpanKind.SERVER)
    inspect_client, = _by_name(finished, "kittest.v1.EchoService/Inspect", trace.SpanKind.CLIENT)
    inspect_server, = _by_name(finished, "kittest.v1.EchoService/Inspect", trace.SpanKind.SERVER)
    chain = [relay_client, relay_server, inspect_client, inspect_server]
    assert len({s.context.trace_id for s in chain}) == 1
    assert relay_client.parent is None
    for parent, child in itertools.pairwise(chain):
        assert child.parent is not None and child.parent.span_id == parent.context.span_id
    # The second hop saw the trace it is part of (the envelope made its span current).
    assert seen.trace_id == f"{inspect_server.context.trace_id:032x}"
    assert relay_server.attributes is not None and inspect_server.attributes is not None
    assert relay_server.attributes["rpc.system"] == "grpc"
    assert relay_server.attributes["rpc.method"] == "Relay"
    assert relay_server.attributes["rpc.grpc.status_code"] == 0
    assert inspect_server.attributes["shopmesh.caller"] == "kittest"  # the first hop called with its certificate


async def test_a_failed_call_marks_both_spans(spans: InMemorySpanExporter, echo_server,
                                              gateway_tls: TlsFiles) -> None:
    factory = ChannelFactory(gateway_tls)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await echo_stub(factory, echo_server.host.port).Echo(echo_pb2.EchoRequest(sleep_ms=3000), timeout=0.3)
    await factory.close()
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    for _ in range(300):  # the caller's deadline fires on its own timer; the interceptor's span ends after it
        if _by_name(spans.get_finished_spans(), "kittest.v1.EchoService/Echo", trace.SpanKind.CLIENT):
            break
        await asyncio.sleep(0.01)
    client, = _by_name(spans.get_finished_spans(), "kittest.v1.EchoService/Echo", trace.SpanKind.CLIENT)
    assert client.attributes is not None
    assert client.attributes["rpc.grpc.status_code"] == grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
    assert client.status.status_code is trace.StatusCode.ERROR


async def test_tracing_off_records_nothing_and_still_passes_the_callers_trace_on(
        echo_server, second_hop, gateway_tls: TlsFiles) -> None:
    assert not tracing.tracing_enabled()
    factory = ChannelFactory(gateway_tls)
    seen = await echo_stub(factory, echo_server.host.port).Relay(
        echo_pb2.RelayRequest(target=f"127.0.0.1:{second_hop.port}"),
        metadata=(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),), timeout=2)
    await factory.close()
    assert seen.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_otlp_without_an_endpoint_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="otlp_endpoint"):
        ServiceSettings(service_name="kittest", plaintext=True, tracing_exporter="otlp")
