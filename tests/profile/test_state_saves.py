"""States saved apart from records (Redis): windows between saves write records only, and a fold that stops
without saving (a crash) is caught up from the saved states by the next start, each event counted once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis

from services.profile.app import build_service, policy_of
from services.profile.model import Event, EventOrigin, EventType, Item
from services.profile.settings import ProfileDataSettings
from shopmesh.common.v1 import features_pb2
from tests.profile.conftest import REDIS_URL, Backend
from tests.profile.test_contract_features import assert_close

_ITEMS = [Item(item_id=f"ml-{i}", catalog_id="movielens", title=f"t{i}", category_path=("Movies", f"G{i % 3}"),
               brand=f"b{i % 2}") for i in range(1, 21)]


def _batch(n: int) -> list[Event]:
    return [Event(f"s{n}-{i}", f"u{i % 7}", (EventType.VIEW, EventType.CLICK, EventType.PURCHASE)[i % 3],
                  893_000_000_000_000 + (n * 50 + i) * 1_000_000, "movielens", f"ml-{1 + (n + i) % 20}",
                  origin=EventOrigin.DATASET_REPLAY) for i in range(50)]


def _service(backend: Backend, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = ProfileDataSettings(**backend.overrides)  # type: ignore[arg-type]
    return build_service(settings.stores(), settings.feature_config(), policy_of(settings), "movielens")


async def _features(service) -> list[object]:  # type: ignore[no-untyped-def]
    """Every user's and item's served features (messages: doubles compare within 1e-9, as catch-up folds
    each log partition in turn, so an item's decayed sums may add in another order)."""
    engine = service.engine
    out: list[object] = [features_pb2.UserFeatures.FromString(
        (await engine.served_user("movielens", f"u{i}"))[1]) for i in range(7)]
    now, records = await engine.served_items("movielens", [i.item_id for i in _ITEMS])
    return out + [features_pb2.ItemFeatures.FromString(engine.item_reader.features(r, now)) for r in records]


def _assert_same(a: list[object], b: list[object]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert_close(x, y)


async def test_a_crash_between_state_saves_loses_nothing_and_counts_nothing_twice(
        backend: Backend, tmp_path: Path) -> None:
    if backend.name != "postgres_redis":
        return  # SQLite keeps no records apart: every window writes the states
    first = _service(backend, tmp_path)
    await first.start()
    await first.upsert_items(_ITEMS, None)
    for n in range(6):  # the first window saves the states; the later ones (within STATE_EVERY_S) do not
        await first.ingest(_batch(n), False, None, None)
        await first.engine.drain()
        await asyncio.sleep(0.01)
    before = await _features(first)
    meta = redis.Redis.from_url(REDIS_URL).hgetall(f"{backend.prefix}meta")
    assert int(meta[b"states:0"]) < int(meta[b"applied:0"]) or any(
        int(meta[f"states:{p}".encode()]) < int(meta[f"applied:{p}".encode()]) for p in range(1, 4)
        if f"applied:{p}".encode() in meta), "some windows should have written records only"
    # A crash: the fold stops without saving. The next start catches up from the saved states.
    second = _service(backend, tmp_path)
    await second.start()
    try:
        _assert_same(await _features(second), before)
        # Every entity touched again: its record now comes from the state the catch-up refolded.
        await second.ingest([Event(f"after-{i}", f"u{i % 7}", EventType.VIEW, 893_400_000_000_000 + i, "movielens",
                                   f"ml-{1 + i % 20}", origin=EventOrigin.DATASET_REPLAY) for i in range(140)],
                            False, None, None)
        await second.engine.drain()
        incremental = await _features(second)
        total = sum(f.total_event_count for f in incremental[:7])  # type: ignore[attr-defined]
        assert total == 6 * 50 + 140
        await second.engine.rebuild()
        _assert_same(await _features(second), incremental)
    finally:
        await second.close()
        await first.engine.features.close()
        await first.store.close()
