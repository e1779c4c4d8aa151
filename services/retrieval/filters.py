"""The per-request filter mask over item positions: shard, stock, purchases, explicit filters, exclusions."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from services.retrieval.catalogue import ItemTable
from services.retrieval.types import ItemFilterSpec


def allowed_mask(table: ItemTable, spec: ItemFilterSpec, excluded: Iterable[int]) -> np.ndarray:
    """True for positions a result may hold.

    Args:
        table: The snapshot's items.
        spec: Explicit filters.
        excluded: Positions never to return (excluded ids, purchases under the exclude policy, the anchor).
    """
    mask = table.owned.copy() if spec.include_out_of_stock else table.servable.copy()
    if spec.min_price_cents is not None:
        mask &= table.price_cents >= spec.min_price_cents
    if spec.max_price_cents is not None:
        mask &= table.price_cents <= spec.max_price_cents
    if spec.brands:
        mask &= np.isin(table.brands_folded, [b.casefold() for b in spec.brands])
    if spec.category_prefixes:
        ok = np.zeros(len(table.category_names), dtype=bool)
        for n, path in enumerate(table.category_names):
            folded = tuple(p.casefold() for p in path)
            ok[n] = any(folded[: len(pre)] == tuple(p.casefold() for p in pre) for pre in spec.category_prefixes)
        mask &= ok[table.category]
    positions = np.fromiter(excluded, dtype=np.int64)
    if len(positions):
        mask[positions] = False
    return mask
