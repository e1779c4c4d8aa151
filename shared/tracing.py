"""OpenTelemetry tracing for a mesh process: a tracer provider chosen by settings, and span attributes.

With `tracing_exporter = "none"` (the default) no SDK provider is installed: the API's no-op tracer is
used, spans are non-recording and attribute calls return at once, so tracing off costs nothing measurable.
With `"otlp"` spans go in batches to an OpenTelemetry collector over OTLP/gRPC (`otlp_endpoint`); with
`"console"` they are printed (development). The W3C trace context travels either way (the envelope
extracts it, channels inject it), so a process with tracing off still passes its caller's trace on.

Attributes are counts, versions, flags and names, never a user id or any other personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from shared.logging import get_logger

_log = get_logger(__name__)

Exporter = Literal["none", "otlp", "console"]
_installed: list[str] = []
"""The service name whose provider this process installed (empty: none; a provider is set once per process)."""


def tracing_enabled() -> bool:
    """Whether this process records spans (an SDK provider was installed by configure_tracing)."""
    return bool(_installed)


def configure_tracing(service_name: str, exporter: Exporter, *, otlp_endpoint: str = "",
                      sample_ratio: float = 1.0) -> bool:
    """Installs this process's tracer provider; returns whether spans are now recorded.

    Args:
        service_name: the `service.name` resource attribute (the mesh identity, e.g. "ranking").
        exporter: where finished spans go ("none": nowhere, the API's no-op tracer stays).
        otlp_endpoint: host:port of the collector's OTLP/gRPC receiver (plaintext), for "otlp".
        sample_ratio: share of new traces recorded (parent-based: a sampled caller's trace is always kept).
    """
    if exporter == "none":
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    span_exporter: SpanExporter
    if exporter == "otlp":
        if not otlp_endpoint:
            raise ValueError("tracing_exporter=otlp needs otlp_endpoint (host:port of the collector)")
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)
    else:
        span_exporter = ConsoleSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                              sampler=ParentBased(TraceIdRatioBased(sample_ratio)))
    provider.add_span_processor(BatchSpanProcessor(span_exporter, schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    _installed.append(service_name)
    _log.info("tracing.configured", exporter=exporter, endpoint=otlp_endpoint or None, sample_ratio=sample_ratio)
    return True


def shutdown_tracing() -> None:
    """Flushes and stops the SDK provider, if one is installed (spans still buffered are exported)."""
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if callable(shutdown):
        shutdown()


def annotate(attributes: Mapping[str, AttributeValue]) -> None:
    """Sets attributes on the current span (the RPC's server span); free when the span is not recording."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes(attributes)
