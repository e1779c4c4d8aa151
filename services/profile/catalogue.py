"""The in-memory catalogue: every item of every catalogue, loaded from the store at start.

Ingest checks item ids against it (UNKNOWN_ITEM) and the feature fold reads category paths and brands
from it, so neither costs a database round trip per event. UpsertItems writes the store first, then here.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.profile.model import ID_RULE, Item, Violation, valid_id

MAX_ITEMS_PER_CALL = 1000
_CURRENCY_DIGITS = {"USD", "EUR", "CNY", "GBP", "JPY", "HKD", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK"}


class Catalogue:
    """Items by (catalog_id, item_id).

    Args:
        default_catalog: the catalogue an empty catalog_id means.
    """

    def __init__(self, default_catalog: str):
        self.default_catalog = default_catalog
        self._items: dict[str, dict[str, Item]] = {}

    def resolve(self, catalog_id: str) -> str:
        """The catalogue an (optionally empty) catalog_id names."""
        return catalog_id or self.default_catalog

    def load(self, items: Iterable[Item]) -> None:
        """Adds or replaces items."""
        for item in items:
            self._items.setdefault(item.catalog_id, {})[item.item_id] = item

    def known_catalog(self, catalog_id: str) -> bool:
        """Whether the catalogue has any item."""
        return catalog_id in self._items

    def get(self, catalog_id: str, item_id: str) -> Item | None:
        """The item, or None."""
        items = self._items.get(catalog_id)
        return None if items is None else items.get(item_id)

    def items_of(self, catalog_id: str) -> dict[str, Item]:
        """Every item of a catalogue by id (a live view; do not modify)."""
        return self._items.get(catalog_id, {})

    def page(self, catalog_id: str, after_id: str, size: int) -> list[Item]:
        """Items in item id order after `after_id`."""
        ids = sorted(i for i in self._items.get(catalog_id, {}) if i > after_id)[:size]
        return [self._items[catalog_id][i] for i in ids]


def validate_item(item: Item, index: int) -> list[Violation]:
    """Field violations of one item of an UpsertItems batch."""
    out = []
    prefix = f"items[{index}]"
    if not valid_id(item.item_id):
        out.append(Violation(f"{prefix}.item_id", "MALFORMED_ID", ID_RULE))
    if not valid_id(item.catalog_id):
        out.append(Violation(f"{prefix}.catalog_id", "MALFORMED_ID", ID_RULE))
    if not item.title.strip():
        out.append(Violation(f"{prefix}.title", "REQUIRED", "an item needs a title"))
    if item.price_currency and item.price_currency not in _CURRENCY_DIGITS:
        out.append(Violation(f"{prefix}.price.currency_code", "UNKNOWN_CURRENCY", "an ISO 4217 code we price in"))
    if item.price_micros < 0:
        out.append(Violation(f"{prefix}.price.amount_micros", "NEGATIVE", "prices are non-negative"))
    if item.stock_quantity < 0:
        out.append(Violation(f"{prefix}.stock_quantity", "NEGATIVE", "stock is non-negative"))
    return out
