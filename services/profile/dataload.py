"""The data sets as the profile service stores them: MovieLens-100K (the default shop) and the clothing reviews.

Reuses the loaders of shopmesh.data (real fields, synthetic fields marked) and maps them to catalogue items
and behaviour events:

- MovieLens items are `ml-<id>` in catalogue "movielens", users `u<id>`. Each rating replays as a VIEW at its
  real time; a rating >= 3 also as a CLICK and a rating >= 4 (the order simulator's "bought") as a PURCHASE,
  all with origin DATASET_REPLAY. Event ids are deterministic, so loading twice adds nothing.
- Clothing items are `wc-<id>` in catalogue "clothing" (the data set has no reviewer ids or dates, so it
  brings no events).
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike

from services.profile.model import US_PER_S, Event, EventOrigin, EventType, Item
from services.profile.orders import OrderEventIn
from shopmesh.data import clothing, movielens
from shopmesh.data.order_events import OrderEvent as SimOrderEvent
from shopmesh.data.order_events import Placed as PlacedPayload
from shopmesh.data.orders import simulate_orders
from shopmesh.data.purchases import movielens_purchases
from shopmesh.data.records import CatalogueItem

MOVIELENS_CATALOG = movielens.CATALOGUE
CLOTHING_CATALOG = clothing.CATALOGUE
_SYNTHETIC_NAMES = {"price_cents": "price", "stock": "stock_quantity"}
Pathish = str | PathLike[str] | None


def _item(record: CatalogueItem, item_id: str, attributes: dict[str, str]) -> Item:
    return Item(
        item_id=item_id, catalog_id=record.catalogue, title=record.title, description=record.description,
        category_path=tuple(s.replace("/", "-") for s in record.category_path), brand=record.brand,
        price_currency=record.currency, price_micros=record.price_cents * 10_000, stock_quantity=record.stock,
        language_code="en", attributes=attributes,
        synthetic_fields=tuple(sorted(_SYNTHETIC_NAMES.get(f, f) for f in record.synthetic_fields)))


def movielens_item_id(item_id: int) -> str:
    """The catalogue id of a MovieLens movie."""
    return f"ml-{item_id}"


def movielens_user_id(user_id: int) -> str:
    """The mesh user id of a MovieLens user."""
    return f"u{user_id}"


def movielens_items(data_dir: Pathish = None) -> list[Item]:
    """The 1,682 movies."""
    return [_item(m, movielens_item_id(m.item_id),
                  {"release_year": str(m.year) if m.year else "", "genres": ",".join(m.genres)})
            for m in movielens.load_items(data_dir)]


def clothing_items(data_dir: Pathish = None) -> list[Item]:
    """The 1,206 clothing items (real review aggregates as attributes)."""
    return [_item(c, f"wc-{c.item_id}", {"division": c.division or "", "department": c.department or "",
                                          "review_count": str(c.review_count),
                                          "average_rating": f"{c.mean_rating:.2f}"})
            for c in clothing.load_items(data_dir)]


def movielens_events(data_dir: Pathish = None, limit: int | None = None) -> Iterator[Event]:
    """The ratings as behaviour events in time order (the first `limit` ratings when given)."""
    interactions = movielens.load_interactions(data_dir)
    for r in interactions[:limit] if limit is not None else interactions:
        user, item = movielens_user_id(r.user_id), movielens_item_id(r.item_id)
        at = r.epoch_seconds * US_PER_S
        base = f"ml-{r.user_id}-{r.item_id}"
        kinds = [(EventType.VIEW, "v")]
        rating = r.rating or 0
        if rating >= 3:
            kinds.append((EventType.CLICK, "c"))
        if rating >= 4:
            kinds.append((EventType.PURCHASE, "p"))
        for kind, suffix in kinds:
            yield Event(event_id=f"{base}-{suffix}", user_id=user, event_type=kind, event_time_us=at,
                        catalog_id=MOVIELENS_CATALOG, item_id=item, quantity=1 if kind == EventType.PURCHASE else 0,
                        origin=EventOrigin.DATASET_REPLAY)


_METHODS = {"card": 1, "paypal": 2, "alipay": 3, "wechat_pay": 4}


def _cents(amount_cents: int, currency: str) -> dict[str, object]:
    return {"currency_code": currency, "amount_micros": amount_cents * 10_000}


def movielens_order_events(data_dir: Pathish = None, limit: int | None = None) -> list[OrderEventIn]:
    """The order-history simulator's events for MovieLens purchases (of the first `limit` ratings when given),
    as the shop's order feed sends them.

    The simulator's `return_received` and `refund_initiated` steps have no order event in the contract (the
    mirror records a pending refund at the cancellation or return request), `points_restored` arrives as
    points earned, and `points_reversed` has no event of its own, so mirrored balances can stay a little
    above the simulator's own `balance_after`.
    """
    items = {m.item_id: m for m in movielens.load_items(data_dir)}
    interactions = movielens.load_interactions(data_dir)
    events = simulate_orders(movielens_purchases(interactions[:limit] if limit is not None else interactions),
                             {i: m.price_cents for i, m in items.items()})
    out: list[OrderEventIn] = []
    placed: dict[str, PlacedPayload] = {}
    for e in events:
        payload = _order_payload(e, items, placed)
        if payload is None:
            continue
        kind, body = payload
        out.append(OrderEventIn(order_event_id=e.event_id, order_id=e.order_id,
                                user_id=movielens_user_id(e.user_id), event_time_us=int(e.event_time.timestamp()) *
                                US_PER_S, synthetic=True, kind=kind, payload=body))
    return out


def _order_payload(e: SimOrderEvent, items: dict[int, movielens.MovieItem],
                   placed: dict[str, PlacedPayload]) -> tuple[str, dict[str, object]] | None:
    p = e.payload
    kind = str(e.kind)
    if isinstance(p, PlacedPayload):
        placed[e.order_id] = p
        lines = [{"line_id": str(i + 1), "item_id": movielens_item_id(line.item_id),
                  "title": items[line.item_id].title, "quantity": line.qty,
                  "unit_price": _cents(line.unit_price_cents, p.currency)} for i, line in enumerate(p.lines)]
        return "placed", {"catalog_id": MOVIELENS_CATALOG, "lines": lines,
                          "subtotal": _cents(p.subtotal_cents, p.currency),
                          "shipping_fee": _cents(p.shipping_cents, p.currency),
                          "discount": _cents(p.points_discount_cents, p.currency),
                          "total": _cents(p.total_cents, p.currency), "destination_country_code": "US"}
    currency = placed[e.order_id].currency if e.order_id in placed else "USD"
    if kind == "paid":
        return "paid", {"payment_method": _METHODS.get(str(p.payment_method), 5),  # type: ignore[union-attr]
                        "amount": _cents(p.amount_cents, currency)}  # type: ignore[union-attr]
    if kind == "cancelled":
        return "cancelled", {"reason": p.reason}  # type: ignore[union-attr]
    if kind == "shipped":
        return "shipped", {"shipment_id": "1", "carrier": p.carrier, "tracking_number": p.tracking_number,  # type: ignore[union-attr]
                           "estimated_delivery_time": int(p.estimated_delivery.timestamp()) * US_PER_S}  # type: ignore[union-attr]
    if kind == "delivered":
        return "delivered", {"shipment_id": "1"}
    if kind == "return_requested":
        order_lines = placed[e.order_id].lines
        wanted = {line.item_id for line in p.lines}  # type: ignore[union-attr]
        return "return_requested", {"return_id": f"R{e.order_id[1:]}", "reason": p.reason,  # type: ignore[union-attr]
                                    "line_ids": [str(i + 1) for i, line in enumerate(order_lines)
                                                 if line.item_id in wanted]}
    if kind == "refunded":
        return "refunded", {"refund_id": f"F{e.event_id[-8:]}", "amount": _cents(p.amount_cents, currency),  # type: ignore[union-attr]
                            "expected_complete_time": int(p.expected_by.timestamp()) * US_PER_S}  # type: ignore[union-attr]
    if kind in ("points_earned", "points_redeemed"):
        return kind, {"points": p.points}  # type: ignore[union-attr]
    if kind == "points_restored":
        return "points_earned", {"points": p.points}  # type: ignore[union-attr]
    return None
