"""Drift: PSI arithmetic, the windows, and a replayed stream through the real service raising shopmesh_drift_psi."""

from __future__ import annotations

import math
import random
import urllib.request
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from services.profile.app import ProfileApp, build
from services.profile.catalogue import Catalogue
from services.profile.drift import DriftMonitor, psi, user_count_bin
from services.profile.model import Event, EventType, Item
from shared.server import ServiceHost
from shopmesh.profile.v1 import profile_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2_grpc as pb_grpc
from tests.profile.conftest import Backend, make_backend, profile_settings, stubs_for
from tests.profile.fake_vault import FakeVault
from tests.profile.helpers import CLICK, PURCHASE, T0, VIEW, event, load_catalogue

WINDOW = 200
THRESHOLD = 0.2


# --- PSI and the windows, without a service -------------------------------------------------------------------


def test_identical_distributions_have_zero_psi() -> None:
    counts = {"view": 600.0, "click": 300.0, "purchase": 100.0}
    assert psi(counts, counts) == pytest.approx(0.0, abs=1e-12)
    assert psi(counts, {k: v * 3 for k, v in counts.items()}) == pytest.approx(0.0, abs=1e-12)  # proportions


def test_a_known_shift_gives_the_formula_value() -> None:
    # e = (0.5, 0.5), a = (0.8, 0.2): 0.3 ln(1.6) + (-0.3) ln(0.4)
    expected = 0.3 * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi({"a": 50, "b": 50}, {"a": 80, "b": 20}) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.4159, abs=1e-4)


def test_an_empty_bin_is_smoothed_not_infinite() -> None:
    value = psi({"a": 100}, {"a": 50, "new": 50}, epsilon=1e-4)
    e, a = 1e-4, 0.5
    assert value == pytest.approx((0.5 - 1.0) * math.log(0.5) + (a - e) * math.log(a / e), rel=1e-9)
    assert math.isnan(psi({}, {"a": 1})) and math.isnan(psi({"a": 1}, {}))


def _item(i: int, category: tuple[str, ...], price_micros: int = 0) -> Item:
    return Item(f"i{i}", "shop", f"Item {i}", category_path=category, price_micros=price_micros)


def _events(n: int, start: int, *, types: list[EventType], items: list[str], users: int, seed: int) -> list[Event]:
    rng = random.Random(seed)
    return [Event(f"e{start + k}", f"u{rng.randrange(users)}", rng.choice(types), (T0 + start + k) * 10**6,
                  "shop", rng.choice(items)) for k in range(n)]


def test_windows_fill_then_unseen_categories_fall_into_other() -> None:
    catalogue = Catalogue("shop")
    catalogue.load([_item(1, ("Books", "Poetry"), 5_000_000), _item(2, ("Books", "Crime"), 15_000_000),
                    _item(3, ("Garden",), 250_000_000)])
    monitor = DriftMonitor(catalogue, window_events=100)
    types = [EventType.VIEW, EventType.VIEW, EventType.CLICK]
    monitor.update(_events(60, 0, types=types, items=["i1", "i2"], users=10, seed=1))
    assert not monitor.reference_complete and all(math.isnan(v) for v in monitor.latest.values())
    monitor.update(_events(40, 60, types=types, items=["i1", "i2"], users=10, seed=2))
    assert monitor.reference_complete
    assert monitor.latest["event_type"] < 0.05  # the live window is the reference itself
    # a category and a price the reference lacks
    monitor.update(_events(100, 100, types=types, items=["i3"], users=10, seed=3))
    assert monitor.latest["item_category"] > 5 and monitor.latest["price_bucket"] > 5
    assert monitor.latest["event_type"] < THRESHOLD


def test_events_per_user_counts_users_by_their_events_in_the_window() -> None:
    catalogue = Catalogue("shop")
    catalogue.load([_item(1, ("Books",))])
    monitor = DriftMonitor(catalogue, window_events=20)
    spread = [Event(f"a{k}", f"u{k}", EventType.VIEW, T0 * 10**6 + k, "shop", "i1") for k in range(20)]
    monitor.update(spread)  # 20 users with one event each
    assert monitor.latest["events_per_user"] == pytest.approx(0.0, abs=1e-12)
    heavy = [Event(f"b{k}", "u-heavy", EventType.VIEW, T0 * 10**6 + 100 + k, "shop", "i1") for k in range(20)]
    monitor.update(heavy)  # one user with 20 events: every reference user is evicted from the live window
    assert user_count_bin(20) == "17-33"
    ref, live = 1e-4, 1.0  # reference all in bin "1", live all in "17-33"
    assert monitor.latest["events_per_user"] == pytest.approx(2 * (live - ref) * math.log(live / ref), rel=1e-9)


# --- a replayed stream through the real service ----------------------------------------------------------------


@pytest.fixture
async def drift_profile(mesh_certs: Path, backend: Backend,
                        fake_vault: tuple[ServiceHost, FakeVault]) -> AsyncIterator[tuple[ProfileApp, int]]:
    """A profile service (each backend) with a 200-event drift window and its /metrics endpoint on."""
    vault_host, _ = fake_vault
    app = build(profile_settings(mesh_certs, backend, vault_host.port,
                                 metrics_enabled=True, metrics_port=0, drift_window_events=WINDOW,
                                 drift_alert_threshold=THRESHOLD))
    await app.start()
    yield app, app.host.metrics_port
    await app.stop(0)


