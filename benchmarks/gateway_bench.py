"""Gateway load benchmark: the whole mesh (mTLS, Triton on CPU, PostgreSQL + Redis backends) under an open-loop
home-feed load at fixed rates, then the same feeds computed in one process from every stage's own code.

    .venv/bin/python benchmarks/gateway_bench.py [--duration 60] [--rates 25,50,100]

Mesh: `shopmesh up`'s Supervisor with profile on PostgreSQL (a fresh schema) and Redis features, the embedding
service on the local tritonserver, the gateway's rate limits and support's sessions in Redis. The load
generator is a separate process (`--generator`): it schedules requests at a fixed rate whatever the answers
(open loop) and measures each from its scheduled send time, so a slow mesh cannot slow the load down.

Baseline (same run, after the mesh is stopped): the gateway's own feed code (gateway.feed.HomeFeed) over the
profile, retrieval and embedding servicers and domain objects built in this process on the same stores and
Triton, with no network, TLS, serialisation or process hops. It runs twice: back to back (one feed after
another), then on the mesh's schedule (open loop at the lowest rate, latency from each feed's scheduled time,
as the generator measures). The mesh-overhead ratio is mesh p50 at the lowest rate / in-process p50 at that
rate: the same feeds at the same pace, so what differs is the hops. Idle vCPUs halt on this VM, and a feed that
finds its cores asleep is slower than one right after another (a paced hop costs about twice a back-to-back
one here); the back-to-back figure and the ratio over it are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shopmesh.mesh import Supervisor, available_services  # noqa: E402

DEADLINE_S = 1.0
LOAD_RATINGS = 20_000


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


# --------------------------------------------------------------------------------------------- load generator

async def open_loop(rate: float, total: int, send: Any) -> None:
    """Starts `send(n, scheduled)` at `rate` per second whatever the answers, then waits for all of them."""
    start = time.perf_counter() + 0.1
    tasks = []
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n, scheduled)))
    await asyncio.gather(*tasks)


async def generate(address: str, certs: Path, rate: float, duration_s: float, users: int) -> dict[str, Any]:
    """Open-loop GetHomeFeed load at `rate` req/s; latencies from each request's scheduled time."""
    import grpc

    from gateway.auth import mint_token
    from shared.tls import TlsFiles, channel_credentials
    from shopmesh.certs import DEV_JWT_PRIVATE
    from shopmesh.gateway.v1 import gateway_service_pb2 as pb
    from shopmesh.gateway.v1 import gateway_service_pb2_grpc as pb_grpc

    tokens = [(("authorization", f"Bearer {mint_token(certs / DEV_JWT_PRIVATE, f'u{n + 1}')}"),)
              for n in range(users)]
    channel = grpc.aio.secure_channel(address, channel_credentials(TlsFiles.in_dir(certs, "cli")),
                                      options=[("grpc.ssl_target_name_override", "gateway")])
    stub = pb_grpc.GatewayServiceStub(channel)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    degraded = 0

    async def one(n: int, scheduled: float) -> None:
        nonlocal degraded
        try:
            response = await stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=20), metadata=tokens[n % users],
                                              timeout=DEADLINE_S)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            degraded += bool([d for d in response.degradations if d.dependency != pb.DEPENDENCY_RANKING])
        except grpc.aio.AioRpcError as exc:
            errors[exc.code().name] = errors.get(exc.code().name, 0) + 1

    for n in range(min(users, 50)):  # warm-up: channels, caches, Triton
        await one(n, time.perf_counter())
    latencies.clear()
    errors.clear()
    degraded = 0
    total = int(rate * duration_s)
    await open_loop(rate, total, one)
    await channel.close()
    return {"rate": rate, "sent": total, "ok": len(latencies), "errors": errors, "degraded": degraded,
            "p50_ms": round(pct(latencies, 0.5), 2), "p99_ms": round(pct(latencies, 0.99), 2),
            "achieved_rps": round(total / duration_s, 1)}


# ------------------------------------------------------------------------------------------- in-process baseline

