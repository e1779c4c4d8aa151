"""Benchmark of ranking (issue #8, acceptance 4): Rank with 500 candidates over gRPC with mutual TLS against a
real `python -m services.ranking` process, one call in flight, p50/p99; beside it, in this process, the
exported TorchScript model called directly on the same 500 imputed feature rows, and the ratio.
Also the in-process engine (featurise, impute, score, MMR, rules, reasons; no gRPC) for the breakdown.
One math thread per process, as the mesh runs.

    .venv/bin/python benchmarks/ranking_bench.py [--calls 500] [--candidates 500] [--limit 100] [--artifacts DIR]

--limit is how many ranked items come back (reasons and response messages are built for those only); the
gateway asks for its feed_depth (100). --limit 0 returns all 500.

Without --artifacts a DCN-v2 of the production shape is trained on random groups in a temp dir (latency does
not depend on the weights) with a 5,000-item, 64-d item space; with it, the promoted ranker-movielens there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from shopmesh.mesh import free_port  # noqa: E402

N_ITEMS = 5000
CATEGORIES = [f"Movies/Genre{n}" for n in range(18)]


def pct(values: list[float], q: float) -> float:
    """The q-quantile in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def build_artifact(root: Path) -> None:
    """A production-shaped ranker under root/ranker-movielens/1."""
    from shopmesh.recsys.ranking.artifact import save_ranker
    from shopmesh.recsys.ranking.features import FEATURE_NAMES, Imputer, ItemSpace
    from shopmesh.recsys.ranking.model import Group, RankerConfig, train_ranker

    rng = np.random.default_rng(0)
    width = len(FEATURE_NAMES)
    groups = [Group(rng.normal(size=(50, width)).astype(np.float32),
                    (np.arange(50) == 0).astype(np.float32)) for _ in range(64)]
    model, info = train_ranker(groups, RankerConfig(epochs=1))
    ids = [f"ml-{n}" for n in range(N_ITEMS)]
    space = ItemSpace(ids, rng.normal(size=(N_ITEMS, 64)).astype(np.float32))
    imputer = Imputer(np.zeros(width, dtype=np.float32), np.ones(width, dtype=bool))
    save_ranker(root / "ranker-movielens" / "1", model, imputer, space, {i: f"Movie {i}" for i in ids},
                catalog_id="movielens", version="1", metrics=info, config={"bench": True}, data_start=None,
                data_end=None)


def requests(count: int, candidates: int, limit: int = 0) -> list[Any]:
    """Home-feed Rank requests as the gateway sends them (user features, item features, sources)."""
    from shopmesh.common.v1 import impression_pb2, money_pb2, recommendation_pb2
    from shopmesh.ranking.v1 import ranking_service_pb2 as pb

    rng = np.random.default_rng(1)
    popularity = rng.random(N_ITEMS) * 100
    sources = [recommendation_pb2.CANDIDATE_SOURCE_USER_VECTOR_ANN, recommendation_pb2.CANDIDATE_SOURCE_CO_VISITATION,
               recommendation_pb2.CANDIDATE_SOURCE_TRENDING, recommendation_pb2.CANDIDATE_SOURCE_CATEGORY_AFFINITY]
    out = []
    for _ in range(count):
        request = pb.RankRequest(user_id="u1", context=pb.RankingContext(surface=impression_pb2.SURFACE_HOME_FEED),
                                 limit=limit)
        request.context.request_time.seconds = 1_000_000
        f = request.user_features
        f.total_event_count = 120
        for n, item in enumerate(rng.choice(N_ITEMS, size=50, replace=False)):
            r = f.recent_items.add(item_id=f"ml-{item}")
            r.event_time.seconds = 999_000 - n
        for c in CATEGORIES[:6]:
            f.category_affinities[c] = 1 / 6
        f.last_active_time.seconds = 999_000
        for rank, item in enumerate(rng.choice(N_ITEMS, size=candidates, replace=False)):
            c = request.candidates.add(item_id=f"ml-{item}", retrieval_score=1 / (1 + rank),
                                       learned_similarity=float(rng.random()))
            for s in rng.choice(sources, size=2, replace=False):
                c.sources.add(source=int(s), score=float(rng.random()), rank=rank)
            i = c.item_features
            i.category_path.extend(CATEGORIES[int(item) % len(CATEGORIES)].split("/"))
            # An item's features are the profile's, the same in every feed until its fold window moves on.
            i.popularity, i.trend, i.stock_quantity = float(popularity[item]), 1.0, 5
            i.price.CopyFrom(money_pb2.Money(currency_code="USD", amount_micros=9_990_000))
        out.append(request)
    return out