def stream(prefix: str, n: int, start: float, *, mix: Sequence[int], genre_items: list[str],
           seed: int) -> list[pb.Event]:
    """n events of 25 users: types drawn from `mix`, items from `genre_items`, one second apart."""
    rng = random.Random(seed)
    return [event(f"{prefix}{k}", f"user{rng.randrange(25)}", rng.choice(mix), start + k, rng.choice(genre_items))
            for k in range(n)]


BASE_MIX = [VIEW] * 6 + [CLICK] * 3 + [PURCHASE]
ALL_ITEMS = [f"ml-{i}" for i in range(1, 21)]  # Comedy (even ids) and Drama (odd ids) alike
SHIFTED_MIX = [PURCHASE] * 7 + [VIEW] * 3
DRAMA = [f"ml-{i}" for i in range(1, 21, 2)]


def scrape(port: int) -> dict[str, float]:
    """The drift samples of the service's /metrics page."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("shopmesh_drift_psi{") or line.startswith("shopmesh_drift_threshold "):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def ingest(stubs: dict[str, pb_grpc.ProfileServiceStub], events: list[pb.Event]) -> None:
    reply = await stubs["gateway"].IngestEvents(pb.IngestEventsRequest(events=events), timeout=10)
    assert reply.accepted_count == len(events)


async def test_a_shifted_stream_raises_psi_over_the_threshold(mesh_certs: Path,
                                                              drift_profile: tuple[ProfileApp, int]) -> None:
    app, port = drift_profile
    stubs, factories = stubs_for(mesh_certs, app.host.port)
    try:
        await load_catalogue(stubs["loader"])
        assert math.isnan(scrape(port)['shopmesh_drift_psi{feature="event_type"}'])  # no reference yet
        # the reference, then more of the same
        await ingest(stubs, stream("ref", WINDOW, T0, mix=BASE_MIX, genre_items=ALL_ITEMS, seed=1))
        await ingest(stubs, stream("like", WINDOW, T0 + 1000, mix=BASE_MIX, genre_items=ALL_ITEMS, seed=2))
        calm = scrape(port)
        assert calm["shopmesh_drift_threshold"] == THRESHOLD
        for feature in ("event_type", "item_category", "price_bucket", "events_per_user"):
            assert calm[f'shopmesh_drift_psi{{feature="{feature}"}}'] < THRESHOLD, (feature, calm)
        for part in range(4):  # the shift arrives over several batches
            await ingest(stubs, stream(f"shift{part}-", WINDOW // 4, T0 + 2000 + part * 100,
                                            mix=SHIFTED_MIX, genre_items=DRAMA, seed=3 + part))
        shifted = scrape(port)
        assert shifted['shopmesh_drift_psi{feature="event_type"}'] > THRESHOLD, shifted
        assert shifted['shopmesh_drift_psi{feature="item_category"}'] > THRESHOLD, shifted
        registry = app.host.metrics.registry
        assert (registry.get_sample_value("shopmesh_drift_psi", {"feature": "event_type"}) or 0.0) > THRESHOLD
    finally:
        for factory in factories:
            await factory.close()


async def test_a_restarted_service_takes_its_reference_from_the_log(
        mesh_certs: Path, tmp_path: Path, fake_vault: tuple[ServiceHost, FakeVault]) -> None:
    vault_host, _ = fake_vault
    backend = make_backend("sqlite", tmp_path)

    def settings_at(start_s: float | None) -> object:
        return profile_settings(mesh_certs, backend, vault_host.port, drift_window_events=WINDOW,
                                drift_reference_start_seconds=start_s)

    first = build(settings_at(None))  # type: ignore[arg-type]
    await first.start()
    stubs, factories = stubs_for(mesh_certs, first.host.port)
    await load_catalogue(stubs["loader"])
    # events before the reference window's start, then the reference
    await ingest(stubs, stream("old", WINDOW, T0, mix=SHIFTED_MIX, genre_items=DRAMA, seed=7))
    await ingest(stubs, stream("ref", WINDOW, T0 + 5000, mix=BASE_MIX, genre_items=ALL_ITEMS, seed=1))
    for factory in factories:
        await factory.close()
    await first.stop(0)

    again = build(settings_at(T0 + 5000))  # type: ignore[arg-type]
    await again.start()
    try:
        monitor = again.service.drift
        assert monitor is not None and monitor.reference_complete  # read from the log, from the window's start
        stubs, factories = stubs_for(mesh_certs, again.host.port)
        await ingest(stubs, stream("like", WINDOW, T0 + 9000, mix=BASE_MIX, genre_items=ALL_ITEMS, seed=2))
        assert monitor.latest["event_type"] < THRESHOLD and monitor.latest["item_category"] < THRESHOLD
        await ingest(stubs, stream("shift", WINDOW, T0 + 9500, mix=SHIFTED_MIX, genre_items=DRAMA, seed=3))
        assert monitor.latest["event_type"] > THRESHOLD and monitor.latest["item_category"] > THRESHOLD
        for factory in factories:
            await factory.close()
    finally:
        await again.stop(0)
