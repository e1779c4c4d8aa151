"""Protobuf <-> domain conversions for the profile servicer (no logic beyond field mapping)."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import timestamp_pb2

from services.profile.features import ItemFeatureValues, UserFeatureValues
from services.profile.model import Event, EventOrigin, EventResult, EventType, Item
from services.profile.profiles import Preferences, Profile, SavedAddress
from services.profile.served import delimited, varint
from shopmesh.common.v1 import account_pb2, event_pb2, features_pb2, item_pb2, money_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def ts_to_us(ts: timestamp_pb2.Timestamp) -> int:
    """Timestamp -> microseconds (0 for an unset timestamp), clamped to 64 bits.

    A request may carry any int64 seconds: unclamped, 10^15 s reached the stores as 10^21 us and SQLite raised
    OverflowError (found by fuzzing ReadEvents). Clamped, order is kept: such a time is still later (or
    earlier) than any real one, so filters and event-time checks treat it as they should."""
    return max(INT64_MIN, min(INT64_MAX, ts.seconds * 1_000_000 + ts.nanos // 1000))


def us_to_ts(us: int) -> timestamp_pb2.Timestamp:
    """Microseconds -> Timestamp."""
    seconds, micros = divmod(us, 1_000_000)
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=micros * 1000)


def opt_ts(message: object, field: str) -> int | None:
    """The field as microseconds, or None when unset."""
    return ts_to_us(getattr(message, field)) if message.HasField(field) else None  # type: ignore[attr-defined]


_EVENT_TYPES = {int(t): t for t in EventType}
_ORIGINS = {**{int(o): o for o in EventOrigin}, 0: EventOrigin.APP}


def event_from_pb(e: pb.Event) -> Event:
    """A request event (server-set fields ignored).

    Unknown enum values become UNSPECIFIED (validation rejects them) and an unset origin APP; enum members
    come from dicts, not Enum calls, which cost more than the rest of the conversion (9 -> 3 us an event).
    """
    t = e.event_time  # unset: 0 seconds and nanos, so 0 as before
    if e.HasField("unit_price"):
        currency, micros = e.unit_price.currency_code, e.unit_price.amount_micros
    else:
        currency, micros = "", 0
    return Event(
        e.event_id, e.user_id, _EVENT_TYPES.get(e.event_type, EventType.UNSPECIFIED),
        t.seconds * 1_000_000 + t.nanos // 1000, e.catalog_id, e.item_id, e.impression_id, e.redacted_query,
        e.dwell_ms, e.quantity, currency, micros, e.app_session_id, _ORIGINS.get(e.origin, EventOrigin.APP))


def event_to_pb(e: Event) -> pb.Event:
    """A logged event."""
    message = pb.Event(
        event_id=e.event_id, user_id=e.user_id, event_type=int(e.event_type), event_time=us_to_ts(e.event_time_us),  # type: ignore[arg-type]
        catalog_id=e.catalog_id, item_id=e.item_id, impression_id=e.impression_id,
        redacted_query=e.redacted_query, dwell_ms=e.dwell_ms, quantity=e.quantity,
        app_session_id=e.app_session_id, origin=int(e.origin), ingest_time=us_to_ts(e.ingest_time_us),  # type: ignore[arg-type]
        sequence=e.sequence)
    if e.unit_price_currency:
        message.unit_price.CopyFrom(money_pb2.Money(currency_code=e.unit_price_currency,
                                                    amount_micros=e.unit_price_micros))
    return message


def result_to_pb(r: EventResult) -> event_pb2.EventResult:
    """One EventResult with its violations."""
    return event_pb2.EventResult(
        event_id=r.event_id, status=int(r.status),  # type: ignore[arg-type]
        violations=[event_pb2.FieldViolation(field=v.field, reason=v.reason, description=v.description)
                    for v in r.violations])


def ingest_reply(results: Sequence[EventResult]) -> bytes:
    """IngestEventsResponse wire bytes: each result without violations (nearly all) encoded by hand, the
    others by protobuf; it parses to the message protobuf would build (tests/profile/test_served.py)."""
    parts = []
    counts = [0, 0, 0, 0, 0]
    for r in results:
        status = int(r.status)
        counts[status] += 1
        if r.violations:
            parts.append(delimited(0x0A, result_to_pb(r).SerializeToString()))
        else:
            parts.append(delimited(0x0A, (delimited(0x0A, r.event_id.encode()) if r.event_id else b"")
                                   + b"\x10" + varint(status)))
    for tag, count in zip((0x10, 0x18, 0x20, 0x28), counts[1:], strict=True):
        if count:
            parts.append(bytes((tag,)) + varint(count))
    return b"".join(parts)


def item_from_pb(i: item_pb2.Item) -> Item:
    """A catalogue item from UpsertItems (times are server-set)."""
    return Item(
        item_id=i.item_id, catalog_id=i.catalog_id, title=i.title, description=i.description,
        category_path=tuple(s.replace("/", "-") for s in i.category_path), brand=i.brand,
        price_currency=i.price.currency_code, price_micros=i.price.amount_micros, stock_quantity=i.stock_quantity,
        image_url=i.image_url, language_code=i.language_code, attributes=dict(i.attributes),
        synthetic_fields=tuple(i.synthetic_fields))


def item_to_pb(i: Item) -> item_pb2.Item:
    """A stored item."""
    return item_pb2.Item(
        item_id=i.item_id, catalog_id=i.catalog_id, title=i.title, description=i.description,
        category_path=list(i.category_path), brand=i.brand,
        price=money_pb2.Money(currency_code=i.price_currency, amount_micros=i.price_micros),
        stock_quantity=i.stock_quantity, image_url=i.image_url, language_code=i.language_code,
        attributes=i.attributes, synthetic_fields=list(i.synthetic_fields),
        create_time=us_to_ts(i.create_time_us), update_time=us_to_ts(i.update_time_us))


def _counts(counts: dict[int, tuple[int, int, int]]) -> list[features_pb2.EventTypeCounts]:
    return [features_pb2.EventTypeCounts(event_type=t, count_1h=c[0], count_24h=c[1], count_7d=c[2])  # type: ignore[arg-type]
            for t, c in sorted(counts.items())]


def user_features_to_pb(user_id: str, catalog_id: str, as_of_us: int,
                        v: UserFeatureValues | None) -> features_pb2.UserFeatures:
    """UserFeatures (user_id and as_of_time always set)."""
    message = features_pb2.UserFeatures(user_id=user_id, catalog_id=catalog_id, as_of_time=us_to_ts(as_of_us))
    if v is None:
        return message
    message.recent_items.extend(
        features_pb2.RecentInteraction(item_id=item, event_type=kind, event_time=us_to_ts(t))  # type: ignore[arg-type]
        for t, _, item, kind in v.recent)
    message.category_affinities.update(v.category_affinities)
    message.brand_affinities.update(v.brand_affinities)
    message.event_counts.extend(_counts(v.event_counts))
    if v.last_active_us:
        message.last_active_time.CopyFrom(us_to_ts(v.last_active_us))
    message.purchased_items.extend(
        features_pb2.PurchasedItem(item_id=item, purchase_count=n, last_purchase_time=us_to_ts(t))
        for item, n, t in v.purchased)
    message.total_event_count = v.total_events
    return message


def item_features_template(item: Item) -> features_pb2.ItemFeatures:
    """The catalogue part of an item's ItemFeatures, built once per item version and copied per read."""
    return features_pb2.ItemFeatures(
        item_id=item.item_id, catalog_id=item.catalog_id, category_path=list(item.category_path), brand=item.brand,
        price=money_pb2.Money(currency_code=item.price_currency, amount_micros=item.price_micros),
        stock_quantity=item.stock_quantity)


