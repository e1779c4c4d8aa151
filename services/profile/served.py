"""Serving records: each entity's features kept pre-encoded, so a read is one fetch and a few byte joins.

The fold writes, next to each entity's state, a record holding everything a read needs already in protobuf
wire form (shopmesh.common.v1.UserFeatures / ItemFeatures fields), plus the few numbers that depend on "now":
decayed sums (reference time and value) and the event times of the count windows. A read evaluates those at
its as_of time with exactly the float operations of `features.read_user` / `read_item`, and joins bytes;
no per-field Python object is built. The slow path (state -> values -> messages) stays the reference: the
tests check both give the same messages.

Record layout (little-endian): a version byte, a fixed header, the static wire bytes, then the windows as
(event type u8, count u32, count x int64 times) runs. Category and brand affinities are shares per depth,
so the common decay factor cancels and they are static too.
"""

from __future__ import annotations

import bisect
import math
import struct
from array import array
from collections.abc import Callable, Iterable, Sequence

from google.protobuf.timestamp_pb2 import Timestamp as _TIMESTAMP

from services.profile.features import WINDOWS_US, FeatureConfig, ItemState, UserState, normalise_by_depth
from services.profile.model import US_PER_S, EventType, Item
from shopmesh.common.v1 import features_pb2

RECORD_VERSION = 1
"""First byte of every record; any other first byte (a JSON state starts with '{') is not a record."""
_ITEM_HEADER = struct.Struct("<BqdqdqdqI")
"""version, popularity ref/value, short ref/value, long ref/value, latest event time, static length."""
_USER_HEADER = struct.Struct("<BqI")
"""version, latest event time, static length."""
_RUN = struct.Struct("<BI")
_DOUBLE = struct.Struct("<d")
_SMALL = [bytes([i]) for i in range(128)]
_WINDOW_7D_US = WINDOWS_US[-1]
_FLOOR = 1.0 / (30 * 86400.0)


def varint(value: int) -> bytes:
    """Protobuf base-128 varint (negative int64 as its 10-byte two's complement)."""
    if 0 <= value < 128:
        return _SMALL[value]
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def delimited(tag: int, body: bytes) -> bytes:
    """A length-delimited field (`tag` is the whole first byte: field number << 3 | 2)."""
    return _SMALL[tag] + varint(len(body)) + body if tag < 128 else varint(tag) + varint(len(body)) + body


def timestamp(us: int) -> bytes:
    """google.protobuf.Timestamp wire body of a time in microseconds."""
    seconds, micros = divmod(us, US_PER_S)
    return (b"\x08" + varint(seconds) if seconds else b"") + (b"\x10" + varint(micros * 1000) if micros else b"")


def _double_field(tag: int, value: float) -> bytes:
    return _SMALL[tag] + _DOUBLE.pack(value) if value else b""


def _string_field(tag: int, value: str) -> bytes:
    return delimited(tag, value.encode()) if value else b""


def _windows(windows: dict[int, list[int]]) -> bytes:
    parts = []
    for kind in sorted(windows):
        times = windows[kind]
        parts.append(_RUN.pack(kind, len(times)))
        parts.append(array("q", times).tobytes())
    return b"".join(parts)


def _counts(record: bytes, offset: int, as_of_us: int, tag: int) -> bytes:
    """EventTypeCounts fields of the windows stored from `offset`, at `as_of_us` (never before their times).

    The times are bisected in place (a memoryview over the record, no copy); the usual message, every
    number under 128, is one bytes() call (explicit zeros parse the same as absent proto3 fields).
    """
    parts = []
    size = len(record)
    view = memoryview(record)
    floor_7d, floor_24h, floor_1h = as_of_us - _WINDOW_7D_US, as_of_us - WINDOWS_US[1], as_of_us - WINDOWS_US[0]
    while offset < size:
        kind, n = _RUN.unpack_from(record, offset)
        offset += _RUN.size
        times = view[offset:offset + 8 * n].cast("q")
        offset += 8 * n
        end = n if as_of_us >= times[n - 1] else bisect.bisect_right(times, as_of_us)
        i7 = bisect.bisect_right(times, floor_7d, 0, end)
        if i7 == end:
            continue
        i24 = bisect.bisect_right(times, floor_24h, i7, end)
        i1 = bisect.bisect_right(times, floor_1h, i24, end)
        c7, c24, c1 = end - i7, end - i24, end - i1
        if c7 < 128:
            parts.append(bytes((tag, 8, 0x08, kind, 0x10, c1, 0x18, c24, 0x20, c7)))
        else:
            parts.append(delimited(tag, b"\x08" + varint(kind) + b"\x10" + varint(c1) + b"\x18" + varint(c24)
                                   + b"\x20" + varint(c7)))
    view.release()
    return b"".join(parts)


# --- items ------------------------------------------------------------------------------------------------