async def grpc_calls(port: int, certs: Path, batch: list[Any], warmup: int) -> tuple[list[float], int]:
    """Seconds per Rank call and the items of the last response."""
    import grpc

    from shared.tls import TlsFiles
    from shopmesh.ranking.v1 import ranking_service_pb2 as pb
    from shopmesh.ranking.v1 import ranking_service_pb2_grpc as pb_grpc

    ca, chain, key = TlsFiles.in_dir(certs, "gateway").read()
    channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(ca, key, chain),
                                      options=[("grpc.ssl_target_name_override", "ranking")])
    stub = pb_grpc.RankingServiceStub(channel)
    for _ in range(120):
        with contextlib.suppress(grpc.aio.AioRpcError):
            if (await stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=2)).manifest.version:
                break
        await asyncio.sleep(0.5)
    times, last = [], 0
    for n, request in enumerate(batch):
        started = time.perf_counter()
        response = await stub.Rank(request, timeout=10)
        if n >= warmup:
            times.append(time.perf_counter() - started)
        last = len(response.items)
    await channel.close()
    return times, last


def in_process(root: Path, batch: list[Any]) -> tuple[list[float], list[float]]:
    """(seconds per direct TorchScript call on 500 imputed rows, seconds per in-process engine.rank)."""
    import torch

    from services.ranking import convert
    from services.ranking.engine import EngineConfig, RankingEngine
    from services.ranking.models import ModelRegistry
    from services.ranking.rules import RuleBook
    from shared.server import freeze_heap
    from shopmesh.recsys.ranking.features import featurize

    torch.set_num_threads(1)
    registry = ModelRegistry(root, ["movielens"])
    registry.load_all()
    engine = RankingEngine(registry, RuleBook.load(), EngineConfig())
    freeze_heap()  # as the service does once its model is loaded
    model = engine.model_for("movielens")
    direct, engine_times = [], []
    for request in batch:
        query = convert.query(request, "movielens", 1_000_000.0)
        x, _ = model.imputer.transform(featurize(query.user, query.candidates, model.space))
        tensor = torch.from_numpy(x)
        started = time.perf_counter()
        with torch.no_grad():
            model.model(tensor)
        direct.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.rank(query)
        engine_times.append(time.perf_counter() - started)
    return direct[50:], engine_times[50:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--limit", type=int, default=100,
                        help="ranked items asked back (the gateway asks its feed_depth, 100); 0: all")
    parser.add_argument("--artifacts", type=Path, default=None, help="an artifacts root with ranker-movielens")
    args = parser.parse_args()
    from shopmesh.certs import ensure_certs

    with tempfile.TemporaryDirectory() as tmp:
        certs = Path(tmp) / "certs"
        ensure_certs(certs, ("ranking", "gateway"))
        root = args.artifacts or Path(tmp) / "artifacts"
        if args.artifacts is None:
            build_artifact(root)
        batch = requests(args.calls + 50, args.candidates, args.limit)
        port = free_port()
        env = {**os.environ, "SHOPMESH_RANKING_PORT": str(port), "SHOPMESH_RANKING_CERTS_DIR": str(certs),
               "SHOPMESH_RANKING_MODELS_DIR": str(root), "SHOPMESH_RANKING_TRAIN_MISSING_MODEL": "false",
               "SHOPMESH_RANKING_METRICS_ENABLED": "false", "SHOPMESH_RANKING_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen([sys.executable, "-m", "services.ranking"], cwd=REPO, env=env)
        try:
            times, count = asyncio.run(grpc_calls(port, certs, batch, warmup=50))
        finally:
            server.terminate()
            server.wait(timeout=30)
        direct, engine = in_process(root, batch)
    g50, g99, d50, d99 = pct(times, 0.5), pct(times, 0.99), pct(direct, 0.5), pct(direct, 0.99)
    print(f"Rank {args.candidates} candidates (limit {args.limit}) over gRPC (mTLS), {len(times)} calls, "
          f"{count} items back: "
          f"p50 {g50:.2f} ms, p99 {g99:.2f} ms (target p99 <= 10 ms: {'met' if g99 <= 10 else 'NOT met'})")
    print(f"in-process engine (no gRPC): p50 {pct(engine, 0.5):.2f} ms, p99 {pct(engine, 0.99):.2f} ms")
    print(f"exported TorchScript model called directly on {args.candidates} rows: p50 {d50:.3f} ms, p99 {d99:.3f} ms")
    print(f"ratio gRPC/direct model: p50 {g50 / d50:.1f}x, p99 {g99 / d99:.1f}x")


if __name__ == "__main__":
    main()
