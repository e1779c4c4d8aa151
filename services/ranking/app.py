"""Wiring: settings -> registry, rules, engine, servicer, host; first-start training; artifact refresh."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from services.ranking.convert import ITEM_CACHE_STATS
from services.ranking.engine import EngineConfig, RankingEngine
from services.ranking.model_metrics import register_model_metrics
from services.ranking.models import ModelRegistry
from services.ranking.rules import RuleBook
from services.ranking.servicer import SERVICE_NAME, RankingServicer, add_to_server
from services.ranking.settings import RankingSettings
from shared.logging import get_logger
from shared.metrics import register_caches
from shared.server import ServiceHost, freeze_heap
from shopmesh import paths
from shopmesh.recsys.ranking.artifact import artifact_name

_log = get_logger(__name__)


def artifacts_root(settings: RankingSettings) -> Path:
    """Where ranker artifacts live."""
    return settings.models_dir or paths.home() / "models" / "artifacts"


@dataclass
class RankingApp:
    """A built (not started) ranking service."""

    host: ServiceHost
    servicer: RankingServicer
    engine: RankingEngine
    registry: ModelRegistry
    settings: RankingSettings
    _task: asyncio.Task[None] | None = None

    def bootstrap(self) -> None:
        """Trains the QUICK recipe for each catalogue without any artifact version (blocking, about a minute)."""
        from shopmesh.data.paths import DataNotFetchedError
        from shopmesh.recsys.ranking.build import QUICK, train_and_save

        root = artifacts_root(self.settings)
        for catalog in self.settings.catalogs:
            if (root / artifact_name(catalog)).is_dir():
                continue
            try:
                folder, _ = train_and_save(catalog, root, recipe=QUICK, version="1",
                                           log=lambda line: _log.info("ranking.bootstrap", detail=line))
            except (DataNotFetchedError, ValueError) as exc:
                _log.warning("ranking.bootstrap_skipped", catalog_id=catalog, reason=str(exc))
                continue
            _log.info("ranking.bootstrapped", catalog_id=catalog, folder=str(folder))

    async def refresh(self) -> None:
        """Reloads artifact versions and the registry's promoted pointers off the event loop; keeps health in step.

        The periodic loop runs this, so a version promoted with `shopmesh models promote` or `shopmesh retrain`
        is served within `refresh_interval_s`, without a restart.
        """
        await asyncio.to_thread(self.registry.load_all)
        if self.registry.changed:
            freeze_heap()  # a model's item space, titles and TorchScript objects live until the next version
        await self.host.set_ready(self.registry.ready)

    async def start(self) -> None:
        """Serves NOT_SERVING, trains a first model if allowed and none exists, loads, then SERVING."""
        await self.host.start()
        if self.settings.train_missing_model:
            await asyncio.to_thread(self.bootstrap)
        await self.refresh()
        self._task = asyncio.create_task(self._loop(), name="ranking-refresh")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.refresh_interval_s)
            try:
                await self.refresh()
            except Exception:
                _log.exception("ranking.refresh_failed")

    async def stop(self, grace_s: float | None = None) -> None:
        """Stops refreshing, then the host."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.host.stop(grace_s)


def build(settings: RankingSettings) -> RankingApp:
    """Builds the service (nothing started; models load in `start`)."""
    registry = ModelRegistry(artifacts_root(settings), settings.catalogs, settings.cpu_threads)
    engine = RankingEngine(registry, RuleBook.load(settings.rules_file),
                           EngineConfig(settings.default_diversity_lambda, settings.mmr_page, settings.default_catalog))
    servicer = RankingServicer(engine)
    host = ServiceHost(settings, lambda server: add_to_server(servicer, server), [SERVICE_NAME])
    register_model_metrics(host.metrics.registry, registry)
    register_caches(host.metrics.registry, {"ranking_item_features": ITEM_CACHE_STATS})
    return RankingApp(host, servicer, engine, registry, settings)
