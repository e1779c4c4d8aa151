"""The server-side RPC envelope: request id, trace context, caller identity, deadline, decoding, errors,
metrics and one log line per RPC (INFO when it failed or was slow, else DEBUG) — applied to every method of a
service by one grpc.aio interceptor.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn

import grpc
import structlog
from grpc_status import rpc_status
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from shared import context as rpc_context
from shared.errors import INTERNAL_MESSAGE, DomainError, FieldViolation, InvalidArgument, Unauthenticated
from shared.logging import get_logger, safe_traceback
from shared.metrics import RpcMetrics, split_method
from shared.tls import peer_identity
from shared.usercontext import METADATA_KEY as USER_CONTEXT_KEY
from shared.usercontext import UserContextVerifier

REQUEST_ID_KEY = "x-request-id"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_PASS_THROUGH_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
_tracer = trace.get_tracer("shopmesh.rpc")
_log = get_logger(__name__)
SERVER_ERROR_CODES = frozenset({
    grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS,
})
"""Codes that mark a server span as failed (OpenTelemetry's gRPC conventions; the others are the caller's)."""
SLOW_RPC_S = 0.25
"""A call at least this slow, or one that failed, is logged at INFO; the others at DEBUG (metrics count all).

Every call at INFO cost 3-5% of a busy service's CPU in log formatting and writes, for lines nobody reads
at 50 requests a second; the latency histogram and status counters already carry them."""


class UndecodableRequest:
    """Stands in for a request message that failed to parse (e.g. invalid UTF-8 in a string field).

    grpcio answers a deserializer exception with INTERNAL; returning this marker instead lets the envelope
    answer INVALID_ARGUMENT, which is what the caller did wrong.
    """

    __slots__ = ("error",)

    def __init__(self, error: str):
        self.error = error


def tolerant(deserializer: Callable[[bytes], Any] | None,
             marker: Callable[[str], Any] = UndecodableRequest) -> Callable[[bytes], Any] | None:
    """`deserializer`, returning `marker(<exception type>)` instead of raising on bytes it cannot parse."""
    if deserializer is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as exc:
            return marker(type(exc).__name__)

    return parse


def undecodable(marker: Any) -> InvalidArgument:
    """The INVALID_ARGUMENT (BadRequest on "request") for a request marked undecodable (`marker.error`)."""
    return InvalidArgument(
        "request message could not be decoded (check string fields are valid UTF-8)",
        [FieldViolation("request", f"undecodable protobuf message ({marker.error})")],
        reason="UNDECODABLE_REQUEST",
    )


async def _checked_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for message in requests:
        if isinstance(message, UndecodableRequest):
            raise undecodable(message)
        yield message


class _Scope:
    """What the envelope knows about one RPC while it runs."""

    __slots__ = ("code", "grpc_method", "grpc_service", "metadata", "method", "request_id", "span", "started",
                 "timeout_s", "tokens")

    def __init__(self, method: str):
        self.method = method
        self.grpc_service, self.grpc_method = split_method(method)
        self.started = time.perf_counter()
        self.code = grpc.StatusCode.OK
        self.request_id = ""
        self.timeout_s: float | None = None
        self.tokens: list[Any] = []
        self.span: trace.Span | None = None
        self.metadata: dict[str, str] = {}


class MeshServerInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every method handler of a server in the mesh's RPC envelope.

    Args:
        service_name: this service's identity, for logs.
        metrics: where RPC metrics go (None: not recorded).
        verifier: verifies end-user contexts; None means calls carrying one are refused.
        default_deadline_s: the budget given to unary calls that arrive without a deadline.
    """

    def __init__(self, service_name: str, metrics: RpcMetrics | None, verifier: UserContextVerifier | None,
                 default_deadline_s: float):
        self._service = service_name
        self._metrics = metrics
        self._verifier = verifier
        self._default_deadline_s = default_deadline_s

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(_PASS_THROUGH_PREFIXES):
            return handler
        return self._wrap(handler, method)

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        deserializer = tolerant(handler.request_deserializer)
        serializer = handler.response_serializer
        if handler.unary_unary:
            inner = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                return await self._unary(method, context, lambda: inner(request, context), request)

            return grpc.unary_unary_rpc_method_handler(unary_unary, deserializer, serializer)
        if handler.stream_unary:
            inner_su = handler.stream_unary

            async def stream_unary(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
                return await self._unary(method, context, lambda: inner_su(_checked_stream(requests), context))

            return grpc.stream_unary_rpc_method_handler(stream_unary, deserializer, serializer)
        if handler.unary_stream:
            inner_us = handler.unary_stream

            # grpc.aio picks streaming by inspect.isasyncgenfunction, so the wrapper must itself be one.
            async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                async for message in self._stream(method, context, lambda: inner_us(request, context), request):
                    yield message

            return grpc.unary_stream_rpc_method_handler(unary_stream, deserializer, serializer)
        inner_ss = handler.stream_stream

        async def stream_stream(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async for message in self._stream(method, context, lambda: inner_ss(_checked_stream(requests), context)):
                yield message

        return grpc.stream_stream_rpc_method_handler(stream_stream, deserializer, serializer)

    async def _unary(self, method: str, context: grpc.aio.ServicerContext, work: Callable[[], Any],
                     request: Any = None) -> Any:
        scope = self._begin(method, context, unary_response=True)
        try:
            if isinstance(request, UndecodableRequest):
                raise undecodable(request)
            self._authenticate(context, scope.metadata)
            async with asyncio.timeout(scope.timeout_s):
                return await work()
        except BaseException as exc:
            await self._fail(exc, context, scope)
        finally:
            self._end(scope)

    async def _stream(self, method: str, context: grpc.aio.ServicerContext, work: Callable[[], Any],
                      request: Any = None) -> AsyncIterator[Any]:
        scope = self._begin(method, context, unary_response=False)
        try:
            if isinstance(request, UndecodableRequest):
                raise undecodable(request)
            self._authenticate(context, scope.metadata)
            produced = work()
            if hasattr(produced, "__aiter__"):
                async for message in produced:
                    yield message
            else:
                await produced  # a handler that writes with context.write()
        except BaseException as exc:
            await self._fail(exc, context, scope)
        finally:
            self._end(scope)

    def _begin(self, method: str, context: grpc.aio.ServicerContext, *, unary_response: bool) -> _Scope:
        scope = _Scope(method)
        metadata = {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}
        scope.metadata = metadata
        incoming_id = metadata.get(REQUEST_ID_KEY, "")
        scope.request_id = incoming_id if _REQUEST_ID_RE.match(incoming_id) else uuid.uuid4().hex
        remaining = context.time_remaining()
        if remaining is None and unary_response:
            remaining = self._default_deadline_s
        scope.timeout_s = remaining
        deadline_at = None if remaining is None else time.monotonic() + remaining
        scope.tokens = [
            (rpc_context.request_id_var, rpc_context.request_id_var.set(scope.request_id)),
            (rpc_context.deadline_var, rpc_context.deadline_var.set(deadline_at)),
            (None, otel_context.attach(propagate.extract(metadata))),
        ]
        # The server span: child of the caller's span when the call carried a traceparent, else a new trace.
        scope.span = _tracer.start_span(method.lstrip("/"), kind=trace.SpanKind.SERVER, attributes={
            "rpc.system": "grpc", "rpc.service": scope.grpc_service, "rpc.method": scope.grpc_method,
        })
        scope.tokens.append((None, otel_context.attach(trace.set_span_in_context(scope.span))))
        structlog.contextvars.bind_contextvars(request_id=scope.request_id)
        if self._metrics is not None:
            self._metrics.in_flight.labels(scope.grpc_service, scope.grpc_method).inc()
        return scope

    def _authenticate(self, context: grpc.aio.ServicerContext, metadata: dict[str, str]) -> None:
        service = peer_identity(context.auth_context())
        token = metadata.get(USER_CONTEXT_KEY)
        user_id = None
        if token is not None:
            if self._verifier is None:
                raise Unauthenticated("this service accepts no end-user context", reason="USER_CONTEXT_UNEXPECTED")
            user_id = self._verifier.verify(token).user_id
        rpc_context.caller_var.set(rpc_context.Caller(service=service, user_id=user_id, user_token=token))

    async def _fail(self, exc: BaseException, context: grpc.aio.ServicerContext, scope: _Scope) -> NoReturn:
        if isinstance(exc, asyncio.CancelledError | GeneratorExit):
            scope.code = grpc.StatusCode.CANCELLED
            raise exc
        if isinstance(exc, grpc.aio.AbortError):
            scope.code = context.code() or grpc.StatusCode.UNKNOWN
            raise exc
        if isinstance(exc, DomainError):
            scope.code = exc.code
            await context.abort_with_status(rpc_status.to_status(exc.to_status()))
        if isinstance(exc, TimeoutError):
            scope.code = grpc.StatusCode.DEADLINE_EXCEEDED
            await context.abort(scope.code, "deadline exceeded")
        if isinstance(exc, grpc.aio.AioRpcError) and exc.code() in (
            grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED
        ):
            scope.code = exc.code()
            await context.abort(scope.code, f"a dependency failed ({exc.code().name.lower()})")
        scope.code = grpc.StatusCode.INTERNAL
        _log.error("rpc.unexpected_error", method=scope.method, error_type=type(exc).__name__,
                   frames=safe_traceback(exc))
        await context.abort(grpc.StatusCode.INTERNAL, f"{INTERNAL_MESSAGE} (request id {scope.request_id})")
        raise AssertionError("unreachable: abort raises")

    def _end(self, scope: _Scope) -> None:
        duration = time.perf_counter() - scope.started
        if self._metrics is not None:
            self._metrics.in_flight.labels(scope.grpc_service, scope.grpc_method).dec()
            self._metrics.handled.labels(scope.grpc_service, scope.grpc_method, scope.code.name).inc()
            self._metrics.latency.labels(scope.grpc_service, scope.grpc_method).observe(duration)
        span = scope.span
        if span is not None and span.is_recording():
            span.set_attribute("rpc.grpc.status_code", scope.code.value[0])
            span.set_attribute("shopmesh.caller", rpc_context.caller_var.get().service or "")
            if scope.code in SERVER_ERROR_CODES:
                span.set_status(trace.Status(trace.StatusCode.ERROR, scope.code.name))
        if span is not None:
            span.end()
        for var, token in reversed(scope.tokens):
            if var is None:
                otel_context.detach(token)
            else:
                var.reset(token)
        log = _log.info if scope.code is not grpc.StatusCode.OK or duration >= SLOW_RPC_S else _log.debug
        log("rpc", method=scope.method, code=scope.code.name, duration_ms=round(duration * 1000, 3),
            peer=rpc_context.caller_var.get().service)
        structlog.contextvars.unbind_contextvars("request_id")
