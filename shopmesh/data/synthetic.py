"""Deterministic per-entity synthetic values: each value is a function of (seed, field, entity id) only.

Hashing instead of one shared random stream means an item's synthetic price does not change when another item
is added, removed or loaded in a different order. Values are stable across processes and Python versions
(blake2b, and `random.Random` seeded with an int, whose generator CPython keeps stable).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from typing import TypeVar

DEFAULT_SEED = 20240601
"""Seed used by the loaders and the order simulator unless the caller passes another."""

T = TypeVar("T")


def stable_hash(seed: int, field: str, key: object) -> int:
    """A 64-bit integer that depends only on the seed, the field name and the entity key."""
    digest = hashlib.blake2b(f"{seed}\x1f{field}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def unit(seed: int, field: str, key: object) -> float:
    """A float in [0, 1) that depends only on (seed, field, key)."""
    return stable_hash(seed, field, key) / 2**64


def rng(seed: int, field: str, key: object) -> random.Random:
    """A private random generator for one entity, for values that need several draws."""
    return random.Random(stable_hash(seed, field, key))


def pick(options: Sequence[T], seed: int, field: str, key: object) -> T:
    """One of `options`, chosen uniformly by (seed, field, key)."""
    return options[stable_hash(seed, field, key) % len(options)]


def price_cents(seed: int, key: object, low_cents: int, high_cents: int, field: str = "price") -> int:
    """A shop-like price between the bounds: log-uniform, ending in .99 (or .49 below $5)."""
    u = unit(seed, field, key)
    raw = math.exp(math.log(low_cents) + u * (math.log(high_cents) - math.log(low_cents)))
    whole = max(int(raw // 100), 0)
    cents = 49 if whole < 5 and stable_hash(seed, f"{field}.ending", key) % 2 else 99
    return max(whole * 100 + cents, low_cents)


def stock_units(seed: int, key: object, out_of_stock_rate: float = 0.05, max_units: int = 250) -> int:
    """Units in stock: 0 with probability `out_of_stock_rate`, else skewed towards small counts."""
    u = unit(seed, "stock", key)
    if u < out_of_stock_rate:
        return 0
    v = (u - out_of_stock_rate) / (1 - out_of_stock_rate)
    return 1 + int((max_units - 1) * v**2)
