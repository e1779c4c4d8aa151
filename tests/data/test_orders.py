"""The order simulator: deterministic per seed, lifecycle invariants over large runs, and the fold's checks."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shopmesh.data import instacart, movielens
from shopmesh.data.order_events import OrderEvent, OrderEventKind, PaymentMethod, Points, Refund
from shopmesh.data.order_history import OrderHistoryError, OrderStatus, RefundStatus, fold_orders
from shopmesh.data.orders import SimulationConfig, simulate_orders
from shopmesh.data.purchases import Purchase, instacart_purchases, movielens_purchases
from tests.data.helpers import assert_order_invariants

PRICES = {item_id: 99 + (item_id * 7919) % 9000 for item_id in range(1, 3001)}


def make_purchases(users: int = 700, max_orders: int = 40, seed: int = 0) -> list[Purchase]:
    """Purchases with close-together orders (seconds to weeks apart), so lifecycles of one user overlap."""
    rng = random.Random(seed)
    purchases = []
    for user_id in range(1, users + 1):
        t = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(30 * 86400))
        for n in range(rng.randint(1, max_orders)):
            t += timedelta(seconds=1 + int(rng.choice([10, 600, 86400, 7 * 86400, 40 * 86400]) * rng.random()))
            items = tuple(rng.sample(range(1, 3001), rng.randint(1, 8)))
            purchases.append(Purchase(user_id, t, items, key=f"test:{user_id}:{n}"))
    return purchases


@pytest.fixture(scope="module")
def large_run() -> tuple[list[Purchase], list[OrderEvent]]:
    purchases = make_purchases()
    return purchases, simulate_orders(purchases, PRICES, SimulationConfig(seed=11))


def test_same_seed_gives_the_same_output_and_another_seed_does_not() -> None:
    purchases = make_purchases(users=150, seed=1)
    first = simulate_orders(purchases, PRICES, SimulationConfig(seed=5))
    again = simulate_orders(list(reversed(purchases)), lambda item_id: PRICES[item_id], SimulationConfig(seed=5))
    other = simulate_orders(purchases, PRICES, SimulationConfig(seed=6))
    assert first == again, "deterministic, whatever the input order"
    assert [e.to_dict() for e in first] == [e.to_dict() for e in again]
    assert first != other
    assert {e.order_id for e in first} == {e.order_id for e in other}, "ids follow placement order only"


def test_invariants_hold_over_a_large_run(large_run: tuple[list[Purchase], list[OrderEvent]]) -> None:
    purchases, events = large_run
    outcomes = assert_order_invariants(events)
    assert sum(outcomes.values()) == len(purchases) > 10_000
    assert outcomes["cancelled"] > 100 and outcomes["returned"] > 100, "every path is exercised"
    kinds = Counter(e.kind for e in events)
    for kind in OrderEventKind:
        assert kinds[kind] > 0, f"no {kind.value} event in a large run"
    ids = sorted({e.order_id for e in events})
    assert ids[0] == "A10001" and len(ids) == len(purchases)


def test_timelines_follow_the_data_and_the_policy(large_run: tuple[list[Purchase], list[OrderEvent]]) -> None:
    purchases, events = large_run
    placed = {e.order_id: e for e in events if e.kind is OrderEventKind.PLACED}
    placed_times = sorted(e.event_time for e in placed.values())
    assert placed_times == sorted(p.placed_at for p in purchases), "orders are placed at the purchase times"
    assert [placed[i].event_time for i in sorted(placed)] == placed_times, "ids count up in placement order"
    refund_days: dict[PaymentMethod, list[float]] = {m: [] for m in PaymentMethod}
    initiated = {e.order_id: e for e in events if e.kind is OrderEventKind.REFUND_INITIATED}
    for event in events:
        if event.kind is OrderEventKind.REFUNDED:
            assert isinstance(event.payload, Refund)
            delay = event.event_time - initiated[event.order_id].event_time
            refund_days[event.payload.payment_method].append(delay / timedelta(days=1))
    assert min(refund_days[PaymentMethod.CARD]) >= 3 and max(refund_days[PaymentMethod.ALIPAY]) <= 1
    assert max(refund_days[PaymentMethod.WECHAT_PAY]) <= 1 and max(refund_days[PaymentMethod.PAYPAL]) <= 2
    assert all(e.event_time.microsecond == 0 for e in events)


def test_fold_gives_order_states_and_balances(large_run: tuple[list[Purchase], list[OrderEvent]]) -> None:
    _, events = large_run
    users = fold_orders(events)
    statuses = Counter(o.status for u in users.values() for o in u.orders.values())
    assert set(statuses) == {OrderStatus.DELIVERED, OrderStatus.RETURNED, OrderStatus.CANCELLED}
    assert all(u.points_balance >= 0 for u in users.values())
    last_points = {}
    for event in events:
        if isinstance(event.payload, Points):
            last_points[event.user_id] = event.payload.balance_after
    assert all(users[uid].points_balance == balance for uid, balance in last_points.items())
    refunded = [o for u in users.values() for o in u.orders.values() if o.refunded_cents]
    assert refunded and all(o.refund_status is RefundStatus.COMPLETED for o in refunded)
    assert all(o.refunded_cents <= o.paid_cents for o in refunded)


def test_fold_as_of_shows_the_state_at_that_time(large_run: tuple[list[Purchase], list[OrderEvent]]) -> None:
    _, events = large_run
    shipped = next(e for e in events if e.kind is OrderEventKind.SHIPPED)
    before = fold_orders(events, as_of=shipped.event_time - timedelta(seconds=1))
    at = fold_orders(events, as_of=shipped.event_time)
    assert before[shipped.user_id].orders[shipped.order_id].status is OrderStatus.PAID
    assert at[shipped.user_id].orders[shipped.order_id].status is OrderStatus.SHIPPED
    assert at[shipped.user_id].orders[shipped.order_id].tracking_number


def _swap_time(events: list[OrderEvent], order_id: str, kind: OrderEventKind, when: datetime) -> list[OrderEvent]:
    return [dataclasses.replace(e, event_time=when) if (e.order_id, e.kind) == (order_id, kind) else e for e in events]


def test_fold_rejects_broken_histories(large_run: tuple[list[Purchase], list[OrderEvent]]) -> None:
    _, events = large_run
    shipped = next(e for e in events if e.kind is OrderEventKind.SHIPPED)
    paid = next(e for e in events if e.kind is OrderEventKind.PAID and e.order_id == shipped.order_id)
    with pytest.raises(OrderHistoryError, match="shipped while placed"):
        fold_orders(
            _swap_time(events, shipped.order_id, OrderEventKind.SHIPPED, paid.event_time - timedelta(seconds=1))
        )

    refund = next(e for e in events if e.kind is OrderEventKind.REFUND_INITIATED)
    assert isinstance(refund.payload, Refund)
    inflated = dataclasses.replace(refund, payload=dataclasses.replace(refund.payload, amount_cents=10**9))
    with pytest.raises(OrderHistoryError, match="exceeds"):
        fold_orders([inflated if e is refund else e for e in events])

    spend = next(e for e in events if e.kind is OrderEventKind.POINTS_REDEEMED)
    assert isinstance(spend.payload, Points)
    overspend = dataclasses.replace(spend, payload=Points(spend.payload.points + 10**6, spend.payload.balance_after))
    with pytest.raises(OrderHistoryError, match="balance"):
        fold_orders([overspend if e is spend else e for e in events])

    delivered = next(e for e in events if e.kind is OrderEventKind.DELIVERED)
    late_cancel = dataclasses.replace(
        next(e for e in events if e.kind is OrderEventKind.CANCELLED),
        order_id=delivered.order_id,
        user_id=delivered.user_id,
        event_time=delivered.event_time + timedelta(hours=1),
        event_id=f"{delivered.order_id}-99",
    )
    with pytest.raises(OrderHistoryError, match="only before shipment"):
        fold_orders([*events, late_cancel])


def test_order_ids_must_fit_five_digits() -> None:
    purchases = make_purchases(users=3, max_orders=10, seed=2)
    with pytest.raises(ValueError, match="five-digit"):
        simulate_orders(purchases, PRICES, SimulationConfig(first_order_number=100_000 - len(purchases) + 1))
    events = simulate_orders(purchases, PRICES, SimulationConfig(first_order_number=100_000 - len(purchases)))
    assert max(e.order_id for e in events) == "A99999"


@pytest.mark.integration
def test_movielens_orders_satisfy_the_invariants(data_dir: Path) -> None:
    interactions = movielens.load_interactions(data_dir)
    purchases = movielens_purchases(interactions)
    assert sum(len(p.item_ids) for p in purchases) == sum(i.rating is not None and i.rating >= 4 for i in interactions)
    assert max(len(p.item_ids) for p in purchases) == 8
    prices = {item.item_id: item.price_cents for item in movielens.load_items(data_dir)}
    events = simulate_orders(purchases, prices)
    outcomes = assert_order_invariants(events)
    assert sum(outcomes.values()) == len(purchases)
    users = fold_orders(events)
    assert len(users) == len({p.user_id for p in purchases})
    placed = [e for e in events if e.kind is OrderEventKind.PLACED]
    assert datetime(1997, 9, 1, tzinfo=UTC) < min(e.event_time for e in placed)
    assert max(e.event_time for e in placed) < datetime(1998, 5, 1, tzinfo=UTC)


@pytest.mark.integration
def test_instacart_orders_are_the_real_orders(data_dir: Path) -> None:
    baskets = instacart.load_baskets(data_dir)
    prices = {item.item_id: item.price_cents for item in instacart.load_items(data_dir, baskets=baskets)}
    events = simulate_orders(instacart_purchases(baskets), prices, SimulationConfig(seed=3))
    outcomes = assert_order_invariants(events)
    assert sum(outcomes.values()) == len(baskets) == 15_183