class _Context:
    """What servicers read from a grpc.aio context on the feed path."""

    def time_remaining(self) -> float | None:
        return None

    def invocation_metadata(self) -> tuple[()]:
        return ()


class InProcessPeers:
    """The gateway's Downstreams interface over servicers in this process (no gRPC)."""

    def __init__(self, servicers: dict[str, Any], verifier: Any):
        from gateway.breaker import CircuitBreaker

        self._servicers = servicers
        self._verifier = verifier
        self.breakers = {name: CircuitBreaker() for name in servicers}

    def configured(self, peer: str) -> bool:
        return peer in self._servicers

    def timeout(self, context: Any, share: float) -> float:
        return DEADLINE_S * share

    async def call(self, peer: str, method: str, request: Any, metadata: tuple[tuple[str, str], ...] = (), *,
                   share: float = 0.5, context: Any = None) -> Any:
        from gateway.degradation import PeerDown
        from shared import context as rpc_context
        from shared.errors import DomainError
        from shopmesh.gateway.v1 import gateway_service_pb2 as pb

        servicer = self._servicers.get(peer)
        if servicer is None:
            raise PeerDown(peer, pb.DEGRADATION_CAUSE_UNAVAILABLE, f"{peer}: not configured")
        token = dict(metadata).get("x-shopmesh-user-context")
        user = self._verifier.verify(token).user_id if token else None
        rpc_context.caller_var.set(rpc_context.Caller(service="gateway", user_id=user, user_token=token))
        try:
            reply = await getattr(servicer, method)(request, _Context())
        except DomainError as exc:  # what the server envelope would have turned into a status
            import grpc

            raise grpc.aio.AioRpcError(exc.code, grpc.aio.Metadata(), grpc.aio.Metadata(), exc.message) from exc
        if isinstance(reply, bytes):  # profile's feature reads answer wire bytes that its server sends as they are
            from shopmesh.profile.v1 import profile_service_pb2 as profile_pb

            reply = getattr(profile_pb, f"{method}Response").FromString(reply)
        return reply


def _gateway_feed(certs: Path, peers: InProcessPeers) -> tuple[Any, Any]:
    """The gateway's authenticator and HomeFeed as gateway.app wires them, over in-process peers."""
    from gateway.app import derived_key
    from gateway.auth import Authenticator, JwtVerifier, KeyRing
    from gateway.consent import ConsentCache
    from gateway.cursors import CursorCodec
    from gateway.experiments import Experiments
    from gateway.feed import FeedConfig, HomeFeed, TrendingCache, VectorCache
    from gateway.impressions import ImpressionSigner
    from gateway.lists import Pager
    from gateway.settings import EXPERIMENTS_FILE
    from shared.usercontext import UserContextSigner
    from shopmesh.certs import DEV_JWT_PUBLIC, USER_CONTEXT_PRIVATE

    pem = (certs / USER_CONTEXT_PRIVATE).read_bytes()
    codec = CursorCodec(derived_key(pem, "gateway.page-cursor"))
    auth = Authenticator(JwtVerifier(KeyRing([certs / DEV_JWT_PUBLIC]), "shopmesh-dev", "shopmesh-gateway"),
                         UserContextSigner.from_file(certs / USER_CONTEXT_PRIVATE))
    feed = HomeFeed(peers, ConsentCache(peers, 5.0), Experiments.load(EXPERIMENTS_FILE),
                    Pager(peers, codec, ImpressionSigner(derived_key(pem, "gateway.impression"))), codec=codec,
                    vectors=VectorCache(), trending=TrendingCache(peers, 60.0, 200),
                    config=FeedConfig("movielens", 100, 200, log_impressions=False))
    return auth, feed


async def _ranking() -> Any:
    """The ranking service's app in this process when it is installed (it is part of the mesh then)."""
    import importlib.util

    if importlib.util.find_spec("services.ranking") is None:
        return None
    from services.ranking.app import build
    from services.ranking.settings import RankingSettings

    app = build(RankingSettings(plaintext=True))  # type: ignore[call-arg]
    await app.start()
    return app


