"""Typed records shared by the data set loaders: catalogue items, interactions and event types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class EventType(StrEnum):
    """Kinds of interactions in the data sets (a subset of the profile service's event types, plus `rate`)."""

    RATE = "rate"
    """The user rated the item (MovieLens); the rating is in `Interaction.rating`."""
    PURCHASE = "purchase"
    """The item was in one of the user's orders (Instacart)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogueItem:
    """An item as the shop sells it. Fields named in `synthetic_fields` were generated, not read from data."""

    catalogue: str
    """Which catalogue (data set) the item belongs to; ids are unique only within one catalogue."""
    item_id: int
    """The data set's own item id."""
    title: str
    description: str
    category_path: tuple[str, ...]
    """From the root, e.g. ("Movies", "Comedy") or ("General", "Tops", "Blouses")."""
    brand: str
    price_cents: int
    """Unit price in minor units of `currency`."""
    currency: str
    stock: int
    """Units in stock; 0 means out of stock."""
    synthetic_fields: frozenset[str]
    """Names of the fields above that are synthetic (deterministic from the seed), not from the data set."""

    @property
    def price(self) -> Decimal:
        """Unit price in major units, e.g. Decimal("12.99")."""
        return Decimal(self.price_cents).scaleb(-2)

    @property
    def in_stock(self) -> bool:
        """Whether at least one unit is in stock."""
        return self.stock > 0

    def is_synthetic(self, field: str) -> bool:
        """Whether `field` was generated rather than read from the data set."""
        return field in self.synthetic_fields


@dataclass(frozen=True, slots=True)
class Interaction:
    """One user–item event at the time the data set says it happened (never the wall clock)."""

    user_id: int
    item_id: int
    event_type: EventType
    event_time: datetime
    """Timezone-aware UTC."""
    rating: float | None = None
    """The explicit rating for `rate` events, else None."""

    @property
    def epoch_seconds(self) -> int:
        """`event_time` as Unix seconds."""
        return int(self.event_time.timestamp())
