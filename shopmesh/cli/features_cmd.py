"""`shopmesh features rebuild` and `shopmesh data load`: the profile service's offline data commands.

Both open the profile stores named by the SHOPMESH_PROFILE_* settings (SQLite under $SHOPMESH_HOME by
default; PostgreSQL and Redis when configured) directly, without a running service. Run them with the
profile service stopped: a running service keeps its own in-memory catalogue and feature fold.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Adds the `features` command group."""
    features = subparsers.add_parser("features", help="the profile service's online features")
    commands = features.add_subparsers(dest="features_command", required=True, metavar="SUBCOMMAND")
    rebuild = commands.add_parser(
        "rebuild", help="recompute every user and item feature from the event log",
        description="Clears the feature store (only its own keys) and folds the whole event log in event-time "
        "order; the result equals what incremental updates produce. Stop the profile service first.")
    rebuild.set_defaults(handler=run_rebuild)


def add_load_parser(commands: Any) -> None:
    """Adds `shopmesh data load` to the `data` command group."""
    load = commands.add_parser(
        "load", help="load MovieLens-100K as the default shop (and the clothing catalogue) into the profile store",
        description="Writes the MovieLens catalogue and replays its 100,000 ratings as behaviour events (view, "
        "click for ratings >= 3, purchase for ratings >= 4) in time order, feeds the order-history simulator's "
        "order events for those purchases to the order mirror, and writes the clothing catalogue. "
        "Idempotent: event ids are deterministic. Needs `shopmesh data fetch` first.")
    load.add_argument("--data-dir", default=None, help="where `shopmesh data fetch` put the data sets")
    load.add_argument("--limit", type=int, default=None, help="replay only the first N ratings")
    load.add_argument("--no-clothing", action="store_true", help="skip the clothing catalogue")
    load.set_defaults(handler=run_load)


async def _rebuild() -> tuple[int, int, int]:
    from services.profile.app import build_offline
    from services.profile.settings import ProfileDataSettings

    service = build_offline(ProfileDataSettings())
    try:
        await service.store.call(service.store.sync.migrate)
        service.catalogue.load(await service.store.call(service.store.sync.all_items))
        await service.enforce_privacy()  # a restored log may hold deleted users' or expired events
        return await service.engine.rebuild()
    finally:
        await service.close()


def run_rebuild(args: argparse.Namespace) -> int:
    """Handler of `shopmesh features rebuild`."""
    from services.profile.store import StoreUnavailable

    started = time.monotonic()
    try:
        events, users, items = asyncio.run(_rebuild())
    except (StoreUnavailable, OSError) as exc:
        print(f"shopmesh features rebuild: {exc}", file=sys.stderr)
        return 1
    print(f"Rebuilt features of {users:,} users and {items:,} items from {events:,} events "
          f"in {time.monotonic() - started:.1f} s.")
    return 0


async def load_datasets(data_dir: str | None, limit: int | None, clothing: bool) -> dict[str, int]:
    """Loads the catalogues and replays MovieLens into the configured profile stores; returns counts."""
    from services.profile import dataload
    from services.profile.app import build_offline
    from services.profile.settings import ProfileDataSettings

    service = build_offline(ProfileDataSettings())
    counts = {"items": 0, "events": 0, "accepted": 0, "order_events": 0}
    try:
        await service.start()
        items = dataload.movielens_items(data_dir) + (dataload.clothing_items(data_dir) if clothing else [])
        for start in range(0, len(items), 1000):
            await service.upsert_items(items[start:start + 1000], None)
        counts["items"] = len(items)
        batch: list[Any] = []
        for event in dataload.movielens_events(data_dir, limit):
            batch.append(event)
            if len(batch) == 1000:
                counts["accepted"] += await _ingest(service, batch)
                counts["events"] += len(batch)
                batch = []
        if batch:
            counts["accepted"] += await _ingest(service, batch)
            counts["events"] += len(batch)
        await service.engine.drain()
        counts["order_events"] = await _apply_orders(service, dataload.movielens_order_events(data_dir, limit))
    finally:
        await service.close()
    return counts


async def _apply_orders(service: Any, events: list[Any]) -> int:
    from services.profile.model import ResultStatus
    from services.profile.order_service import OrderService

    orders = OrderService(service.store, frozenset(), frozenset(), tombstones=service.tombstones)
    accepted = 0
    for start in range(0, len(events), 1000):
        results = await orders.apply(events[start:start + 1000], None)
        accepted += sum(1 for r in results if r.status == ResultStatus.ACCEPTED)
    return accepted


async def _ingest(service: Any, batch: list[Any]) -> int:
    from services.profile.model import ResultStatus

    results = await service.ingest(batch, False, None, None)
    return sum(1 for r in results if r.status == ResultStatus.ACCEPTED)


def run_load(args: argparse.Namespace) -> int:
    """Handler of `shopmesh data load`."""
    from services.profile.store import StoreUnavailable
    from shopmesh.data.paths import DataNotFetchedError

    started = time.monotonic()
    try:
        counts = asyncio.run(load_datasets(args.data_dir, args.limit, not args.no_clothing))
    except (DataNotFetchedError, StoreUnavailable, OSError) as exc:
        print(f"shopmesh data load: {exc}", file=sys.stderr)
        return 1
    print(f"Loaded {counts['items']:,} items, replayed {counts['events']:,} events ({counts['accepted']:,} new) "
          f"and {counts['order_events']:,} new order events in {time.monotonic() - started:.1f} s.")
    return 0
