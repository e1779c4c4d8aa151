"""Folds order events into per-user order states and a points balance, checking every transition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shopmesh.data.order_events import (
    Cancelled,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    Paid,
    PaymentMethod,
    Placed,
    Points,
    Refund,
    ReturnLine,
    ReturnRequested,
    Shipped,
)


class OrderStatus(StrEnum):
    """Where an order's lifecycle stands."""

    PLACED = "placed"
    PAID = "paid"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURN_REQUESTED = "return_requested"
    RETURNED = "returned"
    """The returned parcel reached the warehouse."""


class RefundStatus(StrEnum):
    """Where an order's refund stands."""

    NONE = "none"
    PENDING = "pending"
    """Initiated by the shop; the money has not reached the customer yet."""
    COMPLETED = "completed"


class OrderHistoryError(ValueError):
    """An event breaks the order lifecycle (e.g. shipped before paid, refund above what was paid)."""


@dataclass
class Order:
    """One order's state after the events folded so far."""

    order_id: str
    user_id: int
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    payment_method: PaymentMethod
    currency: str
    subtotal_cents: int
    shipping_cents: int
    points_discount_cents: int
    total_cents: int
    status: OrderStatus = OrderStatus.PLACED
    paid_cents: int = 0
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    return_requested_at: datetime | None = None
    returned_lines: tuple[ReturnLine, ...] = ()
    return_reason: str | None = None
    refund_status: RefundStatus = RefundStatus.NONE
    refund_pending_cents: int = 0
    refunded_cents: int = 0
    refund_expected_by: datetime | None = None
    points_earned: int = 0
    points_redeemed: int = 0
    events: list[OrderEvent] = field(default_factory=list)
    """The order's timeline, oldest first."""


@dataclass
class UserOrders:
    """A user's orders (in placement order) and membership points balance."""

    user_id: int
    orders: dict[str, Order] = field(default_factory=dict)
    points_balance: int = 0

    def latest(self) -> Order | None:
        """The most recently placed order, if any."""
        return next(reversed(self.orders.values()), None)


_CREDITS = {OrderEventKind.POINTS_EARNED, OrderEventKind.POINTS_RESTORED}
_DEBITS = {OrderEventKind.POINTS_REDEEMED, OrderEventKind.POINTS_REVERSED}


def _fail(event: OrderEvent, why: str) -> OrderHistoryError:
    return OrderHistoryError(f"{event.event_id} ({event.kind.value} of {event.order_id}): {why}")


