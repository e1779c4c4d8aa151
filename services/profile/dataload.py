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
from shopmesh.data import clothing, movielens
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
