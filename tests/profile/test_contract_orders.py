"""Contract tests of the order mirror and the outbox through gRPC, on SQLite and on PostgreSQL + Redis, fed by
the order-history simulator's events for MovieLens purchases."""

from __future__ import annotations

import functools

import grpc
import pytest

from services.profile.convert_orders import order_event_to_pb
from services.profile.dataload import movielens_order_events
from services.profile.orders import OrderEventIn
from shopmesh.common.v1 import event_pb2, order_pb2
from shopmesh.data.fetch import fetch_datasets
from shopmesh.profile.v1 import profile_service_pb2 as pb
from tests.grpc_errors import field_violations
from tests.profile.conftest import Running

ACCEPTED, DUPLICATE, REJECTED = (event_pb2.EVENT_RESULT_STATUS_ACCEPTED, event_pb2.EVENT_RESULT_STATUS_DUPLICATE,
                                 event_pb2.EVENT_RESULT_STATUS_REJECTED)


@functools.cache
def simulated() -> list[OrderEventIn]:
    fetch_datasets(None)
    return movielens_order_events(None, limit=8000)


async def feed(running: Running, events: list[OrderEventIn]) -> list[object]:
    results = []
    for start in range(0, len(events), 1000):
        reply = await running.stub("orders").ApplyOrderEvents(pb.ApplyOrderEventsRequest(
            events=[order_event_to_pb(e) for e in events[start:start + 1000]]), timeout=20)
        results.extend(reply.results)
    return results


def _event(event_id: str, order_id: str, user: str, at: int, **payload: object) -> pb.OrderEvent:
    return pb.OrderEvent(order_event_id=event_id, order_id=order_id, user_id=user, event_time={"seconds": at},
                         **payload)  # type: ignore[arg-type]


def placed(order_id: str, user: str, at: int, total_micros: int = 20_000_000) -> pb.OrderEvent:
    money = {"currency_code": "USD", "amount_micros": total_micros}
    return _event(f"{order_id}-placed", order_id, user, at, placed={
        "catalog_id": "movielens", "lines": [{"line_id": "1", "item_id": "ml-1", "quantity": 1, "unit_price": money},
                                             {"line_id": "2", "item_id": "ml-2", "quantity": 1, "unit_price": money}],
        "subtotal": money, "total": money})


async def test_the_simulated_order_feed_is_mirrored(profile: Running) -> None:
    events = simulated()
    results = await feed(profile, events)
    assert [r.status for r in results].count(ACCEPTED) == len(events)  # the whole feed is a valid lifecycle
    again = await feed(profile, events[:500])
    assert {r.status for r in again} == {DUPLICATE}
    user = events[0].user_id
    stub = profile.stub()
    orders = (await stub.ListOrders(pb.ListOrdersRequest(user_id=user, page_size=100), timeout=5)).orders
    mine = [e for e in events if e.user_id == user]
    assert len(orders) == len({e.order_id for e in mine})
    assert [o.place_time.seconds for o in orders] == sorted((o.place_time.seconds for o in orders), reverse=True)
    detail = (await stub.GetOrder(pb.GetOrderRequest(user_id=user, order_id="#" + orders[-1].order_id.lower()),
                                  timeout=5)).order
    assert detail.synthetic and detail.timeline[0].type == order_pb2.ORDER_EVENT_TYPE_PLACED
    assert len(detail.timeline) == sum(1 for e in mine if e.order_id == detail.order_id)
    earned = sum(e.payload["points"] for e in mine if e.kind == "points_earned")  # type: ignore[misc]
    redeemed = sum(e.payload["points"] for e in mine if e.kind == "points_redeemed")  # type: ignore[misc]
    balance = await stub.GetPointsBalance(pb.GetPointsBalanceRequest(user_id=user), timeout=5)
    assert balance.balance_points == earned - redeemed >= 0
    refunded = next(e for e in events if e.kind == "refunded")
    refunds = await stub.GetRefundStatus(pb.GetRefundStatusRequest(user_id=refunded.user_id,
                                                                   order_id=refunded.order_id), timeout=5)
    assert refunds.refunds[0].status == order_pb2.REFUND_STATUS_ISSUED
    assert refunds.refunds[0].amount.amount_micros == refunded.payload["amount"]["amount_micros"]  # type: ignore[index]
    other = next(e.user_id for e in events if e.user_id != user)
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await stub.GetOrder(pb.GetOrderRequest(user_id=other, order_id=orders[0].order_id), timeout=5)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND  # another user's order does not exist for you


