"""Settings of the embedding service (env prefix SHOPMESH_EMBEDDING_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EmbeddingSettings(ServiceSettings):
    """The embedding service's settings, e.g. `SHOPMESH_EMBEDDING_BACKEND=in_process`."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_EMBEDDING_", extra="ignore", frozen=True)

    service_name: str = "embedding"
    backend: Literal["auto", "triton", "in_process"] = Field(
        "auto", description="auto: Triton where the nvidia-pytriton wheel runs here (or triton_url is set), "
        "else in-process (logged); triton / in_process force one.")
    triton_url: str = Field(
        "", description="host:port of an external Triton (KServe v2 gRPC); empty: start the local "
        "tritonserver from the wheel as a child process.")
    triton_grpc_port: int = Field(0, ge=0, le=65535, description="Port of the child tritonserver; 0 picks one.")
    triton_timeout_ms: int = Field(
        10_000, gt=0, description="Longest one Triton call may take (client_timeout); the RPC's deadline caps it.")
    models_dir: Path | None = Field(None, description="The model repository; empty: $SHOPMESH_HOME/models.")
    build_models_on_start: bool = Field(
        True, description="Build the model repository on first start when it is missing (takes ~10 s).")
    readiness_interval_s: float = Field(0.5, gt=0, description="How often model readiness is re-checked.")
    max_texts_per_request: int = Field(256, ge=1, description="Texts one Embed call may carry (contract: 256).")
    max_text_chars: int = Field(8192, ge=1, description="Longest text in code points (contract: 8,192).")
    max_batch_texts: int = Field(64, ge=1, description="Largest coalesced batch sent to the backend at once.")
    max_batch_wait_ms: float = Field(
        0.0, ge=0, description="Under concurrency (the previous batch had several callers), how long a batch "
        "is held open for more; a lone request never waits. 0: batches form only while the previous one "
        "runs, which keeps a single CPU inference thread busiest (see docs/embedding.md).")
    max_concurrent_batches: int = Field(1, ge=1, description="Batches in flight to the backend per model and kind.")
    max_queued_texts: int = Field(
        2048, ge=1, description="Texts waiting per model and kind before calls get RESOURCE_EXHAUSTED.")
    cache_max_bytes: int = Field(32 * 1024 * 1024, ge=0, description="Bound of the text-vector LRU cache; 0: off.")
