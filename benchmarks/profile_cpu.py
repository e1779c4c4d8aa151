"""In-process CPU of the profile service's hot paths (servicer -> service -> engine -> Redis/PostgreSQL).

The end-to-end benchmark (profile_bench.py) measures latency through gRPC on a shared machine, where the
other processes' load decides the tails. This harness measures what one call costs this process in CPU
time (time.process_time), which load moves much less, and can print a cProfile of each path:

- GetItemFeatures of 200 random MovieLens items (the gateway's batched read);
- GetUserFeatures of a random MovieLens user;
- IngestEvents of 500 new events per batch, CPU of the ack path per event, and separately the fold's CPU.

It builds the service on the real PostgreSQL and Redis of this machine, in a fresh schema and key prefix
dropped afterwards, loads the MovieLens catalogue and replays the first ratings as events.

    .venv/bin/python benchmarks/profile_cpu.py [--ratings 30000] [--calls 500] [--profile items,user,ingest]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import resource
import sys
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.profile.app import build_service, policy_of
from services.profile.dataload import movielens_events, movielens_items
from services.profile.servicer import ProfileServicer
from services.profile.settings import ProfileDataSettings
from shopmesh.profile.v1 import profile_service_pb2 as pb

DSN = os.environ.get("SHOPMESH_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SHOPMESH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _report(name: str, cpu_s: float, wall_s: float, calls: int, unit: str = "call") -> None:
    print(f"{name}: {cpu_s / calls * 1e6:,.1f} us CPU per {unit}, {wall_s / calls * 1e6:,.1f} us wall per {unit} "
          f"({calls} {unit}s, load {os.getloadavg()[0]:.2f})", flush=True)


async def _timed(name: str, work: Any, requests: list[Any], profile: bool, *, unit: str = "call",
                 per: int = 1, warm: bool = True) -> None:
    for request in requests[: max(1, len(requests) // 10)] if warm else ():  # warm-up
        await work(request)
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for request in requests:
        await work(request)
    if profiler:
        profiler.disable()
    _report(name, time.process_time() - cpu, time.perf_counter() - wall, len(requests) * per, unit)
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(30)


async def main(args: argparse.Namespace) -> None:  # noqa: PLR0915  # one measurement script, in order
    run = uuid.uuid4().hex[:8]
    schema, prefix = f"profile_cpu_{run}", f"shopmesh-cpu:{run}:"
    settings = ProfileDataSettings(postgres_dsn=DSN, postgres_schema=schema, redis_url=REDIS_URL,  # type: ignore[call-arg]
                                   redis_prefix=prefix, log_writers=args.log_writers)
    service = build_service(settings.stores(), settings.feature_config(), policy_of(settings),
                            settings.default_catalog, fold_process=not args.inline_fold)
    servicer = ProfileServicer(service, None)  # type: ignore[arg-type]  # no order RPCs here
    profiled = set(args.profile.split(",")) if args.profile else set()
    try:
        await service.start()
        catalogue = movielens_items()
        for i in range(0, len(catalogue), 500):
            await service.upsert_items(catalogue[i:i + 500], None)
        events = list(movielens_events(limit=args.ratings))
        started = time.perf_counter()
        for i in range(0, len(events), 500):
            await service.ingest(events[i:i + 500], False, None, None)
        await service.engine.drain()
        print(f"loaded {len(events):,} events in {time.perf_counter() - started:.1f} s", flush=True)

        rng = random.Random(7)
        item_ids = [f"ml-{i}" for i in range(1, 1683)]
        item_requests = [pb.GetItemFeaturesRequest(item_ids=rng.sample(item_ids, 200)) for _ in range(args.calls)]
        user_requests = [pb.GetUserFeaturesRequest(user_id=f"u{rng.randint(1, 943)}") for _ in range(args.calls * 4)]

        async def items(request: pb.GetItemFeaturesRequest) -> None:
            await servicer.GetItemFeatures(request, None)  # type: ignore[arg-type]

        async def user(request: pb.GetUserFeaturesRequest) -> None:
            await servicer.GetUserFeatures(request, None)  # type: ignore[arg-type]

        await _timed("GetItemFeatures x200", items, item_requests, "items" in profiled)
        await _timed("GetUserFeatures", user, user_requests, "user" in profiled)

        base = 893_000_000
        batches = [pb.IngestEventsRequest(events=[pb.Event(
            event_id=f"cpu-{b}-{i}", user_id=f"u{rng.randint(1, 943)}", event_type=rng.choice((2, 2, 3, 4, 5)),  # type: ignore[arg-type]
            event_time={"seconds": base + b * 500 + i}, catalog_id="movielens", item_id=rng.choice(item_ids),
            origin=pb.EVENT_ORIGIN_DATASET_REPLAY) for i in range(500)]) for b in range(args.batches)]

        async def ingest(request: pb.IngestEventsRequest) -> None:
            wire = await servicer.IngestEvents(request, None)  # type: ignore[arg-type]
            reply = wire if isinstance(wire, pb.IngestEventsResponse) else pb.IngestEventsResponse.FromString(wire)
            assert reply.accepted_count == 500, reply.duplicate_count

        # The ack path only: the fold runs after, measured on its own.
        await _timed("IngestEvents ack path", ingest, batches, "ingest" in profiled, unit="event", per=500,
                     warm=False)
        concurrent = [pb.IngestEventsRequest(events=[pb.Event(
            event_id=f"cpu4-{b}-{i}", user_id=f"u{rng.randint(1, 943)}", event_type=rng.choice((2, 2, 3, 4, 5)),  # type: ignore[arg-type]
            event_time={"seconds": base + b * 500 + i}, catalog_id="movielens", item_id=rng.choice(item_ids),
            origin=pb.EVENT_ORIGIN_DATASET_REPLAY) for i in range(500)]) for b in range(args.batches)]

        async def sender() -> None:
            while concurrent:
                await ingest(concurrent.pop())

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(4)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"IngestEvents, 4 in flight: {args.batches * 500 / wall:,.0f} events/s, "
              f"{cpu / args.batches / 500 * 1e6:.1f} us CPU per event (load {os.getloadavg()[0]:.2f})", flush=True)
        cpu, wall = time.process_time(), time.perf_counter()
        await service.engine.drain()
        fold_cpu = time.process_time() - cpu
        print(f"drain after ingest: {fold_cpu * 1e3:,.0f} ms CPU in this process, "
              f"{time.perf_counter() - wall:.2f} s wall (load {os.getloadavg()[0]:.2f})", flush=True)
    finally:
        await service.close()
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"fold process (whole run, load and ingest): {child.ru_utime + child.ru_stime:.2f} s CPU", flush=True)
        from services.profile.store_postgres import drop_schema

        drop_schema(DSN, schema)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ratings", type=int, default=30_000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--log-writers", type=int, default=4)
    parser.add_argument("--inline-fold", action="store_true", help="fold on the service's loop, no child")
    parser.add_argument("--profile", default="", help="comma list of items,user,ingest to cProfile")
    asyncio.run(main(parser.parse_args()))