async def test_lifecycle_violations_are_rejected_and_the_rest_applied(profile: Running) -> None:
    at = 890_000_000
    reply = await profile.stub("orders").ApplyOrderEvents(pb.ApplyOrderEventsRequest(events=[
        placed("A20001", "u1", at),
        _event("s-early", "A20001", "u1", at + 1, shipped={"shipment_id": "1", "carrier": "DHL"}),
        _event("r-unpaid", "A20001", "u1", at + 2, refunded={"amount": {"currency_code": "USD",
                                                                        "amount_micros": 1}}),
        _event("redeem", "A20001", "u1", at + 3, points_redeemed={"points": 50}),
        _event("paid", "A20001", "u1", at + 4, paid={"payment_method": 1}),
        _event("earn", "A20001", "u1", at + 5, points_earned={"points": 20}),
        _event("ghost", "A29999", "u1", at + 6, paid={"payment_method": 1}),
        _event("thief", "A20001", "u2", at + 7, points_earned={"points": 5}),
        _event("bad-id", "B1", "u1", at + 8, paid={}),
    ]), timeout=5)
    reasons = {r.event_id: (r.status, [v.reason for v in r.violations]) for r in reply.results}
    assert reasons["A20001-placed"][0] == reasons["paid"][0] == reasons["earn"][0] == ACCEPTED
    for event_id, reason in (("s-early", "INVALID_TRANSITION"), ("r-unpaid", "INVALID_TRANSITION"),
                             ("redeem", "INVALID_TRANSITION"), ("ghost", "UNKNOWN_ORDER"),
                             ("thief", "USER_MISMATCH"), ("bad-id", "MALFORMED_ORDER_ID")):
        assert reasons[event_id] == (REJECTED, [reason]), event_id
    balance = await profile.stub().GetPointsBalance(pb.GetPointsBalanceRequest(user_id="u1"), timeout=5)
    assert balance.balance_points == 20 and balance.tier == "bronze" and balance.points_to_next_tier == 980
    empty = await profile.stub().GetPointsBalance(pb.GetPointsBalanceRequest(user_id="nobody"), timeout=5)
    assert empty.balance_points == 0
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await profile.stub("gateway").ApplyOrderEvents(pb.ApplyOrderEventsRequest(events=[placed("A20002", "u1",
                                                                                                at)]), timeout=5)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_cancellation_and_address_requests_go_to_the_outbox(profile: Running) -> None:
    at = 890_000_000
    await profile.stub("orders").ApplyOrderEvents(pb.ApplyOrderEventsRequest(events=[
        placed("A30001", "u1", at), _event("p1", "A30001", "u1", at + 1, paid={"payment_method": 2}),
        placed("A30002", "u1", at), _event("p2", "A30002", "u1", at + 1, paid={"payment_method": 2}),
        _event("s2", "A30002", "u1", at + 2, shipped={"shipment_id": "1", "carrier": "UPS"}),
    ]), timeout=5)
    stub = profile.stub()
    first = await stub.RequestCancellation(pb.RequestCancellationRequest(
        user_id="u1", order_id="A30001", line_ids=["2"], reason="changed my mind", request_id="req-1"), timeout=5)
    again = await stub.RequestCancellation(pb.RequestCancellationRequest(
        user_id="u1", order_id="A30001", line_ids=["2"], reason="changed my mind", request_id="req-1"), timeout=5)
    assert not first.duplicate and again.duplicate and again.entry.sequence == first.entry.sequence
    cases = [
        (pb.RequestCancellationRequest(user_id="u1", order_id="A30001", line_ids=["1"], request_id="req-1"),
         grpc.StatusCode.FAILED_PRECONDITION),  # REQUEST_ID_REUSED
        (pb.RequestCancellationRequest(user_id="u1", order_id="A30002", request_id="req-2"),
         grpc.StatusCode.FAILED_PRECONDITION),  # ORDER_ALREADY_SHIPPED
        (pb.RequestCancellationRequest(user_id="u1", order_id="A30001", line_ids=["9"], request_id="req-3"),
         grpc.StatusCode.INVALID_ARGUMENT),  # UNKNOWN_LINE
        (pb.RequestCancellationRequest(user_id="u2", order_id="A30001", request_id="req-4"),
         grpc.StatusCode.NOT_FOUND),
        (pb.RequestCancellationRequest(user_id="u1", order_id="A30001"), grpc.StatusCode.INVALID_ARGUMENT),
    ]
    for request, code in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RequestCancellation(request, timeout=5)
        assert caught.value.code() == code, request
    with pytest.raises(grpc.aio.AioRpcError) as plain:
        await stub.RequestAddressChange(pb.RequestAddressChangeRequest(
            user_id="u1", order_id="A30001", shipping_address_token="1 Main St", request_id="req-5"), timeout=5)
    assert plain.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # a clear address where a token belongs
    moved = await stub.RequestAddressChange(pb.RequestAddressChangeRequest(
        user_id="u1", order_id="A30001", shipping_address_token="tok_abc", destination_country_code="DE",
        request_id="req-6"), timeout=5)
    system = profile.stub("orders")
    pending = await system.ListOutboxEntries(pb.ListOutboxEntriesRequest(), timeout=5)
    assert [e.request_id for e in pending.entries] == ["req-1", "req-6"]
    assert pending.entries[1].shipping_address_token == "tok_abc"
    assert (await system.AckOutboxEntries(pb.AckOutboxEntriesRequest(sequences=[first.entry.sequence]),
                                          timeout=5)).acked_count == 1
    assert (await system.AckOutboxEntries(pb.AckOutboxEntriesRequest(sequences=[first.entry.sequence]),
                                          timeout=5)).acked_count == 0
    left = await system.ListOutboxEntries(pb.ListOutboxEntriesRequest(), timeout=5)
    assert [e.sequence for e in left.entries] == [moved.entry.sequence]
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.ListOutboxEntries(pb.ListOutboxEntriesRequest(), timeout=5)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    order = (await stub.GetOrder(pb.GetOrderRequest(user_id="u1", order_id="A30001"), timeout=5)).order
    assert [t.type for t in order.timeline][-2:] == [order_pb2.ORDER_EVENT_TYPE_CANCELLATION_REQUESTED,
                                                     order_pb2.ORDER_EVENT_TYPE_ADDRESS_CHANGE_REQUESTED]
    deleted = await stub.DeleteUser(pb.DeleteUserRequest(user_id="u1"), timeout=5)
    assert deleted.deleted_order_count == 2 and deleted.deleted_outbox_entry_count == 2


