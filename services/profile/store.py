"""The profile store: event log, catalogue, consent and profiles in SQL, one code path for two backends.

`SqlStore` is written against DB-API connections (sqlite3, psycopg 3) with `?` placeholders; the backend
modules (store_sqlite.py, store_postgres.py) supply the connection and dialect. Every method runs on the
store's own thread (`AsyncStore`), so the event loop never blocks on I/O and one connection is never used
by two threads. Writes commit before they return: the caller acknowledges only what is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import orjson

from services.profile.migrations import AUTO_ID, pending
from services.profile.model import Event, EventOrigin, EventType, Item
from shared.errors import Unavailable
from shared.sqlite import scrub_wal

P = ParamSpec("P")
R = TypeVar("R")
EVENT_COLUMNS = ("user_id", "event_id", "event_type", "event_time_us", "catalog_id", "item_id", "impression_id",
                 "redacted_query", "dwell_ms", "quantity", "price_currency", "price_micros", "app_session_id",
                 "origin", "ingest_time_us", "log_partition")
_PG_TYPES = ("text", "text", "int2", "int8", "text", "text", "text", "text", "int8", "int4", "text", "int8", "text",
             "int2", "int8", "int2")
_SELECT_EVENTS = f"SELECT sequence, {', '.join(EVENT_COLUMNS)} FROM events"


class StoreUnavailable(Unavailable):
    """The database cannot be reached or written; nothing of the failed call was committed.

    An UNAVAILABLE domain error (reason STORE_UNAVAILABLE), so a call path that does not map it itself still
    answers the caller UNAVAILABLE, never INTERNAL (the chaos suite found ApplyOrderEvents' tombstone refresh
    doing so while PostgreSQL was down). Its messages name the backend and the exception type, never data."""

    reason = "STORE_UNAVAILABLE"
    domain = "shopmesh.profile"


@dataclass(frozen=True)
class EventQuery:
    """A slice of the log for training jobs and exports (times in microseconds)."""

    start_us: int | None = None
    end_us: int | None = None
    event_types: tuple[int, ...] = ()
    catalog_id: str = ""
    user_ids: tuple[str, ...] = ()
    max_sequence: int | None = None
    """Snapshot bound: events written after the read began are not returned."""


def _row_event(row: Sequence[Any]) -> Event:
    return Event(
        sequence=int(row[0]), user_id=row[1], event_id=row[2], event_type=EventType(row[3]),
        event_time_us=int(row[4]), catalog_id=row[5], item_id=row[6], impression_id=row[7], redacted_query=row[8],
        dwell_ms=int(row[9]), quantity=int(row[10]), unit_price_currency=row[11], unit_price_micros=int(row[12]),
        app_session_id=row[13], origin=EventOrigin(row[14]), ingest_time_us=int(row[15]), log_partition=int(row[16]),
    )


def _event_row(e: Event, ingest_us: int) -> tuple[Any, ...]:
    return (e.user_id, e.event_id, int(e.event_type), e.event_time_us, e.catalog_id, e.item_id, e.impression_id,
            e.redacted_query, e.dwell_ms, e.quantity, e.unit_price_currency, e.unit_price_micros, e.app_session_id,
            int(e.origin), ingest_us, e.log_partition)


def _text_array(values: Sequence[str]) -> str:
    # Every element quoted, so empty strings, commas, braces and spaces are literal; backslash and quote escaped.
    return '{"' + '","'.join(v.replace("\\", "\\\\").replace('"', '\\"') for v in values) + '"}'


def _int_array(values: Sequence[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


_PG_APPEND = (f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) SELECT * FROM unnest("
              f"{', '.join(f'%s::text::{t}[]' for t in _PG_TYPES)}) "
              "ON CONFLICT (user_id, event_id) DO NOTHING RETURNING user_id, event_id, sequence")


def pg_append(rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """PostgreSQL's INSERT of log rows: one array per column, so it parses and binds 16 parameters, not 16
    per row; RETURNING names the rows written now (the others were duplicates).

    Each array goes as one array literal (a str.join per column) that the server parses: psycopg's own
    list adaptation costs tens of microseconds of Python per row, more than the insert itself.
    """
    columns = zip(*rows, strict=True)
    return _PG_APPEND, [_text_array(c) if t == "text" else _int_array(c)
                        for c, t in zip(columns, _PG_TYPES, strict=True)]


_PG_APPEND_CONSENTED = (
    f"WITH r AS (SELECT * FROM unnest({', '.join(f'%s::text::{t}[]' for t in _PG_TYPES)}) "
    f"AS r ({', '.join(EVENT_COLUMNS)})), "
    # Per user of the batch: kept or not, by the same rule as profiles.personalization_allowed (0 = never
    # decided, 1 = granted; no row = never asked), the default being the last parameter.
    "u AS (SELECT b.user_id, COALESCE(CASE WHEN c.personalization = 0 THEN NULL ELSE c.personalization = 1 END, "
    "%s::bool) AS allowed FROM (SELECT DISTINCT user_id FROM r) b LEFT JOIN consent c ON c.user_id = b.user_id), "
    f"w AS (INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"SELECT {', '.join(f'r.{c}' for c in EVENT_COLUMNS)} FROM r JOIN u ON u.user_id = r.user_id AND u.allowed "
    "ON CONFLICT (user_id, event_id) DO NOTHING RETURNING user_id, event_id, sequence) "
    "SELECT user_id, event_id, sequence FROM w UNION ALL SELECT user_id, NULL, NULL FROM u WHERE NOT u.allowed")


def pg_append_consented(rows: list[tuple[Any, ...]], default_granted: bool) -> tuple[str, list[Any]]:
    """`pg_append` with the consent check in the same statement: one round trip (in autocommit, one
    transaction) instead of a SELECT of consent, the INSERT and a COMMIT.

    The reply has a row (user_id, event_id, sequence) per event written now and a row (user_id, NULL, NULL)
    per user of the batch whose events were discarded for lack of consent.
    """
    _, params = pg_append(rows)
    return _PG_APPEND_CONSENTED, [*params, default_granted]


CONSENT_SELECT = "SELECT personalization, marketing, update_time_us FROM consent WHERE user_id = ?"
"""A user's consent row (`?` the user id; PostgreSQL drivers take `%s`)."""