async def _timed_feeds(auth: Any, feed: Any, tokens: list[str], requests: int, *, rate: float,
                       paced_s: float) -> dict[str, Any]:
    """p50/p99 of first pages computed back to back, then at `rate` for `paced_s` from each feed's scheduled time."""
    from gateway.cursors import CursorCodec

    users = len(tokens)
    latencies: list[float] = []
    degraded = 0

    async def one(n: int, started: float, keep: bool) -> None:
        nonlocal degraded
        caller = auth.caller_for([("authorization", f"Bearer {tokens[n % users]}")])
        outcome = await feed.compute(caller, "movielens", 20,
                                     CursorCodec.binding(caller.user_id, "home_feed", "movielens"), None)
        if keep:
            latencies.append((time.perf_counter() - started) * 1000)
            degraded += bool([d for d in outcome.degradations if d.peer != "ranking"])

    for n in range(requests + 50):  # back to back; the first 50 warm caches, channels and Triton
        await one(n, time.perf_counter(), n >= 50)
    result = {"requests": requests, "p50_ms": round(statistics.median(latencies), 2),
              "p99_ms": round(pct(latencies, 0.99), 2)}
    latencies.clear()
    paced = int(rate * paced_s)  # on the mesh generator's schedule, as long as a mesh rate runs
    await open_loop(rate, paced, lambda n, scheduled: one(n, scheduled, True))
    result.update(rate=rate, paced_p50_ms=round(statistics.median(latencies), 2),
                  paced_p99_ms=round(pct(latencies, 0.99), 2), degraded=degraded, feeds=requests + paced)
    return result


async def baseline(home: Path, env: dict[str, str], users: int, requests: int, *, rate: float,
                   paced_s: float) -> dict[str, Any]:
    """First pages of the home feed computed in this process: back to back, then at `rate` (open loop)."""
    os.environ.update(env)
    from gateway.auth import mint_token
    from services.embedding.app import build_engine, ensure_models
    from services.embedding.servicer import EmbeddingServicer
    from services.embedding.settings import EmbeddingSettings
    from services.profile.app import build as build_profile
    from services.profile.settings import ProfileSettings
    from services.retrieval.app import RetrievalApp
    from services.retrieval.settings import RetrievalSettings
    from shared.usercontext import UserContextVerifier
    from shopmesh.certs import DEV_JWT_PRIVATE, USER_CONTEXT_PUBLIC

    certs = home / "certs"
    profile = build_profile(ProfileSettings(plaintext=True, vault_address="127.0.0.1:1",  # type: ignore[call-arg]
                                            user_context_public_keys=[certs / USER_CONTEXT_PUBLIC]))
    await profile.start()
    retrieval = RetrievalApp(RetrievalSettings(plaintext=True))  # type: ignore[call-arg]
    await retrieval.start()
    embedding_settings = EmbeddingSettings(plaintext=True, backend="triton")  # type: ignore[call-arg]
    engine = build_engine(embedding_settings, await ensure_models(embedding_settings))
    await engine.start()
    ranking = await _ranking()
    try:
        for _ in range(240):
            if await engine.refresh_states():
                break
            await asyncio.sleep(0.5)
        servicers = {"profile": profile.servicer, "retrieval": retrieval.servicer,
                     "embedding": EmbeddingServicer(engine)}
        if ranking is not None:
            servicers["ranking"] = ranking.servicer
        peers = InProcessPeers(servicers,
                               UserContextVerifier.from_files([certs / USER_CONTEXT_PUBLIC]))
        auth, feed = _gateway_feed(certs, peers)
        tokens = [mint_token(certs / DEV_JWT_PRIVATE, f"u{n + 1}") for n in range(users)]
        return await _timed_feeds(auth, feed, tokens, requests, rate=rate, paced_s=paced_s)
    finally:
        if ranking is not None:
            await ranking.stop(0)
        await engine.close()
        await retrieval.stop(0)
        await profile.stop(0)


# ------------------------------------------------------------------------------------------------------- driver

