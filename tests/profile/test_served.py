"""Serving records (no gRPC, no stores): the pre-encoded read gives the same messages as the reference path.

The reference is the fold's state read with `read_user` / `read_item` and converted field by field
(convert.py); the serving path evaluates a record at as_of and joins wire bytes. Both must parse to equal
messages at every as_of, inside and outside the count windows, for users and items with any history.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from services.profile import convert
from services.profile.catalogue import Catalogue
from services.profile.engine import fold
from services.profile.features import FeatureConfig, ItemState, UserState, read_item, read_user
from services.profile.model import US_PER_S, Event, EventResult, EventType, Item, ResultStatus, Violation
from services.profile.served import (
    ItemEntries,
    ItemReader,
    item_record,
    items_response,
    user_features,
    user_record,
    varint,
)
from shopmesh.common.v1 import features_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb

HOUR = 3600 * US_PER_S
T = 893_000_000 * US_PER_S
KINDS = [EventType.VIEW, EventType.VIEW, EventType.CLICK, EventType.ADD_TO_CART, EventType.PURCHASE,
         EventType.SEARCH, EventType.DWELL]


def _catalogue() -> Catalogue:
    catalogue = Catalogue("movielens")
    catalogue.load(Item(item_id=f"ml-{i}", catalog_id="movielens", title=f"t{i}",
                        category_path=("Movies", ("Comedy", "Drama", "Horror")[i % 3]),
                        brand=f"Studio {i % 4}" if i % 5 else "") for i in range(30))
    return catalogue


def _events(seed: int, count: int) -> list[Event]:
    rng = random.Random(seed)
    out = []
    for seq in range(1, count + 1):
        kind = rng.choice(KINDS)
        item = "" if kind == EventType.SEARCH else f"ml-{rng.randrange(30)}"
        out.append(Event(event_id=f"e{seq}", user_id=f"u{rng.randrange(4)}", event_type=kind,
                         event_time_us=T - rng.randrange(0, 20 * 24 * HOUR), catalog_id="movielens",
                         item_id=item, sequence=seq))
    return sorted(out, key=lambda e: (e.event_time_us, e.sequence))


@pytest.mark.parametrize("seed,count", [(1, 5), (2, 120), (3, 900)])
def test_user_records_read_like_the_reference(seed: int, count: int) -> None:
    config = FeatureConfig()
    result = fold(_events(seed, count), config, _catalogue(), {}, {})
    assert result.users
    for (catalog, user), state in result.users.items():
        record = user_record(state)
        again = user_record(UserState.load(config, state.dump()))  # a state read back encodes the same
        assert again == record
        for as_of in (state.last_active_us, state.last_active_us + HOUR // 2, T + 3 * HOUR, T + 8 * 24 * HOUR):
            served = features_pb2.UserFeatures.FromString(user_features(record, user, catalog, as_of))
            reference = convert.user_features_to_pb(user, catalog, as_of, read_user(state, as_of))
            assert served == reference, (user, as_of)
        assert user_record(state) == record  # the entry cache does not change the bytes


def test_user_records_encoded_window_by_window_equal_fresh_encodings() -> None:
    """The parts a state keeps encoded (entries, the joined purchases) never outlive a change: a state
    re-encoded after every small window gives the bytes of the same state encoded from scratch."""
    config = FeatureConfig()
    catalogue = _catalogue()
    users: dict[tuple[str, str], UserState] = {}
    events = _events(7, 1200)
    for start in range(0, len(events), 7):
        fold(events[start:start + 7], config, catalogue, users, {})
        for state in users.values():
            assert user_record(state) == user_record(UserState.load(config, state.dump()))
    assert any(len(s.purchased) > 3 for s in users.values())


@pytest.mark.parametrize("seed,count", [(4, 3), (5, 200), (6, 1500)])
def test_item_records_read_like_the_reference(seed: int, count: int) -> None:
    config = FeatureConfig(prior_alpha=2.0, prior_beta=7.0)
    reader = ItemReader(config)
    catalogue = _catalogue()
    result = fold(_events(seed, count), config, catalogue, {}, {})
    states = dict(result.items)
    states[("movielens", "ml-none")] = ItemState.empty(config)
    for (_, item_id), state in states.items():
        record = item_record(state)
        assert item_record(ItemState.load(config, state.dump())) == record
        for as_of in (T, T + 1, T + HOUR + 7, T + 2 * 24 * HOUR, T + 30 * 24 * HOUR):
            served = features_pb2.ItemFeatures.FromString(reader.features(record, as_of))
            reference = features_pb2.ItemFeatures()
            convert.fill_item_features(reference, features_pb2.ItemFeatures(), read_item(state, as_of), as_of)
            reference.ClearField("as_of_time")  # the servicer adds as_of_time and the catalogue fields
            assert served == reference, (item_id, as_of)
    assert reader.empty == item_record(ItemState.empty(config))


def test_item_responses_parse_to_results_in_request_order() -> None:
    config = FeatureConfig()
    reader = ItemReader(config)
    state = ItemState.empty(config)
    state.apply(Event(event_id="e1", user_id="u1", event_type=EventType.CLICK, event_time_us=T,
                      catalog_id="movielens", item_id="ml-1", sequence=1))
    state.finish()
    encoded = reader.features(item_record(state), T)
    reply = pb.GetItemFeaturesResponse.FromString(items_response([("ml-1", encoded), ("nope", None),
                                                                  ("ml-2", reader.features(reader.empty, T))]))
    assert [r.item_id for r in reply.results] == ["ml-1", "nope", "ml-2"]
    assert [r.missing for r in reply.results] == [False, True, False]
    assert reply.results[0].features.popularity == pytest.approx(2.0)
    assert reply.results[0].features.event_counts[0].count_1h == 1
    assert reply.results[2].features.trend == 1.0 and not reply.results[2].features.event_counts


def test_cached_item_entries_follow_records_as_of_and_item_versions() -> None:
    """The entry cache answers exactly what a fresh encoding would, whatever of its three inputs changed."""
    config = FeatureConfig()
    reader = ItemReader(config)
    item = _catalogue().get("movielens", "ml-1")
    assert item is not None
    encoded_templates: list[bytes] = []

    def template(it: Item) -> bytes:
        encoded_templates.append(convert.item_features_template(it).SerializeToString())
        return encoded_templates[-1]

    entries = ItemEntries(reader, template)
    state = ItemState.empty(config)

    def click(seq: int, at: int) -> bytes:
        state.apply(Event(event_id=f"e{seq}", user_id="u1", event_type=EventType.CLICK, event_time_us=at,
                          catalog_id="movielens", item_id="ml-1", sequence=seq))
        state.finish()
        return item_record(state)

    def expected(record: bytes, as_of: int, it: Item) -> pb.GetItemFeaturesResponse:
        features = features_pb2.ItemFeatures.FromString(
            convert.item_features_template(it).SerializeToString() + reader.features(record, as_of))
        features.as_of_time.FromMicroseconds(as_of)
        return pb.GetItemFeaturesResponse(results=[pb.ItemFeaturesResult(item_id="ml-1", features=features),
                                                   pb.ItemFeaturesResult(item_id="gone", missing=True)])

    def read(record: bytes, as_of: int, it: Item) -> pb.GetItemFeaturesResponse:
        return pb.GetItemFeaturesResponse.FromString(
            entries.response("movielens", ["ml-1", "gone"], [it, None], [bytes(record), None], as_of))

    record = click(1, T)
    assert read(record, T, item) == expected(record, T, item)
    assert read(record, T, item) == expected(record, T, item) and len(encoded_templates) == 1  # a hit
    later = T + 2 * HOUR  # the 1 h count and the decays move
    assert read(record, later, item) == expected(record, later, item)
    record = click(2, later)  # a new record at the same as_of
    assert read(record, later, item) == expected(record, later, item)
    assert read(record, later, item).results[0].features.event_counts[0].count_24h == 2
    rebranded = replace(item, brand="Other Studio", update_time_us=item.update_time_us + 1)
    assert read(record, later, rebranded) == expected(record, later, rebranded)
    assert read(record, later, rebranded).results[0].features.brand == "Other Studio"


def test_hand_encoded_ingest_replies_equal_the_protobuf_reply() -> None:
    violation = Violation("events[2].item_id", "UNKNOWN_ITEM", "no such item in the event's catalogue")
    results = [EventResult("e1", ResultStatus.ACCEPTED), EventResult("", ResultStatus.DUPLICATE),
               EventResult("e3", ResultStatus.REJECTED, (violation,)), EventResult("é" * 70, ResultStatus.ACCEPTED),
               EventResult("e5", ResultStatus.DISCARDED_NO_CONSENT)] + [
               EventResult(f"x{i}", ResultStatus.ACCEPTED) for i in range(300)]
    reference = pb.IngestEventsResponse(results=[convert.result_to_pb(r) for r in results], accepted_count=302,
                                        duplicate_count=1, rejected_count=1, discarded_count=1)
    assert pb.IngestEventsResponse.FromString(convert.ingest_reply(results)) == reference
    assert pb.IngestEventsResponse.FromString(convert.ingest_reply([])) == pb.IngestEventsResponse()


@pytest.mark.parametrize("value", [1, 127, 128, 300, 2**31, 2**62, -1, -(2**40)])
def test_varints_match_protobuf(value: int) -> None:
    message = features_pb2.UserFeatures(total_event_count=value)
    assert message.SerializeToString() == b"\x50" + varint(value)
