"""Unit tests of the feature fold (no gRPC, no stores): event-time windows, decay, order independence."""

from __future__ import annotations

import math
import random

from services.profile.features import (
    Decayed,
    FeatureConfig,
    ItemState,
    UserState,
    read_item,
    read_item_dump,
    read_user,
    window_counts,
)
from services.profile.model import US_PER_S, Event, EventType

HOUR = 3600 * US_PER_S
T = 893_000_000 * US_PER_S


def ev(seq: int, at: int, kind: EventType = EventType.VIEW, item: str = "ml-1", user: str = "u1") -> Event:
    return Event(event_id=f"e{seq}", user_id=user, event_type=kind, event_time_us=at, catalog_id="movielens",
                 item_id=item, sequence=seq)


def test_windows_end_at_as_of_and_exclude_their_start() -> None:
    times = {int(EventType.VIEW): [T - 7 * 24 * HOUR, T - 24 * HOUR + 1, T - HOUR, T - 1, T]}
    assert window_counts(times, T) == {int(EventType.VIEW): (2, 4, 4)}  # exactly 1 h / 7 d old: outside
    assert window_counts(times, T - 2) == {int(EventType.VIEW): (1, 2, 3)}  # as of an earlier event time


def test_decayed_sums_do_not_depend_on_arrival_order() -> None:
    rng = random.Random(3)
    adds = [(T + rng.randint(-40, 40) * 24 * HOUR, rng.choice("abc"), rng.random()) for _ in range(400)]
    in_order, shuffled = Decayed(86400.0), Decayed(86400.0)
    for t, key, w in sorted(adds):
        in_order.add(t, key, w)
    rng.shuffle(adds)
    for t, key, w in adds:
        shuffled.add(t, key, w)
    a, b = in_order.at(T + 50 * 24 * HOUR), shuffled.at(T + 50 * 24 * HOUR)
    assert a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=1e-12) for k in a)
    expected = sum(w * math.exp(-(T + 50 * 24 * HOUR - t) / (86400.0 * US_PER_S)) for t, key, w in adds
                   if key == "a")
    assert math.isclose(a["a"], expected, rel_tol=1e-12)  # the anchor moved (40 days > 30 tau) without loss


def test_user_state_survives_a_dump_and_reads_the_same() -> None:
    config = FeatureConfig()
    state = UserState.empty(config)
    for i in range(80):
        state.apply(ev(i, T - i * HOUR, EventType.PURCHASE if i % 10 == 0 else EventType.VIEW, f"ml-{i % 7}"),
                    ("Movies", "Drama" if i % 2 else "Comedy"), "Blue Harbor Films")
    state.finish()
    again = UserState.load(config, state.dump())
    assert read_user(state, T) == read_user(again, T)
    values = read_user(state, T)
    assert len(values.recent) == 50 and values.recent[0][0] == T  # newest first, capped
    assert math.isclose(sum(v for k, v in values.category_affinities.items() if "/" in k), 1.0)
    assert values.purchased[0] == ("ml-0", 2, T)  # items 0 and 70 are ml-0, latest first


def test_item_reads_from_the_dump_equal_reads_from_the_state() -> None:
    config = FeatureConfig()
    state = ItemState.empty(config)
    for i, kind in enumerate([EventType.VIEW] * 20 + [EventType.CLICK] * 4 + [EventType.PURCHASE]):
        state.apply(ev(i, T - i * 600, kind))
    state.finish()
    assert read_item_dump(config, state.dump(), T + HOUR) == read_item(state, T + HOUR)
    assert math.isclose(read_item(state, T).view_to_click_rate, (4 + 1) / (20 + 10))
