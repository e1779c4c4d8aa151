"""Features as of event time: per-user and per-item state folded from events, read out at any later time.

Every value is a function of the events only, never of the wall clock: `apply` folds one event into a
state, `read_user` / `read_item` evaluate a state at an `as_of` event time. The incremental path (events
applied as they arrive) and a rebuild (every event of the log in time order) run the same fold, so they agree
up to float rounding of the decayed sums.

Decayed sums keep an anchor time: a stored value v is worth v * exp(-(t - anchor) / tau) at t, so an event
at t adds weight * exp((t - anchor) / tau), one exp per event whatever its order. The anchor moves forward
(rescaling the values) only when that factor would pass e^30, to keep magnitudes bounded; arrival order
therefore changes only rounding.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass, field

from services.profile.model import US_PER_S, Event, EventType

HOUR_US = 3600 * US_PER_S
WINDOWS_US = (HOUR_US, 24 * HOUR_US, 7 * 24 * HOUR_US)
"""The trailing count windows: 1 h, 24 h, 7 d."""
ITEM_TYPES = frozenset({EventType.VIEW, EventType.CLICK, EventType.ADD_TO_CART, EventType.PURCHASE,
                        EventType.DWELL})
"""Event types that count as interactions with an item (recent items, affinities, popularity)."""


@dataclass(frozen=True)
class FeatureConfig:
    """How features are computed; one config serves the incremental path and rebuilds alike.

    Attributes:
        affinity_time_constant_s: tau of category and brand affinities.
        popularity_time_constant_s: tau of item popularity.
        trend_short_time_constant_s: tau of the short window of the trend.
        trend_long_time_constant_s: tau of the long window of the trend.
        prior_alpha: Beta prior "successes" of the smoothed rates.
        prior_beta: Beta prior "failures" of the smoothed rates.
        recent_items: how many recent interactions a user keeps.
        purchased_items: how many purchased items a read returns.
        weights: per event type weight in affinities and popularity.
    """

    affinity_time_constant_s: float = 14 * 86400.0
    popularity_time_constant_s: float = 3 * 86400.0
    trend_short_time_constant_s: float = 86400.0
    trend_long_time_constant_s: float = 14 * 86400.0
    prior_alpha: float = 1.0
    prior_beta: float = 9.0
    recent_items: int = 50
    purchased_items: int = 200
    weights: dict[int, float] = field(default_factory=lambda: {
        EventType.VIEW: 1.0, EventType.CLICK: 2.0, EventType.ADD_TO_CART: 3.0, EventType.PURCHASE: 5.0,
        EventType.DWELL: 1.0,
    })


_REANCHOR_EXPONENT = 30.0


class Decayed:
    """Exponentially decayed sums sharing one reference time and one time constant."""

    __slots__ = ("ref_us", "tau_us", "values")

    def __init__(self, tau_s: float, ref_us: int = 0, values: dict[str, float] | None = None):
        self.tau_us = tau_s * US_PER_S
        self.ref_us = ref_us
        self.values: dict[str, float] = values if values is not None else {}

    def add(self, t_us: int, key: str, weight: float) -> None:
        """Adds `weight` at event time `t_us` to `key`."""
        values = self.values
        if not values:
            self.ref_us = t_us
        exponent = (t_us - self.ref_us) / self.tau_us
        if exponent > _REANCHOR_EXPONENT:
            factor = math.exp(-exponent)
            for k in values:
                values[k] *= factor
            self.ref_us, exponent = t_us, 0.0
        values[key] = values.get(key, 0.0) + (weight * math.exp(exponent) if exponent else weight)

    def at(self, t_us: int) -> dict[str, float]:
        """Every value evaluated at event time `t_us`."""
        factor = math.exp(-(t_us - self.ref_us) / self.tau_us)
        return {k: v * factor for k, v in self.values.items()}

    def dump(self) -> list[object]:
        """JSON-ready form."""
        return [self.ref_us, self.values]

    @classmethod
    def load(cls, tau_s: float, data: list[object] | None) -> Decayed:
        """Inverse of `dump`."""
        if not data:
            return cls(tau_s)
        ref, values = data
        return cls(tau_s, int(ref), dict(values))  # type: ignore[call-overload]


def _add_window(windows: dict[int, list[int]], event_type: int, t_us: int) -> None:
    """Records an event time per type, kept sorted; `finish` later drops what fell out of the 7-day window."""
    times = windows.setdefault(event_type, [])
    if not times or t_us >= times[-1]:
        times.append(t_us)
    else:
        bisect.insort(times, t_us)


def _prune_windows(windows: dict[int, list[int]], latest_us: int) -> None:
    floor = latest_us - WINDOWS_US[-1]
    for event_type in list(windows):
        times = windows[event_type]
        if times and times[0] <= floor:
            times[:] = [x for x in times if x > floor]
        if not times:
            del windows[event_type]


def window_counts(windows: dict[int, list[int]], as_of_us: int) -> dict[int, tuple[int, int, int]]:
    """Counts per event type over the trailing windows ending at `as_of_us` (start exclusive, end inclusive)."""
    out: dict[int, tuple[int, int, int]] = {}
    for event_type, times in windows.items():
        end = bisect.bisect_right(times, as_of_us)
        c1, c24, c7 = (end - bisect.bisect_right(times, as_of_us - w) for w in WINDOWS_US)
        if c7:
            out[event_type] = (c1, c24, c7)
    return out


def _newest_first(entry: tuple[int, int, str, int]) -> tuple[int, int]:
    return -entry[0], -entry[1]


@functools.lru_cache(maxsize=65_536)
def category_keys(path: tuple[str, ...]) -> tuple[str, ...]:
    """"Movies/Comedy" and each of its prefixes ("Movies"); cached, since every event of an item asks again."""
    return tuple("/".join(path[: i + 1]) for i in range(len(path)))


@dataclass
class UserState:
    """Everything needed to answer a user's features at any time after its latest event."""

    config: FeatureConfig
    categories: Decayed
    brands: Decayed
    recent: list[tuple[int, int, str, int]] = field(default_factory=list)
    """(event_time_us, sequence, item_id, event_type), newest first, at most config.recent_items."""
    windows: dict[int, list[int]] = field(default_factory=dict)
    purchased: dict[str, list[int]] = field(default_factory=dict)
    """item_id -> [purchase_count, last_purchase_time_us]."""
    last_active_us: int = 0
    total_events: int = 0
    encoded: dict[tuple[object, ...], bytes] = field(default_factory=dict, compare=False, repr=False)
    """Wire bytes of recent and purchased entries already encoded (served.user_record); never stored."""

    @classmethod
    def empty(cls, config: FeatureConfig) -> UserState:
        """A user with no events."""
        tau = config.affinity_time_constant_s
        return cls(config, Decayed(tau), Decayed(tau))

    def apply(self, event: Event, category_path: tuple[str, ...], brand: str) -> None:
        """Folds one event (its item's category path and brand from the catalogue) into the state."""
        t = event.event_time_us
        self.total_events += 1
        self.last_active_us = max(self.last_active_us, t)
        _add_window(self.windows, int(event.event_type), t)
        if event.event_type not in ITEM_TYPES or not event.item_id:
            return
        weight = self.config.weights.get(event.event_type, 0.0)
        if weight:
            for key in category_keys(category_path):
                self.categories.add(t, key, weight)
            if brand:
                self.brands.add(t, brand, weight)
        entry = (t, event.sequence, event.item_id, int(event.event_type))
        recent = self.recent
        if not recent or entry[:2] > recent[0][:2]:
            recent.insert(0, entry)  # the usual case: events arrive in time order
        elif len(recent) < self.config.recent_items or entry[:2] > recent[-1][:2]:
            bisect.insort(recent, entry, key=_newest_first)
        del recent[self.config.recent_items:]
        if event.event_type == EventType.PURCHASE:
            bought = self.purchased.setdefault(event.item_id, [0, 0])
            bought[0] += 1
            bought[1] = max(bought[1], t)

    def finish(self) -> None:
        """Drops window entries older than 7 days before the latest event (after a batch of applies)."""
        _prune_windows(self.windows, self.last_active_us)

    def dump(self) -> dict[str, object]:
        """JSON-ready fields (one hash field each in Redis)."""
        return {
            "cat": self.categories.dump(), "brand": self.brands.dump(), "recent": self.recent,
            "win": {str(k): v for k, v in self.windows.items()}, "bought": self.purchased,
            "meta": [self.last_active_us, self.total_events],
        }

    @classmethod
    def load(cls, config: FeatureConfig, data: dict[str, object]) -> UserState:
        """Inverse of `dump`."""
        tau = config.affinity_time_constant_s
        meta = data.get("meta") or [0, 0]
        return cls(
            config, Decayed.load(tau, data.get("cat")), Decayed.load(tau, data.get("brand")),  # type: ignore[arg-type]
            [tuple(e) for e in data.get("recent") or []],  # type: ignore[attr-defined]
            {int(k): list(v) for k, v in (data.get("win") or {}).items()},  # type: ignore[attr-defined]
            {k: list(v) for k, v in (data.get("bought") or {}).items()},  # type: ignore[attr-defined]
            int(meta[0]), int(meta[1]),  # type: ignore[index]
        )


