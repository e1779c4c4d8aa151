"""The order mirror: folds the shop's order events into per-order state and per-user points.

Orders are plain dicts shaped like shopmesh.common.v1.Order (snake_case field names, money as
{"currency_code", "amount_micros"}, times as integer microseconds under the proto's `*_time` names), so the
servicer converts them with json_format and the stores keep them as JSON. Each event is judged on its own
(ApplyOrderEvents' contract): one that would break the lifecycle is rejected with INVALID_TRANSITION and the
others are applied. Points balances never go negative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from services.profile.model import ID_RULE, Violation, valid_id

PLACED, PAID, PARTIALLY_SHIPPED, SHIPPED, DELIVERED, CANCELLED, RETURN_REQUESTED, PARTIALLY_REFUNDED, REFUNDED = \
    range(1, 10)
REFUND_PENDING, REFUND_ISSUED = 1, 2
TIMELINE = {"placed": 1, "paid": 2, "shipped": 3, "delivered": 4, "cancelled": 5, "return_requested": 6,
            "refunded": 7, "points_earned": 8, "points_redeemed": 9, "address_changed": 10}
ORDER_ID = re.compile(r"A\d{5}")
MAX_EVENT_TIME_US = 253_402_300_799_999_999
"""9999-12-31T23:59:59.999999Z, the last time a google.protobuf.Timestamp (and its JSON form) can hold."""
TIERS = (("bronze", 0), ("silver", 1_000), ("gold", 5_000), ("platinum", 20_000))
"""Membership tiers by points earned over the membership (not the spendable balance)."""
NOT_SHIPPED = (PLACED, PAID)


def normalise_order_id(raw: str) -> str | None:
    """"#a10023" -> "A10023"; None when it is not "A" + five digits."""
    text = raw.strip().lstrip("#").upper()
    return text if ORDER_ID.fullmatch(text) else None


@dataclass
class OrderEventIn:
    """One order event from the shop (payload: the set oneof field, snake_case, money amounts as int)."""

    order_event_id: str
    order_id: str
    user_id: str
    event_time_us: int
    synthetic: bool
    kind: str
    payload: dict[str, Any]
    payload_error: str = ""
    """Why the payload could not be read (e.g. a Timestamp out of range); the event is then rejected."""


@dataclass
class Points:
    """A user's points: spendable balance, lifetime earned, latest transactions (newest first)."""

    balance: int = 0
    earned: int = 0
    history: list[list[Any]] = field(default_factory=list)
    """[kind, delta, order_id, event_time_us]; kind 1 EARNED, 2 REDEEMED, 4 REVERSED."""


class Rejected(Exception):
    """The event breaks the lifecycle; carries the field violation."""

    def __init__(self, field_path: str, reason: str, description: str):
        super().__init__(description)
        self.violation = Violation(field_path, reason, description)


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"currency_code": currency, "amount_micros": amount}


def _amount(money: dict[str, Any] | None) -> int:
    return int((money or {}).get("amount_micros", 0))


def validate_order_event(e: OrderEventIn, index: int) -> list[Violation]:
    """Shape checks of one event (lifecycle checks come when it is applied)."""
    p = f"events[{index}]"
    out = []
    if not e.order_event_id:
        out.append(Violation(f"{p}.order_event_id", "REQUIRED", "every order event needs an id"))
    if normalise_order_id(e.order_id) is None:
        out.append(Violation(f"{p}.order_id", "MALFORMED_ORDER_ID", '"A" followed by five digits'))
    if not valid_id(e.user_id):
        out.append(Violation(f"{p}.user_id", "MALFORMED_ID", ID_RULE))
    if not e.kind:
        out.append(Violation(f"{p}.payload", "REQUIRED", "exactly one payload must be set"))
    elif e.payload_error:
        out.append(Violation(f"{p}.payload", "INVALID_TIMESTAMP", e.payload_error))
    if not e.event_time_us:
        out.append(Violation(f"{p}.event_time", "REQUIRED", "set the event time"))
    elif not 0 < e.event_time_us <= MAX_EVENT_TIME_US:
        # Past it the stores overflow (64-bit microseconds) or the order's JSON times cannot be written.
        out.append(Violation(f"{p}.event_time", "OUT_OF_RANGE", "a time after 1970 and before year 10000"))
    return out


def _line_ids(order: dict[str, Any], wanted: list[str], path: str) -> list[str]:
    known = {line["line_id"] for line in order["lines"]}
    unknown = [x for x in wanted if x not in known]
    if unknown:
        raise Rejected(path, "UNKNOWN_LINE", "the order has no such line")
    return wanted or [line["line_id"] for line in order["lines"] if not line.get("cancelled")]


def _paid_amount(order: dict[str, Any]) -> int:
    return _amount(order.get("total")) if order.get("pay_time") else 0


