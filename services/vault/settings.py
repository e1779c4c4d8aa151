"""The vault's settings (env prefix `SHOPMESH_VAULT_`): stores, key source, policy, caches."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.vault.policy import DEFAULT_POLICY_FILE
from shared.settings import ServiceSettings
from shopmesh import paths


class VaultSettings(ServiceSettings):
    """Settings of the privacy vault."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_VAULT_", extra="ignore", frozen=True)

    service_name: str = Field("vault", description="The vault's mesh identity.")
    store: Literal["sqlite", "postgres"] = Field(
        "sqlite", description="Backend of the data store and keystore: sqlite (embedded) or postgres.")
    data_dir: Path = Field(default_factory=lambda: paths.home() / "vault",
                           description="SQLite backend: folder of data.db (data store) and keystore.db (keystore).")
    sqlite_synchronous: Literal["FULL", "NORMAL", "OFF"] = Field(
        "FULL", description="SQLite synchronous pragma; FULL makes every acknowledged write durable.")
    postgres_dsn: str = Field("", description="PostgreSQL backend: DSN of the data store's database.")
    postgres_schema: str = Field("vault_data", description="Schema of the data store's tables.")
    keystore_postgres_dsn: str = Field(
        "", description="DSN of the keystore's database (use another database than the data store in production; "
        "empty: the data store's DSN, in the keystore schema).")
    keystore_postgres_schema: str = Field("vault_keystore", description="Schema of the keystore's tables.")
    key_dir: Path = Field(description="Key source: a folder (e.g. a mounted Kubernetes Secret) holding kek-<N> "
                          "and index-key, base64. Never a database.")
    create_local_keys: bool = Field(
        False, description="Create kek-1 and index-key in key_dir when absent (local mesh and tests only).")
    policy_file: Path = Field(DEFAULT_POLICY_FILE, description="The reviewed access policy (YAML).")
    data_key_cache_size: int = Field(10_000, ge=0, description="Unwrapped data keys kept in memory (LRU).")
    rewrap_batch_size: int = Field(100, ge=1, le=10_000, description="Data keys moved per rewrap step.")

    @model_validator(mode="after")
    def _postgres_needs_dsn(self) -> VaultSettings:
        if self.store == "postgres" and not self.postgres_dsn:
            raise ValueError("vault: store=postgres needs SHOPMESH_VAULT_POSTGRES_DSN")
        return self
