"""Train-and-save: what `shopmesh train ranker` and the service's first start run.

The ranker trains on the replay one step before the test events (`training.training_split`), so the
figures `shopmesh eval recommend` reports are for the same recipe on unseen targets. QUICK is the
first-start recipe (a fresh clone without an artifact): fewer tower and ranker epochs, about a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from shopmesh.models.manifest import ArtifactManifest, latest_version_dir
from shopmesh.recsys.ranking import datasets, training
from shopmesh.recsys.ranking.artifact import artifact_name, save_ranker
from shopmesh.recsys.ranking.model import RankerConfig, config_dict

DEFAULT_TOWER_EPOCHS = 20


@dataclass(frozen=True)
class Recipe:
    """How much to train."""

    tower_epochs: int = DEFAULT_TOWER_EPOCHS
    ranker: RankerConfig = field(default_factory=RankerConfig)


FULL = Recipe()
QUICK = Recipe(tower_epochs=2, ranker=RankerConfig(epochs=8))


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def train_and_save(catalog_id: str, artifacts_root: Path, *, recipe: Recipe = FULL, seed: int = 0,
                   data_dir: str | None = None, triton_root: Path | None = None, version: str | None = None,
                   log: Callable[[str], None] | None = None,
                   data: datasets.Dataset | None = None) -> tuple[Path, ArtifactManifest]:
    """Trains a ranker for a catalogue and writes the next artifact version.

    Args:
        catalog_id: "movielens" or "instacart".
        artifacts_root: `<models>/artifacts`.
        recipe: FULL or QUICK.
        seed: Ranker seed.
        data_dir: Where `shopmesh data fetch` put the data sets.
        triton_root: `<models>` to also write the GPU Triton model; None: skip.
        version: Artifact version; default the next integer.
        log: Progress lines.
        data: The data set already loaded (e.g. a user subsample); default: load the catalogue's from data_dir.
    """
    say = log or (lambda _: None)
    started = time.monotonic()
    data = data if data is not None else datasets.load(catalog_id, data_dir)
    config = training.replay_config(data, tower_epochs=recipe.tower_epochs)
    rep = training.replay_split(data, training.training_split(data.split), config, log=say)
    ranker = replace(recipe.ranker, seed=seed)
    trained = training.fit(rep, ranker)
    base = artifacts_root / artifact_name(catalog_id)
    latest = latest_version_dir(base)
    version = version or str(int(latest.name) + 1 if latest else 1)
    times = [t for ts in rep.split.history_times for t in ts]
    metrics = {**trained.info, "total_seconds": time.monotonic() - started,
               "tower_epochs": float(recipe.tower_epochs), "seed": float(seed)}
    manifest = save_ranker(base / version, trained.model, trained.imputer, rep.space, data.titles,
                           catalog_id=catalog_id, version=version, metrics=metrics,
                           config={"ranker": config_dict(ranker), "tower_epochs": recipe.tower_epochs,
                                   "sources": list(data.sources), "candidates": config.candidates},
                           data_start=_iso(min(times)) if times else None,
                           data_end=_iso(max(times)) if times else None, triton_root=triton_root)
    say(f"ranker {catalog_id} {version}: {trained.info['groups']:.0f} groups, loss {trained.info['train_loss']:.3f}, "
        f"{time.monotonic() - started:.0f} s")
    return base / version, manifest