def fill_item_features(message: features_pb2.ItemFeatures, template: features_pb2.ItemFeatures,
                       v: ItemFeatureValues, as_of_us: int) -> None:
    """Fills ItemFeatures in place (inside the response, so it is never copied): the catalogue fields from
    the template, then the behaviour statistics."""
    message.CopyFrom(template)
    seconds, micros = divmod(as_of_us, 1_000_000)
    message.as_of_time.seconds, message.as_of_time.nanos = seconds, micros * 1000
    message.popularity = v.popularity
    message.view_to_click_rate = v.view_to_click_rate
    message.click_to_purchase_rate = v.click_to_purchase_rate
    message.trend = v.trend
    for kind, (c1, c24, c7) in sorted(v.event_counts.items()):
        message.event_counts.add(event_type=kind, count_1h=c1, count_24h=c24, count_7d=c7)
    if v.first_event_us:
        seconds, micros = divmod(v.first_event_us, 1_000_000)
        message.first_event_time.seconds, message.first_event_time.nanos = seconds, micros * 1000


def consent_to_pb(personalization: int, marketing: int, update_us: int) -> account_pb2.Consent:
    """Consent decisions."""
    message = account_pb2.Consent(personalization=personalization, marketing=marketing)  # type: ignore[arg-type]
    if update_us:
        message.update_time.CopyFrom(us_to_ts(update_us))
    return message


def profile_from_pb(user_id: str, p: pb.Profile) -> Profile:
    """The new values of an UpdateProfile request."""
    pref = p.preferences
    return Profile(
        user_id=user_id, display_name_token=p.display_name_token, email_token=p.email_token,
        phone_token=p.phone_token,
        addresses=tuple(SavedAddress(a.address_id, a.label, a.address_token, a.country_code, a.is_default)
                        for a in p.addresses),
        preferences=Preferences(pref.language_code, pref.currency_code, pref.clothing_size, pref.shoe_size,
                                tuple(pref.favourite_category_keys)),
        etag=p.etag)


def profile_to_pb(p: Profile, consent: account_pb2.Consent) -> pb.Profile:
    """A stored profile with its consent."""
    pref = p.preferences
    return pb.Profile(
        user_id=p.user_id, display_name_token=p.display_name_token, email_token=p.email_token,
        phone_token=p.phone_token,
        addresses=[pb.SavedAddress(address_id=a.address_id, label=a.label, address_token=a.address_token,
                                   country_code=a.country_code, is_default=a.is_default) for a in p.addresses],
        preferences=account_pb2.UserPreferences(
            language_code=pref.language_code, currency_code=pref.currency_code, clothing_size=pref.clothing_size,
            shoe_size=pref.shoe_size, favourite_category_keys=list(pref.favourite_category_keys)),
        consent=consent, create_time=us_to_ts(p.create_time_us), update_time=us_to_ts(p.update_time_us),
        etag=p.etag)
