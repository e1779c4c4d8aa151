"""Privacy of the event log: tombstones of deleted users and the retention limit, both by event time.

A deletion removes the user's rows, but a replayed data set or a restored backup can bring them back. The
tombstone list remembers each deleted user (as a hash, never the id) with the deletion time: events of that
user up to that time are never ingested again, never returned by ReadEvents (or any export built on it), and
are purged from the log when the service starts on a restored copy. Events after the deletion (the user came
back) are new data.

Retention: events older than `retention` before the log's latest event time (the event-time clock the
features use, never the wall clock) are purged by a periodic sweep.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from typing import Any

from services.profile.model import Event
from services.profile.store import AsyncStore, SqlStore

PRIVACY_SWEEP_SECONDS = 3600.0
"""How often the running service re-applies tombstones and the retention limit to the log."""
REFRESH_SECONDS = 10.0
"""How stale one replica's tombstone list may get after another replica deleted a user."""


def subject_hash(user_id: str) -> str:
    """The tombstone key of a user."""
    return hashlib.sha256(b"shopmesh.profile.tombstone.v1:" + user_id.encode()).hexdigest()


def _load(store: SqlStore) -> dict[str, int]:
    def work(cur: Any) -> dict[str, int]:
        cur.execute("SELECT subject_hash, delete_time_us FROM tombstones")
        return {r[0]: int(r[1]) for r in cur.fetchall()}
    return store.run(work)


def _add(store: SqlStore, key: str, delete_us: int) -> None:
    def work(cur: Any) -> None:
        cur.execute(store._sql("INSERT INTO tombstones (subject_hash, delete_time_us) VALUES (?, ?) ON CONFLICT "
                               "(subject_hash) DO UPDATE SET delete_time_us = excluded.delete_time_us"),
                    (key, delete_us))
    store.run(work)


def _purge_tombstoned(store: SqlStore, tombstones: dict[str, int]) -> tuple[int, list[str]]:
    """Deletes logged events the tombstones cover; returns (events deleted, user ids they belonged to)."""
    def work(cur: Any) -> tuple[int, list[str]]:
        cur.execute("SELECT DISTINCT user_id FROM events")
        users = [(r[0], tombstones[h]) for r in cur.fetchall() if (h := subject_hash(r[0])) in tombstones]
        deleted = 0
        for user_id, delete_us in users:
            cur.execute(store._sql("DELETE FROM events WHERE user_id = ? AND event_time_us <= ?"),
                        (user_id, delete_us))
            deleted += int(cur.rowcount)
        return deleted, [u for u, _ in users]
    return store.run(work)


def _purge_older(store: SqlStore, retention_us: int) -> tuple[int, list[str]]:
    """Deletes events older than the retention before each catalogue's latest event time."""
    def work(cur: Any) -> tuple[int, list[str]]:
        cur.execute("SELECT catalog_id, MAX(event_time_us) FROM events GROUP BY catalog_id")
        deleted = 0
        users: set[str] = set()
        for catalog_id, latest in cur.fetchall():
            cutoff = int(latest) - retention_us
            cur.execute(store._sql("SELECT DISTINCT user_id FROM events WHERE catalog_id = ? AND event_time_us < ?"),
                        (catalog_id, cutoff))
            users |= {r[0] for r in cur.fetchall()}
            cur.execute(store._sql("DELETE FROM events WHERE catalog_id = ? AND event_time_us < ?"),
                        (catalog_id, cutoff))
            deleted += int(cur.rowcount)
        return deleted, sorted(users)
    return store.run(work)


class Tombstones:
    """The deleted users, cached in memory (refreshed from the store every REFRESH_SECONDS).

    Args:
        store: the profile's SQL store (table `tombstones`, migration 4).
        clock: monotonic seconds, for the refresh interval only.
    """

    def __init__(self, store: AsyncStore, clock: Any = time.monotonic):
        self._store = store
        self._clock = clock
        self._by_hash: dict[str, int] = {}
        self._loaded_s = float("-inf")

    async def refresh(self) -> None:
        """Reloads the list from the store."""
        self._by_hash = await self._store.call(_load, self._store.sync)
        self._loaded_s = self._clock()

    async def refresh_if_stale(self) -> None:
        """Reloads when another replica may have added tombstones since the last load."""
        if self._clock() - self._loaded_s >= REFRESH_SECONDS:
            await self.refresh()

    def covers(self, user_id: str, event_time_us: int) -> bool:
        """Whether this event belongs to a deleted user's past (it must never be kept or returned)."""
        if not self._by_hash:
            return False
        delete_us = self._by_hash.get(subject_hash(user_id))
        return delete_us is not None and event_time_us <= delete_us

    def keep(self, events: Sequence[Event]) -> list[Event]:
        """The events no tombstone covers."""
        if not self._by_hash:
            return list(events)
        return [e for e in events if not self.covers(e.user_id, e.event_time_us)]

    async def add(self, user_id: str, delete_us: int) -> None:
        """Records a deletion (a repeat moves the time forward: later events are covered too)."""
        key = subject_hash(user_id)
        await self._store.call(_add, self._store.sync, key, delete_us)
        self._by_hash[key] = max(delete_us, self._by_hash.get(key, 0))

    async def purge_log(self) -> tuple[int, list[str]]:
        """Deletes covered events still in the log (a restored backup); returns (events, their users)."""
        await self.refresh()
        if not self._by_hash:
            return 0, []
        return await self._store.call(_purge_tombstoned, self._store.sync, dict(self._by_hash))


async def purge_expired(store: AsyncStore, retention_us: int) -> tuple[int, list[str]]:
    """Applies the retention limit by event time; returns (events deleted, users that had some)."""
    return await store.call(_purge_older, store.sync, retention_us)


def users_of(events: Iterable[Event]) -> set[str]:
    """The users of some events."""
    return {e.user_id for e in events}
