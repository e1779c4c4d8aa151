"""Contract tests of the event log through the real gRPC service, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from shopmesh.common.v1 import event_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb
from tests.grpc_errors import field_violations as bad_request
from tests.profile.conftest import Running
from tests.profile.helpers import CLICK, PURCHASE, SEARCH, T0, VIEW, event, load_catalogue, now_s, ts

ACCEPTED, DUPLICATE, REJECTED, DISCARDED = (event_pb2.EVENT_RESULT_STATUS_ACCEPTED,
                                            event_pb2.EVENT_RESULT_STATUS_DUPLICATE,
                                            event_pb2.EVENT_RESULT_STATUS_REJECTED,
                                            event_pb2.EVENT_RESULT_STATUS_DISCARDED_NO_CONSENT)



async def read_all(running: Running, **fields: object) -> list[pb.Event]:
    """Every event ReadEvents returns (as the trainer identity)."""
    out: list[pb.Event] = []
    async for batch in running.stub("trainer").ReadEvents(pb.ReadEventsRequest(**fields), timeout=10):  # type: ignore[arg-type]
        out.extend(batch.events)
    return out


async def test_valid_events_are_acknowledged_durably_and_readable(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [event(f"e{i}", "u1", VIEW, T0 + i, f"ml-{i % 5 + 1}") for i in range(10)]
    reply = await profile.stub().IngestEvents(pb.IngestEventsRequest(events=events), timeout=5)
    assert reply.accepted_count == 10 and [r.status for r in reply.results] == [ACCEPTED] * 10
    logged = await read_all(profile)
    assert [e.event_id for e in logged] == [f"e{i}" for i in range(10)]
    assert all(e.sequence > 0 and e.ingest_time.seconds > 0 for e in logged)


async def test_a_retried_batch_is_not_counted_twice(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [event(f"r{i}", "u2", CLICK, T0 + i, "ml-3") for i in range(5)]
    first = await profile.stub().IngestEvents(pb.IngestEventsRequest(events=events), timeout=5)
    again = await profile.stub().IngestEvents(pb.IngestEventsRequest(events=events + events[:1]), timeout=5)
    assert first.accepted_count == 5
    assert again.accepted_count == 0 and again.duplicate_count == 6
    await profile.app.service.engine.drain()
    features = await profile.stub().GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u2"), timeout=5)
    assert features.features.total_event_count == 5
    assert len(await read_all(profile)) == 5


async def test_a_partly_bad_batch_writes_the_good_events_and_reports_each_bad_one(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [
        event("ok1", "u3", VIEW, T0, "ml-1"),
        event("future", "u3", VIEW, now_s() + 3600, "ml-1"),
        event("unknown-item", "u3", VIEW, T0, "ml-999"),
        pb.Event(event_id="no-type", user_id="u3", event_time=ts(T0), item_id="ml-1",
                 origin=pb.EVENT_ORIGIN_DATASET_REPLAY),
        event("bad user", "u 3", VIEW, T0, "ml-1"),
        event("ok2", "u3", SEARCH, T0 + 1, redacted_query="red shoes"),
        event("search-no-query", "u3", SEARCH, T0 + 2),
        event("impression", "u3", event_pb2.EVENT_TYPE_IMPRESSION, T0, "ml-1"),
        event("old", "u3", VIEW, T0, "ml-1", origin=pb.EVENT_ORIGIN_APP),
        event("neg-dwell", "u3", event_pb2.EVENT_TYPE_DWELL, T0, "ml-1", dwell_ms=-5),
    ]
    reply = await profile.stub("support").IngestEvents(pb.IngestEventsRequest(events=events), timeout=5)
    statuses = {r.event_id: (r.status, [(v.field, v.reason) for v in r.violations]) for r in reply.results}
    assert statuses["ok1"] == (ACCEPTED, []) and statuses["ok2"] == (ACCEPTED, [])
    assert statuses["future"] == (REJECTED, [("events[1].event_time", "EVENT_TIME_IN_FUTURE")])
    assert statuses["unknown-item"] == (REJECTED, [("events[2].item_id", "UNKNOWN_ITEM")])
    assert statuses["no-type"] == (REJECTED, [("events[3].event_type", "UNSPECIFIED")])
    assert statuses["bad user"][1] == [("events[4].event_id", "MALFORMED_ID"), ("events[4].user_id", "MALFORMED_ID")]
    assert statuses["search-no-query"] == (REJECTED, [("events[6].redacted_query", "REQUIRED")])
    assert statuses["impression"] == (REJECTED, [("events[7].event_type", "SERVER_ONLY")])
    assert statuses["old"] == (REJECTED, [("events[8].event_time", "EVENT_TIME_TOO_OLD")])
    assert statuses["neg-dwell"] == (REJECTED, [("events[9].dwell_ms", "NEGATIVE")])
    assert reply.accepted_count == 2 and reply.rejected_count == 8
    assert sorted(e.event_id for e in await read_all(profile)) == ["ok1", "ok2"]


async def test_all_or_nothing_rejects_the_batch_with_every_violation_and_writes_nothing(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [event("a1", "u4", VIEW, T0, "ml-1"), event("a2", "u4", VIEW, now_s() + 3600, "ml-1"),
              event("a3", "u4", VIEW, T0, "nope")]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await profile.stub().IngestEvents(pb.IngestEventsRequest(events=events, all_or_nothing=True), timeout=5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = bad_request(caught.value)
    assert set(violations) == {"events[1].event_time", "events[2].item_id"}
    assert violations["events[1].event_time"].startswith("EVENT_TIME_IN_FUTURE")
    assert await read_all(profile) == []


@pytest.mark.parametrize("count", [0, 1001])
async def test_empty_and_oversize_batches_are_invalid_argument(profile: Running, count: int) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [event(f"o{i}", "u5", VIEW, T0, "ml-1") for i in range(count)]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await profile.stub().IngestEvents(pb.IngestEventsRequest(events=events), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request(caught.value)["events"].startswith("EMPTY" if count == 0 else "TOO_MANY")


async def test_events_of_users_without_consent_are_discarded(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    await profile.stub().UpdateConsent(pb.UpdateConsentRequest(
        user_id="u6", consent={"personalization": 2}, update_mask={"paths": ["personalization"]}), timeout=5)
    reply = await profile.stub().IngestEvents(pb.IngestEventsRequest(events=[
        event("c1", "u6", VIEW, T0, "ml-1"), event("c2", "u7", VIEW, T0, "ml-1")]), timeout=5)
    assert [r.status for r in reply.results] == [DISCARDED, ACCEPTED]
    assert [e.user_id for e in await read_all(profile)] == ["u7"]


async def test_read_events_filters_pages_and_resumes(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    events = [event(f"p{i}", f"u{i % 3}", PURCHASE if i % 4 == 0 else VIEW, T0 + i, "ml-2") for i in range(30)]
    await profile.stub().IngestEvents(pb.IngestEventsRequest(events=events), timeout=5)
    stream = profile.stub("trainer").ReadEvents(pb.ReadEventsRequest(batch_size=7), timeout=5)
    first = await stream.read()
    await stream.done_writing() if hasattr(stream, "done_writing") else None
    stream.cancel()
    rest = await read_all(profile, batch_size=7, resume_token=first.resume_token)
    assert [e.event_id for e in [*first.events, *rest]] == [f"p{i}" for i in range(30)]
    window = await read_all(profile, start_time=ts(T0 + 10), end_time=ts(T0 + 20), event_types=[PURCHASE])
    assert [e.event_id for e in window] == ["p12", "p16"]
    assert [e.event_id for e in await read_all(profile, user_ids=["u1"])][:2] == ["p1", "p4"]


async def test_read_events_is_for_training_identities_only(profile: Running) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in profile.stub("gateway").ReadEvents(pb.ReadEventsRequest(), timeout=5):
            pass
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_user_context_may_only_send_its_own_events(profile: Running, signer) -> None:
    await load_catalogue(profile.stub("loader"))
    token = signer.sign("u8")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await profile.stub().IngestEvents(pb.IngestEventsRequest(events=[event("x", "u9", VIEW, T0, "ml-1")]),
                                          metadata=(("x-shopmesh-user-context", token),), timeout=5)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    ok = await profile.stub().IngestEvents(pb.IngestEventsRequest(events=[event("y", "u8", VIEW, T0, "ml-1")]),
                                           metadata=(("x-shopmesh-user-context", token),), timeout=5)
    assert ok.accepted_count == 1


async def test_features_are_visible_within_one_second(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    await profile.stub().IngestEvents(pb.IngestEventsRequest(events=[event("v1", "u10", CLICK, T0, "ml-4")]),
                                      timeout=5)
    deadline = asyncio.get_running_loop().time() + 1.0
    while True:
        reply = await profile.stub().GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u10"), timeout=5)
        if not reply.missing:
            break
        assert asyncio.get_running_loop().time() < deadline, "features not visible within 1 s"
        await asyncio.sleep(0.02)
    assert reply.features.recent_items[0].item_id == "ml-4"


async def test_resume_tokens_out_of_the_stores_range_are_invalid(profile: Running) -> None:
    """The fuzzing suite's kind of input: a resume token whose numbers pass 64 bits reached SQLite (OverflowError)."""
    import base64

    for numbers in (f"{2**64}:1:1", f"1:{10**30}:1", "1:1:-1"):
        token = base64.urlsafe_b64encode(numbers.encode()).decode().rstrip("=")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await read_all(profile, resume_token=token)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, numbers


async def test_read_events_takes_any_int64_time_window(profile: Running) -> None:
    """Found by fuzzing: a start_time of 10^15 s became 10^21 us and SQLite raised OverflowError (INTERNAL).
    Times are clamped to 64-bit microseconds: a window after every event is empty, one before none is all."""
    await load_catalogue(profile.stub("loader"))
    await profile.stub().IngestEvents(pb.IngestEventsRequest(events=[event("w1", "u1", VIEW, T0, "ml-1")]), timeout=5)
    far = 2**63 - 1
    assert await read_all(profile, start_time=ts(10**15)) == []
    assert [e.event_id for e in await read_all(profile, end_time=ts(far))] == ["w1"]
    assert [e.event_id for e in await read_all(profile, start_time=ts(-far))] == ["w1"]


async def test_read_events_filters_are_bounded(profile: Running) -> None:
    """Found by fuzzing: a million user ids in the filter were each checked on the event loop (and turned into
    violations) until the service's health checks timed out; now TOO_MANY at once."""
    for fields, field in (({"user_ids": ["bad id"] * 1_000_000}, "user_ids"),
                          ({"event_types": [VIEW] * 1001}, "event_types")):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await read_all(profile, **fields)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(bad_request(refused.value)) == [field]