@dataclass(frozen=True)
class UserFeatureValues:
    """A user's features as of one event time (the domain form of shopmesh.common.v1.UserFeatures)."""

    as_of_us: int
    recent: list[tuple[int, int, str, int]]
    category_affinities: dict[str, float]
    brand_affinities: dict[str, float]
    event_counts: dict[int, tuple[int, int, int]]
    last_active_us: int
    purchased: list[tuple[str, int, int]]
    """(item_id, purchase_count, last_purchase_time_us), most recent first."""
    total_events: int


def normalise_by_depth(values: dict[str, float]) -> dict[str, float]:
    """Category values as shares of the total at their depth ("Movies" vs "Movies/Comedy")."""
    totals: dict[int, float] = {}
    for key, value in values.items():
        depth = key.count("/")
        totals[depth] = totals.get(depth, 0.0) + value
    return {k: v / totals[k.count("/")] for k, v in values.items() if totals[k.count("/")] > 0}


def read_user(state: UserState, as_of_us: int) -> UserFeatureValues:
    """Evaluates a user's state at `as_of_us` (not before its latest event).

    Affinities are shares (per category depth, and of brands): every value of a Decayed shares one reference
    time, so the decay factor to `as_of_us` cancels and the shares are those of the stored values.
    """
    brands = state.brands.values
    brand_total = sum(brands.values())
    purchased = sorted(((k, v[0], v[1]) for k, v in state.purchased.items()), key=lambda p: (p[2], p[0]),
                       reverse=True)[: state.config.purchased_items]
    return UserFeatureValues(
        as_of_us=as_of_us,
        recent=list(state.recent),
        category_affinities=normalise_by_depth(state.categories.values),
        brand_affinities={k: v / brand_total for k, v in brands.items()} if brand_total > 0 else {},
        event_counts=window_counts(state.windows, as_of_us),
        last_active_us=state.last_active_us,
        purchased=purchased,
        total_events=state.total_events,
    )


