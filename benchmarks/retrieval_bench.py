"""Benchmark of retrieval (issue #7, acceptance 5) on a 100,000-item synthetic catalogue with clustered vectors:
  (a) ANN recall@100 of the HNSW index the service builds at this size, against exact search, per efSearch;
  (b) RetrieveCandidates (k=500, every source on, user vector + 20 recent items + purchases) over gRPC with
      mutual TLS against a real `python -m services.retrieval` process, one call in flight, p50/p99;
  (c) beside it, raw FAISS (the same HNSW index, k=500, the same user vectors) in this process, p50/p99,
      and the ratio of (b) to (c).
One math thread per process, as the mesh runs.

    .venv/bin/python benchmarks/retrieval_bench.py [--items 100000] [--calls 500] [--index-root DIR]

--index-root keeps the built snapshot in DIR and reuses it on the next run (the build takes minutes).
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
from typing import Any, cast

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from shopmesh.mesh import free_port  # noqa: E402

CATALOG = "bench"
DIM = 64
CLUSTERS = 1000


def pct(values: list[float], q: float) -> float:
    """The q-quantile in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000



def clustered(n: int, seed: int, labels: np.ndarray) -> np.ndarray:
    """Unit vectors around CLUSTERS random centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(CLUSTERS, DIM)).astype(np.float32)
    vectors = centres[labels] + 0.6 * rng.normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def build_snapshot(root: Path, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Writes and promotes the synthetic snapshot; returns (learned vectors, cluster labels)."""
    from services.retrieval.catalogue import ItemRecord
    from services.retrieval.snapshot import SnapshotInputs, SpaceVectors, promote, write_snapshot
    from shopmesh.recsys.covisit import build_co_visitation

    rng = np.random.default_rng(7)
    labels = rng.integers(0, CLUSTERS, size=n_items)
    learned = clustered(n_items, 1, labels)
    text = clustered(n_items, 2, labels)
    records = [ItemRecord(f"b{i}", ("Shop", f"c{labels[i] % 200}"), f"brand{i % 50}", 100 + i % 10_000, "USD",
                          int(i % 17 != 0), f"item {i} cluster{labels[i]} word{i % 997}") for i in range(n_items)]
    members = [np.flatnonzero(labels == c) for c in range(CLUSTERS)]
    sequences = []
    for _ in range(n_items // 5):
        pool = members[int(rng.integers(0, CLUSTERS))]
        sequences.append(rng.choice(pool, size=min(20, len(pool)), replace=False).tolist())
    trending = rng.pareto(1.5, size=n_items).astype(np.float32)
    positions = np.arange(n_items)
    inputs = SnapshotInputs(CATALOG, "1", records, trending, build_co_visitation(sequences, n_items),
                            text=SpaceVectors(text, positions, "text-bench", "1"),
                            learned=SpaceVectors(learned, positions, "learned-bench", "1"))
    write_snapshot(root, inputs)
    promote(root, CATALOG, "1")
    return learned, labels


def reuse_or_build(root: Path, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """The snapshot under root, built unless a previous run left one of the same size (with its vectors)."""
    saved = root / f"bench-{n_items}.npz"
    if saved.exists() and (root / CATALOG / "1").exists():
        with np.load(saved) as kept:
            return kept["learned"], kept["labels"]
    learned, labels = build_snapshot(root, n_items)
    np.savez(saved, learned=learned, labels=labels)
    return learned, labels


def user_vectors(learned: np.ndarray, labels: np.ndarray, n: int) -> tuple[np.ndarray, list[list[int]]]:
    """Users = mean of 20 items of one cluster (their recent items)."""
    rng = np.random.default_rng(11)
    vectors, histories = [], []
    for _ in range(n):
        pool = np.flatnonzero(labels == rng.integers(0, CLUSTERS))
        recent = rng.choice(pool, size=min(20, len(pool)), replace=False)
        v = learned[recent].mean(0)
        vectors.append(v / np.linalg.norm(v))
        histories.append(recent.tolist())
    return np.asarray(vectors, np.float32), histories


def ann_recall(root: Path, learned: np.ndarray, queries: np.ndarray) -> list[tuple[int, float, float]]:
    """(efSearch, recall@100 vs exact, ms/query) on the snapshot's own learned index."""
    import faiss

    from services.retrieval.snapshot import load_snapshot

    faiss.omp_set_num_threads(1)
    snapshot = load_snapshot(root / CATALOG / "1")
    index = snapshot.learned_index
    assert index is not None
    exact = faiss.IndexFlatIP(DIM)
    exact.add(learned)
    _, truth = exact.search(queries, 100)
    out = []
    hnsw = isinstance(index.index, faiss.IndexHNSW)
    for ef in (64, 128, 256) if hnsw else (0,):
        if hnsw:
            cast(Any, index.index).hnsw.efSearch = ef
        started = time.perf_counter()
        got = index.search(queries, 100)
        elapsed = (time.perf_counter() - started) / len(queries) * 1000
        recall = np.mean([len(set(g.positions.tolist()) & set(t.tolist())) / 100 for g, t in zip(got, truth,
                                                                                                 strict=True)])
        out.append((ef, float(recall), elapsed))
    return out


def index_type(root: Path) -> str:
    """The learned index's FAISS type as its manifest records it."""
    from services.retrieval.snapshot import read_manifests

    return read_manifests(root / CATALOG / "1")["learned_index"].extra["index_type"]


def raw_faiss(root: Path, queries: np.ndarray) -> list[float]:
    """Seconds per single-query k=500 search on the service's index (efSearch as the service sets it)."""
    from services.retrieval.snapshot import load_snapshot

    index = load_snapshot(root / CATALOG / "1").learned_index
    assert index is not None
    times = []
    for q in queries:
        started = time.perf_counter()
        index.search(q[None, :], 500)
        times.append(time.perf_counter() - started)
    return times


async def grpc_calls(port: int, certs: Path, queries: np.ndarray, histories: list[list[int]],
                     warmup: int) -> tuple[list[float], int]:
    """Seconds per RetrieveCandidates call and the candidates of the last one."""
    import grpc

    from shared.tls import TlsFiles
    from shopmesh.common.v1 import features_pb2, recommendation_pb2, vector_pb2
    from shopmesh.retrieval.v1 import retrieval_service_pb2 as pb
    from shopmesh.retrieval.v1 import retrieval_service_pb2_grpc as pb_grpc

    ca, chain, key = TlsFiles.in_dir(certs, "gateway").read()
    channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(ca, key, chain),
                                      options=[("grpc.ssl_target_name_override", "retrieval")])
    stub = pb_grpc.RetrievalServiceStub(channel)
    every = [pb.SourceQuota(source=recommendation_pb2.CandidateSource.Value(f"CANDIDATE_SOURCE_{s}"),
                            max_candidates=q)
             for s, q in (("USER_VECTOR_ANN", 500), ("CO_VISITATION", 500), ("TEXT_NEIGHBOURS", 200),
                          ("RECENT_TEXT_VECTORS", 200), ("REPURCHASE", 100), ("TRENDING", 200),
                          ("CATEGORY_AFFINITY", 100))]
    requests = []
    for vector, history in zip(queries, histories, strict=True):
        features = features_pb2.UserFeatures()
        for n, item in enumerate(history):
            recent = features.recent_items.add(item_id=f"b{item}")
            recent.event_time.seconds = 1_000_000 - n
        for item in history[:5]:
            bought = features.purchased_items.add(item_id=f"b{item}", purchase_count=2)
            bought.last_purchase_time.seconds = 999_000
        requests.append(pb.RetrieveCandidatesRequest(
            catalog_id=CATALOG, user_features=features, k=500, source_quotas=every,
            user_vector=vector_pb2.Vector(vector_space="learned-bench", vector_space_version="1", dimension=DIM,
                                          values_f32le=vector.astype("<f4").tobytes())))
    for _ in range(60):
        with contextlib.suppress(grpc.aio.AioRpcError):
            await stub.GetIndexInfo(pb.GetIndexInfoRequest(catalog_id=CATALOG), timeout=2)
            if (await stub.RetrieveCandidates(requests[0], timeout=5)).candidates:
                break
        await asyncio.sleep(1)
    times, last = [], 0
    for n, request in enumerate(requests):
        started = time.perf_counter()
        response = await stub.RetrieveCandidates(request, timeout=10)
        if n >= warmup:
            times.append(time.perf_counter() - started)
        last = len(response.candidates)
    await channel.close()
    return times, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--index-root", type=Path, default=None,
                        help="keep the snapshot here and reuse it when it was built for the same --items")
    args = parser.parse_args()
    from shopmesh.certs import ensure_certs

    with tempfile.TemporaryDirectory() as tmp:
        root, certs = args.index_root or Path(tmp) / "indexes", Path(tmp) / "certs"
        ensure_certs(certs, ("retrieval", "gateway"))
        started = time.monotonic()
        learned, labels = reuse_or_build(root, args.items)
        print(f"{args.items:,}-item snapshot ready in {time.monotonic() - started:.0f} s", flush=True)
        queries, histories = user_vectors(learned, labels, args.calls + 50)
        for ef, recall, ms in ann_recall(root, learned, queries[:500]):
            print(f"{index_type(root)} efSearch {ef}: recall@100 vs exact {recall:.4f}, {ms:.3f} ms/query", flush=True)
        port = free_port()
        env = {**os.environ, "SHOPMESH_RETRIEVAL_PORT": str(port), "SHOPMESH_RETRIEVAL_CERTS_DIR": str(certs),
               "SHOPMESH_RETRIEVAL_INDEX_ROOT": str(root), "SHOPMESH_RETRIEVAL_CATALOGS": f'["{CATALOG}"]',
               "SHOPMESH_RETRIEVAL_DEFAULT_CATALOG": CATALOG,
               "SHOPMESH_RETRIEVAL_CATALOG_KINDS": f'{{"{CATALOG}": "groceries"}}',
               "SHOPMESH_RETRIEVAL_METRICS_ENABLED": "false", "SHOPMESH_RETRIEVAL_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen([sys.executable, "-m", "services.retrieval"], cwd=REPO, env=env)
        try:
            times, count = asyncio.run(grpc_calls(port, certs, queries, histories, warmup=50))
        finally:
            server.terminate()
            server.wait(timeout=30)
        raw = raw_faiss(root, queries[50:])
        kind = index_type(root)
    g50, g99, f50, f99 = pct(times, 0.5), pct(times, 0.99), pct(raw, 0.5), pct(raw, 0.99)
    print(f"RetrieveCandidates k=500 all sources over gRPC (mTLS), {len(times)} calls, {count} candidates: "
          f"p50 {g50:.2f} ms, p99 {g99:.2f} ms")
    print(f"raw FAISS {kind} k=500, same user vectors: p50 {f50:.3f} ms, p99 {f99:.3f} ms")
    print(f"ratio gRPC/raw FAISS: p50 {g50 / f50:.1f}x, p99 {g99 / f99:.1f}x")


if __name__ == "__main__":
    main()
