"""A bounded LRU cache of text vectors, sized in bytes so a burst of long texts cannot grow it unbounded."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

_ENTRY_OVERHEAD_BYTES = 160
"""Rough per-entry cost of the key tuple, the OrderedDict node and the array header."""


class VectorCache:
    """LRU of key -> (vector, truncated), evicting the least recently used when over `max_bytes`.

    Args:
        max_bytes: the bound; 0 disables the cache.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[np.ndarray, bool, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> tuple[np.ndarray, bool] | None:
        """The cached (vector, truncated), marked as recently used; None on a miss."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0], entry[1]

    def put(self, key: Hashable, vector: np.ndarray, truncated: bool, text_chars: int) -> None:
        """Stores a copy of `vector` (a row view would pin its whole batch in memory)."""
        if self.max_bytes <= 0:
            return
        size = vector.nbytes + 4 * text_chars + _ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[2]
        self._entries[key] = (np.array(vector, dtype=np.float32, copy=True), truncated, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, _, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted
