"""Seeded order-history simulator: turns purchases into order lifecycles as typed, synthetic OrderEvents.

Each checkout's lifecycle (payment method, delays, carrier, cancellation, return) is drawn from its own random
stream, seeded by (seed, checkout key), so it does not depend on other checkouts. Order ids are then assigned
in placement order (`A` + five digits), and each user's events are replayed in time order to settle
membership points, whose balance never goes below zero.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from shopmesh.data import order_policy as policy
from shopmesh.data import synthetic
from shopmesh.data.order_events import (
    Cancelled,
    Delivered,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderPayload,
    Paid,
    PaymentMethod,
    Placed,
    Points,
    Refund,
    ReturnLine,
    ReturnRequested,
    Shipped,
)
from shopmesh.data.purchases import Purchase

K = TypeVar("K")
ORDER_ID_DIGITS = 5
HOUR = 3600.0
DAY = 86400.0
_CARRIER_SHARE = {"UPS": 0.30, "FedEx": 0.20, "USPS": 0.35, "DHL": 0.15}
_QTY_SHARE = {1: 0.85, 2: 0.11, 3: 0.04}


@dataclass(frozen=True)
class SimulationConfig:
    """Knobs of the simulator; the policies themselves (delays, refund times, points) are in order_policy."""

    seed: int = synthetic.DEFAULT_SEED
    first_order_number: int = 10001
    """Order ids are `A` + this number, counting up in placement order."""
    currency: str = "USD"
    unpaid_cancel_rate: float = 0.01
    """Share of orders never paid, cancelled when the payment window closes."""
    paid_cancel_rate: float = 0.03
    """Share of orders cancelled by the customer after payment, before shipment."""
    return_rate: float = 0.07
    """Share of delivered orders with a return request."""
    redeem_rate: float = 0.4
    """Chance that a user with enough points redeems them on an order."""
    preferred_method_share: float = 0.85
    """Share of a user's orders paid with their preferred method."""


@dataclass
class _Plan:
    """One checkout's drawn lifecycle: times and choices, before amounts and points are settled."""

    purchase: Purchase
    lines: tuple[OrderLine, ...]
    method: PaymentMethod
    transaction_id: str
    redeem_roll: float
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    carrier: str = ""
    tracking: str = ""
    shipped_at: datetime | None = None
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    return_lines: tuple[ReturnLine, ...] = ()
    return_reason: str = ""
    return_requested_at: datetime | None = None
    return_received_at: datetime | None = None
    refund_initiated_at: datetime | None = None
    refunded_at: datetime | None = None
    refund_expected_by: datetime | None = None
    order_id: str = ""
    events: list[OrderEvent] = field(default_factory=list)


def _weighted(rng_value: float, shares: Mapping[K, float]) -> K:
    cumulative = 0.0
    for option, share in shares.items():
        cumulative += share
        if rng_value < cumulative:
            return option
    return next(reversed(list(shares)))


def _later(start: datetime, seconds: float) -> datetime:
    """`start` plus whole seconds: the data's times are whole seconds, and every delay here is at least 5 s."""
    return start + timedelta(seconds=round(seconds))


def _preferred_method(seed: int, user_id: int) -> PaymentMethod:
    return _weighted(synthetic.unit(seed, "payment-preference", user_id), policy.PAYMENT_SHARE)


def _plan(purchase: Purchase, price_of: Callable[[int], int], config: SimulationConfig) -> _Plan:
    rng = synthetic.rng(config.seed, "order", purchase.key)
    lines = tuple(
        OrderLine(item_id, _weighted(rng.random(), _QTY_SHARE), price_of(item_id)) for item_id in purchase.item_ids
    )
    if rng.random() < config.preferred_method_share:
        method = _preferred_method(config.seed, purchase.user_id)
    else:
        method = _weighted(rng.random(), policy.PAYMENT_SHARE)
    plan = _Plan(purchase, lines, method, f"{method.value[:2].upper()}{rng.getrandbits(48):012x}", rng.random())
    placed = purchase.placed_at
    fate = rng.random()
    if fate < config.unpaid_cancel_rate:
        plan.cancelled_at, plan.cancel_reason = placed + policy.PAYMENT_WINDOW, "payment not completed in time"
        return plan
    paid = _later(placed, policy.between(rng, policy.PAYMENT_SECONDS[method]))
    handling_s = HOUR * policy.between(rng, policy.HANDLING_HOURS)
    plan.paid_at = paid
    if fate < config.unpaid_cancel_rate + config.paid_cancel_rate:
        plan.cancelled_at = _later(paid, rng.uniform(60, handling_s - 60))
        plan.cancel_reason = rng.choice(policy.CANCEL_REASONS)
        _plan_refund(plan, _later(plan.cancelled_at, HOUR * rng.uniform(0.05, 2.0)), rng)
        return plan
    plan.carrier = _weighted(rng.random(), _CARRIER_SHARE)
    plan.tracking = policy.tracking_number(rng, plan.carrier)
    plan.shipped_at = _later(paid, handling_s)
    transit = policy.CARRIER_DAYS[plan.carrier]
    plan.estimated_delivery = _later(plan.shipped_at, DAY * transit[1])
    plan.delivered_at = _later(plan.shipped_at, DAY * policy.between(rng, transit))
    if rng.random() < config.return_rate:
        count = 1 if rng.random() < 0.75 else rng.randint(1, len(lines))
        returned = sorted(rng.sample(range(len(lines)), count))
        plan.return_lines = tuple(ReturnLine(lines[i].item_id, lines[i].qty) for i in returned)
        plan.return_reason = rng.choice(policy.RETURN_REASONS)
        days_after = 0.5 + (policy.RETURN_WINDOW_DAYS - 1) * rng.random() ** 2  # most returns come early
        plan.return_requested_at = _later(plan.delivered_at, DAY * days_after)
        transit_days = policy.between(rng, policy.RETURN_TRANSIT_DAYS)
        plan.return_received_at = _later(plan.return_requested_at, DAY * transit_days)
        _plan_refund(plan, _later(plan.return_received_at, HOUR * rng.uniform(1, 24)), rng)
    return plan


