"""Protobuf <-> domain conversions of the order RPCs (json_format plus the time and int64 fields)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, timestamp_pb2

from services.profile.order_service import ADDRESS_CHANGE, OutboxEntry
from services.profile.orders import OrderEventIn, Points, public_order
from shopmesh.common.v1 import order_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb

_INT_KEYS = frozenset({"amount_micros", "points", "quantity", "payment_method"})


def _to_domain(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _to_domain(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_domain(v) for v in value]
    if key.endswith("_time") and isinstance(value, str):
        ts = timestamp_pb2.Timestamp()
        ts.FromJsonString(value)
        return ts.seconds * 1_000_000 + ts.nanos // 1000
    if key in _INT_KEYS:
        return int(value)
    return value


def _to_json(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _to_json(v, k) for k, v in value.items() if not (k.endswith("_time") and not v)}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if key.endswith("_time") and isinstance(value, int):
        ts = timestamp_pb2.Timestamp(seconds=value // 1_000_000, nanos=(value % 1_000_000) * 1000)
        return ts.ToJsonString()
    return value


def order_event_from_pb(e: pb.OrderEvent) -> OrderEventIn:
    """An order event with its payload as a plain dict."""
    kind = e.WhichOneof("payload") or ""
    payload: dict[str, Any] = {}
    error = ""
    if kind:
        try:
            payload = _to_domain(json_format.MessageToDict(getattr(e, kind), preserving_proto_field_name=True,
                                                           use_integers_for_enums=True))
        except (json_format.Error, ValueError):
            # A Timestamp outside years 1-9999 or with nanos out of range: the shape check rejects the event.
            error = "a time in the payload is outside years 1-9999 or its nanos are out of range"
    return OrderEventIn(order_event_id=e.order_event_id, order_id=e.order_id, user_id=e.user_id,
                        event_time_us=e.event_time.seconds * 1_000_000 + e.event_time.nanos // 1000
                        if e.HasField("event_time") else 0, synthetic=e.synthetic, kind=kind, payload=payload,
                        payload_error=error)


def order_to_pb(order: dict[str, Any]) -> order_pb2.Order:
    """common.v1.Order from the mirror's dict."""
    return json_format.ParseDict(_to_json(public_order(order)), order_pb2.Order(), ignore_unknown_fields=True)


def refund_to_pb(refund: dict[str, Any]) -> order_pb2.Refund:
    """common.v1.Refund."""
    return json_format.ParseDict(_to_json(refund), order_pb2.Refund(), ignore_unknown_fields=True)


def outbox_to_pb(entry: OutboxEntry) -> pb.OutboxEntry:
    """profile.v1.OutboxEntry."""
    message = pb.OutboxEntry(
        sequence=entry.sequence, request_id=entry.request_id, kind=entry.kind,  # type: ignore[arg-type]
        user_id=entry.user_id, order_id=entry.order_id, line_ids=entry.doc.get("line_ids", []),
        reason=entry.doc.get("reason", ""),
        shipping_address_token=entry.doc.get("shipping_address_token", "") if entry.kind == ADDRESS_CHANGE else "")
    message.create_time.FromMicroseconds(entry.create_time_us)
    if entry.ack_time_us is not None:
        message.ack_time.FromMicroseconds(entry.ack_time_us)
    return message


def points_to_pb(points: Points, tier: str, to_next: int) -> pb.GetPointsBalanceResponse:
    """GetPointsBalanceResponse (no expiry policy: nothing expires)."""
    reply = pb.GetPointsBalanceResponse(balance_points=points.balance, tier=tier, points_to_next_tier=to_next)
    for kind, delta, order_id, at in points.history[:20]:
        tx = reply.recent_transactions.add(kind=kind, points_delta=delta, order_id=order_id)
        tx.event_time.FromMicroseconds(at)
    return reply


def order_event_to_pb(e: OrderEventIn) -> pb.OrderEvent:
    """The wire form of an order event (loaders and tests send the simulator's events with it)."""
    message = json_format.ParseDict({e.kind: _to_json(e.payload)}, pb.OrderEvent())
    message.order_event_id, message.order_id, message.user_id = e.order_event_id, e.order_id, e.user_id
    message.synthetic = e.synthetic
    message.event_time.FromMicroseconds(e.event_time_us)
    return message
