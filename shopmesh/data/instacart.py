"""The Instacart orders sample: real baskets per user in sequence, with a synthetic clock and grocery catalogue.

The data has no absolute timestamps, only each order's weekday, hour and days since the user's previous
order. `event_time` is derived from those, deterministically and without a seed (see `_place_in_time`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from os import PathLike

from shopmesh.data import synthetic
from shopmesh.data.paths import dataset_file
from shopmesh.data.records import CatalogueItem, EventType, Interaction
from shopmesh.data.sources import INSTACART

CATALOGUE = "instacart"
TIMELINE_END_WEEK = datetime(2017, 12, 24, tzinfo=UTC)
"""A Sunday. Every user's last order falls in the week starting here, on its `order_dow` (0 read as Sunday)."""
DAYS_SINCE_PRIOR_CAP = 30
"""The data set caps days_since_prior_order at 30."""
SYNTHETIC_FIELDS = frozenset({"title", "description", "category_path", "brand", "price_cents", "stock"})
"""Only the product id is real."""

_TAXONOMY: dict[str, dict[str, tuple[str, ...]]] = {
    "produce": {"fresh fruits": ("apples", "berries", "bananas"), "fresh vegetables": ("greens", "carrots")},
    "dairy eggs": {"milk": ("whole milk", "oat milk"), "yogurt": ("greek yogurt",), "eggs": ("free-range eggs",)},
    "snacks": {"chips pretzels": ("sea salt chips", "pretzels"), "crackers": ("whole grain crackers",)},
    "beverages": {"water seltzer": ("sparkling water",), "juice": ("orange juice",), "coffee": ("ground coffee",)},
    "frozen": {"frozen meals": ("frozen pizza", "frozen dumplings"), "ice cream": ("vanilla ice cream",)},
    "pantry": {"canned goods": ("black beans", "chopped tomatoes"), "pasta": ("spaghetti", "penne")},
    "bakery": {"bread": ("sourdough loaf", "sandwich bread"), "breakfast bakery": ("bagels", "muffins")},
    "household": {"cleaning": ("dish soap", "surface spray"), "paper goods": ("paper towels",)},
}  # fictional assignment: the sample carries no product names or aisles
_AISLES = tuple((dept, aisle, nouns) for dept, aisles in _TAXONOMY.items() for aisle, nouns in aisles.items())
_BRANDS = ("Green Acre", "Daily Pantry", "Harvest Table", "Brightfield", "Market Basket Co.", "Little Orchard")