def _plan_refund(plan: _Plan, initiated: datetime, rng: random.Random) -> None:
    bounds = policy.REFUND_DAYS[plan.method]
    plan.refund_initiated_at = initiated
    plan.refunded_at = _later(initiated, DAY * policy.between(rng, bounds))
    plan.refund_expected_by = _later(initiated, DAY * bounds[1])


@dataclass
class _Amounts:
    subtotal: int = 0
    discount: int = 0
    total: int = 0
    points_redeemed: int = 0
    points_earned: int = 0
    refund: int = 0


class _UserLedger:
    """Replays one user's orders in time order, settling amounts and the points balance."""

    def __init__(self, user_id: int, plans: list[_Plan], config: SimulationConfig) -> None:
        self.user_id = user_id
        self.plans = plans
        self.config = config
        self.balance = 0
        self.amounts: dict[str, _Amounts] = defaultdict(_Amounts)

    def emit(self, plan: _Plan, kind: OrderEventKind, when: datetime, payload: OrderPayload) -> None:
        event_id = f"{plan.order_id}-{len(plan.events) + 1:02d}"
        plan.events.append(OrderEvent(event_id, kind, plan.order_id, self.user_id, when, payload))

    def points(self, plan: _Plan, kind: OrderEventKind, when: datetime, points: int) -> None:
        if points <= 0:
            return
        self.balance += points if kind in (OrderEventKind.POINTS_EARNED, OrderEventKind.POINTS_RESTORED) else -points
        self.emit(plan, kind, when, Points(points, self.balance))

    def run(self) -> list[OrderEvent]:
        steps: list[tuple[datetime, int, str, Callable[[], None]]] = []
        for plan in self.plans:
            for rank, (when, step) in enumerate(self._steps(plan)):
                if when is not None:
                    steps.append((when, rank, plan.order_id, step))
        for _, _, _, step in sorted(steps, key=lambda s: (s[0], s[2], s[1])):
            step()
        return [event for plan in self.plans for event in plan.events]

    def _steps(self, plan: _Plan) -> list[tuple[datetime | None, Callable[[], None]]]:
        return [
            (plan.purchase.placed_at, lambda: self._placed(plan)),
            (plan.paid_at, lambda: self._paid(plan)),
            (plan.cancelled_at, lambda: self._cancelled(plan)),
            (plan.shipped_at, lambda: self._shipped(plan)),
            (plan.delivered_at, lambda: self._delivered(plan)),
            (plan.return_requested_at, lambda: self._return(plan, OrderEventKind.RETURN_REQUESTED)),
            (plan.return_received_at, lambda: self._return(plan, OrderEventKind.RETURN_RECEIVED)),
            (plan.refund_initiated_at, lambda: self._refund(plan, OrderEventKind.REFUND_INITIATED)),
            (plan.refunded_at, lambda: self._refund(plan, OrderEventKind.REFUNDED)),
        ]

    def _placed(self, plan: _Plan) -> None:
        amounts = self.amounts[plan.order_id]
        amounts.subtotal = sum(line.total_cents for line in plan.lines)
        shipping = 0 if amounts.subtotal >= policy.FREE_SHIPPING_FROM_CENTS else policy.SHIPPING_CENTS
        if self.balance >= policy.MIN_REDEEM_POINTS and plan.redeem_roll < self.config.redeem_rate:
            affordable = int(amounts.subtotal * policy.MAX_REDEEM_SHARE) // policy.POINT_VALUE_CENTS
            blocks = min(self.balance, affordable) // policy.MIN_REDEEM_POINTS
            amounts.points_redeemed = blocks * policy.MIN_REDEEM_POINTS
        amounts.discount = amounts.points_redeemed * policy.POINT_VALUE_CENTS
        amounts.total = amounts.subtotal + shipping - amounts.discount
        when = plan.purchase.placed_at
        placed = Placed(
            plan.lines, plan.method, self.config.currency, amounts.subtotal, shipping, amounts.discount, amounts.total
        )
        self.emit(plan, OrderEventKind.PLACED, when, placed)
        self.points(plan, OrderEventKind.POINTS_REDEEMED, when, amounts.points_redeemed)

    def _paid(self, plan: _Plan) -> None:
        assert plan.paid_at is not None
        amounts = self.amounts[plan.order_id]
        self.emit(plan, OrderEventKind.PAID, plan.paid_at, Paid(amounts.total, plan.method, plan.transaction_id))
        amounts.points_earned = amounts.total // 100 * policy.POINTS_PER_CURRENCY_UNIT
        self.points(plan, OrderEventKind.POINTS_EARNED, plan.paid_at, amounts.points_earned)

    def _cancelled(self, plan: _Plan) -> None:
        assert plan.cancelled_at is not None
        amounts = self.amounts[plan.order_id]
        when = plan.cancelled_at
        self.emit(plan, OrderEventKind.CANCELLED, when, Cancelled(plan.cancel_reason, plan.paid_at is None))
        self.points(plan, OrderEventKind.POINTS_RESTORED, when, amounts.points_redeemed)
        self.points(plan, OrderEventKind.POINTS_REVERSED, when, min(amounts.points_earned, self.balance))
        amounts.refund = amounts.total if plan.paid_at is not None else 0

    def _shipped(self, plan: _Plan) -> None:
        assert plan.shipped_at is not None and plan.estimated_delivery is not None
        shipped = Shipped(plan.carrier, plan.tracking, plan.estimated_delivery)
        self.emit(plan, OrderEventKind.SHIPPED, plan.shipped_at, shipped)

    def _delivered(self, plan: _Plan) -> None:
        assert plan.delivered_at is not None
        self.emit(plan, OrderEventKind.DELIVERED, plan.delivered_at, Delivered(plan.carrier, plan.tracking))

    def _return(self, plan: _Plan, kind: OrderEventKind) -> None:
        when = plan.return_requested_at if kind is OrderEventKind.RETURN_REQUESTED else plan.return_received_at
        assert when is not None
        self.emit(plan, kind, when, ReturnRequested(plan.return_lines, plan.return_reason))
        if kind is OrderEventKind.RETURN_RECEIVED:
            amounts = self.amounts[plan.order_id]
            prices = {line.item_id: line.unit_price_cents for line in plan.lines}
            value = sum(prices[r.item_id] * r.qty for r in plan.return_lines)
            # Points paid for part of the goods: refund the goods' share of what was actually charged.
            amounts.refund = value * (amounts.subtotal - amounts.discount) // amounts.subtotal

    def _refund(self, plan: _Plan, kind: OrderEventKind) -> None:
        when = plan.refund_initiated_at if kind is OrderEventKind.REFUND_INITIATED else plan.refunded_at
        assert when is not None and plan.refund_expected_by is not None
        amounts = self.amounts[plan.order_id]
        reason = "cancellation" if plan.cancelled_at is not None else "return"
        self.emit(plan, kind, when, Refund(amounts.refund, plan.method, reason, plan.refund_expected_by))
        if kind is OrderEventKind.REFUNDED and reason == "return":
            clawback = amounts.points_earned * amounts.refund // amounts.total
            self.points(plan, OrderEventKind.POINTS_REVERSED, when, min(clawback, self.balance))