@dataclass
class ItemState:
    """Everything needed to answer an item's behaviour features at any time after its latest event."""

    config: FeatureConfig
    popularity: Decayed
    short: Decayed
    long: Decayed
    totals: dict[int, int] = field(default_factory=dict)
    windows: dict[int, list[int]] = field(default_factory=dict)
    first_event_us: int = 0
    latest_event_us: int = 0

    @classmethod
    def empty(cls, config: FeatureConfig) -> ItemState:
        """An item with no events."""
        return cls(config, Decayed(config.popularity_time_constant_s), Decayed(config.trend_short_time_constant_s),
                   Decayed(config.trend_long_time_constant_s))

    def apply(self, event: Event) -> None:
        """Folds one event about this item into the state."""
        t = event.event_time_us
        kind = int(event.event_type)
        self.totals[kind] = self.totals.get(kind, 0) + 1
        self.first_event_us = t if not self.first_event_us else min(self.first_event_us, t)
        self.latest_event_us = max(self.latest_event_us, t)
        _add_window(self.windows, kind, t)
        weight = self.config.weights.get(event.event_type, 0.0) if event.event_type in ITEM_TYPES else 0.0
        if weight:
            self.popularity.add(t, "", weight)
            self.short.add(t, "", weight)
            self.long.add(t, "", weight)

    def finish(self) -> None:
        """Drops window entries older than 7 days before the latest event."""
        _prune_windows(self.windows, self.latest_event_us)

    def popularity_anchor(self) -> float | None:
        """ln(popularity at ref) + ref / tau: orders items by popularity at any common time (None: zero)."""
        value = self.popularity.values.get("", 0.0)
        if value <= 0:
            return None
        return math.log(value) + self.popularity.ref_us / self.popularity.tau_us

    def dump(self) -> dict[str, object]:
        """JSON-ready fields (one hash field each in Redis)."""
        return {
            "pop": self.popularity.dump(), "short": self.short.dump(), "long": self.long.dump(),
            "tot": {str(k): v for k, v in self.totals.items()}, "win": {str(k): v for k, v in self.windows.items()},
            "meta": [self.first_event_us, self.latest_event_us],
        }

    @classmethod
    def load(cls, config: FeatureConfig, data: dict[str, object]) -> ItemState:
        """Inverse of `dump`."""
        meta = data.get("meta") or [0, 0]
        return cls(
            config,
            Decayed.load(config.popularity_time_constant_s, data.get("pop")),  # type: ignore[arg-type]
            Decayed.load(config.trend_short_time_constant_s, data.get("short")),  # type: ignore[arg-type]
            Decayed.load(config.trend_long_time_constant_s, data.get("long")),  # type: ignore[arg-type]
            {int(k): int(v) for k, v in (data.get("tot") or {}).items()},  # type: ignore[attr-defined]
            {int(k): list(v) for k, v in (data.get("win") or {}).items()},  # type: ignore[attr-defined]
            int(meta[0]), int(meta[1]),  # type: ignore[index]
        )


