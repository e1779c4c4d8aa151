"""Wiring of the retrieval service: registry, engine, servicer, host, and the snapshot refresh loop."""

from __future__ import annotations

import asyncio
import contextlib

from services.retrieval.engine import RetrievalEngine
from services.retrieval.observability import RetrievalMetrics
from services.retrieval.policy import policy_for
from services.retrieval.query_embedder import QueryEmbedder
from services.retrieval.registry import SnapshotRegistry
from services.retrieval.servicer import SERVICE_NAME, RetrievalServicer, add_to_server
from services.retrieval.settings import RetrievalSettings
from shared.channels import ChannelFactory
from shared.logging import get_logger
from shared.server import ServiceHost, freeze_heap

log = get_logger("services.retrieval")


class RetrievalApp:
    """Everything one replica runs; `start` loads snapshots and flips health once every catalogue has one."""

    def __init__(self, settings: RetrievalSettings) -> None:
        self.settings = settings
        self.registry = SnapshotRegistry(settings.index_root, settings.catalogs)
        kinds = dict(settings.catalog_kinds)
        self.engine = RetrievalEngine(self.registry, lambda catalog: policy_for(catalog, kinds))
        self.channels = ChannelFactory(settings.tls_files(), default_deadline_ms=settings.default_deadline_ms)
        embedder = (QueryEmbedder(self.channels, settings.embedding_address, settings.embedding_timeout_ms)
                    if settings.embedding_address else None)
        self.servicer = RetrievalServicer(self.engine, settings.default_catalog,
                                          (settings.shard_index, settings.shard_count), embedder)
        self.host = ServiceHost(settings, lambda server: add_to_server(self.servicer, server), [SERVICE_NAME])
        self.servicer.metrics = RetrievalMetrics(self.host.metrics.registry)
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        """One refresh off the event loop; logs swaps and rejections."""
        changed = await asyncio.to_thread(self.registry.refresh)
        for status in changed:
            log.info("retrieval.snapshot", catalog_id=status.catalog_id, version=status.version, state=status.state,
                     reason=status.reason)
        if changed:
            freeze_heap()  # a snapshot is hundreds of thousands of long-lived objects
        await self.host.set_ready(self.registry.ready)

    def bootstrap(self) -> None:
        """Builds and promotes a first snapshot for each known catalogue without one (blocking, seconds)."""
        from services.retrieval import build
        from services.retrieval.snapshot import promote, promoted_version, write_snapshot
        from shopmesh.data.paths import DataNotFetchedError

        builders = {"movielens": build.movielens_inputs, "clothing": build.clothing_inputs}
        for catalog in self.settings.catalogs:
            if catalog not in builders or promoted_version(self.settings.index_root, catalog) is not None:
                continue
            try:
                inputs = builders[catalog]("1")
            except DataNotFetchedError as exc:
                log.warning("retrieval.bootstrap_skipped", catalog_id=catalog, reason=str(exc))
                continue
            write_snapshot(self.settings.index_root, inputs, shard_index=self.settings.shard_index,
                           shard_count=self.settings.shard_count)
            promote(self.settings.index_root, catalog, "1")
            log.info("retrieval.bootstrapped", catalog_id=catalog, version="1")

    async def start(self) -> None:
        """Starts the host, loads the promoted snapshots (building first ones if allowed), keeps refreshing."""
        await self.host.start()
        if self.settings.build_on_start:
            await asyncio.to_thread(self.bootstrap)
        await self.refresh()
        self._task = asyncio.create_task(self._loop(), name="retrieval-refresh")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.refresh_interval_s)
            try:
                await self.refresh()
            except Exception:
                # A bad snapshot folder must never stop the loop: the registry already kept the old one.
                log.exception("retrieval.refresh_failed")

    async def stop(self, grace_s: float | None = None) -> None:
        """Stops refreshing, then the host."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.host.stop(grace_s)
        await self.channels.close()
