"""A test-only mesh service on the kit (shared/), runnable as `python -m tests.kit.echo_server`."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import grpc
from kittest.v1 import echo_pb2, echo_pb2_grpc
from opentelemetry import trace
from pydantic_settings import SettingsConfigDict

from shared.channels import ChannelFactory
from shared.context import current_caller, current_request_id, remaining_seconds
from shared.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from shared.server import ServiceHost, run_service
from shared.settings import ServiceSettings

SERVICE_NAME = echo_pb2.DESCRIPTOR.services_by_name["EchoService"].full_name


class EchoSettings(ServiceSettings):
    """Settings of the test service (env prefix SHOPMESH_KITTEST_)."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_KITTEST_", extra="ignore", frozen=True)
    service_name: str = "kittest"


class EchoServicer(echo_pb2_grpc.EchoServiceServicer):
    """Behaves as the request asks: sleep, fail, relay."""

    def __init__(self, channels: ChannelFactory):
        self.attempts: Counter[str] = Counter()
        self._channels = channels

    async def _behave(self, request: echo_pb2.EchoRequest) -> echo_pb2.EchoResponse:
        self.attempts[request.key] += 1
        if self.attempts[request.key] <= request.fail_first:
            raise Unavailable("injected unavailability")
        if request.sleep_ms:
            await asyncio.sleep(request.sleep_ms / 1000)
        if request.fail_with == "not_found":
            raise NotFound("no such echo")
        if request.fail_with == "invalid":
            raise InvalidArgument("bad echo", [FieldViolation("text", "must not be 'x'")])
        if request.fail_with == "unexpected":
            raise RuntimeError("secret-internal-detail alice@example.com")
        return echo_pb2.EchoResponse(text=request.text, attempts=self.attempts[request.key])

    async def Echo(self, request: echo_pb2.EchoRequest, context: grpc.aio.ServicerContext) -> echo_pb2.EchoResponse:
        return await self._behave(request)

    async def Record(self, request: echo_pb2.EchoRequest, context: grpc.aio.ServicerContext) -> echo_pb2.EchoResponse:
        return await self._behave(request)

    async def Relay(self, request: echo_pb2.RelayRequest,
                    context: grpc.aio.ServicerContext) -> echo_pb2.InspectResponse:
        service = echo_pb2.DESCRIPTOR.services_by_name["EchoService"]
        channel = self._channels.channel(request.target, "kittest", [service],
                                         forward_user_context=not request.drop_user_context)
        response: echo_pb2.InspectResponse = await echo_pb2_grpc.EchoServiceStub(channel).Inspect(
            echo_pb2.InspectRequest()
        )
        return response

    async def Inspect(self, request: echo_pb2.InspectRequest,
                      context: grpc.aio.ServicerContext) -> echo_pb2.InspectResponse:
        remaining = remaining_seconds()
        span_context = trace.get_current_span().get_span_context()
        caller = current_caller()
        return echo_pb2.InspectResponse(
            remaining_ms=-1 if remaining is None else remaining * 1000,
            trace_id=format(span_context.trace_id, "032x") if span_context.is_valid else "",
            request_id=current_request_id() or "",
            caller_service=caller.service or "",
            user_id=caller.user_id or "",
        )

    async def Chunks(self, request: echo_pb2.EchoRequest,
                     context: grpc.aio.ServicerContext) -> AsyncIterator[echo_pb2.EchoResponse]:
        for char in request.text:
            yield echo_pb2.EchoResponse(text=char)
        if request.fail_with:
            await self._behave(request)


def _servicer(settings: EchoSettings) -> EchoServicer:
    return EchoServicer(ChannelFactory(settings.tls_files(), default_deadline_ms=settings.default_deadline_ms))


def build(settings: EchoSettings) -> tuple[ServiceHost, EchoServicer]:
    """A host with the echo servicer registered (not started)."""
    servicer = _servicer(settings)
    host = ServiceHost(settings, lambda server: echo_pb2_grpc.add_EchoServiceServicer_to_server(servicer, server),
                       [SERVICE_NAME])
    return host, servicer


def main() -> None:
    """Serves until SIGTERM."""
    servicer = _servicer(settings := EchoSettings())
    run_service(settings, lambda server: echo_pb2_grpc.add_EchoServiceServicer_to_server(servicer, server),
                [SERVICE_NAME])


if __name__ == "__main__":
    main()