@dataclass(frozen=True)
class ItemFeatureValues:
    """An item's behaviour features as of one event time (catalogue fields are added by the caller)."""

    as_of_us: int
    popularity: float
    event_counts: dict[int, tuple[int, int, int]]
    view_to_click_rate: float
    click_to_purchase_rate: float
    trend: float
    first_event_us: int


def read_item(state: ItemState, as_of_us: int) -> ItemFeatureValues:
    """Evaluates an item's state at `as_of_us`."""
    c = state.config
    views = state.totals.get(EventType.VIEW, 0)
    clicks = state.totals.get(EventType.CLICK, 0)
    purchases = state.totals.get(EventType.PURCHASE, 0)
    prior = c.prior_alpha + c.prior_beta
    short = state.short.at(as_of_us).get("", 0.0) / c.trend_short_time_constant_s
    long = state.long.at(as_of_us).get("", 0.0) / c.trend_long_time_constant_s
    # Both are weighted events per second; the floor (one event a month) keeps an item without events at 1.
    floor = 1.0 / (30 * 86400.0)
    return ItemFeatureValues(
        as_of_us=as_of_us,
        popularity=state.popularity.at(as_of_us).get("", 0.0),
        event_counts=window_counts(state.windows, as_of_us),
        view_to_click_rate=(clicks + c.prior_alpha) / (views + prior),
        click_to_purchase_rate=(purchases + c.prior_alpha) / (clicks + prior),
        trend=(short + floor) / (long + floor),
        first_event_us=state.first_event_us,
    )


def _decayed_at(data: list[object] | None, tau_s: float, as_of_us: int) -> float:
    if not data:
        return 0.0
    ref, values = data
    value = values.get("", 0.0)  # type: ignore[attr-defined]
    return float(value) * math.exp(-(as_of_us - int(ref)) / (tau_s * US_PER_S))  # type: ignore[call-overload]


def read_item_dump(config: FeatureConfig, data: dict[str, object], as_of_us: int) -> ItemFeatureValues:
    """`read_item` straight from a stored dump, without building the state (the serving path's hot loop)."""
    c = config
    totals: dict[str, int] = data.get("tot") or {}  # type: ignore[assignment]
    views, clicks = totals.get("2", 0), totals.get("3", 0)
    purchases = totals.get("5", 0)
    prior = c.prior_alpha + c.prior_beta
    short = _decayed_at(data.get("short"), c.trend_short_time_constant_s, as_of_us) / c.trend_short_time_constant_s  # type: ignore[arg-type]
    long = _decayed_at(data.get("long"), c.trend_long_time_constant_s, as_of_us) / c.trend_long_time_constant_s  # type: ignore[arg-type]
    floor = 1.0 / (30 * 86400.0)
    windows = {int(k): v for k, v in (data.get("win") or {}).items()}  # type: ignore[attr-defined]
    meta: list[int] = data.get("meta") or [0, 0]  # type: ignore[assignment]
    return ItemFeatureValues(
        as_of_us=as_of_us,
        popularity=_decayed_at(data.get("pop"), c.popularity_time_constant_s, as_of_us),  # type: ignore[arg-type]
        event_counts=window_counts(windows, as_of_us),
        view_to_click_rate=(clicks + c.prior_alpha) / (views + prior),
        click_to_purchase_rate=(purchases + c.prior_alpha) / (clicks + prior),
        trend=(short + floor) / (long + floor),
        first_event_us=int(meta[0]),
    )
