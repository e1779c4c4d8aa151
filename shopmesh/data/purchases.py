"""Which interactions count as purchases: the checkouts the order simulator turns into orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from shopmesh.data.instacart import Basket
from shopmesh.data.records import EventType, Interaction


@dataclass(frozen=True, slots=True)
class Purchase:
    """One checkout: a user bought these items at this (data set) time."""

    user_id: int
    placed_at: datetime
    item_ids: tuple[int, ...]
    key: str
    """Stable identity of the checkout; seeds its order's lifecycle so that it does not depend on others."""


def movielens_purchases(
    interactions: Iterable[Interaction], *, min_rating: float = 4.0, max_lines: int = 8
) -> list[Purchase]:
    """Ratings ≥ `min_rating` as purchases, one checkout per user and UTC day.

    A day's purchases are taken in (time, item id) order and split into checkouts of at most `max_lines`
    movies (MovieLens users often rated dozens of films in one sitting); each checkout is placed at the time
    of its last rating. Returns checkouts in (placed_at, user_id) order.
    """
    by_user_day: dict[tuple[int, date], list[Interaction]] = defaultdict(list)
    for interaction in interactions:
        if interaction.event_type is EventType.RATE and (interaction.rating or 0.0) >= min_rating:
            by_user_day[(interaction.user_id, interaction.event_time.date())].append(interaction)
    purchases: list[Purchase] = []
    for (user_id, day), bought in by_user_day.items():
        bought.sort(key=lambda i: (i.event_time, i.item_id))
        for chunk_index, start in enumerate(range(0, len(bought), max_lines)):
            chunk = bought[start : start + max_lines]
            purchases.append(
                Purchase(
                    user_id=user_id,
                    placed_at=chunk[-1].event_time,
                    item_ids=tuple(i.item_id for i in chunk),
                    key=f"movielens:{user_id}:{day.isoformat()}:{chunk_index}",
                )
            )
    purchases.sort(key=lambda p: (p.placed_at, p.user_id, p.key))
    return purchases


def instacart_purchases(baskets: Iterable[Basket]) -> list[Purchase]:
    """Every real Instacart order as one checkout, at its synthetic event time, in (placed_at, user_id) order."""
    purchases = [Purchase(b.user_id, b.event_time, b.product_ids, key=f"instacart:{b.order_id}") for b in baskets]
    purchases.sort(key=lambda p: (p.placed_at, p.user_id, p.key))
    return purchases
