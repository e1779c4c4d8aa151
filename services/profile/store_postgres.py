"""PostgreSQL backend of the profile store (production), with psycopg 3, in its own schema."""

from __future__ import annotations

import re
from collections.abc import Sequence

import psycopg

from services.profile.model import Event
from services.profile.store import (
    CONSENT_SELECT,
    SqlStore,
    StoreUnavailable,
    consent_of,
    event_row,
    pg_append_consented,
)

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_CONSENT_SELECT = CONSENT_SELECT.replace("?", "%s")


def connect(dsn: str, schema: str) -> psycopg.Connection:
    """Opens a connection whose search_path is `schema` (created if missing)."""
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"schema name {schema!r} must match {_SCHEMA.pattern}")
    conn = psycopg.connect(dsn, autocommit=False, connect_timeout=5)
    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    conn.execute(f'SET search_path TO "{schema}"')
    conn.commit()
    return conn


def postgres_store(dsn: str, schema: str) -> SqlStore:
    """A SqlStore over PostgreSQL at `dsn`, tables in `schema`."""
    return SqlStore(lambda: connect(dsn, schema), "postgres", (psycopg.OperationalError, psycopg.InterfaceError))


def drop_schema(dsn: str, schema: str) -> None:
    """Drops `schema` and everything in it (tests and `--reset`)."""
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"schema name {schema!r} must match {_SCHEMA.pattern}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class _AsyncConnection:
    """One asyncio autocommit connection in the store's schema, opened on first use and after a failure."""

    def __init__(self, dsn: str, schema: str):
        if not _SCHEMA.fullmatch(schema):
            raise ValueError(f"schema name {schema!r} must match {_SCHEMA.pattern}")
        self._dsn, self._schema = dsn, schema
        self._conn: psycopg.AsyncConnection | None = None

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            # Autocommit: each statement is its own transaction, committed by the same round trip (no
            # separate COMMIT); a write is durable when the reply comes (synchronous_commit as configured).
            conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True, connect_timeout=5)
            await conn.execute(f'SET search_path TO "{self._schema}"')
            self._conn = conn
        return self._conn

    async def close(self) -> None:
        """Closes the connection (a later call reconnects)."""
        if self._conn is not None:
            try:
                await self._conn.close()
            finally:
                self._conn = None


class AsyncConsentReader(_AsyncConnection):
    """Consent reads on the event loop (the gateway asks for every personalised feed it has not cached).

    Through the store's thread a read took about 2 ms of the feed's critical path under load (the thread hop
    and the GIL hand-offs cost more than the indexed SELECT). Writes still go through the store.
    """

    async def get(self, user_id: str) -> tuple[int, int, int] | None:
        """(personalization, marketing, update_time_us) or None when never decided."""
        try:
            conn = await self._connection()
            async with conn.cursor() as cur:
                await cur.execute(_CONSENT_SELECT, (user_id,))
                return consent_of(await cur.fetchone())
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            await self.close()
            raise StoreUnavailable(f"postgres consent unavailable: {type(exc).__name__}") from exc


class AsyncLogWriter(_AsyncConnection):
    """One asyncio connection appending to the log (consent check and insert in one autocommitted statement).

    The ingest path's writes run on the event loop instead of a store thread: no thread hop per batch,
    which under busy cores costs more than the insert itself.
    """

    async def append_consented(self, events: Sequence[Event], ingest_us: int,
                               default_granted: bool) -> tuple[set[str], dict[tuple[str, str], int]]:
        """Drops events of users without personalisation consent, writes the rest, commits.

        Returns:
            (users whose events were discarded, (user_id, event_id) -> sequence of the events written now).
        """
        try:
            conn = await self._connection()
            async with conn.cursor() as cur:
                sql, params = pg_append_consented([event_row(e, ingest_us) for e in events], default_granted)
                await cur.execute(sql, params)
                denied: set[str] = set()
                written: dict[tuple[str, str], int] = {}
                for user_id, event_id, sequence in await cur.fetchall():
                    if event_id is None:
                        denied.add(user_id)
                    else:
                        written[(user_id, event_id)] = int(sequence)
            return denied, written
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            await self.close()
            raise StoreUnavailable(f"postgres log unavailable: {type(exc).__name__}") from exc
