"""PostgreSQL backend of the profile store (production), with psycopg 3, in its own schema."""

from __future__ import annotations

import re
from collections.abc import Sequence

import psycopg

from services.profile.model import Event
from services.profile.profiles import personalization_allowed
from services.profile.store import SqlStore, StoreUnavailable, event_row, pg_append

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


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


class AsyncLogWriter:
    """One asyncio connection appending to the log (consent check, insert, commit in one transaction).

    The ingest path's writes run on the event loop instead of a store thread: no thread hop per batch,
    which under busy cores costs more than the insert itself.
    """

    def __init__(self, dsn: str, schema: str):
        if not _SCHEMA.fullmatch(schema):
            raise ValueError(f"schema name {schema!r} must match {_SCHEMA.pattern}")
        self._dsn, self._schema = dsn, schema
        self._conn: psycopg.AsyncConnection | None = None

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=False, connect_timeout=5)
            await conn.execute(f'SET search_path TO "{self._schema}"')
            await conn.commit()
            self._conn = conn
        return self._conn

    async def append_consented(self, events: Sequence[Event], ingest_us: int,
                               default_granted: bool) -> tuple[set[str], dict[tuple[str, str], int]]:
        """Drops events of users without personalisation consent, writes the rest, commits.

        Returns:
            (users whose events were discarded, (user_id, event_id) -> sequence of the events written now).
        """
        try:
            conn = await self._connection()
            try:
                async with conn.cursor() as cur:
                    users = sorted({e.user_id for e in events})
                    await cur.execute("SELECT user_id, personalization FROM consent WHERE user_id = ANY(%s)",
                                      (users,))
                    consent = {r[0]: int(r[1]) for r in await cur.fetchall()}
                    denied = {u for u in users if not personalization_allowed(consent.get(u), default_granted)}
                    rows = [event_row(e, ingest_us) for e in events if e.user_id not in denied]
                    written: dict[tuple[str, str], int] = {}
                    if rows:
                        sql, params = pg_append(rows)
                        await cur.execute(sql, params)
                        written = {(r[0], r[1]): int(r[2]) for r in await cur.fetchall()}
                await conn.commit()
                return denied, written
            except BaseException:
                await conn.rollback()
                raise
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            await self.close()
            raise StoreUnavailable(f"postgres log unavailable: {type(exc).__name__}") from exc

    async def close(self) -> None:
        """Closes the connection (a later write reconnects)."""
        if self._conn is not None:
            try:
                await self._conn.close()
            finally:
                self._conn = None