def _decayed_parts(values: dict[str, float], ref_us: int) -> tuple[int, float]:
    value = values.get("")
    return (ref_us, value) if value is not None else (0, 0.0)


def item_record(state: ItemState) -> bytes:
    """An item's serving record (rates and first event time pre-encoded; decays and windows evaluated at read)."""
    c = state.config
    views = state.totals.get(EventType.VIEW, 0)
    clicks = state.totals.get(EventType.CLICK, 0)
    purchases = state.totals.get(EventType.PURCHASE, 0)
    prior = c.prior_alpha + c.prior_beta
    static = (_double_field(0x51, (clicks + c.prior_alpha) / (views + prior))
              + _double_field(0x59, (purchases + c.prior_alpha) / (clicks + prior))
              + (delimited(0x6A, timestamp(state.first_event_us)) if state.first_event_us else b""))
    pop, short, long = state.popularity, state.short, state.long
    header = _ITEM_HEADER.pack(RECORD_VERSION, *_decayed_parts(pop.values, pop.ref_us),
                               *_decayed_parts(short.values, short.ref_us), *_decayed_parts(long.values, long.ref_us),
                               state.latest_event_us, len(static))
    return header + static + _windows(state.windows)


class ItemReader:
    """Evaluates item records at an as_of time into ItemFeatures wire bytes.

    Args:
        config: the feature definitions the records were folded with.
    """

    def __init__(self, config: FeatureConfig):
        self._pop_tau_us = config.popularity_time_constant_s * US_PER_S
        self._short_tau_us = config.trend_short_time_constant_s * US_PER_S
        self._long_tau_us = config.trend_long_time_constant_s * US_PER_S
        self._short_tau_s = config.trend_short_time_constant_s
        self._long_tau_s = config.trend_long_time_constant_s
        self.empty = item_record(ItemState.empty(config))

    def features(self, record: bytes, as_of_us: int) -> bytes:
        """The behaviour fields of ItemFeatures (8-13) at `as_of_us`, as `read_item` computes them."""
        _, pop_ref, pop, short_ref, short, long_ref, long, latest, static_len = _ITEM_HEADER.unpack_from(record)
        popularity = pop * math.exp(-(as_of_us - pop_ref) / self._pop_tau_us)
        short_rate = short * math.exp(-(as_of_us - short_ref) / self._short_tau_us) / self._short_tau_s
        long_rate = long * math.exp(-(as_of_us - long_ref) / self._long_tau_us) / self._long_tau_s
        start = _ITEM_HEADER.size
        counts = _counts(record, start + static_len, as_of_us, 0x4A) if as_of_us - latest < _WINDOW_7D_US else b""
        return (_double_field(0x41, popularity) + counts + record[start:start + static_len]
                + _double_field(0x61, (short_rate + _FLOOR) / (long_rate + _FLOOR)))


class ItemEntries:
    """GetItemFeaturesResponse entries (whole `results` fields as wire bytes), cached per item.

    An entry is a pure function of the item's serving record, the read's as_of time and the item's catalogue
    version, so it is kept with those three and served again while all three are unchanged: with the
    event-time clock "now" only moves when a fold applies events, so between folds a read of 200 items costs
    a dict lookup and two comparisons per item instead of an evaluation and four encodings. Anything else
    (a changed record, another as_of, an updated item) encodes the entry afresh.

    Args:
        reader: evaluates records at as_of.
        template: the catalogue fields of an item's ItemFeatures as wire bytes.
        capacity_bytes: records and entries kept, in bytes; past it the cache starts over (a record holds 8
            bytes per event of its item's last 7 days, so a busy item's can be large).
    """

    def __init__(self, reader: ItemReader, template: Callable[[Item], bytes], capacity_bytes: int = 64 << 20):
        self._reader = reader
        self._template = template
        self._capacity = capacity_bytes
        self._size = 0
        self._cache: dict[tuple[str, str], tuple[bytes, int, int, bytes]] = {}

    def response(self, catalog_id: str, item_ids: Sequence[str], items: Sequence[Item | None],
                 records: Sequence[bytes | None], as_of_us: int) -> bytes:
        """GetItemFeaturesResponse wire bytes (`records[i]` None exactly where `items[i]` is unknown)."""
        get = self._cache.get
        parts = []
        as_of_field: bytes | None = None
        for item_id, item, record in zip(item_ids, items, records, strict=True):
            if item is None or record is None:
                parts.append(_missing(item_id))
                continue
            key = (catalog_id, item_id)
            hit = get(key)
            if hit is not None and hit[1] == as_of_us and hit[2] == item.update_time_us and hit[0] == record:
                parts.append(hit[3])
                continue
            if as_of_field is None:
                as_of_field = delimited(0x1A, timestamp(as_of_us))
            features = self._template(item) + as_of_field + self._reader.features(record, as_of_us)
            entry = delimited(0x0A, delimited(0x0A, item_id.encode()) + delimited(0x1A, features))
            self._size += len(record) + len(entry) - (len(hit[0]) + len(hit[3]) if hit is not None else 0)
            if self._size > self._capacity:
                self._cache.clear()
                self._size = len(record) + len(entry)
            self._cache[key] = (record, as_of_us, item.update_time_us, entry)
            parts.append(entry)
        return b"".join(parts)


