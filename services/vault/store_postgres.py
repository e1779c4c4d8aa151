"""PostgreSQL backend of the vault (production): the data store and the keystore in separate schemas, and in
production separate databases (two DSNs), so a dump of the data database holds no key.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from services.vault.store import StoreUnavailable
from services.vault.store_sql import SqlDatabase, SqlDataStore, SqlKeyStore

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_AUDIT_LOCK_KEY = 0x5A4D_0A17  # any constant shared by every vault replica


class PostgresDatabase(SqlDatabase):
    """One psycopg connection with `search_path` set to the store's schema (created if missing).

    Args:
        dsn: libpq connection string, e.g. `postgresql://vault@db:5432/vault`.
        schema: the schema holding this store's tables.
        connect_timeout_s: how long to wait for the server before answering UNAVAILABLE.
    """

    blob = "BYTEA"
    placeholder = "%s"

    def __init__(self, dsn: str, schema: str, connect_timeout_s: float = 3.0):
        if not _SCHEMA_RE.match(schema):
            raise ValueError(f"invalid schema name {schema!r}")
        self.dsn, self.schema, self._timeout = dsn, schema, connect_timeout_s
        self._conn: psycopg.Connection[Any] | None = None
        self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.dsn, connect_timeout=max(1, int(self._timeout)), autocommit=True,
                                   application_name=f"shopmesh-vault-{self.schema}"[:63])
            with contextlib.suppress(psycopg.errors.UniqueViolation):  # another replica created it just now
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            conn.execute("SET statement_timeout = '5s'")
        except psycopg.OperationalError as exc:
            raise StoreUnavailable("postgres unreachable") from exc
        self._conn = conn
        return conn

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Any]:
        """A cursor inside one transaction (read or write alike); a lost connection is re-opened next call."""
        conn = self._conn if self._conn is not None and not self._conn.closed else self._connect()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield cur
        except (psycopg.OperationalError, psycopg.errors.QueryCanceled) as exc:
            if conn.broken or conn.closed:
                self._conn = None
            raise StoreUnavailable(f"postgres: {type(exc).__name__}") from exc

    def lock_audit(self, cursor: Any) -> None:
        """A transaction-scoped advisory lock: replicas append to the chain one at a time."""
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK_KEY,))

    def close(self) -> None:
        """Closes the connection."""
        if self._conn is not None:
            self._conn.close()


def open_postgres_stores(data_dsn: str, data_schema: str, keystore_dsn: str, keystore_schema: str) -> tuple[
        SqlDataStore, SqlKeyStore]:
    """The data store and keystore on PostgreSQL (they must not share a schema of one database)."""
    if data_dsn == keystore_dsn and data_schema == keystore_schema:
        raise ValueError("the keystore must not share the data store's schema")
    return (SqlDataStore(PostgresDatabase(data_dsn, data_schema)),
            SqlKeyStore(PostgresDatabase(keystore_dsn, keystore_schema)))