def consent_of(row: Sequence[Any] | None) -> tuple[int, int, int] | None:
    """(personalization, marketing, update_time_us) of a CONSENT_SELECT row, None for no row."""
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))


def event_row(e: Event, ingest_us: int) -> tuple[Any, ...]:
    """The log row of an event."""
    return _event_row(e, ingest_us)


def item_doc(item: Item) -> str:
    """The JSON document an item is stored as (times live in their own columns)."""
    return orjson.dumps({
        "title": item.title, "description": item.description, "category_path": list(item.category_path),
        "brand": item.brand, "price_currency": item.price_currency, "price_micros": item.price_micros,
        "stock_quantity": item.stock_quantity, "image_url": item.image_url, "language_code": item.language_code,
        "attributes": item.attributes, "synthetic_fields": list(item.synthetic_fields),
    }).decode()


def item_from_row(catalog_id: str, item_id: str, doc: str, create_us: int, update_us: int) -> Item:
    """Inverse of `item_doc`."""
    d = orjson.loads(doc)
    return Item(item_id=item_id, catalog_id=catalog_id, title=d["title"], description=d["description"],
                category_path=tuple(d["category_path"]), brand=d["brand"], price_currency=d["price_currency"],
                price_micros=int(d["price_micros"]), stock_quantity=int(d["stock_quantity"]),
                image_url=d["image_url"], language_code=d["language_code"], attributes=dict(d["attributes"]),
                synthetic_fields=tuple(d["synthetic_fields"]), create_time_us=int(create_us),
                update_time_us=int(update_us))