def mesh_environment(home: Path, args: argparse.Namespace, run_id: str) -> dict[str, str]:
    """Backends of the benchmark mesh: PostgreSQL + Redis for profile, Redis for gateway and support, Triton."""
    from shopmesh.data.paths import default_data_dir

    return {
        "SHOPMESH_HOME": str(home), "SHOPMESH_DATA_DIR": str(default_data_dir()),
        "SHOPMESH_MODELS_DIR": str(REPO / "var" / "models"),
        "SHOPMESH_SUPPORT_MODELS_DIR": str(REPO / "var" / "models" / "artifacts"),
        "SHOPMESH_PROFILE_POSTGRES_DSN": args.postgres_dsn, "SHOPMESH_PROFILE_POSTGRES_SCHEMA": f"gwbench_{run_id}",
        "SHOPMESH_PROFILE_REDIS_URL": args.redis_url, "SHOPMESH_PROFILE_REDIS_PREFIX": f"gwbench:{run_id}:profile:",
        "SHOPMESH_EMBEDDING_BACKEND": "triton",
        "SHOPMESH_GATEWAY_REDIS_URL": args.redis_url, "SHOPMESH_GATEWAY_REDIS_PREFIX": f"gwbench:{run_id}:gw:",
        "SHOPMESH_GATEWAY_RATE_LIMIT_PER_SECOND": "1000", "SHOPMESH_GATEWAY_RATE_LIMIT_BURST": "1000",
        "SHOPMESH_GATEWAY_LOG_IMPRESSIONS": "false",
        "SHOPMESH_SUPPORT_SESSION_STORE": "redis", "SHOPMESH_SUPPORT_REDIS_URL": args.redis_url,
        "SHOPMESH_SUPPORT_REDIS_PREFIX": f"gwbench:{run_id}:support:", "SHOPMESH_SUPPORT_ENCODER": "in_process",
    }


