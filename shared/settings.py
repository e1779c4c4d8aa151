"""The settings base every service extends: one pydantic-settings class per service, env-prefixed.

Addresses of peers have no defaults in service classes: a missing one fails at start-up with the variable
name, instead of silently dialling localhost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.tls import TlsFiles


class ServiceSettings(BaseSettings):
    """Settings common to every service (override per service with its env prefix, e.g. `SHOPMESH_VAULT_PORT`)."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_", extra="ignore", frozen=True)

    service_name: str = Field(description="The service's mesh identity; must match its certificate's SAN.")
    host: str = Field("127.0.0.1", description="Interface the gRPC and health ports bind to.")
    port: int = Field(0, ge=0, le=65535, description="Main gRPC port (mTLS unless plaintext); 0 picks a free one.")
    health_port: int = Field(0, ge=0, le=65535, description="Plaintext port serving only grpc.health.v1.")
    metrics_port: int = Field(0, ge=0, le=65535, description="Prometheus /metrics HTTP port; 0 picks a free one.")
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics over HTTP.")
    certs_dir: Path | None = Field(None, description="Folder with ca.pem and <service>.pem/.key from `shopmesh certs`.")
    plaintext: bool = Field(False, description="Serve and dial without TLS. Only when explicitly set.")
    user_context_public_keys: list[Path] = Field(
        default_factory=list, description="Ed25519 public keys (PEM) that verify gateway-signed user contexts."
    )
    grace_seconds: float = Field(10.0, ge=0, description="How long in-flight RPCs may run after SIGTERM.")
    max_connection_age_seconds: float = Field(
        300.0, gt=0, description="Connections are closed after this age so clients rebalance onto new replicas."
    )
    default_deadline_ms: int = Field(
        5000, gt=0, description="Deadline for unary calls that arrive (or leave) without one."
    )
    max_message_bytes: int = Field(16 * 1024 * 1024, gt=0, description="Largest gRPC message sent or received.")
    cpu_threads: int = Field(1, ge=1, description="torch / onnxruntime / FAISS / OpenMP threads for this process.")
    log_level: str = Field("INFO", description="structlog level: DEBUG, INFO, WARNING, ERROR.")
    tracing_exporter: Literal["none", "otlp", "console"] = Field(
        "none", description="Where OpenTelemetry spans go: none (no-op tracer), otlp (a collector), console."
    )
    otlp_endpoint: str = Field("", description="host:port of the OpenTelemetry collector's OTLP/gRPC receiver.")
    trace_sample_ratio: float = Field(
        1.0, ge=0.0, le=1.0, description="Share of new traces recorded; a sampled caller's trace is always kept."
    )

    @model_validator(mode="after")
    def _tls_or_plaintext(self) -> ServiceSettings:
        if not self.plaintext and self.certs_dir is None:
            raise ValueError(
                f"{self.service_name}: set certs_dir (mTLS, see `shopmesh certs`) or plaintext=true explicitly"
            )
        return self

    @model_validator(mode="after")
    def _otlp_needs_endpoint(self) -> ServiceSettings:
        if self.tracing_exporter == "otlp" and not self.otlp_endpoint:
            raise ValueError(f"{self.service_name}: tracing_exporter=otlp needs otlp_endpoint (host:port)")
        return self

    def tls_files(self) -> TlsFiles | None:
        """This service's certificate files, or None when plaintext."""
        if self.plaintext or self.certs_dir is None:
            return None
        return TlsFiles.in_dir(self.certs_dir, self.service_name)
