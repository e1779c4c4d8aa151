"""Settings of the retrieval service (env prefix SHOPMESH_RETRIEVAL_)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


def default_index_root() -> Path:
    """$SHOPMESH_HOME/indexes (var/indexes without a home): where the service and `shopmesh build index` look."""
    return Path(os.environ.get("SHOPMESH_HOME", "var")) / "indexes"


def _kinds() -> dict[str, str]:
    return {"movielens": "movies", "clothing": "fashion", "instacart": "groceries"}


class RetrievalSettings(ServiceSettings):
    """Retrieval settings; every field documented, no default address for the embedding peer."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_RETRIEVAL_", extra="ignore", frozen=True)

    service_name: str = Field(default="retrieval", description="Mesh identity (certificate SAN).")
    index_root: Path = Field(default_factory=default_index_root,
                             description="Folder of snapshots: <root>/<catalog>/<version>/ ($SHOPMESH_HOME/indexes).")
    build_on_start: bool = Field(
        default=True, description="Build a first snapshot (no text or learned index) from the fetched data sets for "
        "a catalogue that has none, so a fresh `shopmesh up` serves; `shopmesh build index` builds the full one.")
    catalogs: list[str] = Field(default_factory=lambda: ["movielens"], description="Catalogues this replica serves.")
    default_catalog: str = Field(default="movielens", description="The catalogue an empty catalog_id means.")
    catalog_kinds: dict[str, str] = Field(default_factory=_kinds,
                                          description="Catalogue -> policy kind (movies, fashion, groceries).")
    refresh_interval_s: float = Field(default=5.0, gt=0, description="How often the promoted pointers are checked.")
    embedding_address: str | None = Field(
        default=None, description="host:port of the embedding service for query embeddings; unset: Search is "
        "lexical unless the caller sends query_vector.")
    embedding_timeout_ms: int = Field(default=300, gt=0, description="Budget of one query-embedding call.")
    shard_index: int = Field(default=0, ge=0, description="This replica's shard (must match its snapshots').")
    shard_count: int = Field(default=1, ge=1, description="Shards of the catalogue.")
