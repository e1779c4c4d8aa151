"""CPU benchmark of the embedding service (issue #6, acceptance 3): sentences/s and p50/p99 latency at batch
1, batch 32 and 16 concurrent single-sentence clients, for
  (a) the service over the local Triton (the wheel's tritonserver as the service's child),
  (b) the service in-process (onnxruntime in the service),
  (c) the baseline: raw onnxruntime in this process at batch 32 (tokenise + run, nothing else).
Everything runs with 1 math thread per process, as the mesh does. The service is a real `python -m
services.embedding` process called over gRPC with mutual TLS; texts are unique (no cache hits).

    .venv/bin/python benchmarks/embedding_bench.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shopmesh.mesh import free_port

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORDS = (
    "red", "blue", "black", "white", "linen", "cotton", "silk", "summer", "winter", "dress", "shirt", "jeans",
    "boots", "sneakers", "jacket", "coat", "skirt", "sweater", "hoodie", "waterproof", "lightweight", "slim",
    "fit", "oversized", "vintage", "classic", "soft", "warm", "cozy", "elegant", "casual", "formal", "size",
    "small", "medium", "large", "pockets", "zipper", "buttons", "sleeves", "collar", "leather", "wool",
    "denim", "floral", "striped", "plain", "stretchy", "comfortable", "running", "hiking", "office", "party",
    "beach",
)


def sentences(n: int, seed: int) -> list[str]:
    """n unique product-search-like sentences of 6-18 words (12-30 tokens)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))) + f" {seed}-{i}" for i in range(n)]


