"""Drift of the behaviour event stream: population stability index (PSI) of the live window vs a reference.

The reference is the "training window": the first `window_events` events of the log in event-time order
from a configured event time on (unset: from the log's start), read once when the service starts; while
the log holds fewer, the events ingested next complete it. The live window is the last `window_events`
committed events. Both windows hold the same number of events, so count-based features (events per user)
compare like with like, and neither depends on the wall clock.

Distributions (each a set of bins; every bin a reference value or "other"):
    event_type: the mix of event types.
    item_category: the item's first two category levels (the reference's 20 most common; the rest "other").
    price_bucket: the event's unit price, else the catalogue price, in fixed bins of nominal currency units.
    events_per_user: users of the window by their number of events in it (1, 2, 3-4, 5-8, ... 65+).

Every update costs O(events) plus O(bins) for the PSI, so it runs inline with each committed group.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.profile.catalogue import Catalogue
from services.profile.model import Event, EventType

EPSILON = 1e-4
"""Proportion given to an empty bin (the log of zero is undefined); it caps one bin's PSI term near 0.9."""
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


def _bucket(value: float, edges: Sequence[float], unit: str) -> str:
    i = bisect.bisect_right(edges, value)
    if i == 0:
        return f"<{edges[0]:g}{unit}"
    if i == len(edges):
        return f">={edges[-1]:g}{unit}"
    return f"{edges[i - 1]:g}-{edges[i]:g}{unit}"


def user_count_bin(count: int) -> str:
    """The events-per-user bin of a user with `count` events in a window."""
    return _bucket(count, USER_COUNT_EDGES, "")


@dataclass(frozen=True, slots=True)
class Observation:
    """What the drift features need of one event (no ids but the user's, kept in memory only)."""

    user_id: str
    event_type: str
    category: str | None
    price_bucket: str | None


def observe(event: Event, catalogue: Catalogue) -> Observation:
    """The drift-relevant parts of one event (its item looked up in the in-memory catalogue)."""
    item = catalogue.get(event.catalog_id, event.item_id) if event.item_id else None
    category = None if item is None else ("/".join(item.category_path[:2]) or "(uncategorized)")
    micros = event.unit_price_micros or (item.price_micros if item is not None else 0)
    price = _bucket(micros / 1e6, PRICE_EDGES_UNITS, "") if micros > 0 else None
    return Observation(event.user_id, _TYPE_NAMES.get(event.event_type, OTHER), category, price)


class Window:
    """Counts of one window of observations per feature; `add`/`remove` keep them current in O(1)."""

    def __init__(self) -> None:
        self.size = 0
        self.counts: dict[str, Counter[str]] = {name: Counter() for name in FEATURES}
        self._per_user: Counter[str] = Counter()

    def add(self, o: Observation) -> None:
        """Counts one observation in."""
        self.size += 1
        c = self.counts
        c["event_type"][o.event_type] += 1
        if o.category is not None:
            c["item_category"][o.category] += 1
        if o.price_bucket is not None:
            c["price_bucket"][o.price_bucket] += 1
        n = self._per_user[o.user_id]
        users = c["events_per_user"]
        if n:
            users[user_count_bin(n)] -= 1
        self._per_user[o.user_id] = n + 1
        users[user_count_bin(n + 1)] += 1

    def remove(self, o: Observation) -> None:
        """Counts one observation (added before) out."""
        self.size -= 1
        c = self.counts
        c["event_type"][o.event_type] -= 1
        if o.category is not None:
            c["item_category"][o.category] -= 1
        if o.price_bucket is not None:
            c["price_bucket"][o.price_bucket] -= 1
        n = self._per_user[o.user_id]
        users = c["events_per_user"]
        users[user_count_bin(n)] -= 1
        if n > 1:
            self._per_user[o.user_id] = n - 1
            users[user_count_bin(n - 1)] += 1
        else:
            del self._per_user[o.user_id]


def _reference_bins(counts: Counter[str], feature: str) -> dict[str, float]:
    if feature != "item_category":
        return {k: float(v) for k, v in counts.items() if v > 0}
    top = dict(counts.most_common(MAX_CATEGORIES))
    rest = sum(counts.values()) - sum(top.values())
    out = {k: float(v) for k, v in top.items() if v > 0}
    out[OTHER] = out.get(OTHER, 0.0) + rest
    return out


def _live_bins(counts: Counter[str], reference: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in counts.items():
        if value > 0:
            bin_ = key if key in reference else OTHER
            out[bin_] = out.get(bin_, 0.0) + value
    return out


class DriftMonitor:
    """The reference and the live window, and the PSI of each feature after the last update.

    Args:
        catalogue: the service's in-memory catalogue (categories and prices of items).
        window_events: events in the reference and in the live window.
        reference_start_us: event time where the reference starts (None: the log's first events).
    """

    def __init__(self, catalogue: Catalogue, window_events: int, reference_start_us: int | None = None):
        if window_events < 1:
            raise ValueError("window_events must be positive")
        self.catalogue = catalogue
        self.window_events = window_events
        self.reference_start_us = reference_start_us
        self._reference = Window()
        self._reference_bins: dict[str, dict[str, float]] | None = None
        self._live = Window()
        self._live_events: deque[Observation] = deque()
        self.latest: dict[str, float] = dict.fromkeys(FEATURES, math.nan)
        """PSI per feature (NaN until both windows are full); replaced whole, so other threads may read it."""

    @property
    def reference_complete(self) -> bool:
        """Whether the reference holds `window_events` events (then it no longer changes)."""
        return self._reference_bins is not None

    def load_reference(self, events: Iterable[Event]) -> None:
        """Adds the log's first events (event-time order) to the reference, up to `window_events`."""
        start = self.reference_start_us
        for e in events:
            if start is None or e.event_time_us >= start:
                self._add_reference(observe(e, self.catalogue))

    def _add_reference(self, o: Observation) -> None:
        if self._reference_bins is not None:
            return
        self._reference.add(o)
        if self._reference.size >= self.window_events:
            self._reference_bins = {f: _reference_bins(self._reference.counts[f], f) for f in FEATURES}

    def update(self, events: Sequence[Event]) -> None:
        """Takes newly committed events into the live window (and into an incomplete reference)."""
        if not events:
            return
        start = self.reference_start_us
        for e in events:
            o = observe(e, self.catalogue)
            if start is None or e.event_time_us >= start:
                self._add_reference(o)
            self._live_events.append(o)
            self._live.add(o)
        while len(self._live_events) > self.window_events:
            self._live.remove(self._live_events.popleft())
        self.latest = self.current()

    def current(self) -> dict[str, float]:
        """PSI per feature of the live window against the reference (NaN while either is not full)."""
        ref = self._reference_bins
        if ref is None or self._live.size < self.window_events:
            return dict.fromkeys(FEATURES, math.nan)
        return {f: psi(ref[f], _live_bins(self._live.counts[f], ref[f])) for f in FEATURES}