async def test_the_console_names_the_agent_and_purpose_and_no_one_else_may(profile: Running) -> None:
    await profile.stub("orders").ApplyOrderEvents(pb.ApplyOrderEventsRequest(events=[placed("A20077", "u7",
                                                                                           890_000_000)]), timeout=5)
    console = profile.stub("console")
    listed = await console.ListOrders(pb.ListOrdersRequest(user_id="u7", acting_agent_id="ada",
                                                           purpose="console.view_orders"), timeout=5)
    assert [o.order_id for o in listed.orders] == ["A20077"]
    for request, field in ((pb.ListOrdersRequest(user_id="u7", purpose="console.view_orders"), "acting_agent_id"),
                           (pb.ListOrdersRequest(user_id="u7", acting_agent_id="ada", purpose="console.anything"),
                            "purpose")):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await console.ListOrders(request, timeout=5)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in field_violations(refused.value)
    with pytest.raises(grpc.aio.AioRpcError) as pretending:
        await profile.stub("support").ListOrders(pb.ListOrdersRequest(user_id="u7", acting_agent_id="ada"), timeout=5)
    assert pretending.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "acting_agent_id" in field_violations(pretending.value)


async def test_page_tokens_out_of_the_stores_range_are_invalid(profile: Running) -> None:
    """Found by fuzzing: a ListOrders page token of 40 nines reached SQLite's OFFSET (OverflowError, INTERNAL);
    a negative one is an error on PostgreSQL."""
    stub = profile.stub()
    for token in ("9" * 40, "-5", str(2**63)):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListOrders(pb.ListOrdersRequest(user_id="u7", page_token=token), timeout=5)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, token
        assert "page_token" in field_violations(refused.value)


async def test_order_event_times_outside_the_timestamp_range_are_rejected(profile: Running) -> None:
    """The fuzzing suite's kind of input: an order event at 10^15 s overflowed the store's 64-bit microseconds,
    one past year 9999 was kept and then could not be written out as JSON by ListOrders (both INTERNAL)."""
    for at in (10**15, 253_402_300_800, -5):
        reply = await profile.stub("orders").ApplyOrderEvents(pb.ApplyOrderEventsRequest(
            events=[placed("A20088", "u8", at)]), timeout=5)
        assert [r.status for r in reply.results] == [REJECTED], at
        assert [v.reason for v in reply.results[0].violations] == ["OUT_OF_RANGE"], at
    listed = await profile.stub().ListOrders(pb.ListOrdersRequest(user_id="u8"), timeout=5)
    assert list(listed.orders) == []


async def test_a_payload_time_outside_the_timestamp_range_rejects_the_event(profile: Running) -> None:
    """The fuzzing suite's kind of input: a refund's expected_complete_time at 10^15 s (or with negative nanos)
    made json_format.MessageToDict raise while reading the request, and ApplyOrderEvents answered INTERNAL."""
    events = []
    for n, stamp in enumerate(({"seconds": 10**15}, {"seconds": 10, "nanos": -5})):
        event = _event(f"A20099-refund-{n}", "A20099", "u9", 890_000_000, refunded={"refund_id": "r1"})
        event.refunded.expected_complete_time.seconds = stamp["seconds"]
        event.refunded.expected_complete_time.nanos = stamp.get("nanos", 0)
        events.append(event)
    reply = await profile.stub("orders").ApplyOrderEvents(pb.ApplyOrderEventsRequest(
        events=[placed("A20099", "u9", 889_000_000), *events]), timeout=5)
    assert [r.status for r in reply.results] == [ACCEPTED, REJECTED, REJECTED]
    assert [v.reason for r in reply.results[1:] for v in r.violations] == ["INVALID_TIMESTAMP"] * 2