@dataclass(frozen=True, slots=True)
class Basket:
    """One real Instacart order, with its products in add-to-cart order."""

    order_id: int
    user_id: int
    order_number: int
    """1 for the user's first order, then consecutive."""
    order_dow: int
    order_hour_of_day: int
    days_since_prior_order: int | None
    """None for the first order; the data set caps it at 30."""
    product_ids: tuple[int, ...]
    reordered: tuple[bool, ...]
    """Per product: whether this user had bought it before."""
    event_time: datetime
    """Synthetic (see module docstring), timezone-aware UTC; strictly increasing per user."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroceryItem(CatalogueItem):
    """A product of the sample; everything but the id is synthetic."""

    department: str
    aisle: str


def _minute_offset(order_id: int) -> timedelta:
    return timedelta(seconds=synthetic.stable_hash(0, "instacart.second-of-hour", order_id) % 3600)


def _place_in_time(orders: list[tuple[int, int, int, int | None]]) -> list[datetime]:
    """Event times for one user's orders given as (order_id, dow, hour, days_since_prior), in order.

    The last order lands on its weekday in the week of TIMELINE_END_WEEK; each earlier order lies
    `days_since_prior_order` days before the next, which keeps the weekdays consistent (the data is, for gaps
    under 30 days); a capped gap of 30 becomes the smallest gap of 30–36 days that matches both weekdays.
    Within the hour a seed-free hash of the order id picks the second; an order that would not come strictly
    after the previous one is put 60 s after it.
    """
    days: list[int] = [0] * len(orders)
    days[-1] = orders[-1][1]
    for n in range(len(orders) - 1, 0, -1):
        gap = orders[n][3] or 0
        if gap >= DAYS_SINCE_PRIOR_CAP:  # "30" means 30 or more: take the first gap that fits both weekdays
            gap += (orders[n][1] - orders[n - 1][1] - gap) % 7
        days[n - 1] = days[n] - gap
    times: list[datetime] = []
    for (order_id, _, hour, _), day in zip(orders, days, strict=True):
        t = TIMELINE_END_WEEK + timedelta(days=day, hours=hour) + _minute_offset(order_id)
        if times and t <= times[-1]:
            t = times[-1] + timedelta(seconds=60)
        times.append(t)
    return times


def load_baskets(data_dir: str | PathLike[str] | None = None) -> list[Basket]:
    """The 15,183 orders of 593 users, sorted by (user_id, order_number)."""
    path = dataset_file(data_dir, INSTACART.name, INSTACART.files[0].name)
    lines: dict[int, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lines[int(row["order_id"])].append(row)
    per_user: dict[int, list[list[dict[str, str]]]] = defaultdict(list)
    for rows in lines.values():
        rows.sort(key=lambda r: float(r["add_to_cart_order"]))
        per_user[int(rows[0]["user_id"])].append(rows)
    baskets: list[Basket] = []
    for user_id in sorted(per_user):
        orders = sorted(per_user[user_id], key=lambda rows: int(rows[0]["order_number"]))
        keys = [
            (
                int(h["order_id"]),
                int(h["order_dow"]),
                int(h["order_hour_of_day"]),
                _opt_int(h["days_since_prior_order"]),
            )
            for h in (rows[0] for rows in orders)
        ]
        for rows, key, when in zip(orders, keys, _place_in_time(keys), strict=True):
            baskets.append(
                Basket(
                    order_id=key[0],
                    user_id=user_id,
                    order_number=int(rows[0]["order_number"]),
                    order_dow=key[1],
                    order_hour_of_day=key[2],
                    days_since_prior_order=key[3],
                    product_ids=tuple(int(r["product_id"]) for r in rows),
                    reordered=tuple(float(r["reordered"]) == 1.0 for r in rows),
                    event_time=when,
                )
            )
    return baskets


def _opt_int(value: str) -> int | None:
    return int(float(value)) if value else None


def load_interactions(
    data_dir: str | PathLike[str] | None = None, baskets: list[Basket] | None = None
) -> list[Interaction]:
    """The 150,000 order lines as `purchase` interactions at their basket's synthetic time.

    Sorted by (event_time, user_id), products of one basket in add-to-cart order.
    """
    source = baskets if baskets is not None else load_baskets(data_dir)
    interactions = [
        Interaction(b.user_id, product_id, EventType.PURCHASE, b.event_time)
        for b in source
        for product_id in b.product_ids
    ]
    interactions.sort(key=lambda i: (i.event_time, i.user_id))
    return interactions


def _item(product_id: int, seed: int) -> GroceryItem:
    department, aisle, nouns = synthetic.pick(_AISLES, seed, "instacart.aisle", product_id)
    noun = synthetic.pick(nouns, seed, "instacart.noun", product_id)
    brand = synthetic.pick(_BRANDS, seed, "instacart.brand", product_id)
    title = f"{brand} {noun}"
    return GroceryItem(
        catalogue=CATALOGUE,
        item_id=product_id,
        title=title,
        description=f"{title} (product {product_id}), in {aisle}.",
        category_path=("Groceries", department, aisle),
        brand=brand,
        price_cents=synthetic.price_cents(seed, product_id, 99, 1599, field="instacart.price"),
        currency="USD",
        stock=synthetic.stock_units(seed, f"instacart:{product_id}", out_of_stock_rate=0.03),
        synthetic_fields=SYNTHETIC_FIELDS,
        department=department,
        aisle=aisle,
    )


def load_items(
    data_dir: str | PathLike[str] | None = None,
    seed: int = synthetic.DEFAULT_SEED,
    baskets: list[Basket] | None = None,
) -> list[GroceryItem]:
    """The 14,190 products that occur in the sample, in id order, with synthetic names, categories and prices."""
    source = baskets if baskets is not None else load_baskets(data_dir)
    product_ids = sorted({p for b in source for p in b.product_ids})
    return [_item(product_id, seed) for product_id in product_ids]
