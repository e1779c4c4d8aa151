"""Settings of the profile service (env prefix SHOPMESH_PROFILE_): stores, feature definitions, policy.

`ProfileDataSettings` is the part the offline commands (`shopmesh data load`, `shopmesh features rebuild`)
need too; `ProfileSettings` adds the server's and the vault's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.profile.features import FeatureConfig
from shared.settings import ServiceSettings
from shopmesh import paths


class StoreSettings(BaseModel):
    """Where the profile service keeps its data."""

    data_dir: Path | None = None
    postgres_dsn: str | None = None
    postgres_schema: str = "profile"
    redis_url: str | None = None
    redis_prefix: str = "shopmesh:profile:"
    log_writers: int = 4

    def sqlite_dir(self) -> Path:
        """The folder of the embedded SQLite files."""
        return self.data_dir if self.data_dir is not None else paths.home() / "profile"


class ProfileDataSettings(BaseSettings):
    """Stores and feature definitions; every field is `SHOPMESH_PROFILE_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_PROFILE_", extra="ignore", frozen=True)

    data_dir: Path | None = Field(default=None, description="SQLite files' folder; unset: $SHOPMESH_HOME/profile.")
    postgres_dsn: str | None = Field(default=None, description="PostgreSQL DSN (production); unset: embedded SQLite.")
    postgres_schema: str = Field(default="profile", description="PostgreSQL schema of the profile tables.")
    redis_url: str | None = Field(default=None, description="Redis URL of the online feature store; unset: SQLite.")
    redis_prefix: str = Field(default="shopmesh:profile:", description="Prefix of every Redis key this service writes.")
    log_writers: int = Field(default=4, ge=1, le=64, description="PostgreSQL connections writing the log in "
                             "parallel, each for a fixed share of users (SQLite: always 1).")
    default_catalog: str = Field(default="movielens", description="The catalogue an empty catalog_id means.")
    fold_process: bool = Field(
        default=True, description="With PostgreSQL and Redis, fold events into features in a child process "
        "(keeps the fold off the ack path's core); false: on the service's event loop. SQLite: always inline.")
    online_clock: Literal["event_time", "wall"] = Field(
        default="event_time", description="'Now' of online feature reads: the catalogue's latest event time "
        "(replays of 1998 data serve 1998 windows) or the wall clock.")
    personalization_default: Literal["granted", "denied"] = Field(
        default="granted", description="Consent of users never asked (opt-in jurisdictions configure denied).")
    retention_days: float = Field(default=730.0, gt=0, description="Events older than this are EVENT_TIME_TOO_OLD "
                                  "(dataset replays excepted).")
    affinity_time_constant_seconds: float = Field(default=14 * 86400.0, gt=0, description="tau of user affinities.")
    popularity_time_constant_seconds: float = Field(default=3 * 86400.0, gt=0, description="tau of item popularity.")
    trend_short_time_constant_seconds: float = Field(default=86400.0, gt=0, description="tau of the short window.")
    trend_long_time_constant_seconds: float = Field(default=14 * 86400.0, gt=0, description="tau of the long window.")
    rate_prior_alpha: float = Field(default=1.0, gt=0, description="Beta prior successes of the smoothed rates.")
    rate_prior_beta: float = Field(default=9.0, gt=0, description="Beta prior failures of the smoothed rates.")
    drift_enabled: bool = Field(default=True, description="Export the PSI of the live event stream vs the "
                                "reference window as shopmesh_drift_psi{feature}.")
    drift_window_events: int = Field(default=5000, ge=10, le=1_000_000, description="Events in the drift "
                                     "reference and in the live window (the last events committed).")
    drift_reference_start_seconds: float | None = Field(
        default=None, description="Event time (Unix seconds) where the reference window starts: the training "
        "window's start; unset: the log's first events.")
    drift_alert_threshold: float = Field(default=0.2, gt=0, description="PSI above which drift alerts fire "
                                         "(exported as shopmesh_drift_threshold).")
    catalogue_writers: list[str] = Field(default_factory=lambda: ["profile", "loader"],
                                         description="Identities allowed UpsertItems.")
    log_readers: list[str] = Field(default_factory=lambda: ["profile", "trainer", "retrieval", "ranking"],
                                   description="Identities allowed ReadEvents.")
    impression_loggers: list[str] = Field(default_factory=lambda: ["gateway"],
                                          description="Identities allowed IMPRESSION events.")
    order_feeds: list[str] = Field(default_factory=lambda: ["orders", "profile", "loader"],
                                   description="Identities allowed ApplyOrderEvents (the shop's order feed).")
    privacy_callers: list[str] = Field(default_factory=lambda: ["gateway", "ops"],
                                       description="Identities allowed ExportUser and DeleteUser (privacy requests).")
    account_writers: list[str] = Field(default_factory=lambda: ["gateway", "support", "ops"],
                                       description="Identities allowed UpdateProfile, UpdateConsent, "
                                       "RequestCancellation and RequestAddressChange.")
    order_systems: list[str] = Field(default_factory=lambda: ["orders"],
                                     description="Identities allowed to drain the outbox (the shop's order system).")

    def stores(self) -> StoreSettings:
        """The storage part of these settings."""
        return StoreSettings(data_dir=self.data_dir, postgres_dsn=self.postgres_dsn,
                             postgres_schema=self.postgres_schema, redis_url=self.redis_url,
                             redis_prefix=self.redis_prefix, log_writers=self.log_writers)

    def feature_config(self) -> FeatureConfig:
        """The feature definitions."""
        return FeatureConfig(
            affinity_time_constant_s=self.affinity_time_constant_seconds,
            popularity_time_constant_s=self.popularity_time_constant_seconds,
            trend_short_time_constant_s=self.trend_short_time_constant_seconds,
            trend_long_time_constant_s=self.trend_long_time_constant_seconds,
            prior_alpha=self.rate_prior_alpha, prior_beta=self.rate_prior_beta)


class ProfileSettings(ServiceSettings, ProfileDataSettings):
    """The profile service's settings (server, stores, features, policy, vault)."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_PROFILE_", extra="ignore", frozen=True)

    service_name: str = "profile"
    vault_address: str = Field(description="host:port of the vault (required; profiles store vault tokens).")
    verify_tokens_with_vault: bool = Field(
        default=True, description="Check on UpdateProfile that each token is the user's and of the field's PII type.")
    vault_timeout_ms: int = Field(default=800, gt=0, description="Deadline of one call to the vault.")