def _refunded(order: dict[str, Any]) -> int:
    return sum(_amount(r["amount"]) for r in order["refunds"] if r["status"] == REFUND_ISSUED)


def _timeline(order: dict[str, Any], e: OrderEventIn, summary: str) -> None:
    order["timeline"].append({"type": TIMELINE[e.kind], "event_time": e.event_time_us, "summary": summary,
                              "source_event_id": e.order_event_id})
    order["update_time"] = max(order.get("update_time", 0), e.event_time_us)


def _placed(e: OrderEventIn) -> tuple[dict[str, Any], str]:
    p = e.payload
    lines = [{"line_id": line.get("line_id") or str(i + 1), "item_id": line.get("item_id", ""),
              "title": line.get("title", ""), "quantity": int(line.get("quantity", 1) or 1),
              "unit_price": line.get("unit_price") or {}, "size": line.get("size", "")}
             for i, line in enumerate(p.get("lines", []))]
    order = {"order_id": e.order_id, "status": PLACED, "catalog_id": p.get("catalog_id", ""),
             "place_time": e.event_time_us, "update_time": e.event_time_us, "lines": lines,
             "subtotal": p.get("subtotal") or {}, "shipping_fee": p.get("shipping_fee") or {},
             "discount": p.get("discount") or {}, "total": p.get("total") or {},
             "coupon_code": str(p.get("coupon_code", "")).upper(),
             "destination_country_code": p.get("destination_country_code", ""), "shipments": [], "refunds": [],
             "points_earned": 0, "points_redeemed": 0, "timeline": [], "synthetic": e.synthetic,
             "user_id": e.user_id, "shipping_address_token": p.get("shipping_address_token", ""),
             "payment_method": 0}
    return order, f"Order placed ({len(lines)} item{'s' if len(lines) != 1 else ''})"


def apply_event(e: OrderEventIn, order: dict[str, Any] | None, points: Points, index: int) -> dict[str, Any]:
    """Applies one event; returns the order after it. Raises Rejected on a lifecycle violation."""
    p = f"events[{index}]"
    if e.kind == "placed":
        if order is not None:
            raise Rejected(f"{p}.payload", "INVALID_TRANSITION", "the order was placed already")
        order, summary = _placed(e)
        _timeline(order, e, summary)
        return order
    if order is None:
        raise Rejected(f"{p}.order_id", "UNKNOWN_ORDER", "no placed order with this id")
    if order["user_id"] != e.user_id:
        raise Rejected(f"{p}.user_id", "USER_MISMATCH", "the order belongs to another user")
    _HANDLERS[e.kind](order, e, points, p)
    return order


