"""Wiring of the vault service: stores from settings, the domain objects, the servicer, the host."""

from __future__ import annotations

from pathlib import Path

from services.vault.admin import KeyAdmin
from services.vault.keys import ensure_key_dir
from services.vault.policy import load_policy
from services.vault.servicer import VaultServicer
from services.vault.settings import VaultSettings
from services.vault.store import DataStore, KeyStore
from services.vault.vault import Vault
from shared.server import ServiceHost
from shopmesh.vault.v1 import vault_service_pb2, vault_service_pb2_grpc

SERVICE_NAME = vault_service_pb2.DESCRIPTOR.services_by_name["VaultService"].full_name


def open_stores(settings: VaultSettings) -> tuple[DataStore, KeyStore]:
    """The data store and the separate keystore the settings name."""
    if settings.store == "postgres":
        from services.vault.store_postgres import open_postgres_stores

        return open_postgres_stores(settings.postgres_dsn, settings.postgres_schema,
                                    settings.keystore_postgres_dsn or settings.postgres_dsn,
                                    settings.keystore_postgres_schema)
    from services.vault.store_sqlite import open_sqlite_stores

    directory = Path(settings.data_dir)
    return open_sqlite_stores(directory / "data.db", directory / "keystore.db", settings.sqlite_synchronous)


def build_vault(settings: VaultSettings) -> Vault:
    """The domain vault on the configured stores, migrated and with its keys loaded."""
    if settings.create_local_keys:
        ensure_key_dir(settings.key_dir)
    data, keys = open_stores(settings)
    vault = Vault(data, keys, settings.key_dir, load_policy(settings.policy_file),
                  cache_size=settings.data_key_cache_size)
    vault.start()
    return vault


def build(settings: VaultSettings) -> tuple[ServiceHost, VaultServicer]:
    """A host with the vault servicer registered (not started); the stores are opened now.

    After `host.start()`, call `servicer.admin.start_rewrap()` (resumes an unfinished rewrap) and
    `host.set_ready(True)`; `python -m services.vault` does both.
    """
    vault = build_vault(settings)
    servicer = VaultServicer(vault, KeyAdmin(vault, batch_size=settings.rewrap_batch_size))
    host = ServiceHost(settings, lambda server: vault_service_pb2_grpc.add_VaultServiceServicer_to_server(
        servicer, server), [SERVICE_NAME])
    return host, servicer
