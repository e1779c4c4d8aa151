"""Settings of the ranking service (env prefix SHOPMESH_RANKING_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.ranking.rules import DEFAULT_RULES_FILE
from shared.settings import ServiceSettings


class RankingSettings(ServiceSettings):
    """Settings of the ranking service; every field is `SHOPMESH_RANKING_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_RANKING_", extra="ignore", frozen=True)

    service_name: str = Field("ranking", description="The service's mesh identity.")
    models_dir: Path | None = Field(None, description="Artifacts root; unset: $SHOPMESH_HOME/models/artifacts.")
    catalogs: list[str] = Field(default_factory=lambda: ["movielens"],
                                description="Catalogues with their own ranker; others use the default's.")
    default_catalog: str = Field("movielens", description="Catalogue of a request that names none.")
    rules_file: Path = Field(DEFAULT_RULES_FILE, description="Business rule sets (YAML).")
    default_diversity_lambda: float = Field(0.1, ge=0.0, le=1.0, description="MMR lambda when a request sets none.")
    mmr_page: int = Field(20, gt=0, description="Positions the MMR pass fills; the rest keep model order.")
    train_missing_model: bool = Field(
        True, description="At start, train a quick ranker (about a minute) for a catalogue without any artifact.")
    refresh_interval_s: float = Field(30.0, gt=0, description="How often new artifact versions are looked for.")
