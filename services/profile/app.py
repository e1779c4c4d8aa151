"""Wiring: settings -> stores, engine, service, servicer and host (what __main__ and the tests build)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from services.profile.catalogue import Catalogue
from services.profile.drift import DriftMonitor
from services.profile.drift_metrics import register_drift
from services.profile.engine import FeatureEngine
from services.profile.feature_store import FeatureStore
from services.profile.features import FeatureConfig
from services.profile.order_service import OrderService
from services.profile.service import Policy, ProfileService
from services.profile.servicer import SERVICE_NAME, ProfileServicer, add_to_server
from services.profile.settings import ProfileDataSettings, ProfileSettings, StoreSettings
from services.profile.store import AsyncStore, SqlStore
from services.profile.vault_client import VaultClient
from shared.channels import ChannelFactory
from shared.server import ServiceHost


def open_log_store(stores: StoreSettings) -> AsyncStore:
    """One connection (on its own thread) to the SQL store: PostgreSQL when a DSN is set, else SQLite."""
    sync: SqlStore
    if stores.postgres_dsn:
        from services.profile.store_postgres import postgres_store

        sync = postgres_store(stores.postgres_dsn, stores.postgres_schema)
    else:
        from services.profile.store_sqlite import sqlite_store

        sync = sqlite_store(stores.sqlite_dir() / "profile.sqlite")
    return AsyncStore(sync)


def open_feature_store(stores: StoreSettings) -> FeatureStore:
    """Redis when a URL is set, else the SQLite feature store."""
    if stores.redis_url:
        from services.profile.features_redis import RedisFeatureStore

        return RedisFeatureStore(stores.redis_url, stores.redis_prefix)
    from services.profile.features_sqlite import SqliteFeatureStore

    return SqliteFeatureStore(stores.sqlite_dir() / "features.sqlite")


@dataclass
class ProfileApp:
    """A built (not started) profile service."""

    host: ServiceHost
    servicer: ProfileServicer
    service: ProfileService
    channels: ChannelFactory
    _watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Opens the stores, catches features up with the log, starts serving, then reports SERVING.

        Health then follows the stores: NOT_SERVING while PostgreSQL/SQLite or Redis do not answer.
        """
        await self.host.start()
        await self.service.start()
        await self.host.set_ready(True)
        self._watch = asyncio.get_running_loop().create_task(self.host.watch_readiness(self.service.healthy))

    async def stop(self, grace_s: float | None = None) -> None:
        """Stops serving, applies queued events, closes stores and channels."""
        await self.host.stop(grace_s)
        if self._watch is not None:
            await self._watch
        await self.service.close()
        await self.channels.close()


def build_service(stores: StoreSettings, config: FeatureConfig, policy: Policy, default_catalog: str, *,
                  wall_clock: bool = False, verifier: VaultClient | None = None,
                  fold_process: bool = False, drift: ProfileDataSettings | None = None) -> ProfileService:
    """The domain service over the configured stores (also used by the CLI, without gRPC).

    `fold_process` (PostgreSQL + Redis only) runs the feature fold in a child process (fold_process.py);
    `drift` (settings with drift_enabled) gives the service a drift monitor (`service.drift`).
    """
    log_store = open_log_store(stores)
    writers = None
    consent = None
    if stores.postgres_dsn:  # SQLite has one writer at a time anyway; PostgreSQL writes partitions in parallel
        from services.profile.store_postgres import AsyncConsentReader, AsyncLogWriter

        writers = [AsyncLogWriter(stores.postgres_dsn, stores.postgres_schema) for _ in range(stores.log_writers)]
        consent = AsyncConsentReader(stores.postgres_dsn, stores.postgres_schema)
    catalogue = Catalogue(default_catalog)
    clock = (lambda: int(time.time() * 1e6)) if wall_clock else None
    process = None
    if fold_process and stores.postgres_dsn and stores.redis_url:
        from services.profile.fold_process import FoldProcess

        process = FoldProcess(stores, config, default_catalog)
    engine = FeatureEngine(log_store, open_feature_store(stores), catalogue, config, clock=clock,
                           fold_process=process)
    monitor = None
    if drift is not None and drift.drift_enabled:
        start = drift.drift_reference_start_seconds
        monitor = DriftMonitor(catalogue, drift.drift_window_events, None if start is None else int(start * 1e6))
    service = ProfileService(log_store, engine, catalogue, policy, verifier=verifier,
                             log_writers=[w.append_consented for w in writers] if writers else None,
                             consent_reader=consent.get if consent else None, drift=monitor)
    service.closers = [w.close for w in writers or []]
    if consent is not None:
        service.closers.append(consent.close)
    return service


def policy_of(settings: ProfileDataSettings) -> Policy:
    """The service policy from settings."""
    return Policy(
        retention_us=int(settings.retention_days * 86400e6),
        personalization_default_granted=settings.personalization_default == "granted",
        catalogue_writers=frozenset(settings.catalogue_writers), log_readers=frozenset(settings.log_readers),
        impression_loggers=frozenset(settings.impression_loggers),
        privacy_callers=frozenset(settings.privacy_callers), account_writers=frozenset(settings.account_writers))


def build(settings: ProfileSettings) -> ProfileApp:
    """A host with the profile servicer registered and its stores configured (nothing started)."""
    channels = ChannelFactory(settings.tls_files(), default_deadline_ms=settings.default_deadline_ms)
    vault = VaultClient(channels, settings.vault_address, settings.vault_timeout_ms / 1000)
    service = build_service(settings.stores(), settings.feature_config(), policy_of(settings),
                            settings.default_catalog, wall_clock=settings.online_clock == "wall",
                            verifier=vault if settings.verify_tokens_with_vault else None,
                            fold_process=settings.fold_process, drift=settings)
    orders = OrderService(service.store, frozenset(settings.order_feeds), frozenset(settings.order_systems),
                          tombstones=service.tombstones)
    servicer = ProfileServicer(service, orders)
    host = ServiceHost(settings, lambda server: add_to_server(servicer, server),
                       [SERVICE_NAME])
    if service.drift is not None:
        register_drift(host.metrics.registry, service.drift, settings.drift_alert_threshold)
    return ProfileApp(host, servicer, service, channels)


def build_offline(settings: ProfileDataSettings) -> ProfileService:
    """The domain service without a server or vault, for `shopmesh data load` and `features rebuild`."""
    return build_service(settings.stores(), settings.feature_config(), policy_of(settings),
                         settings.default_catalog, wall_clock=settings.online_clock == "wall")
