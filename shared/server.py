"""Server bootstrap: the main (mTLS) port with the RPC envelope, health and reflection; a plaintext
health-only port for kubelet probes; readiness-gated health; graceful shutdown on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from shared.errors import Unavailable
from shared.interceptors import MeshServerInterceptor, tolerant, undecodable
from shared.logging import get_logger
from shared.metrics import RpcMetrics
from shared.settings import ServiceSettings
from shared.tls import server_credentials
from shared.tracing import configure_tracing, tracing_enabled
from shared.usercontext import UserContextVerifier

Registrar = Callable[[grpc.aio.Server], None]
_log = get_logger(__name__)
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class _Unparsable:
    """Stands in for a request message its deserializer could not parse."""

    __slots__ = ("error",)

    def __init__(self, error: str):
        self.error = error


class _UnparsableInStream(Exception):
    def __init__(self, marker: _Unparsable):
        super().__init__(marker.error)
        self.marker = marker


def _bad_request(marker: _Unparsable) -> grpc.Status:
    return rpc_status.to_status(undecodable(marker).to_status())


def _parse_or_mark(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    # Its own marker type: the envelope's markers (UndecodableRequest) pass through to the envelope, which
    # answers them itself (and counts them); this guard answers what reaches it unparsed around the envelope.
    return tolerant(deserializer, _Unparsable)


async def _checked(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for message in requests:
        if isinstance(message, _Unparsable):
            raise _UnparsableInStream(message)
        yield message


class DecodeGuard(grpc.aio.ServerInterceptor):
    """Answers a request no deserializer can parse (invalid UTF-8, truncated, nested past the recursion limit)
    with INVALID_ARGUMENT and a google.rpc.BadRequest, for every handler of a server.

    grpcio answers a deserializer's exception with INTERNAL ("Exception deserializing request!"), which
    blames the server for the caller's bytes. The envelope already guards the service's own RPCs; this guard
    is the outermost interceptor of both of the host's servers, so the handlers the kit registers itself
    (health, reflection) and any handler without the envelope are covered too. Only async handlers are
    wrapped (every handler on a grpc.aio server of the kit is).
    """

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        return handler if handler is None else _guarded(handler)


def _is_async(function: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


def _guarded(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    deserializer = _parse_or_mark(handler.request_deserializer)
    serializer = handler.response_serializer
    if handler.unary_unary:
        uu = handler.unary_unary
        if not _is_async(uu):
            return handler

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, _Unparsable):
                await context.abort_with_status(_bad_request(request))
            return await uu(request, context)

        return grpc.unary_unary_rpc_method_handler(unary_unary, deserializer, serializer)
    if handler.unary_stream:
        us = handler.unary_stream
        if inspect.isasyncgenfunction(us):
            # grpc.aio picks streaming by inspect.isasyncgenfunction, so the wrapper must be one like the handler.
            async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                if isinstance(request, _Unparsable):
                    await context.abort_with_status(_bad_request(request))
                async for message in us(request, context):
                    yield message

            return grpc.unary_stream_rpc_method_handler(unary_stream, deserializer, serializer)
        if not inspect.iscoroutinefunction(us):
            return handler

        async def unary_stream_writer(request: Any, context: grpc.aio.ServicerContext) -> None:
            if isinstance(request, _Unparsable):
                await context.abort_with_status(_bad_request(request))
            await us(request, context)  # a handler that writes with context.write()

        return grpc.unary_stream_rpc_method_handler(unary_stream_writer, deserializer, serializer)
    if handler.stream_unary:
        su = handler.stream_unary
        if not _is_async(su):
            return handler

        async def stream_unary(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
            try:
                return await su(_checked(requests), context)
            except _UnparsableInStream as bad:
                await context.abort_with_status(_bad_request(bad.marker))

        return grpc.stream_unary_rpc_method_handler(stream_unary, deserializer, serializer)
    ss = handler.stream_stream
    if inspect.isasyncgenfunction(ss):
        async def stream_stream(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            try:
                async for message in ss(_checked(requests), context):
                    yield message
            except _UnparsableInStream as bad:
                await context.abort_with_status(_bad_request(bad.marker))

        return grpc.stream_stream_rpc_method_handler(stream_stream, deserializer, serializer)
    if not inspect.iscoroutinefunction(ss):
        return handler

    async def stream_stream_writer(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> None:
        try:
            await ss(_checked(requests), context)
        except _UnparsableInStream as bad:
            await context.abort_with_status(_bad_request(bad.marker))

    return grpc.stream_stream_rpc_method_handler(stream_stream_writer, deserializer, serializer)


_ALWAYS_ANSWERED = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class MeshHealth(HealthServicer):
    """grpc_health's asyncio servicer with Watch fixed for the mesh's client-side health checking (every peer
    channel keeps one Watch per replica, `shared/channels.py`):

    - grpcio-health-checking deletes a service's shared condition when *any* one watcher leaves, so the other
      watchers of that service never hear a later change: after one peer reconnected, the rest kept sending
      calls to a replica that had gone NOT_SERVING (draining). Here the condition stays.
    - On graceful shutdown each Watch sends NOT_SERVING and ends, so open watches do not hold the drain for the
      whole grace period: only real in-flight calls do.
    """

    async def Watch(self, request: health_pb2.HealthCheckRequest, context: Any) -> None:
        condition = self._server_watchers[request.service]
        last_status = None
        async with condition:
            while True:
                status = self._server_status.get(request.service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
                if status != last_status:
                    await context.write(health_pb2.HealthCheckResponse(status=status))
                    last_status = status
                if self._gracefully_shutting_down:
                    return
                await condition.wait()


class StartupGate(grpc.aio.ServerInterceptor):
    """Answers every RPC but health and reflection with UNAVAILABLE (ErrorInfo reason NOT_READY) until the
    service has declared itself ready once.

    The main port is bound before the service loads its models and connects its stores (health says
    NOT_SERVING meanwhile), and a peer that dials it directly, without watching health, would reach a half-built
    servicer: an INTERNAL where the caller should retry elsewhere. Later health flips (a store that stops
    answering) stay advisory: the service keeps answering what it still can.
    """

    def __init__(self, opened: Callable[[], bool], service_name: str):
        self._opened = opened
        self._status = rpc_status.to_status(Unavailable(
            f"{service_name} is starting; retry shortly", reason="NOT_READY",
            metadata={"service": service_name}).to_status())

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or self._opened() or method.startswith(_ALWAYS_ANSWERED):
            return handler
        status = self._status

        async def refuse(_request: Any, context: grpc.aio.ServicerContext) -> None:
            await context.abort_with_status(status)

        args = (refuse, handler.request_deserializer, handler.response_serializer)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(*args)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(*args)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(*args)
        return grpc.stream_stream_rpc_method_handler(*args)


class ServiceHost:
    """Runs one service's gRPC servers.

    Health reports NOT_SERVING for the whole server ("") and each named service until `set_ready(True)`;
    the service declares itself ready once its dependencies and models are.

    Args:
        settings: the service's settings.
        register: adds the service's servicers to a grpc.aio server.
        service_names: full names of the services registered (for health and reflection).
        extra_interceptors: run after the envelope, closest to the handler.
        main_server: False for a service whose main port is not gRPC (the agents' web console): only the
            plaintext health port and metrics are served, and `settings.port` is left to the service.
    """

    def __init__(self, settings: ServiceSettings, register: Registrar, service_names: Iterable[str],
                 extra_interceptors: Iterable[grpc.aio.ServerInterceptor] = (), *, main_server: bool = True):
        self.settings = settings
        self.metrics = RpcMetrics()
        self.health = MeshHealth()
        self._register = register
        self._service_names = list(service_names)
        self._extra_interceptors = list(extra_interceptors)
        self._main_server = main_server
        self._server: grpc.aio.Server | None = None
        self._health_server: grpc.aio.Server | None = None
        self._stopped = asyncio.Event()
        self.port = 0
        self.health_port = 0
        self._opened = False
        self.metrics_port = 0

    def _verifier(self) -> UserContextVerifier | None:
        keys = self.settings.user_context_public_keys
        return UserContextVerifier.from_files(list(keys)) if keys else None

    def _server_options(self) -> list[tuple[str, int]]:
        age_ms = int(self.settings.max_connection_age_seconds * 1000)
        return [
            ("grpc.max_connection_age_ms", age_ms),
            ("grpc.max_connection_age_grace_ms", int(self.settings.grace_seconds * 1000) + 1000),
            ("grpc.max_send_message_length", self.settings.max_message_bytes),
            ("grpc.max_receive_message_length", self.settings.max_message_bytes),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ("grpc.so_reuseport", 0),
        ]

    async def start(self) -> None:
        """Binds both ports (NOT_SERVING) and the metrics endpoint."""
        s = self.settings
        _configure_tracing_once(s)
        tls = s.tls_files()
        server: grpc.aio.Server | None = None
        if self._main_server:
            envelope = MeshServerInterceptor(s.service_name, self.metrics, self._verifier(),
                                             s.default_deadline_ms / 1000)
            gate = StartupGate(lambda: self._opened, s.service_name)
            server = grpc.aio.server(interceptors=[DecodeGuard(), gate, envelope, *self._extra_interceptors],
                                     options=self._server_options())
            self._register(server)
            health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
            reflection.enable_server_reflection(
                [*self._service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                 reflection.SERVICE_NAME],
                server,
            )
            address = f"{s.host}:{s.port}"
            if tls is not None:
                self.port = server.add_secure_port(address, server_credentials(tls))
            else:
                self.port = server.add_insecure_port(address)

        health_server = grpc.aio.server(interceptors=[DecodeGuard()], options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(self.health, health_server)
        self.health_port = health_server.add_insecure_port(f"{s.host}:{s.health_port}")

        for name in ("", *self._service_names):
            await self.health.set(name, NOT_SERVING)
        if server is not None:
            await server.start()
        await health_server.start()
        self._server, self._health_server = server, health_server
        if s.metrics_enabled:
            self.metrics_port = self.metrics.serve_http(s.host, s.metrics_port)
        _log.info("server.started", port=self.port, health_port=self.health_port, metrics_port=self.metrics_port,
                  tls=tls is not None)

    async def set_ready(self, ready: bool = True) -> None:
        """Flips health for the server and every registered service."""
        status = SERVING if ready else NOT_SERVING
        self._opened = self._opened or ready
        for name in ("", *self._service_names):
            await self.health.set(name, status)
        _log.info("server.health", serving=ready)

    async def watch_readiness(self, check: Callable[[], Awaitable[bool]], interval_s: float = 2.0) -> None:
        """Keeps health in step with `check()` (e.g. Triton reachable) until the host stops."""
        current: bool | None = None
        while not self._stopped.is_set():
            try:
                ready = await check()
            except Exception:
                ready = False
            if ready != current:
                await self.set_ready(ready)
                current = ready
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), interval_s)

    async def stop(self, grace_s: float | None = None) -> None:
        """Graceful stop: health flips to NOT_SERVING first, new RPCs are refused, in-flight ones get grace."""
        grace = self.settings.grace_seconds if grace_s is None else grace_s
        self._stopped.set()
        await self.health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(grace)
        if self._health_server is not None:
            await self._health_server.stop(0)
        _log.info("server.stopped")

    async def serve_until_signalled(self, on_start: Callable[[], Awaitable[None]] | None = None) -> None:
        """Starts, runs `on_start` (load models, connect stores, then set_ready), waits for SIGTERM/SIGINT."""
        loop = asyncio.get_running_loop()
        signalled = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, signalled.set)
        await self.start()
        if on_start is not None:
            await on_start()
        await signalled.wait()
        _log.info("server.signalled")
        await self.stop()


def run_service(settings: ServiceSettings, register: Registrar, service_names: Iterable[str],
                on_start: Callable[[ServiceHost], Awaitable[None]] | None = None) -> None:
    """What a service's `__main__` calls: logging, thread caps, then serve until SIGTERM."""
    from shared.logging import configure_logging
    from shared.threads import pin_cpu_threads

    configure_logging(settings.service_name, settings.log_level)
    threads = pin_cpu_threads(settings.cpu_threads)
    _log.info("server.threads", **threads)
    host = ServiceHost(settings, register, service_names)

    async def main() -> None:
        async def started() -> None:
            if on_start is not None:
                await on_start(host)
            else:
                await host.set_ready(True)

        await host.serve_until_signalled(started)

    asyncio.run(main())


class StartStop(Protocol):
    """A service app as `run_app` drives it: built once, started, stopped on a signal."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


AppT = TypeVar("AppT", bound=StartStop)


def _configure_tracing_once(settings: ServiceSettings) -> None:
    """Installs the process's tracer provider from the first host's settings (a provider is per process)."""
    if tracing_enabled() or settings.tracing_exporter == "none":
        return
    configure_tracing(settings.service_name, settings.tracing_exporter, otlp_endpoint=settings.otlp_endpoint,
                      sample_ratio=settings.trace_sample_ratio)


def freeze_heap() -> None:
    """Moves every object alive now out of the collector's generations (`gc.freeze`).

    Call it once long-lived state (catalogues, indexes, models) is loaded: otherwise every full collection
    re-scans those objects, a pause of 100-200 ms on the event loop that shows up as the p99 of requests.
    The collection first makes what is already garbage go, so it is not frozen with the rest.
    """
    gc.collect()
    gc.freeze()


def run_app(settings: ServiceSettings, build: Callable[[], AppT], *,
            after_start: Callable[[AppT], None] | None = None,
            signals: Mapping[signal.Signals, Callable[[AppT], None]] | None = None) -> None:
    """What the `__main__` of a service with its own app object calls: logging, thread caps, serve until signalled.

    Args:
        settings: The service's settings (name, log level, CPU threads).
        build: Makes the app; called inside the event loop, after the thread caps.
        after_start: Runs once the app has started (after `freeze_heap`, which run_app calls then).
        signals: Extra signal handlers besides SIGTERM/SIGINT, which stop the app (e.g. SIGHUP: reload content).
    """
    from shared.logging import configure_logging
    from shared.threads import pin_cpu_threads

    configure_logging(settings.service_name, settings.log_level)
    _log.info("server.threads", **pin_cpu_threads(settings.cpu_threads))

    async def main() -> None:
        app = build()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        for sig, handler in (signals or {}).items():
            loop.add_signal_handler(sig, handler, app)
        await app.start()
        freeze_heap()
        if after_start is not None:
            after_start(app)
        await stop.wait()
        _log.info("server.signalled")
        await app.stop()

    asyncio.run(main())
