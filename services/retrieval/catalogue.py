"""The item table a snapshot carries: keys, categories, brand, price, stock, text, trending and shard ownership."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ItemRecord:
    """One catalogue item as retrieval needs it.

    Attributes:
        item_id: The catalogue's item id (string, as on the wire).
        category_path: Top-down category names.
        brand: Brand name.
        price_cents: Price in minor units.
        currency: ISO 4217 code.
        stock: Units in stock at build time.
        text: Searchable text (title, description, category words).
    """

    item_id: str
    category_path: tuple[str, ...] = ()
    brand: str = ""
    price_cents: int = 0
    currency: str = "USD"
    stock: int = 1
    text: str = ""


def shard_of(item_id: str, shard_count: int) -> int:
    """The shard owning an item: a stable hash, so every builder and replica agrees."""
    if shard_count <= 1:
        return 0
    digest = hashlib.blake2b(item_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shard_count


@dataclass
class ItemTable:
    """Items by dense position with the columns filters and sources read."""

    records: list[ItemRecord]
    trending: np.ndarray
    shard_index: int = 0
    shard_count: int = 1
    position: dict[str, int] = field(init=False)
    owned: np.ndarray = field(init=False)
    in_stock: np.ndarray = field(init=False)
    price_cents: np.ndarray = field(init=False)
    category: np.ndarray = field(init=False)
    category_names: list[tuple[str, ...]] = field(init=False)
    category_keys: dict[str, int] = field(init=False)
    brands_folded: np.ndarray = field(init=False)
    trending_order: np.ndarray = field(init=False)
    category_orders: list[np.ndarray] = field(init=False)
    item_ids: list[str] = field(init=False)
    item_id_utf8: np.ndarray = field(init=False)
    item_id_offsets: np.ndarray = field(init=False)
    longest_item_id: int = field(init=False)
    servable: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.position = {r.item_id: n for n, r in enumerate(self.records)}
        self.owned = np.asarray([shard_of(r.item_id, self.shard_count) == self.shard_index for r in self.records],
                                dtype=bool)
        self.in_stock = np.asarray([r.stock > 0 for r in self.records], dtype=bool)
        # The default filter (owned and in stock) as one mask, so a request copies it instead of combining two.
        self.servable = self.owned & self.in_stock
        # Ids as one UTF-8 buffer: a response's ids are sliced out of it, not encoded per request.
        self.item_ids = [r.item_id for r in self.records]
        encoded = [i.encode() for i in self.item_ids]
        self.item_id_utf8 = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        self.item_id_offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded], dtype=np.int64)])
        self.longest_item_id = max((len(e) for e in encoded), default=0)
        self.price_cents = np.asarray([r.price_cents for r in self.records], dtype=np.int64)
        self.category_names = sorted({r.category_path for r in self.records})
        lookup = {path: n for n, path in enumerate(self.category_names)}
        self.category = np.asarray([lookup[r.category_path] for r in self.records], dtype=np.int64)
        # Per-request lookups read these instead of walking the records.
        self.category_keys = {"/".join(path).casefold(): n for n, path in enumerate(self.category_names)}
        self.brands_folded = np.asarray([r.brand.casefold() for r in self.records], dtype=object)
        # Trending never changes within a snapshot: sort once, so a request walks a prefix instead of
        # partitioning the whole catalogue (positions with no trend are not proposed).
        trend = np.asarray(self.trending, dtype=np.float64)
        order = np.lexsort((np.arange(len(trend)), -trend))
        self.trending_order = order[trend[order] > 0]
        by_category = self.category[self.trending_order] if len(self.records) else np.zeros(0, np.int64)
        self.category_orders = [self.trending_order[by_category == c] for c in range(len(self.category_names))]

    def __len__(self) -> int:
        return len(self.records)

    def positions(self, item_ids: Sequence[str]) -> list[int]:
        """Positions of the known ids among item_ids, in order (unknown ids are skipped)."""
        return [self.position[i] for i in item_ids if i in self.position]
