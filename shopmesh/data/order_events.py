"""Typed order events, as a shop's order system would stream them (here produced by the simulator)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class PaymentMethod(StrEnum):
    """How an order was paid; refund timelines depend on it."""

    CARD = "card"
    PAYPAL = "paypal"
    ALIPAY = "alipay"
    WECHAT_PAY = "wechat_pay"


class OrderEventKind(StrEnum):
    """What happened to an order. Points events carry the user's balance after them."""

    PLACED = "placed"
    PAID = "paid"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURN_REQUESTED = "return_requested"
    RETURN_RECEIVED = "return_received"
    REFUND_INITIATED = "refund_initiated"
    REFUNDED = "refunded"
    POINTS_EARNED = "points_earned"
    POINTS_REDEEMED = "points_redeemed"
    POINTS_RESTORED = "points_restored"
    """Points redeemed on an order that was then cancelled, given back."""
    POINTS_REVERSED = "points_reversed"
    """Points earned on money that was refunded, taken back (never below a zero balance)."""


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product line of an order."""

    item_id: int
    qty: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        """qty × unit price."""
        return self.qty * self.unit_price_cents


@dataclass(frozen=True, slots=True)
class Placed:
    """Payload of `placed`: what was ordered and what it costs."""

    lines: tuple[OrderLine, ...]
    payment_method: PaymentMethod
    currency: str
    subtotal_cents: int
    shipping_cents: int
    points_discount_cents: int
    """Value of the points redeemed on this order (1 point = 1 cent)."""
    total_cents: int
    """subtotal + shipping − points discount: what the customer pays."""


@dataclass(frozen=True, slots=True)
class Paid:
    """Payload of `paid`."""

    amount_cents: int
    payment_method: PaymentMethod
    transaction_id: str


@dataclass(frozen=True, slots=True)
class Cancelled:
    """Payload of `cancelled`; orders are only cancelled before shipment."""

    reason: str
    before_payment: bool


@dataclass(frozen=True, slots=True)
class Shipped:
    """Payload of `shipped`."""

    carrier: str
    tracking_number: str
    estimated_delivery: datetime


@dataclass(frozen=True, slots=True)
class Delivered:
    """Payload of `delivered`."""

    carrier: str
    tracking_number: str


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """Units of one item sent back."""

    item_id: int
    qty: int


@dataclass(frozen=True, slots=True)
class ReturnRequested:
    """Payload of `return_requested` (and of `return_received`, when the parcel arrives at the warehouse)."""

    lines: tuple[ReturnLine, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Refund:
    """Payload of `refund_initiated` and `refunded`."""

    amount_cents: int
    payment_method: PaymentMethod
    reason: str
    """"cancellation" or "return"."""
    expected_by: datetime
    """Latest time the money should reach the customer, per the payment method's policy."""


@dataclass(frozen=True, slots=True)
class Points:
    """Payload of the four points events."""

    points: int
    """Always positive; the kind says whether it adds to or takes from the balance."""
    balance_after: int


OrderPayload = Placed | Paid | Cancelled | Shipped | Delivered | ReturnRequested | Refund | Points


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One event of one order, at its (synthetic) event time."""

    event_id: str
    """`<order id>-<sequence>`, unique, for idempotent ingestion."""
    kind: OrderEventKind
    order_id: str
    user_id: int
    event_time: datetime
    """Timezone-aware UTC, derived from the purchase interaction's time."""
    payload: OrderPayload

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: enums as their values, datetimes as ISO 8601 strings."""

        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, StrEnum):
                return value.value
            if isinstance(value, tuple | list):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return {
            "event_id": self.event_id,
            "kind": self.kind.value,
            "order_id": self.order_id,
            "user_id": self.user_id,
            "event_time": self.event_time.isoformat(),
            "payload": plain(dataclasses.asdict(self.payload)),
        }
