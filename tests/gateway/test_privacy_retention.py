"""Retention and tombstones in the stores themselves: profile's log on SQLite and on the real PostgreSQL + Redis
(event-time retention, tombstones surviving a restart), support's embedded hand-off retention, and the
gateway's receipt store on the real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.privacy import Outcome, Receipt, RedisReceiptStore, SqliteReceiptStore, Step, subject_key
from services.profile.app import build_offline
from services.profile.model import Event, EventOrigin, EventType, ResultStatus
from services.profile.privacy import subject_hash
from services.profile.settings import ProfileDataSettings
from services.profile.store import EventQuery
from services.support.store_sqlite import SqliteSessionStore
from tests.profile.conftest import (
    REDIS_URL,
    Backend,
    cleanup_backend,
    make_backend,
    postgres_and_redis_available,
)
from tests.profile.helpers import T0, catalogue_items

pytestmark = pytest.mark.integration
DAY_S = 86400


@pytest.fixture(params=["sqlite", "postgres_redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "postgres_redis" and not postgres_and_redis_available():
        pytest.fail("PostgreSQL or Redis on 127.0.0.1 is not answering (see /work/shared/notes/toolchain.md)")
    chosen = make_backend(request.param, tmp_path)
    yield chosen
    cleanup_backend(chosen)


def _event(event_id: str, user: str, at_s: int, item: str = "ml-1") -> Event:
    return Event(event_id=event_id, user_id=user, event_type=EventType.VIEW, event_time_us=at_s * 1_000_000,
                 catalog_id="movielens", item_id=item, origin=EventOrigin.DATASET_REPLAY)


def _settings(backend: Backend, **overrides: object) -> ProfileDataSettings:
    return ProfileDataSettings(**backend.overrides, **overrides)  # type: ignore[arg-type]


async def _load_items(service: object) -> None:
    from services.profile.convert import item_from_pb

    await service.upsert_items([item_from_pb(i) for i in catalogue_items(5)], "loader")  # type: ignore[attr-defined]


async def _logged(service: object) -> list[Event]:
    return [e async for batch, _ in service.read_events(EventQuery(), 1000, "", "trainer")  # type: ignore[attr-defined]
            for e in batch]


def _tombstone_keys(cur: Any) -> list[str]:
    cur.execute("SELECT subject_hash FROM tombstones")
    return [r[0] for r in cur.fetchall()]


async def test_events_past_the_retention_are_purged_by_event_time(backend: Backend) -> None:
    service = build_offline(_settings(backend, retention_days=2.0))
    await service.start()
    try:
        await _load_items(service)
        # Event time, not the wall clock: a 1998 log is judged against its own latest event (T0 + 5 days).
        events = [_event(f"r{d}", "u1", T0 + d * DAY_S) for d in range(6)]
        results = await service.ingest(events, False, "loader", None)
        assert [r.status for r in results] == [ResultStatus.ACCEPTED] * 6
        tombstoned, expired = await service.enforce_privacy()
        assert (tombstoned, expired) == (0, 3)  # days 0, 1 and 2 are older than 2 days before day 5
        assert sorted(e.event_id for e in await _logged(service)) == ["r3", "r4", "r5"]
    finally:
        await service.close()


async def test_tombstones_outlive_a_restart_and_cover_replays(backend: Backend) -> None:
    user, other = f"u-{uuid.uuid4().hex[:6]}", f"k-{uuid.uuid4().hex[:6]}"
    settings = _settings(backend)
    service = build_offline(settings)
    await service.start()
    try:
        await _load_items(service)
        await service.ingest([_event(f"{u}-{i}", u, T0 + i) for u in (user, other) for i in range(3)], False,
                             "loader", None)
        report = await service.delete_user(user, None)
        assert report.deleted_event_count == 3
        assert await service.engine.features.read_users([("movielens", user)]) == [None]
    finally:
        await service.close()
    service = build_offline(settings)  # a new process over the same stores
    await service.start()
    try:
        replay = [_event(f"{u}-again{i}", u, T0 + 100 + i) for u in (user, other) for i in range(2)]
        results = await service.ingest(replay, False, "loader", None)
        assert [r.status for r in results] == [ResultStatus.DISCARDED_NO_CONSENT] * 2 + [ResultStatus.ACCEPTED] * 2
        assert {e.user_id for e in await _logged(service)} == {other}
        stored = await service.store.call(service.store.sync.run, _tombstone_keys)
        assert subject_hash(user) in stored and user not in stored
    finally:
        await service.close()


async def test_support_sweeps_handoffs_past_their_retention(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "sessions.sqlite", handoff_ttl_seconds=3600)
    now = time.time()
    await store.create_handoff({"handoff_id": "old", "user_id": "u1", "create_time": "-", "_created": now - 7200})
    await store.create_handoff({"handoff_id": "new", "user_id": "u1", "create_time": "-", "_created": now})
    assert [h["handoff_id"] for h in await store.list_handoffs()] == ["new"]
    await store.close()


async def test_receipts_round_trip_in_sqlite_and_redis(tmp_path: Path) -> None:
    if not postgres_and_redis_available():
        pytest.fail("Redis on 127.0.0.1 is not answering (see /work/shared/notes/toolchain.md)")
    receipt = Receipt("del-1", 1_700_000_000_000_000, [Step("vault", Outcome.DELETED, {"values": 2}, 1),
                                                       Step("profile", Outcome.NOTHING_HELD, {}, 2)], True)
    prefix = f"shopmesh-test:{uuid.uuid4().hex[:8]}:receipt:"
    redis_store = RedisReceiptStore(REDIS_URL, prefix)
    sqlite_store = SqliteReceiptStore(tmp_path / "r.sqlite")
    try:
        for store in (redis_store, sqlite_store):
            key = subject_key("u-42")
            assert await store.get(key) is None
            await store.put(key, receipt)
            assert await store.get(key) == receipt
            assert "u-42" not in key
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*"))
        assert len(keys) == 1
        client.delete(*keys)
        client.close()
        await redis_store.close()
        sqlite_store.close()
