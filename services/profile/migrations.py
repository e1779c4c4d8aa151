"""Versioned schema migrations of the profile store, one list for SQLite and PostgreSQL.

Each migration runs once, in order, inside a transaction, and is recorded in `schema_migrations`.
Statements are written once; `{id}` becomes the backend's auto-increment primary key column type.
Append new versions; never edit an applied one.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "event log, catalogue, consent, profiles", (
        """CREATE TABLE events (
            sequence {id},
            user_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            event_type SMALLINT NOT NULL,
            event_time_us BIGINT NOT NULL,
            catalog_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            impression_id TEXT NOT NULL,
            redacted_query TEXT NOT NULL,
            dwell_ms BIGINT NOT NULL,
            quantity INTEGER NOT NULL,
            price_currency TEXT NOT NULL,
            price_micros BIGINT NOT NULL,
            app_session_id TEXT NOT NULL,
            origin SMALLINT NOT NULL,
            ingest_time_us BIGINT NOT NULL,
            UNIQUE (user_id, event_id)
        )""",
        "CREATE INDEX events_time ON events (event_time_us, sequence)",
        "CREATE INDEX events_item ON events (catalog_id, item_id, event_time_us)",
        """CREATE TABLE items (
            catalog_id TEXT NOT NULL,
            item_id TEXT NOT NULL,
            doc TEXT NOT NULL,
            create_time_us BIGINT NOT NULL,
            update_time_us BIGINT NOT NULL,
            PRIMARY KEY (catalog_id, item_id)
        )""",
        """CREATE TABLE consent (
            user_id TEXT PRIMARY KEY,
            personalization SMALLINT NOT NULL,
            marketing SMALLINT NOT NULL,
            update_time_us BIGINT NOT NULL
        )""",
        """CREATE TABLE profiles (
            user_id TEXT PRIMARY KEY,
            doc TEXT NOT NULL,
            etag TEXT NOT NULL,
            create_time_us BIGINT NOT NULL,
            update_time_us BIGINT NOT NULL
        )""",
    )),
    (2, "order mirror, points, outbox", (
        """CREATE TABLE order_events (
            order_event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            event_time_us BIGINT NOT NULL,
            kind TEXT NOT NULL
        )""",
        "CREATE INDEX order_events_user ON order_events (user_id)",
        """CREATE TABLE orders (
            order_id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            status SMALLINT NOT NULL,
            place_time_us BIGINT NOT NULL,
            doc TEXT NOT NULL
        )""",
        "CREATE INDEX orders_user ON orders (user_id, place_time_us)",
        """CREATE TABLE points (
            user_id TEXT PRIMARY KEY,
            doc TEXT NOT NULL
        )""",
        """CREATE TABLE outbox (
            sequence {id},
            request_id TEXT NOT NULL UNIQUE,
            kind SMALLINT NOT NULL,
            user_id TEXT NOT NULL,
            order_id TEXT NOT NULL,
            doc TEXT NOT NULL,
            create_time_us BIGINT NOT NULL,
            ack_time_us BIGINT
        )""",
        "CREATE INDEX outbox_user ON outbox (user_id)",
    )),
    (3, "log partitions: one writer connection each, sequences in commit order within a partition", (
        "ALTER TABLE events ADD COLUMN log_partition SMALLINT NOT NULL DEFAULT 0",
        "CREATE INDEX events_partition ON events (log_partition, sequence)",
    )),
    (4, "tombstones of deleted users (hashed ids): replays and restored logs never bring their events back", (
        """CREATE TABLE tombstones (
            subject_hash TEXT PRIMARY KEY,
            delete_time_us BIGINT NOT NULL
        )""",
    )),
)

AUTO_ID = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgres": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
}


def pending(applied: set[int]) -> list[tuple[int, str, tuple[str, ...]]]:
    """Migrations not yet applied, in version order."""
    return [m for m in MIGRATIONS if m[0] not in applied]