def simulate_orders(
    purchases: Iterable[Purchase],
    unit_price_cents: Mapping[int, int] | Callable[[int], int],
    config: SimulationConfig | None = None,
) -> list[OrderEvent]:
    """Simulates the order lifecycle of every purchase.

    Args:
        purchases: checkouts, e.g. from `purchases.movielens_purchases` or `purchases.instacart_purchases`.
        unit_price_cents: each item's unit price (a catalogue's `price_cents`), as a mapping or a function.
        config: seed and rates; the default config when None.

    Returns:
        All events, sorted by (event_time, user_id, event_id).

    Raises:
        ValueError: more purchases than five-digit order ids can number from `first_order_number`.
        KeyError: an item has no price in the mapping.
    """
    cfg = config or SimulationConfig()
    price_of = unit_price_cents.__getitem__ if isinstance(unit_price_cents, Mapping) else unit_price_cents
    plans = sorted(
        (_plan(p, price_of, cfg) for p in purchases),
        key=lambda pl: (pl.purchase.placed_at, pl.purchase.user_id, pl.purchase.key),
    )
    last_number = cfg.first_order_number + len(plans) - 1
    if cfg.first_order_number < 0 or last_number >= 10**ORDER_ID_DIGITS:
        raise ValueError(f"{len(plans)} orders do not fit five-digit ids from A{cfg.first_order_number:05d}")
    by_user: dict[int, list[_Plan]] = defaultdict(list)
    for number, plan in enumerate(plans, start=cfg.first_order_number):
        plan.order_id = f"A{number:0{ORDER_ID_DIGITS}d}"
        by_user[plan.purchase.user_id].append(plan)
    events = [event for user_id in sorted(by_user) for event in _UserLedger(user_id, by_user[user_id], cfg).run()]
    events.sort(key=lambda e: (e.event_time, e.user_id, e.event_id))
    return events