def _missing(item_id: str) -> bytes:
    return delimited(0x0A, delimited(0x0A, item_id.encode()) + b"\x10\x01")


def items_response(results: Iterable[tuple[str, bytes | None]]) -> bytes:
    """GetItemFeaturesResponse wire bytes from (item_id, ItemFeatures bytes or None for a missing item)."""
    parts = []
    for item_id, features in results:
        body = delimited(0x0A, item_id.encode()) + (b"\x10\x01" if features is None else delimited(0x1A, features))
        parts.append(delimited(0x0A, body))
    return b"".join(parts)


# --- users ------------------------------------------------------------------------------------------------


def _recent_entry(entry: tuple[int, int, str, int]) -> bytes:
    t, _, item_id, kind = entry
    body = _string_field(0x0A, item_id) + (b"\x10" + varint(kind) if kind else b"") + delimited(0x1A, timestamp(t))
    return delimited(0x22, body)


def _purchased_entry(item_id: str, count: int, t: int) -> bytes:
    body = _string_field(0x0A, item_id) + (b"\x10" + varint(count) if count else b"") + \
        (delimited(0x1A, timestamp(t)) if t else b"")
    return delimited(0x4A, body)


_PURCHASED = "purchased part"
"""First element of the key of the joined purchased entries in a state's `encoded` (an entry's key starts with
an event time or an item id, and ids hold no spaces)."""


def user_record(state: UserState) -> bytes:
    """A user's serving record: every UserFeatures field but ids, as_of_time and event counts pre-encoded.

    The same values as `read_user`, computed without it (a fold window re-encodes every user it touched).
    Recent and purchased entries are encoded once and kept on the state (`state.encoded`), so a touched user
    costs a join, not an encoding per entry; the affinity maps are encoded by protobuf in one call.
    """
    cache = state.encoded
    if len(cache) > 4 * (state.config.recent_items + state.config.purchased_items):
        cache.clear()
    get = cache.get
    parts = [get(entry) or _remember(cache, entry, _recent_entry(entry)) for entry in state.recent]
    brands = state.brands.values
    brand_total = sum(brands.values())
    parts.append(features_pb2.UserFeatures(
        category_affinities=normalise_by_depth(state.categories.values),
        brand_affinities={k: v / brand_total for k, v in brands.items()} if brand_total > 0 else {},
        last_active_time=_TIMESTAMP(seconds=state.last_active_us // US_PER_S,
                                    nanos=state.last_active_us % US_PER_S * 1000) if state.last_active_us else None,
    ).SerializeToString())
    # Purchases only ever add (a count or an item), so the item count and the purchase count identify the
    # joined part: most windows touch a user without a purchase, and the sort and the joins are then skipped.
    bought = state.purchased
    key = (_PURCHASED, len(bought), sum(v[0] for v in bought.values()))
    part = get(key)
    if part is None:
        purchased = sorted(((k, v[0], v[1]) for k, v in bought.items()), key=_latest_purchase, reverse=True)
        part = _remember(cache, key, b"".join([get(p) or _remember(cache, p, _purchased_entry(*p))
                                               for p in purchased[: state.config.purchased_items]]))
    parts.append(part)
    if state.total_events:
        parts.append(b"\x50" + varint(state.total_events))
    static = b"".join(parts)
    return _USER_HEADER.pack(RECORD_VERSION, state.last_active_us, len(static)) + static + _windows(state.windows)


def _remember(cache: dict[tuple[object, ...], bytes], key: tuple[object, ...], encoded: bytes) -> bytes:
    cache[key] = encoded
    return encoded


def _latest_purchase(entry: tuple[str, int, int]) -> tuple[int, str]:
    return entry[2], entry[0]


def user_features(record: bytes, user_id: str, catalog_id: str, as_of_us: int) -> bytes:
    """UserFeatures wire bytes of a user record at `as_of_us` (not before the user's latest event)."""
    _, latest, static_len = _USER_HEADER.unpack_from(record)
    start = _USER_HEADER.size
    counts = _counts(record, start + static_len, as_of_us, 0x3A) if as_of_us - latest < _WINDOW_7D_US else b""
    return (_string_field(0x0A, user_id) + _string_field(0x12, catalog_id) + delimited(0x1A, timestamp(as_of_us))
            + record[start:start + static_len] + counts)


def is_record(raw: bytes) -> bool:
    """Whether stored bytes are a serving record of this layout (else a JSON state, or an older layout)."""
    return bool(raw) and raw[0] == RECORD_VERSION