def pct(values: list[float], q: float) -> float:
    """The q-quantile in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000



_SESSIONS: dict[Path, tuple[Any, Any]] = {}


def raw_onnxruntime(models: Path, calls: int) -> dict[str, float]:
    """(c): tokenise + session.run at batch 32, one thread, in this process."""
    import onnxruntime

    from shared.threads import onnxruntime_session_options
    from shopmesh.models.tokens import WordPieceTokenizer

    art = models / "artifacts" / "minilm-l6-v2" / "1"
    if models not in _SESSIONS:
        _SESSIONS[models] = (WordPieceTokenizer(art / "tokenizer.json", 256),
                             onnxruntime.InferenceSession(str(art / "model.onnx"), onnxruntime_session_options(1),
                                                          providers=["CPUExecutionProvider"]))
    tok, session = _SESSIONS[models]
    batches = [sentences(32, 1000 + i) for i in range(calls + 3)]
    latencies = []
    for i, texts in enumerate(batches):
        started = time.perf_counter()
        # The same length buckets the service uses: the baseline gets every trick but the service around it.
        for _, batch in tok.encode_buckets(texts):
            session.run(["embedding"], {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask})
        if i >= 3:
            latencies.append(time.perf_counter() - started)
    return {"sent_s": 32 * len(latencies) / sum(latencies), "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99)}


class Service:
    """`python -m services.embedding` as a child process, with mTLS certificates of its own."""

    def __init__(self, backend: str, models: Path, home: Path, certs: Path, log_dir: Path):
        self.port, self.health_port = free_port(), free_port()
        prefix = "SHOPMESH_EMBEDDING_"
        env = dict(os.environ, SHOPMESH_HOME=str(home), PYTHONPATH=str(REPO))
        env.update({f"{prefix}PORT": str(self.port), f"{prefix}HEALTH_PORT": str(self.health_port),
                    f"{prefix}CERTS_DIR": str(certs), f"{prefix}METRICS_ENABLED": "false",
                    f"{prefix}BACKEND": backend, f"{prefix}MODELS_DIR": str(models),
                    f"{prefix}CACHE_MAX_BYTES": "0", f"{prefix}LOG_LEVEL": "WARNING",
                    f"{prefix}DEFAULT_DEADLINE_MS": "30000"})
        self.log = (log_dir / f"embedding-{backend}.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "services.embedding"], env=env, cwd=REPO,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_serving(self, timeout_s: float = 120) -> None:
        from shopmesh.mesh import check_health

        deadline = time.monotonic() + timeout_s
        while check_health(self.health_port, timeout_s=0.5) != "SERVING":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedding service did not get ready; see {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


async def measure_service(port: int, certs: Path, calls: int, seed: int,
                          baseline: Callable[[], dict[str, float]]) -> dict[str, dict[str, float]]:
    """Batch 1, batch 32 and 16 concurrent single-sentence clients against one running service.

    The baseline runs right before and right after the 16-client measurement (the service idle meanwhile),
    so the ratio compares figures taken minutes apart at most seconds apart: the machine is shared.
    """
    import grpc

    from shared.tls import TlsFiles, channel_credentials
    from shopmesh.embedding.v1 import embedding_service_pb2 as pb
    from shopmesh.embedding.v1 import embedding_service_pb2_grpc as pb_grpc

    channel = grpc.aio.secure_channel(f"localhost:{port}", channel_credentials(TlsFiles.in_dir(certs, "retrieval")))
    stub = pb_grpc.EmbeddingServiceStub(channel)

    async def call(texts: list[str]) -> float:
        started = time.perf_counter()
        response = await stub.Embed(pb.EmbedRequest(texts=texts, kind=pb.EMBEDDING_KIND_QUERY), timeout=30)
        assert response.count == len(texts) and response.cache_hit_count == 0
        return time.perf_counter() - started

    for text in sentences(20, seed):  # warm-up
        await call([text])
    results: dict[str, dict[str, float]] = {}
    single = sentences(calls, seed + 1)
    started = time.perf_counter()
    lat = [await call([t]) for t in single]
    results["batch 1"] = {"sent_s": calls / (time.perf_counter() - started), "p50": pct(lat, .5), "p99": pct(lat, .99)}
    batches = [sentences(32, seed + 100 + i) for i in range(max(calls // 8, 10))]
    started = time.perf_counter()
    lat = [await call(b) for b in batches]
    results["batch 32"] = {"sent_s": 32 * len(batches) / (time.perf_counter() - started),
                           "p50": pct(lat, .5), "p99": pct(lat, .99)}
    per_client = max(calls // 4, 20)
    texts = sentences(16 * per_client, seed + 2)

    async def client(k: int) -> list[float]:
        return [await call([t]) for t in texts[k * per_client:(k + 1) * per_client]]

    before = baseline()
    started = time.perf_counter()
    lats = await asyncio.gather(*(client(k) for k in range(16)))
    elapsed = time.perf_counter() - started
    after = baseline()
    flat = [x for one in lats for x in one]
    results["16 clients x 1"] = {"sent_s": len(flat) / elapsed, "p50": pct(flat, .5), "p99": pct(flat, .99)}
    results["baseline around"] = {key: (before[key] + after[key]) / 2 for key in before}
    await channel.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="single-sentence calls per measurement")
    args = parser.parse_args()
    os.environ.update(OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    from shared.tls import create_ca, issue_service_cert
    from shopmesh import paths
    from shopmesh.models.build import build_repository
    from shopmesh.models.repository import models_dir

    models = models_dir()
    build_repository(models, check_triton=False, progress=lambda line: None)
    from shopmesh.models.tritonserver import ensure_installed

    ensure_installed()
    rows: dict[str, dict[str, dict[str, float]]] = {}
    baseline_calls = max(args.calls // 8, 10)

    def baseline() -> dict[str, float]:
        return raw_onnxruntime(models, baseline_calls)
    with tempfile.TemporaryDirectory(prefix="embedding-bench-") as tmp:
        home, certs = Path(tmp), Path(tmp) / "certs"
        create_ca(certs)
        for name in ("embedding", "retrieval"):
            issue_service_cert(certs, name)
        for label, backend in (("(a) service over Triton", "triton"), ("(b) service in-process", "in_process")):
            # $SHOPMESH_HOME as is: the Triton wheel was unpacked there by the build.
            service = Service(backend, models, paths.home(), certs, home)
            try:
                service.wait_serving()
                rows[label] = asyncio.run(measure_service(service.port, certs, args.calls, len(rows) * 7919,
                                                         baseline))
            finally:
                service.stop()
    load = os.getloadavg()[0]
    print(f"embedding CPU benchmark — minilm-l6-v2, 1 thread per process, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, load average {load:.1f}")
    print(f"{'configuration':<26} {'load':<15} {'sentences/s':>12} {'p50 ms':>9} {'p99 ms':>9}")
    for label, measured in rows.items():
        for kind, figures in measured.items():
            name = "(c) raw onnxruntime" if kind == "baseline around" else label
            shown = f"batch 32 {label[:3]}" if kind == "baseline around" else kind
            print(f"{name:<26} {shown:<15} {figures['sent_s']:>12.1f} {figures['p50']:>9.2f} {figures['p99']:>9.2f}")
    for label in rows:
        ratio = rows[label]["16 clients x 1"]["sent_s"] / rows[label]["baseline around"]["sent_s"]
        print(f"ratio {label[:3]} 16 concurrent clients / (c) raw onnxruntime batch 32 run around it: {ratio:.2f}x"
              + (" (target >= 0.80x)" if label.startswith("(a)") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