def _apply(order: Order, event: OrderEvent) -> None:
    kind, payload, at = event.kind, event.payload, event.event_time
    status = order.status
    if kind is OrderEventKind.PAID and isinstance(payload, Paid):
        if status is not OrderStatus.PLACED:
            raise _fail(event, f"paid while {status.value}")
        order.status, order.paid_at, order.paid_cents = OrderStatus.PAID, at, payload.amount_cents
    elif kind is OrderEventKind.CANCELLED and isinstance(payload, Cancelled):
        if status not in (OrderStatus.PLACED, OrderStatus.PAID):
            raise _fail(event, f"cancelled while {status.value}: only before shipment")
        order.status, order.cancelled_at, order.cancel_reason = OrderStatus.CANCELLED, at, payload.reason
    elif kind is OrderEventKind.SHIPPED and isinstance(payload, Shipped):
        if status is not OrderStatus.PAID:
            raise _fail(event, f"shipped while {status.value}: only paid orders ship")
        order.status, order.shipped_at = OrderStatus.SHIPPED, at
        order.carrier, order.tracking_number = payload.carrier, payload.tracking_number
        order.estimated_delivery = payload.estimated_delivery
    elif kind is OrderEventKind.DELIVERED:
        if status is not OrderStatus.SHIPPED:
            raise _fail(event, f"delivered while {status.value}")
        order.status, order.delivered_at = OrderStatus.DELIVERED, at
    elif kind is OrderEventKind.RETURN_REQUESTED and isinstance(payload, ReturnRequested):
        if status is not OrderStatus.DELIVERED:
            raise _fail(event, f"return requested while {status.value}")
        order.status, order.return_requested_at = OrderStatus.RETURN_REQUESTED, at
        order.returned_lines, order.return_reason = payload.lines, payload.reason
    elif kind is OrderEventKind.RETURN_RECEIVED:
        if status is not OrderStatus.RETURN_REQUESTED:
            raise _fail(event, f"return received while {status.value}")
        order.status = OrderStatus.RETURNED
    elif kind is OrderEventKind.REFUND_INITIATED and isinstance(payload, Refund):
        if order.paid_at is None:
            raise _fail(event, "refund on an unpaid order")
        if order.refund_status is RefundStatus.PENDING:
            raise _fail(event, "a refund is already pending")
        if payload.amount_cents <= 0 or order.refunded_cents + payload.amount_cents > order.paid_cents:
            raise _fail(event, f"refund {payload.amount_cents} exceeds what is left of {order.paid_cents} paid")
        order.refund_status, order.refund_pending_cents = RefundStatus.PENDING, payload.amount_cents
        order.refund_expected_by = payload.expected_by
    elif kind is OrderEventKind.REFUNDED and isinstance(payload, Refund):
        if order.refund_status is not RefundStatus.PENDING or payload.amount_cents != order.refund_pending_cents:
            raise _fail(event, "refunded without a matching initiated refund")
        order.refund_status, order.refund_pending_cents = RefundStatus.COMPLETED, 0
        order.refunded_cents += payload.amount_cents
    else:
        raise _fail(event, f"unexpected payload {type(payload).__name__}")


def fold_orders(events: Iterable[OrderEvent], as_of: datetime | None = None) -> dict[int, UserOrders]:
    """Per-user order states and points balances from events, validating the lifecycle as it goes.

    Args:
        events: order events in any order; they are applied in (event_time, event_id) order.
        as_of: only events at or before this time count (a replay's "now"); all when None.

    Returns:
        UserOrders per user id.

    Raises:
        OrderHistoryError: an event breaks the lifecycle: any transition but placed → paid → shipped →
            delivered → return requested → returned, cancellation after shipment, a refund on an unpaid
            order or above what was paid, a negative points balance, or a `balance_after` that disagrees.
    """
    users: dict[int, UserOrders] = {}
    selected = (e for e in events if as_of is None or e.event_time <= as_of)
    for event in sorted(selected, key=lambda e: (e.event_time, e.event_id)):
        user = users.setdefault(event.user_id, UserOrders(event.user_id))
        payload = event.payload
        if event.kind is OrderEventKind.PLACED:
            if not isinstance(payload, Placed) or event.order_id in user.orders:
                raise _fail(event, "duplicate order id or malformed placed event")
            user.orders[event.order_id] = Order(
                event.order_id, event.user_id, event.event_time, payload.lines, payload.payment_method,
                payload.currency, payload.subtotal_cents, payload.shipping_cents, payload.points_discount_cents,
                payload.total_cents, events=[event],
            )  # fmt: skip
            continue
        order = user.orders.get(event.order_id)
        if order is None:
            raise _fail(event, "event for an order that was never placed (for this user)")
        order.events.append(event)
        if isinstance(payload, Points):
            delta = payload.points if event.kind in _CREDITS else -payload.points
            if event.kind not in _CREDITS | _DEBITS or payload.points <= 0:
                raise _fail(event, "malformed points event")
            user.points_balance += delta
            if user.points_balance < 0 or user.points_balance != payload.balance_after:
                raise _fail(event, f"balance {user.points_balance} (event says {payload.balance_after})")
            if event.kind is OrderEventKind.POINTS_EARNED:
                order.points_earned += payload.points
            elif event.kind is OrderEventKind.POINTS_REDEEMED:
                order.points_redeemed += payload.points
            continue
        _apply(order, event)
    return users
