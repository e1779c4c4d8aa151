"""The one way services dial each other: `dns:///` targets balanced with round_robin, keepalive, message
limits, mTLS, retries (by service config, for idempotent methods only) and the caller's context propagated
(the end user's context only to peers that take one: `forward_user_context` per channel).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions
from opentelemetry import propagate, trace

from shared import context as rpc_context
from shared.interceptors import REQUEST_ID_KEY, SERVER_ERROR_CODES
from shared.tls import TlsFiles, channel_credentials
from shared.tracing import tracing_enabled
from shared.usercontext import METADATA_KEY as USER_CONTEXT_KEY

_RETRYABLE_LEVELS = (MethodOptions.NO_SIDE_EFFECTS, MethodOptions.IDEMPOTENT)
_tracer = trace.get_tracer("shopmesh.rpc")
RECONNECT_INITIAL_MS = 250
RECONNECT_MAX_MS = 2000
"""Reconnect backoff of every mesh channel (first wait, longest wait)."""
DEADLINE_SAFETY_MARGIN_S = 0.002
"""Taken off the propagated deadline so the callee times out before the caller does, not after."""


def retry_service_config(services: Iterable[ServiceDescriptor], *, max_attempts: int = 4,
                         initial_backoff_s: float = 0.05, max_backoff_s: float = 1.0) -> dict[str, Any]:
    """A gRPC service config: round_robin over the replicas that report SERVING, and a retry policy for
    methods the proto marks idempotent.

    The contract decides: methods with `option idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT` are
    retried on UNAVAILABLE; every other method is never retried by the channel.
    """
    names = []
    for service in services:
        method: MethodDescriptor
        for method in service.methods:
            if method.GetOptions().idempotency_level in _RETRYABLE_LEVELS:
                names.append({"service": service.full_name, "method": method.name})
    # healthCheckConfig: each replica's subchannel watches grpc.health.v1 on the peer's main port, and
    # round_robin sends calls only to replicas that say SERVING: a replica still loading, draining after
    # SIGTERM, or without a store it needs is skipped, as a Kubernetes readiness probe takes a pod out of its
    # Service (the chaos and rolling-restart suites measure it).
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""},
                              "methodConfig": []}
    if names:
        config["methodConfig"].append({
            "name": names,
            "retryPolicy": {
                "maxAttempts": max_attempts,
                "initialBackoff": f"{initial_backoff_s}s",
                "maxBackoff": f"{max_backoff_s}s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        })
    return config


def _outbound_metadata(metadata: grpc.aio.Metadata | None, *,
                       forward_user_context: bool = True) -> grpc.aio.Metadata:
    out = grpc.aio.Metadata(*(tuple(metadata) if metadata else ()))
    keys = {key for key, _ in out}
    request_id = rpc_context.current_request_id()
    if request_id and REQUEST_ID_KEY not in keys:
        out.add(REQUEST_ID_KEY, request_id)
    caller = rpc_context.current_caller()
    if forward_user_context and caller.user_token and USER_CONTEXT_KEY not in keys:
        out.add(USER_CONTEXT_KEY, caller.user_token)
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    for key, value in carrier.items():
        if key not in keys:
            out.add(key, value)
    return out


def _timeout(explicit: float | None, default_s: float | None) -> float | None:
    """The call's timeout: the explicit one or the default, never beyond the caller's own deadline.

    None only when there is neither a timeout, a default nor an inbound deadline (long-lived streams).
    """
    timeout = explicit if explicit is not None else default_s
    remaining = rpc_context.remaining_seconds()
    if remaining is not None:
        budget = max(remaining - DEADLINE_SAFETY_MARGIN_S, 0.0)
        timeout = budget if timeout is None else min(timeout, budget)
    return timeout


class _PropagatingInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """Adds the remaining deadline, request id, trace context and (unless the peer takes none) the user
    context to every outbound call."""

    def __init__(self, default_deadline_s: float, default_stream_deadline_s: float | None, *,
                 forward_user_context: bool = True):
        self._unary_default = default_deadline_s
        self._stream_default = default_stream_deadline_s
        self._forward_user_context = forward_user_context

    def _details(self, details: grpc.aio.ClientCallDetails, streaming: bool) -> grpc.aio.ClientCallDetails:
        default = self._stream_default if streaming else self._unary_default
        return grpc.aio.ClientCallDetails(
            method=details.method, timeout=_timeout(details.timeout, default),
            metadata=_outbound_metadata(details.metadata, forward_user_context=self._forward_user_context),
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        if not tracing_enabled():
            return await continuation(self._details(details, streaming=False), request)
        method = details.method.decode() if isinstance(details.method, bytes) else str(details.method)
        service, _, name = method.lstrip("/").partition("/")
        # A client span per unary call, around the whole exchange: the peer's server span becomes its child
        # (the traceparent injected below is this span's), and the gap between the two is the wire.
        with _tracer.start_as_current_span(method.lstrip("/"), kind=trace.SpanKind.CLIENT, attributes={
            "rpc.system": "grpc", "rpc.service": service, "rpc.method": name,
        }) as span:
            call = await continuation(self._details(details, streaming=False), request)
            try:
                await call
            except grpc.aio.AioRpcError as exc:
                span.set_attribute("rpc.grpc.status_code", exc.code().value[0])
                if exc.code() in SERVER_ERROR_CODES:
                    span.set_status(trace.Status(trace.StatusCode.ERROR, exc.code().name))
            else:
                span.set_attribute("rpc.grpc.status_code", 0)
            return call

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details, streaming=True), request)

    async def intercept_stream_unary(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(details, streaming=False), request_iterator)

    async def intercept_stream_stream(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(details, streaming=True), request_iterator)


class ChannelFactory:
    """Builds channels to mesh peers and rebuilds them when this service's certificates rotate.

    Args:
        tls: this service's certificate files (None: plaintext, only when explicitly configured).
        default_deadline_ms: timeout for unary calls made outside any RPC and without an explicit timeout.
        max_message_bytes: largest message sent or received.
        keepalive_ms: interval of HTTP/2 keepalive pings.
    """

    def __init__(self, tls: TlsFiles | None, *, default_deadline_ms: int = 5000,
                 max_message_bytes: int = 16 * 1024 * 1024, keepalive_ms: int = 30_000,
                 default_stream_deadline_ms: int | None = None):
        self._tls = tls
        self._default_deadline_s = default_deadline_ms / 1000
        self._stream_deadline_s = None if default_stream_deadline_ms is None else default_stream_deadline_ms / 1000
        self._max_message_bytes = max_message_bytes
        self._keepalive_ms = keepalive_ms
        self._stamp = tls.stamp() if tls else None
        self._channels: dict[tuple[str, str, bool], grpc.aio.Channel] = {}

    def channel(self, target: str, peer_service: str, services: Iterable[ServiceDescriptor] = (), *,
                forward_user_context: bool = True) -> grpc.aio.Channel:
        """A channel to `target` (host:port or dns:///name:port) whose server must present `peer_service`.

        Channels are cached per (target, peer, forwarding); when the certificate files change the next call
        gets a new channel with the new credentials (the old one stays open for calls already using it).

        Args:
            target / peer_service / services: where, whom, and the services whose idempotent methods retry.
            forward_user_context: False for a peer that acts for no end user (e.g. the embedding service,
                whose envelope refuses a user context with UNAUTHENTICATED USER_CONTEXT_UNEXPECTED): calls on
                this channel then never carry the caller's user context, while the request id, trace and
                deadline still travel. A user context passed explicitly in a call's metadata is kept.
        """
        self._maybe_rotate()
        key = (target, peer_service, forward_user_context)
        channel = self._channels.get(key)
        if channel is None:
            channel = self._build(target, peer_service, list(services), forward_user_context)
            self._channels[key] = channel
        return channel

    def _maybe_rotate(self) -> None:
        if self._tls is None:
            return
        try:
            stamp = self._tls.stamp()
        except OSError:
            return
        if stamp != self._stamp:
            self._stamp = stamp
            self._channels.clear()

    def _build(self, target: str, peer_service: str, services: list[ServiceDescriptor],
               forward_user_context: bool) -> grpc.aio.Channel:
        if "://" not in target and not target.startswith(("unix:", "ipv4:", "ipv6:")):
            target = f"dns:///{target}"
        options: list[tuple[str, Any]] = [
            ("grpc.service_config", json.dumps(retry_service_config(services))),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", self._keepalive_ms),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 0),
            ("grpc.max_send_message_length", self._max_message_bytes),
            ("grpc.max_receive_message_length", self._max_message_bytes),
            ("grpc.dns_min_time_between_resolutions_ms", 1000),
            # A replica that comes back (a restart, a crash) is dialled again within RECONNECT_MAX_MS, not after
            # gRPC's default backoff of up to 120 s: a peer that was down 10 s would otherwise stay unused for
            # seconds after it is SERVING, and a rolling restart could take the other replica away first.
            ("grpc.initial_reconnect_backoff_ms", RECONNECT_INITIAL_MS),
            ("grpc.min_reconnect_backoff_ms", RECONNECT_INITIAL_MS),
            ("grpc.max_reconnect_backoff_ms", RECONNECT_MAX_MS),
        ]
        interceptors = [_PropagatingInterceptor(self._default_deadline_s, self._stream_deadline_s,
                                                forward_user_context=forward_user_context)]
        if self._tls is None:
            return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
        options.append(("grpc.ssl_target_name_override", peer_service))
        return grpc.aio.secure_channel(target, channel_credentials(self._tls), options=options,
                                       interceptors=interceptors)

    async def close(self) -> None:
        """Closes every cached channel."""
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

