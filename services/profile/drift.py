"""Drift of the behaviour event stream: population stability index (PSI) of the live window vs a reference.

The reference is the "training window": the first `window_events` events of the log in event-time order
from a configured event time on (unset: from the log's start), read once when the service starts; while
the log holds fewer, the events committed next complete it. The live window is the last `window_events`
committed events. Both windows hold the same number of events, so count-based features (events per user)
compare like with like, and neither depends on the wall clock.

Distributions (each a set of bins; every bin a reference value or "other"):
    event_type: the mix of event types.
    item_category: the item's first two category levels (the reference's 20 most common; the rest "other").
    price_bucket: the item's catalogue price in fixed bins of nominal currency units (items without a price
        are left out).
    events_per_user: users of the window by their number of events in it (1, 2, 3-4, 5-8, ... 65+).

The ingest path only appends each committed group to a bounded deque (C code, well under a microsecond per
event); the distributions are recounted from the window every `refresh_events` committed events (C-level
counting plus one catalogue lookup per distinct item), so the PSI lags the stream by at most that many events.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from operator import attrgetter

from services.profile.catalogue import Catalogue
from services.profile.model import Event, EventType, Item

EPSILON = 1e-4
"""Proportion given to an empty bin (the log of zero is undefined); one bin's PSI term is then at most ~9.2."""
OTHER = "other"
MAX_CATEGORIES = 20
PRICE_EDGES_UNITS = (1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
USER_COUNT_EDGES = (2, 3, 5, 9, 17, 33, 65)
FEATURES = ("event_type", "item_category", "price_bucket", "events_per_user")
_TYPE_NAMES = {int(t): t.name.lower() for t in EventType}


def psi(expected: Mapping[str, float], actual: Mapping[str, float], epsilon: float = EPSILON) -> float:
    """The population stability index sum((a - e) * ln(a / e)) over the union of both bins.

    Args:
        expected: the reference's count (or proportion) per bin.
        actual: the live window's count (or proportion) per bin.
        epsilon: the proportion an empty bin counts as.

    Returns:
        The PSI (0 for identical distributions; 0.1 to 0.25 is usually read as a moderate shift, above as a
        major one); NaN when either side is empty.
    """
    e_total, a_total = sum(expected.values()), sum(actual.values())
    if e_total <= 0 or a_total <= 0:
        return math.nan
    total = 0.0
    for key in expected.keys() | actual.keys():
        e = max(expected.get(key, 0.0) / e_total, epsilon)
        a = max(actual.get(key, 0.0) / a_total, epsilon)
        total += (a - e) * math.log(a / e)
    return total


def _bucket(value: float, edges: Sequence[float]) -> str:
    i = bisect.bisect_right(edges, value)
    if i == 0:
        return f"<{edges[0]:g}"
    if i == len(edges):
        return f">={edges[-1]:g}"
    return f"{edges[i - 1]:g}-{edges[i]:g}"


_USER_BINS = [_bucket(n, USER_COUNT_EDGES) for n in range(USER_COUNT_EDGES[-1] + 1)]


def user_count_bin(count: int) -> str:
    """The events-per-user bin of a user with `count` events in a window."""
    return _USER_BINS[min(count, USER_COUNT_EDGES[-1])]


_event_type = attrgetter("event_type")
_item_key = attrgetter("catalog_id", "item_id")
_user = attrgetter("user_id")


def item_bins(item: Item) -> tuple[str, str | None]:
    """The category and price bins of an item (price None: the item has no price)."""
    price = _bucket(item.price_micros / 1e6, PRICE_EDGES_UNITS) if item.price_micros > 0 else None
    return "/".join(item.category_path[:2]) or "(uncategorized)", price


def distributions(events: Collection[Event], catalogue: Catalogue,
                  cache: dict[tuple[str, str], tuple[Item, str, str | None]] | None = None
                  ) -> dict[str, Counter[str]]:
    """The count per bin of every feature over `events` (one window).

    `cache` keeps each item's bins between calls; an entry counts while the catalogue still holds that
    very item object (an upsert replaces it).
    """
    cache = {} if cache is None else cache
    types = Counter(map(_event_type, events))
    category: Counter[str] = Counter()
    price: Counter[str] = Counter()
    for key, n in Counter(map(_item_key, events)).items():
        item = catalogue.get(*key) if key[1] else None
        if item is None:
            continue
        hit = cache.get(key)
        if hit is None or hit[0] is not item:
            hit = (item, *item_bins(item))
            cache[key] = hit
        category[hit[1]] += n
        if hit[2] is not None:
            price[hit[2]] += n
    users: Counter[str] = Counter()
    for count, n in Counter(Counter(map(_user, events)).values()).items():  # few distinct counts
        users[user_count_bin(count)] += n
    return {
        "event_type": Counter({_TYPE_NAMES.get(int(t), OTHER): n for t, n in types.items()}),
        "item_category": category,
        "price_bucket": price,
        "events_per_user": users,
    }


def _reference_bins(counts: Counter[str], feature: str) -> dict[str, float]:
    if feature != "item_category":
        return {k: float(v) for k, v in counts.items() if v > 0}
    top = dict(counts.most_common(MAX_CATEGORIES))
    out = {k: float(v) for k, v in top.items() if v > 0}
    out[OTHER] = out.get(OTHER, 0.0) + sum(counts.values()) - sum(top.values())
    return out


def _live_bins(counts: Counter[str], reference: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in counts.items():
        if value > 0:
            bin_ = key if key in reference else OTHER
            out[bin_] = out.get(bin_, 0.0) + value
    return out


class DriftMonitor:
    """The reference and the live window, and the PSI of each feature at the last refresh.

    Args:
        catalogue: the service's in-memory catalogue (categories and prices of items).
        window_events: events in the reference and in the live window.
        reference_start_us: event time where the reference starts (None: the log's first events).
        refresh_events: committed events between two recounts (default: one window, so that recounting
            costs O(1) per event amortised).
    """

    def __init__(self, catalogue: Catalogue, window_events: int, reference_start_us: int | None = None,
                 refresh_events: int | None = None):
        if window_events < 1:
            raise ValueError("window_events must be positive")
        self.catalogue = catalogue
        self.window_events = window_events
        self.reference_start_us = reference_start_us
        self.refresh_events = refresh_events or window_events
        self._reference_events: list[Event] = []
        self._reference: dict[str, dict[str, float]] | None = None
        self._live: deque[Event] = deque(maxlen=window_events)
        self._since_refresh = 0
        self._ready = False
        self._item_bins: dict[tuple[str, str], tuple[Item, str, str | None]] = {}
        self.latest: dict[str, float] = dict.fromkeys(FEATURES, math.nan)
        """PSI per feature (NaN until both windows are full); replaced whole, so other threads may read it."""

    @property
    def reference_complete(self) -> bool:
        """Whether the reference holds `window_events` events (then it no longer changes)."""
        return self._reference is not None

    def load_reference(self, events: Iterable[Event]) -> None:
        """Adds the log's first events (event-time order) to the reference, up to `window_events`."""
        self._add_reference(events)

    def _add_reference(self, events: Iterable[Event]) -> None:
        start = self.reference_start_us
        for e in events:
            if start is not None and e.event_time_us < start:
                continue
            self._reference_events.append(e)
            if len(self._reference_events) >= self.window_events:
                counts = distributions(self._reference_events, self.catalogue)
                self._reference = {f: _reference_bins(counts[f], f) for f in FEATURES}
                self._reference_events = []
                return

    def update(self, events: Sequence[Event]) -> None:
        """Takes newly committed events into the live window (and into an incomplete reference)."""
        if self._reference is None:
            self._add_reference(events)
        self._live.extend(events)
        self._since_refresh += len(events)
        if self._since_refresh >= self.refresh_events or (not self._ready and self._full()):
            self.refresh()

    def _full(self) -> bool:
        return self._reference is not None and len(self._live) >= self.window_events

    def refresh(self) -> None:
        """Recounts the live window and recomputes `latest`."""
        self._since_refresh = 0
        self._ready = self._full()
        self.latest = self.current()

    def current(self) -> dict[str, float]:
        """PSI per feature of the live window against the reference (NaN while either is not full)."""
        ref = self._reference
        if ref is None or len(self._live) < self.window_events:
            return dict.fromkeys(FEATURES, math.nan)
        live = distributions(self._live, self.catalogue, self._item_bins)
        return {f: psi(ref[f], _live_bins(live[f], ref[f])) for f in FEATURES}