def cleanup(args: argparse.Namespace, run_id: str) -> None:
    """Drops the run's PostgreSQL schema and Redis keys."""
    import psycopg
    import redis

    with psycopg.connect(args.postgres_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS gwbench_{run_id} CASCADE")
    client = redis.Redis.from_url(args.redis_url)
    for key in client.scan_iter(f"gwbench:{run_id}:*", count=1000):
        client.delete(key)


def main() -> None:
    """Runs the mesh, the generator per rate, then the in-process baseline; prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per rate (default 60)")
    parser.add_argument("--rates", default="25,50,100", help="comma-separated req/s (default 25,50,100)")
    parser.add_argument("--users", type=int, default=300, help="distinct users of the load (u1..uN)")
    parser.add_argument("--baseline-requests", type=int, default=300,
                        help="in-process feeds of the back-to-back baseline (the paced one runs --duration)")
    parser.add_argument("--postgres-dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--generator", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--address", default="", help=argparse.SUPPRESS)
    parser.add_argument("--certs", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generator:
        result = asyncio.run(generate(args.address, Path(args.certs), float(args.rates), args.duration, args.users))
        print(json.dumps(result))
        return
    run(args)


def scrape(services: list[Any]) -> dict[tuple[str, str], tuple[float, float]]:
    """(service, method) -> (seconds summed, calls) of every service's server-side handling histogram."""
    import re
    import urllib.request

    pattern = re.compile(r'grpc_server_handling_seconds_(sum|count)\{([^}]*)\} ([0-9.e+-]+)')
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for service in services:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{service.metrics_port}/metrics", timeout=5) as reply:
                text = reply.read().decode()
        except OSError:
            continue
        for kind, labels, value in pattern.findall(text):
            method = dict(re.findall(r'(\w+)="([^"]*)"', labels)).get("grpc_method", "")
            total, calls = out.get((service.name, method), (0.0, 0.0))
            out[(service.name, method)] = (total + float(value), calls) if kind == "sum" else (total, float(value))
    return out


def hop_times(before: dict[tuple[str, str], tuple[float, float]], after: dict[tuple[str, str], tuple[float, float]],
              feeds: int) -> str:
    """Mean server-side ms per call and calls per feed of every method called during a rate."""
    parts = []
    for key, (total, calls) in sorted(after.items()):
        t0, c0 = before.get(key, (0.0, 0.0))
        if calls - c0 >= feeds * 0.05:
            parts.append(f"{key[0]}.{key[1]} {(total - t0) / (calls - c0) * 1000:.2f} ms x{(calls - c0) / feeds:.1f}")
    return "; ".join(parts)


def load_shop(env: dict[str, str]) -> None:
    """`shopmesh data load` of the first LOAD_RATINGS MovieLens ratings into the mesh's stores."""
    load = subprocess.run([sys.executable, "-m", "shopmesh", "data", "load", "--limit", str(LOAD_RATINGS),
                           "--no-clothing"], env={**os.environ, **env}, cwd=REPO, capture_output=True, text=True,
                          check=False)
    if load.returncode != 0:
        raise SystemExit(f"data load failed: {load.stderr[-2000:]}")


def run(args: argparse.Namespace) -> None:
    """The mesh runs, then the baseline, then the ratio."""
    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="gwbench-") as tmp:
        home = Path(tmp)
        env = mesh_environment(home, args, run_id)
        try:
            load_shop(env)
            supervisor = Supervisor(available_services(), home, extra_env=env)
            results = []
            try:
                started = time.monotonic()
                supervisor.start(timeout_s=300)
                print(f"mesh up in {time.monotonic() - started:.0f} s: "
                      f"{', '.join(s.name for s in supervisor.running)} (mTLS, profile on PostgreSQL + Redis, "
                      "embedding on Triton CPU)", flush=True)
                from shopmesh.certs import ensure_certs

                ensure_certs(supervisor.certs_dir, ("cli",))
                gateway = next(s for s in supervisor.running if s.name == "gateway")
                for rate in [float(r) for r in args.rates.split(",")]:
                    before = scrape(supervisor.running)
                    done = subprocess.run(
                        [sys.executable, __file__, "--generator", "--address", f"127.0.0.1:{gateway.port}",
                         "--certs", str(supervisor.certs_dir), "--rates", str(rate), "--duration",
                         str(args.duration), "--users", str(args.users)],
                        env={**os.environ, **env}, capture_output=True, text=True, check=False)
                    if done.returncode != 0:
                        raise SystemExit(f"generator failed: {done.stderr[-2000:]}")
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    results.append(result)
                    print(f"mesh  {rate:>5.0f} req/s x {args.duration:.0f} s: p50 {result['p50_ms']:.1f} ms, "
                          f"p99 {result['p99_ms']:.1f} ms, errors {sum(result['errors'].values())} "
                          f"{result['errors'] or ''}, degraded {result['degraded']}/{result['sent']}", flush=True)
                    print(f"  server-side mean per call (from /metrics; warm-up included): "
                          f"{hop_times(before, scrape(supervisor.running), result['sent'])}", flush=True)
            finally:
                supervisor.stop()
            first = results[0]
            base = asyncio.run(baseline(home, env, args.users, args.baseline_requests, rate=first["rate"],
                                     paced_s=args.duration))
            print(f"in-process (same feed code over the services' servicers and domain objects, one process): "
                  f"back to back p50 {base['p50_ms']:.1f} ms, p99 {base['p99_ms']:.1f} ms; "
                  f"at {base['rate']:.0f} req/s p50 {base['paced_p50_ms']:.1f} ms, p99 {base['paced_p99_ms']:.1f} ms; "
                  f"degraded {base['degraded']}/{base['feeds']}")
            ratio = first["p50_ms"] / base["paced_p50_ms"]
            print(f"mesh-overhead p50 ratio (mesh / in-process, both at {first['rate']:.0f} req/s): {ratio:.2f} "
                  f"(target <= 1.5); over the back-to-back in-process p50: {first['p50_ms'] / base['p50_ms']:.2f}")
            at50 = next((r for r in results if r["rate"] == 50), None)
            if at50 is not None:
                ok = not at50["errors"] and at50["p99_ms"] <= 50
                print(f"target at 50 req/s (0 errors, p99 <= 50 ms): {'met' if ok else 'not met'}")
        finally:
            cleanup(args, run_id)


if __name__ == "__main__":
    main()
