"""Contract tests of the catalogue and the feature reads through gRPC, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import math
import random

import grpc
import pytest

from shopmesh.common.v1 import event_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb
from tests.profile.conftest import Running
from tests.profile.helpers import CART, CLICK, PURCHASE, SEARCH, T0, VIEW, event, load_catalogue, now_s, ts

HOUR, DAY = 3600, 86400


async def ingest(running: Running, events: list[pb.Event]) -> pb.IngestEventsResponse:
    reply = await running.stub().IngestEvents(pb.IngestEventsRequest(events=events), timeout=10)
    await running.app.service.engine.drain()
    return reply


async def test_catalogue_get_list_and_upsert(profile: Running) -> None:
    loader = profile.stub("loader")
    await load_catalogue(loader, n=12)
    got = await profile.stub().GetItems(pb.GetItemsRequest(item_ids=["ml-3", "ml-999", "ml-1"]), timeout=5)
    assert [(r.item_id, r.missing) for r in got.results] == [("ml-3", False), ("ml-999", True), ("ml-1", False)]
    assert got.results[0].item.category_path == ["Movies", "Drama"] and got.results[0].item.price.amount_micros
    assert "price" in got.results[0].item.synthetic_fields
    page1 = await profile.stub().ListItems(pb.ListItemsRequest(page_size=5), timeout=5)
    page2 = await profile.stub().ListItems(pb.ListItemsRequest(page_size=5, page_token=page1.next_page_token),
                                           timeout=5)
    assert page1.total_item_count == 12 and len(page1.items) == 5 and page2.items[0].item_id > page1.items[-1].item_id
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await profile.stub("gateway").UpsertItems(pb.UpsertItemsRequest(items=[got.results[0].item]), timeout=5)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await profile.stub().GetItems(pb.GetItemsRequest(catalog_id="nope", item_ids=["ml-1"]), timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await profile.stub().GetItems(pb.GetItemsRequest(item_ids=["bad id"]), timeout=5)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_user_features_as_of_event_time(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [
        event("f1", "u1", VIEW, T0 - 8 * DAY, "ml-1"),       # outside every window
        event("f2", "u1", CLICK, T0 - 2 * DAY, "ml-2"),      # 7 d only
        event("f3", "u1", CART, T0 - 2 * HOUR, "ml-2"),      # 24 h and 7 d
        event("f4", "u1", PURCHASE, T0 - 10 * 60, "ml-2"),   # every window
        event("f5", "u1", SEARCH, T0, redacted_query="dvd"),
        event("other", "u2", VIEW, T0, "ml-5"),
    ]
    await ingest(profile, events)
    reply = await profile.stub().GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u1"), timeout=5)
    f = reply.features
    assert not reply.missing and f.as_of_time.seconds == T0  # the catalogue's latest event time, not now
    assert [(r.item_id, r.event_type) for r in f.recent_items] == [("ml-2", PURCHASE), ("ml-2", CART),
                                                                   ("ml-2", CLICK), ("ml-1", VIEW)]
    counts = {c.event_type: (c.count_1h, c.count_24h, c.count_7d) for c in f.event_counts}
    assert counts == {CLICK: (0, 0, 1), CART: (0, 1, 1), PURCHASE: (1, 1, 1), SEARCH: (1, 1, 1)}
    assert f.last_active_time.seconds == T0 and f.total_event_count == 5
    assert [(p.item_id, p.purchase_count) for p in f.purchased_items] == [("ml-2", 1)]
    assert math.isclose(f.category_affinities["Movies"], 1.0)
    assert math.isclose(f.category_affinities["Movies/Comedy"] + f.category_affinities["Movies/Drama"], 1.0)
    assert f.category_affinities["Movies/Comedy"] > 0.9  # ml-2 (Comedy) outweighs an old view of ml-1
    assert math.isclose(sum(f.brand_affinities.values()), 1.0)
    past = await profile.stub().GetUserFeatures(
        pb.GetUserFeaturesRequest(user_id="u1", as_of_time=ts(T0 - DAY)), timeout=5)
    assert past.features.total_event_count == 2 and past.features.as_of_time.seconds == T0 - DAY
    assert {c.event_type: (c.count_24h, c.count_7d) for c in past.features.event_counts} == {CLICK: (0, 1)}
    before = await profile.stub().GetUserFeatures(
        pb.GetUserFeaturesRequest(user_id="u1", as_of_time=ts(T0 - 30 * DAY)), timeout=5)
    assert before.missing
    assert (await profile.stub().GetUserFeatures(pb.GetUserFeaturesRequest(user_id="nobody"), timeout=5)).missing


async def test_user_features_answer_consent_when_asked(profile: Running, signer) -> None:
    await load_catalogue(profile.stub("loader"))
    await ingest(profile, [event("c1", "u1", VIEW, T0, "ml-1")])
    stub = profile.stub()
    await stub.UpdateConsent(pb.UpdateConsentRequest(user_id="u1", consent={"personalization": 2},
                                                     update_mask={"paths": ["personalization"]}), timeout=5)
    plain = await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u1"), timeout=5)
    assert not plain.HasField("consent")
    served = await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u1", include_consent=True), timeout=5)
    assert served.features == plain.features and served.consent.personalization == 2
    assert served.consent.update_time.seconds > 0
    as_of = await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u1", include_consent=True,
                                                                 as_of_time=ts(T0)), timeout=5)
    assert as_of.features.total_event_count == 1 and as_of.consent.personalization == 2
    nobody = await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id="nobody", include_consent=True),
                                        timeout=5)
    assert nobody.missing and nobody.HasField("consent") and nobody.consent.personalization == 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # consent of another user is not read through features
        await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u2", include_consent=True),
                                   metadata=(("x-shopmesh-user-context", signer.sign("u1")),), timeout=5)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_the_as_of_path_agrees_with_the_online_path(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    rng = random.Random(7)
    events = [event(f"r{i}", f"u{rng.randint(1, 4)}", rng.choice([VIEW, CLICK, CART, PURCHASE]),
                    T0 - rng.randint(0, 10 * DAY), f"ml-{rng.randint(1, 20)}") for i in range(300)]
    rng.shuffle(events)  # out of event-time order
    for start in range(0, 300, 70):
        await ingest(profile, events[start:start + 70])
    stub = profile.stub()
    for user in ("u1", "u2", "u3", "u4"):
        online = (await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id=user), timeout=5)).features
        as_of = (await stub.GetUserFeatures(pb.GetUserFeaturesRequest(
            user_id=user, as_of_time=online.as_of_time), timeout=5)).features
        assert_close(online, as_of)
    ids = [f"ml-{i}" for i in range(1, 21)]
    online_items = await stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=ids), timeout=5)
    as_of_items = await stub.GetItemFeatures(pb.GetItemFeaturesRequest(
        item_ids=ids, as_of_time=online_items.results[0].features.as_of_time), timeout=5)
    for a, b in zip(online_items.results, as_of_items.results, strict=True):
        assert_close(a.features, b.features)


def assert_close(a: object, b: object) -> None:
    """Messages equal, with doubles within 1e-9 relative."""
    from google.protobuf.json_format import MessageToDict

    da, db = MessageToDict(a), MessageToDict(b)  # type: ignore[arg-type]
    assert _close(da, db), (da, db)


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)  # type: ignore[arg-type]
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


async def test_item_features_rates_trend_and_missing(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [event(f"v{i}", f"u{i}", VIEW, T0 - i * 60, "ml-1") for i in range(10)]
    events += [event(f"c{i}", f"u{i}", CLICK, T0 - i * 60 + 1, "ml-1") for i in range(3)]
    events += [event("p0", "u0", PURCHASE, T0, "ml-1"), event("old", "u9", VIEW, T0 - 20 * DAY, "ml-2")]
    await ingest(profile, events)
    reply = await profile.stub().GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=["ml-1", "ml-404", "ml-2",
                                                                                     "ml-3"]), timeout=5)
    one, missing, two, three = reply.results
    assert missing.missing and not one.missing and not three.missing
    assert math.isclose(one.features.view_to_click_rate, (3 + 1) / (10 + 10))
    assert math.isclose(one.features.click_to_purchase_rate, (1 + 1) / (3 + 10))
    assert one.features.trend > 1 > two.features.trend  # ml-1 is hot now, ml-2 was viewed 20 days ago
    assert one.features.popularity > two.features.popularity > 0 and three.features.popularity == 0
    assert math.isclose(three.features.view_to_click_rate, 0.1) and three.features.trend == pytest.approx(1.0)
    assert one.features.category_path == ["Movies", "Drama"] and one.features.price.currency_code == "USD"
    assert {c.event_type: c.count_1h for c in one.features.event_counts}[VIEW] == 10
    assert one.features.first_event_time.seconds == T0 - 9 * 60


async def test_popular_items_by_decayed_popularity(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [event(f"a{i}", f"u{i}", VIEW, T0, "ml-2") for i in range(5)]
    events += [event(f"b{i}", f"u{i}", VIEW, T0, "ml-3") for i in range(3)]
    events += [event(f"c{i}", f"u{i}", VIEW, T0 - 30 * DAY, "ml-4") for i in range(20)]
    events += [event(f"d{i}", f"u{i}", PURCHASE, T0, "ml-7") for i in range(9)]  # out of stock
    await ingest(profile, events)
    reply = await profile.stub().ListPopularItems(pb.ListPopularItemsRequest(limit=3), timeout=5)
    assert [i.item_id for i in reply.items] == ["ml-2", "ml-3", "ml-4"]
    assert math.isclose(reply.items[0].popularity, 5.0)
    with_oos = await profile.stub().ListPopularItems(pb.ListPopularItemsRequest(include_out_of_stock=True), timeout=5)
    assert with_oos.items[0].item_id == "ml-7"
    comedy = await profile.stub().ListPopularItems(pb.ListPopularItemsRequest(category_prefix="Movies/Comedy"),
                                                   timeout=5)
    assert [i.item_id for i in comedy.items] == ["ml-2", "ml-4"]


async def test_feature_reads_reject_bad_input(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    stub = profile.stub()
    cases = [
        stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id=""), timeout=5),
        stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u1", as_of_time=ts(now_s() + DAY)), timeout=5),
        stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=[]), timeout=5),
        stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=[f"ml-{i}" for i in range(1001)]), timeout=5),
        stub.ListPopularItems(pb.ListPopularItemsRequest(limit=501), timeout=5),
    ]
    for call in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_user_context_reads_only_its_own_features(profile: Running, signer) -> None:
    await load_catalogue(profile.stub("loader"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await profile.stub().GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u2"),
                                             metadata=(("x-shopmesh-user-context", signer.sign("u1")),), timeout=5)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_incremental_features_equal_a_rebuild_after_out_of_order_batches(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    rng = random.Random(11)
    kinds = [VIEW, VIEW, VIEW, CLICK, CART, PURCHASE, event_pb2.EVENT_TYPE_DWELL]
    events = [event(f"x{i}", f"u{rng.randint(1, 6)}", rng.choice(kinds), T0 - rng.randint(0, 9 * DAY),
                    f"ml-{rng.randint(1, 20)}") for i in range(600)]
    rng.shuffle(events)
    for start in range(0, 600, 90):
        await ingest(profile, events[start:start + 90])
    stub = profile.stub()
    users = [f"u{i}" for i in range(1, 7)]
    ids = [f"ml-{i}" for i in range(1, 21)]
    before = [await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id=u), timeout=5) for u in users]
    items_before = await stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=ids), timeout=5)
    counts = await profile.app.service.engine.rebuild()
    assert counts[0] == 600
    after = [await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id=u), timeout=5) for u in users]
    items_after = await stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=ids), timeout=5)
    for a, b in zip([*before, items_before], [*after, items_after], strict=True):
        assert_close(a, b)


@pytest.mark.parametrize("backend", ["postgres_redis"], indirect=True)  # SQLite has no Redis to lose
async def test_a_feature_store_outage_is_unavailable_not_internal(profile: Running, backend) -> None:
    assert backend.name == "postgres_redis"
    import redis.asyncio as aioredis

    await load_catalogue(profile.stub("loader"))
    store = profile.app.service.engine.features
    healthy = store._reader  # type: ignore[attr-defined]
    store._reader = aioredis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)  # type: ignore[attr-defined]
    try:
        for call in (profile.stub().GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u1"), timeout=5),
                     profile.stub().GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=["ml-1"]), timeout=5)):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await store._reader.aclose()  # type: ignore[attr-defined]
        store._reader = healthy  # type: ignore[attr-defined]


async def test_a_million_ids_are_refused_at_once_with_few_violations(profile: Running) -> None:
    """Found by fuzzing: a million malformed item ids made GetItemFeatures check each and build a violation (and
    an ErrorInfo metadata entry) per id, 4.5 s of a 5 s deadline. The count is checked first, and no
    INVALID_ARGUMENT carries over 100 violations."""
    import time

    from tests.grpc_errors import field_violations

    stub = profile.stub()
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as many:
        await stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=["bad id"] * 1_000_000), timeout=5)
    assert many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert list(field_violations(many.value)) == ["item_ids"]
    assert time.monotonic() - started < 2.5
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.GetItems(pb.GetItemsRequest(item_ids=["bad id"] * 1000), timeout=5)
    assert len(field_violations(bad.value)) == 100
