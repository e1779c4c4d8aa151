"""Settings of the gateway (env prefix SHOPMESH_GATEWAY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

EXPERIMENTS_FILE = Path(__file__).with_name("experiments.yaml")


class GatewaySettings(ServiceSettings):
    """Settings of the gateway; every field is `SHOPMESH_GATEWAY_<NAME>` in the environment.

    Peer addresses have no defaults: a peer left unset is treated as absent (its features degrade), which
    is how the local mesh runs before every service exists.
    """

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_GATEWAY_", extra="ignore", frozen=True)

    service_name: str = Field("gateway", description="The service's mesh identity.")
    user_context_signing_key: Path = Field(description="Ed25519 private key (PEM) signing downstream user contexts.")
    jwt_public_keys: list[Path] = Field(description="PEM public keys (Ed25519 or EC P-256) verifying bearer JWTs; "
                                        "re-read when a file changes, so keys rotate without a restart.")
    jwt_issuer: str = Field("shopmesh-dev", description="Required `iss` of bearer tokens.")
    jwt_audience: str = Field("shopmesh-gateway", description="Required `aud` of bearer tokens.")
    jwt_leeway_seconds: float = Field(10.0, ge=0, description="Clock skew tolerated on exp/nbf/iat.")
    jwt_key_check_seconds: float = Field(2.0, gt=0, description="How often key files are checked for changes.")
    profile_address: str | None = Field(None, description="host:port of profile (features, items, orders).")
    retrieval_address: str | None = Field(None, description="host:port of retrieval (candidates, search).")
    ranking_address: str | None = Field(None, description="host:port of ranking; unset: retrieval order.")
    embedding_address: str | None = Field(None, description="host:port of embedding (user vectors).")
    support_address: str | None = Field(None, description="host:port of support (Chat).")
    vault_address: str | None = Field(None, description="host:port of the vault (redaction, profile PII).")
    max_deadline_ms: int = Field(2000, gt=0, description="Cap on a request's budget, whatever the caller asked.")
    feed_deadline_ms: int = Field(800, gt=0, description="Budget of a feed/search/similar request without one.")
    feed_depth: int = Field(100, ge=1, le=500, description="Ranked items a first page computes; later pages "
                            "continue this list (carried in the signed cursor).")
    candidate_count: int = Field(200, ge=1, le=2000, description="Candidates asked of retrieval per feed.")
    cursor_ttl_seconds: int = Field(1800, gt=0, description="Page tokens expire after this long.")
    rate_limit_per_second: float = Field(20.0, gt=0, description="Token-bucket refill rate per user.")
    rate_limit_burst: float = Field(40.0, ge=1, description="Token-bucket capacity per user.")
    redis_url: str | None = Field(None, description="Redis shared by replicas for rate limits; unset: in-process.")
    redis_prefix: str = Field("shopmesh:gateway:", description="Prefix of every Redis key the gateway writes.")
    max_request_bytes: int = Field(256 * 1024, gt=0, description="Largest request message accepted.")
    max_events_per_batch: int = Field(100, ge=1, description="SendEvents batch limit (the proto says 100).")
    breaker_failures: int = Field(3, ge=1, description="Consecutive failures that open a peer's circuit.")
    breaker_open_seconds: float = Field(2.0, gt=0, description="How long an open circuit refuses calls.")
    consent_ttl_seconds: float = Field(5.0, ge=0, description="How long a user's consent is cached.")
    personalization_default_granted: bool = Field(True, description="Consent of users never asked (as "
                                                  "profile's personalization_default).")
    log_impressions: bool = Field(True, description="Log served impressions to profile (consented users only).")
    trending_ttl_seconds: float = Field(60.0, gt=0, description="Refresh age of the cached trending list.")
    experiments_file: Path = Field(EXPERIMENTS_FILE, description="YAML experiment configuration.")
    default_catalog: str = Field("movielens", description="The catalogue an empty catalog_id means.")
    contact_url: str = Field("https://shop.example/help/contact", description="Support contact route when down.")
    contact_phone: str = Field("", description="Customer-service phone shown when support is down.")