def _paid(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    if order["status"] != PLACED:
        raise Rejected(f"{p}.payload", "INVALID_TRANSITION", "only a placed, unpaid order can be paid")
    order.update(status=PAID, pay_time=e.event_time_us, payment_method=int(e.payload.get("payment_method", 0)))
    _timeline(order, e, "Payment received")


def _shipped(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    pay = e.payload
    if order["status"] not in (PAID, PARTIALLY_SHIPPED):
        raise Rejected(f"{p}.payload", "INVALID_TRANSITION", "a shipment needs a paid, unshipped order")
    shipped = {x for s in order["shipments"] for x in s["line_ids"]}
    lines = [x for x in _line_ids(order, list(pay.get("line_ids", [])), f"{p}.payload.line_ids") if x not in shipped]
    order["shipments"].append({
        "shipment_id": pay.get("shipment_id") or str(len(order["shipments"]) + 1),
        "carrier": pay.get("carrier", ""), "tracking_number": pay.get("tracking_number", ""),
        "tracking_url": pay.get("tracking_url", ""), "line_ids": lines, "ship_time": e.event_time_us,
        "estimated_delivery_time": int(pay.get("estimated_delivery_time", 0))})
    live = {x["line_id"] for x in order["lines"] if not x.get("cancelled")}
    order["status"] = SHIPPED if live <= shipped | set(lines) else PARTIALLY_SHIPPED
    _timeline(order, e, f"Shipped with {pay.get('carrier', 'the carrier')} (tracking {pay.get('tracking_number', '')})")


def _delivered(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    shipment = next((s for s in order["shipments"] if s["shipment_id"] == e.payload.get("shipment_id")), None)
    if shipment is None or shipment.get("deliver_time"):
        raise Rejected(f"{p}.payload.shipment_id", "INVALID_TRANSITION", "no such shipment in transit")
    shipment["deliver_time"] = e.event_time_us
    if order["status"] == SHIPPED and all(s.get("deliver_time") for s in order["shipments"]):
        order["status"] = DELIVERED
    _timeline(order, e, "Delivered")


def _cancelled(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    if order["status"] not in NOT_SHIPPED:
        raise Rejected(f"{p}.payload", "INVALID_TRANSITION", "only orders not yet shipped can be cancelled")
    wanted = set(_line_ids(order, list(e.payload.get("line_ids", [])), f"{p}.payload.line_ids"))
    for line in order["lines"]:
        if line["line_id"] in wanted:
            line["cancelled"] = True
    if all(line.get("cancelled") for line in order["lines"]):
        order["status"] = CANCELLED
    if order.get("pay_time"):
        order["refunds"].append({"refund_id": "", "order_id": order["order_id"], "status": REFUND_PENDING,
                                 "amount": order["total"], "payment_method": order["payment_method"],
                                 "line_ids": sorted(wanted), "request_time": e.event_time_us,
                                 "reason": "cancelled before shipment"})
    _timeline(order, e, f"Cancelled ({e.payload.get('reason') or 'cancelled'})")


def _return_requested(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    if order["status"] not in (DELIVERED, RETURN_REQUESTED, PARTIALLY_REFUNDED):
        raise Rejected(f"{p}.payload", "INVALID_TRANSITION", "only delivered orders can be returned")
    lines = _line_ids(order, list(e.payload.get("line_ids", [])), f"{p}.payload.line_ids")
    order["refunds"].append({"refund_id": "", "order_id": order["order_id"], "status": REFUND_PENDING,
                             "amount": _money(0, order["total"].get("currency_code", "")),
                             "payment_method": order["payment_method"], "line_ids": lines,
                             "request_time": e.event_time_us, "reason": e.payload.get("reason") or "return"})
    order["status"] = RETURN_REQUESTED
    _timeline(order, e, "Return requested")


def _refunded_event(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    pay = e.payload
    amount = _amount(pay.get("amount"))
    if not order.get("pay_time") or amount <= 0 or amount > _paid_amount(order) - _refunded(order):
        raise Rejected(f"{p}.payload.amount", "INVALID_TRANSITION",
                       "a refund needs a paid order and may not exceed what is left to refund")
    refund = next((r for r in order["refunds"] if r["status"] == REFUND_PENDING), None)
    if refund is None:
        refund = {"order_id": order["order_id"], "payment_method": order["payment_method"],
                  "line_ids": list(pay.get("line_ids", [])), "request_time": e.event_time_us, "reason": "refund"}
        order["refunds"].append(refund)
    refund.update(refund_id=pay.get("refund_id", ""), status=REFUND_ISSUED, amount=pay.get("amount"),
                  issue_time=e.event_time_us, expected_complete_time=int(pay.get("expected_complete_time", 0)))
    if order["status"] != CANCELLED:
        order["status"] = REFUNDED if _refunded(order) >= _paid_amount(order) else PARTIALLY_REFUNDED
    _timeline(order, e, "Refund issued")


def _points(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    n = int(e.payload.get("points", 0))
    if n <= 0:
        raise Rejected(f"{p}.payload.points", "INVALID_TRANSITION", "points must be positive")
    earned = e.kind == "points_earned"
    if not earned and n > points.balance:
        raise Rejected(f"{p}.payload.points", "INVALID_TRANSITION", "more points than the balance")
    points.balance += n if earned else -n
    points.earned += n if earned else 0
    points.history.insert(0, [1 if earned else 2, n if earned else -n, order["order_id"], e.event_time_us])
    del points.history[100:]
    order["points_earned" if earned else "points_redeemed"] += n
    _timeline(order, e, f"{n} points {'earned' if earned else 'redeemed'}")


def _address_changed(order: dict[str, Any], e: OrderEventIn, points: Points, p: str) -> None:
    if order["status"] not in NOT_SHIPPED:
        raise Rejected(f"{p}.payload", "INVALID_TRANSITION", "the address can change only before shipment")
    order["shipping_address_token"] = e.payload.get("shipping_address_token", "")
    order["destination_country_code"] = e.payload.get("destination_country_code", "")
    _timeline(order, e, "Shipping address changed")


_HANDLERS = {"paid": _paid, "shipped": _shipped, "delivered": _delivered, "cancelled": _cancelled,
             "return_requested": _return_requested, "refunded": _refunded_event, "points_earned": _points,
             "points_redeemed": _points, "address_changed": _address_changed}


def tier_of(earned: int) -> tuple[str, int]:
    """(tier name, points to the next tier) for lifetime points earned."""
    name, needed = TIERS[0][0], 0
    for i, (tier, floor) in enumerate(TIERS):
        if earned >= floor:
            name = tier
            needed = TIERS[i + 1][1] - earned if i + 1 < len(TIERS) else 0
    return name, needed


def public_order(order: dict[str, Any]) -> dict[str, Any]:
    """The order as common.v1.Order (without the mirror's own fields)."""
    return {k: v for k, v in order.items() if k not in ("user_id", "shipping_address_token")}
