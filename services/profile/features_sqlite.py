"""SQLite feature store (the embedded default): one row per entity, JSON fields, on its own thread."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import orjson

from services.profile.feature_store import EntityKey, ItemRow, StateFields, UserRow
from services.profile.store import StoreUnavailable
from shared.sqlite import scrub_wal

R = TypeVar("R")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS user_features (catalog_id TEXT NOT NULL, user_id TEXT NOT NULL, state BLOB NOT NULL,"
    " PRIMARY KEY (catalog_id, user_id))",
    "CREATE TABLE IF NOT EXISTS item_features (catalog_id TEXT NOT NULL, item_id TEXT NOT NULL, state BLOB NOT NULL,"
    " popularity_anchor REAL, PRIMARY KEY (catalog_id, item_id))",
    "CREATE INDEX IF NOT EXISTS item_features_pop ON item_features (catalog_id, popularity_anchor)",
    "CREATE TABLE IF NOT EXISTS feature_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
)


class SqliteFeatureStore:
    """FeatureStore in an SQLite file (a cache like Redis: deleting the file and rebuilding is safe)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # a cache: the log is the durable copy
        self._conn.execute("PRAGMA secure_delete=ON")
        for statement in _SCHEMA:
            self._conn.execute(statement)
        self._conn.commit()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="profile-features")

    async def _call(self, work: Callable[[sqlite3.Connection], R]) -> R:
        def run() -> R:
            try:
                result = work(self._conn)
                self._conn.commit()
                return result
            except BaseException:
                self._conn.rollback()
                raise
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, run)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite feature store unavailable: {type(exc).__name__}") from exc

    async def _read(self, table: str, column: str, keys: list[EntityKey]) -> list[StateFields | None]:
        def work(conn: sqlite3.Connection) -> list[StateFields | None]:
            found: dict[EntityKey, StateFields] = {}
            for start in range(0, len(keys), 400):
                chunk = keys[start:start + 400]
                clause = " OR ".join([f"(catalog_id = ? AND {column} = ?)"] * len(chunk))
                rows = conn.execute(f"SELECT catalog_id, {column}, state FROM {table} WHERE {clause}",
                                    [v for k in chunk for v in k]).fetchall()
                found.update({(r[0], r[1]): orjson.loads(r[2]) for r in rows})
            return [found.get(k) for k in keys]
        return await self._call(work)

    async def read_users(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these users, in order."""
        return await self._read("user_features", "user_id", keys)

    async def read_items(self, keys: list[EntityKey]) -> list[StateFields | None]:
        """States of these items, in order."""
        return await self._read("item_features", "item_id", keys)

    async def read_user_records(self, keys: list[EntityKey]) -> list[bytes | StateFields | None]:
        """The users' states (the embedded store keeps no serving records; the engine encodes them)."""
        rows: list[bytes | StateFields | None] = [*await self.read_users(keys)]
        return rows

    async def read_item_records(self, keys: list[EntityKey]) -> list[bytes | StateFields | None]:
        """The items' states (the embedded store keeps no serving records; the engine encodes them)."""
        rows: list[bytes | StateFields | None] = [*await self.read_items(keys)]
        return rows

    records_apart = False
    """Reads evaluate the states: every write carries them."""

    async def write(self, users: dict[EntityKey, UserRow], items: dict[EntityKey, ItemRow],
                    applied: dict[int, int], *, states: bool = True) -> None:
        """States and the applied sequences in one transaction (serving records are not kept here)."""
        def work(conn: sqlite3.Connection) -> None:
            conn.executemany("INSERT OR REPLACE INTO user_features VALUES (?, ?, ?)",
                             [(k[0], k[1], orjson.dumps(v)) for k, (v, _) in users.items()])
            conn.executemany("INSERT OR REPLACE INTO item_features VALUES (?, ?, ?, ?)",
                             [(k[0], k[1], orjson.dumps(v), a) for k, (v, a, _) in items.items()])
            conn.executemany("INSERT OR REPLACE INTO feature_meta VALUES (?, ?)",
                             [(f"applied:{p}", v) for p, v in applied.items()])
        await self._call(work)

    async def applied_sequences(self) -> dict[int, int]:
        """Per log partition, the sequence up to which events are reflected."""
        def work(conn: sqlite3.Connection) -> dict[int, int]:
            rows = conn.execute("SELECT name, value FROM feature_meta WHERE name LIKE 'applied:%'").fetchall()
            return {int(name.split(":", 1)[1]): int(value) for name, value in rows}
        return await self._call(work)

    async def top_items(self, catalog_id: str, offset: int, count: int) -> list[tuple[str, float]]:
        """Items by popularity anchor, highest first."""
        def work(conn: sqlite3.Connection) -> list[tuple[str, float]]:
            rows = conn.execute("SELECT item_id, popularity_anchor FROM item_features WHERE catalog_id = ? AND "
                                "popularity_anchor IS NOT NULL ORDER BY popularity_anchor DESC, item_id "
                                "LIMIT ? OFFSET ?", (catalog_id, count, offset)).fetchall()
            return [(r[0], float(r[1])) for r in rows]
        return await self._call(work)

    async def delete_user(self, user_id: str) -> bool:
        """Deletes the user's rows in every catalogue, leaving no old copy in the write-ahead log."""
        deleted = await self._call(
            lambda conn: conn.execute("DELETE FROM user_features WHERE user_id = ?", (user_id,)).rowcount > 0)
        await self._call(scrub_wal)
        return deleted

    async def clear(self) -> None:
        """Empties every table."""
        def work(conn: sqlite3.Connection) -> None:
            for table in ("user_features", "item_features", "feature_meta"):
                conn.execute(f"DELETE FROM {table}")
        await self._call(work)

    async def ping(self) -> bool:
        """Whether the file answers (health)."""
        return bool(await self._call(lambda conn: conn.execute("SELECT 1").fetchone()))

    async def close(self) -> None:
        """Closes the file."""
        await self._call(lambda conn: None)
        self._executor.shutdown(wait=True)
        self._conn.close()