class SqlStore:
    """The SQL of the profile store over one DB-API connection.

    Args:
        connect: opens a new connection (used at start and to reconnect after a failure).
        dialect: "sqlite" or "postgres".
        errors: the driver's exception types that mean "database unavailable".
    """

    def __init__(self, connect: Callable[[], Any], dialect: str, errors: tuple[type[BaseException], ...]):
        self._connect = connect
        self.dialect = dialect
        self._errors = errors
        self._conn: Any = None

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def run(self, work: Callable[[Any], R]) -> R:
        """Runs `work(cursor)` in one transaction; a driver failure rolls back and raises StoreUnavailable."""
        try:
            conn = self._connection()
            cur = conn.cursor()
            try:
                result = work(cur)
                conn.commit()
                return result
            except BaseException:
                conn.rollback()
                raise
            finally:
                cur.close()
        except self._errors as exc:
            self.close()
            raise StoreUnavailable(f"{self.dialect} store unavailable: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Closes the connection (a later call reconnects)."""
        if self._conn is not None:
            # A broken connection may fail to close; it is dropped either way.
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def scrub(self) -> None:
        """After a user's deletion: SQLite's write-ahead log checkpointed and truncated, so no old page image
        of the deleted rows stays on disk (PostgreSQL: nothing here; its VACUUM reclaims dead rows)."""
        if self.dialect == "sqlite":
            scrub_wal(self._connection())

    def ping(self) -> bool:
        """Whether the database answers (health)."""
        self.run(lambda cur: cur.execute("SELECT 1"))
        return True

    # --- schema ---------------------------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Applies pending migrations; returns the versions applied now."""
        def work(cur: Any) -> list[int]:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                        "description TEXT NOT NULL, applied_at_us BIGINT NOT NULL)")
            cur.execute("SELECT version FROM schema_migrations")
            applied = {int(r[0]) for r in cur.fetchall()}
            done = []
            for version, description, statements in pending(applied):
                for statement in statements:
                    cur.execute(statement.replace("{id}", AUTO_ID[self.dialect]))
                cur.execute(self._sql("INSERT INTO schema_migrations VALUES (?, ?, ?)"),
                            (version, description, int(time.time() * 1e6)))
                done.append(version)
            return done
        return self.run(work)

    # --- event log ------------------------------------------------------------------------------------------

    def consent_of(self, user_ids: Iterable[str]) -> dict[str, int]:
        """Personalisation consent state per user that has a decision recorded."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}

        def work(cur: Any) -> dict[str, int]:
            cur.execute(self._sql(f"SELECT user_id, personalization FROM consent WHERE user_id IN "
                                  f"({', '.join('?' * len(ids))})"), ids)
            return {r[0]: int(r[1]) for r in cur.fetchall()}
        return self.run(work)

    def append_consented(self, events: Sequence[Event], ingest_us: int,
                         default_granted: bool) -> tuple[set[str], dict[tuple[str, str], int]]:
        """Drops events of users without personalisation consent, then writes and commits the rest.

        Returns:
            (users whose events were discarded, (user_id, event_id) -> sequence of the events written now).
        """
        from services.profile.profiles import personalization_allowed

        consent = self.consent_of(e.user_id for e in events)
        denied = {u for u, state in consent.items() if not personalization_allowed(state, default_granted)}
        if not default_granted:
            denied |= {e.user_id for e in events if e.user_id not in consent}
        return denied, self.append_events([e for e in events if e.user_id not in denied], ingest_us)

    def append_events(self, events: Sequence[Event], ingest_us: int) -> dict[tuple[str, str], int]:
        """Writes events not yet in the log (dedup by (user_id, event_id)) and commits.

        Returns:
            (user_id, event_id) -> sequence for the events written now; the others were duplicates.
        """
        if not events:
            return {}
        rows = [_event_row(e, ingest_us) for e in events]
        if self.dialect == "postgres":
            sql, params = pg_append(rows)
        else:
            placeholders = "(" + ", ".join("?" * len(EVENT_COLUMNS)) + ")"
            sql = (f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES {', '.join([placeholders] * len(rows))} "
                   "ON CONFLICT (user_id, event_id) DO NOTHING RETURNING user_id, event_id, sequence")
            params = [value for row in rows for value in row]

        def work(cur: Any) -> dict[tuple[str, str], int]:
            cur.execute(sql, params)
            return {(r[0], r[1]): int(r[2]) for r in cur.fetchall()}
        return self.run(work)

    def read_events(self, query: EventQuery, after: tuple[int, int] | None, limit: int) -> list[Event]:
        """Events of the query ordered by (event_time, sequence), after the keyset position `after`."""
        where: list[str] = []
        params: list[Any] = []
        if query.start_us is not None:
            where.append("event_time_us >= ?")
            params.append(query.start_us)
        if query.end_us is not None:
            where.append("event_time_us < ?")
            params.append(query.end_us)
        if query.event_types:
            where.append(f"event_type IN ({', '.join('?' * len(query.event_types))})")
            params.extend(query.event_types)
        if query.catalog_id:
            where.append("catalog_id = ?")
            params.append(query.catalog_id)
        if query.user_ids:
            where.append(f"user_id IN ({', '.join('?' * len(query.user_ids))})")
            params.extend(query.user_ids)
        if query.max_sequence is not None:
            where.append("sequence <= ?")
            params.append(query.max_sequence)
        if after is not None:
            where.append("(event_time_us > ? OR (event_time_us = ? AND sequence > ?))")
            params.extend([after[0], after[0], after[1]])
        sql = _SELECT_EVENTS + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY event_time_us, sequence LIMIT ?"
        params.append(limit)

        def work(cur: Any) -> list[Event]:
            cur.execute(self._sql(sql), params)
            return [_row_event(r) for r in cur.fetchall()]
        return self.run(work)

    def events_after_sequence(self, partition: int, sequence: int, limit: int) -> list[Event]:
        """A partition's events written after `sequence`, in commit order (the feature fold's catch-up)."""
        def work(cur: Any) -> list[Event]:
            cur.execute(self._sql(_SELECT_EVENTS + " WHERE log_partition = ? AND sequence > ? ORDER BY sequence "
                                  "LIMIT ?"), (partition, sequence, limit))
            return [_row_event(r) for r in cur.fetchall()]
        return self.run(work)

    def partitions(self) -> list[int]:
        """The log partitions that hold events."""
        def work(cur: Any) -> list[int]:
            cur.execute("SELECT DISTINCT log_partition FROM events")
            return sorted(int(r[0]) for r in cur.fetchall())
        return self.run(work)

    def max_sequence(self) -> int:
        """The latest sequence in the log (0 when empty)."""
        def work(cur: Any) -> int:
            cur.execute("SELECT COALESCE(MAX(sequence), 0) FROM events")
            return int(cur.fetchone()[0])
        return self.run(work)

    def max_event_time(self, catalog_id: str) -> int:
        """The latest event time of a catalogue (0 when none): the event-time watermark."""
        def work(cur: Any) -> int:
            cur.execute(self._sql("SELECT COALESCE(MAX(event_time_us), 0) FROM events WHERE catalog_id = ?"),
                        (catalog_id,))
            return int(cur.fetchone()[0])
        return self.run(work)

    def user_events(self, catalog_id: str, user_id: str, until_us: int) -> list[Event]:
        """A user's events of one catalogue with event_time <= until_us, in time order (as-of reads)."""
        def work(cur: Any) -> list[Event]:
            cur.execute(self._sql(_SELECT_EVENTS + " WHERE user_id = ? AND catalog_id = ? AND event_time_us <= ? "
                                  "ORDER BY event_time_us, sequence"), (user_id, catalog_id, until_us))
            return [_row_event(r) for r in cur.fetchall()]
        return self.run(work)

    def item_events(self, catalog_id: str, item_ids: Sequence[str], until_us: int) -> list[Event]:
        """Events of these items with event_time <= until_us, in time order (as-of reads)."""
        def work(cur: Any) -> list[Event]:
            cur.execute(self._sql(_SELECT_EVENTS + f" WHERE catalog_id = ? AND item_id IN "
                                  f"({', '.join('?' * len(item_ids))}) AND event_time_us <= ? "
                                  "ORDER BY event_time_us, sequence"), (catalog_id, *item_ids, until_us))
            return [_row_event(r) for r in cur.fetchall()]
        return self.run(work)

    def user_item_keys(self, user_id: str) -> set[tuple[str, str]]:
        """(catalog_id, item_id) of every item the user has events about."""
        def work(cur: Any) -> set[tuple[str, str]]:
            cur.execute(self._sql("SELECT DISTINCT catalog_id, item_id FROM events "
                                  "WHERE user_id = ? AND item_id <> ''"), (user_id,))
            return {(r[0], r[1]) for r in cur.fetchall()}
        return self.run(work)

    def count_events(self) -> int:
        """Events in the log."""
        def work(cur: Any) -> int:
            cur.execute("SELECT COUNT(*) FROM events")
            return int(cur.fetchone()[0])
        return self.run(work)

    # --- catalogue ------------------------------------------------------------------------------------------

    def upsert_items(self, items: Sequence[Item], now_us: int) -> tuple[int, int]:
        """Creates or replaces items; returns (created, updated). create_time survives a replace."""
        def work(cur: Any) -> tuple[int, int]:
            created = 0
            for item in items:
                cur.execute(self._sql("SELECT 1 FROM items WHERE catalog_id = ? AND item_id = ?"),
                            (item.catalog_id, item.item_id))
                exists = cur.fetchone() is not None
                created += 0 if exists else 1
                cur.execute(self._sql(
                    "INSERT INTO items VALUES (?, ?, ?, ?, ?) ON CONFLICT (catalog_id, item_id) DO UPDATE SET "
                    "doc = excluded.doc, update_time_us = excluded.update_time_us"),
                    (item.catalog_id, item.item_id, item_doc(item), now_us, now_us))
            return created, len(items) - created
        return self.run(work)

    def all_items(self) -> list[Item]:
        """Every item of every catalogue (loaded into the in-memory catalogue at start)."""
        def work(cur: Any) -> list[Item]:
            cur.execute("SELECT catalog_id, item_id, doc, create_time_us, update_time_us FROM items")
            return [item_from_row(*r) for r in cur.fetchall()]
        return self.run(work)

    # --- consent and profiles -------------------------------------------------------------------------------

    def get_consent(self, user_id: str) -> tuple[int, int, int] | None:
        """(personalization, marketing, update_time_us) or None when never decided."""
        def work(cur: Any) -> tuple[int, int, int] | None:
            cur.execute(self._sql(CONSENT_SELECT), (user_id,))
            return consent_of(cur.fetchone())
        return self.run(work)

    def put_consent(self, user_id: str, personalization: int, marketing: int, now_us: int) -> None:
        """Stores a user's consent decisions."""
        self.run(lambda cur: cur.execute(self._sql(
            "INSERT INTO consent VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
            "personalization = excluded.personalization, marketing = excluded.marketing, "
            "update_time_us = excluded.update_time_us"), (user_id, personalization, marketing, now_us)))

    def get_profile(self, user_id: str) -> tuple[str, str, int, int] | None:
        """(doc, etag, create_time_us, update_time_us) or None."""
        def work(cur: Any) -> tuple[str, str, int, int] | None:
            cur.execute(self._sql("SELECT doc, etag, create_time_us, update_time_us FROM profiles WHERE user_id = ?"),
                        (user_id,))
            row = cur.fetchone()
            return None if row is None else (row[0], row[1], int(row[2]), int(row[3]))
        return self.run(work)

    def put_profile(self, user_id: str, doc: str, etag: str, expected_etag: str | None, now_us: int) -> bool:
        """Writes a profile if its etag is still `expected_etag` (None: must not exist); False on a conflict."""
        def work(cur: Any) -> bool:
            if expected_etag is None:
                cur.execute(self._sql("INSERT INTO profiles VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING"),
                            (user_id, doc, etag, now_us, now_us))
            else:
                cur.execute(self._sql("UPDATE profiles SET doc = ?, etag = ?, update_time_us = ? "
                                      "WHERE user_id = ? AND etag = ?"), (doc, etag, now_us, user_id, expected_etag))
            return bool(cur.rowcount == 1)
        return self.run(work)

    def delete_user(self, user_id: str) -> tuple[int, bool, bool]:
        """Deletes a user's events, profile and consent; returns (events, had_profile, had_consent)."""
        def work(cur: Any) -> tuple[int, bool, bool]:
            cur.execute(self._sql("DELETE FROM events WHERE user_id = ?"), (user_id,))
            events = int(cur.rowcount)
            cur.execute(self._sql("DELETE FROM profiles WHERE user_id = ?"), (user_id,))
            profile = cur.rowcount > 0
            cur.execute(self._sql("DELETE FROM consent WHERE user_id = ?"), (user_id,))
            return events, profile, cur.rowcount > 0
        return self.run(work)


class AsyncStore:
    """Runs a SqlStore's methods on one dedicated thread, so calls are serialised and never block the loop."""

    def __init__(self, store: SqlStore):
        self.sync = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"profile-{store.dialect}")

    async def call(self, method: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`await store.call(store.sync.append_events, events, now)`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: method(*args, **kwargs))

    async def close(self) -> None:
        """Closes the connection on its own thread and stops the thread."""
        await self.call(self.sync.close)
        self._executor.shutdown(wait=True)
