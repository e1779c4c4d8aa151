"""Tracing overhead: the home feed through the whole mesh with OpenTelemetry tracing off, then on, same run.

    .venv/bin/python benchmarks/tracing_bench.py [--rate 50] [--duration 30] [--rounds 1]

The mesh and the open-loop load generator are gateway_bench's (mTLS, profile on PostgreSQL + Redis, embedding
on the local tritonserver, GetHomeFeed for u1..u300 at a fixed rate, latency from each scheduled send). Each
round starts the mesh twice on the same loaded home: once with tracing off (the default: no SDK provider,
the API's no-op tracer) and once with every service exporting every span (sample ratio 1) over OTLP/gRPC to
a collector in its own process, which receives and counts them (`--collector`). The collector's CPU is on
these same two cores, which a deployment's collector would not be. The figure is the p50 (and p99) ratio
on / off; the issue's claim is that with tracing off the overhead is not measurable, so the off run is the
baseline and "on" shows what full sampling costs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent import futures
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from gateway_bench import cleanup, load_shop, mesh_environment  # noqa: E402

from shopmesh.mesh import Supervisor, available_services, free_port  # noqa: E402


def collector_main(port: int) -> None:
    """An OTLP/gRPC trace receiver that counts spans until SIGTERM, then prints the count."""
    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    counted = [0]
    lock = threading.Lock()

    class Sink(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
            with lock:
                counted[0] += spans
            return trace_service_pb2.ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Sink(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop(0)
    print(json.dumps({"spans": counted[0]}), flush=True)


def one_mesh(home: Path, env: dict[str, str], args: argparse.Namespace, *, traced: bool) -> dict[str, Any]:
    """Starts the mesh (traced or not), runs the generator once, stops it; the generator's figures."""
    collector = None
    endpoint = ""
    if traced:
        port = free_port()
        endpoint = f"127.0.0.1:{port}"
        collector = subprocess.Popen([sys.executable, __file__, "--collector", str(port)], stdout=subprocess.PIPE,
                                     text=True)
    services = available_services()
    if traced:
        env = {**env, **{f"SHOPMESH_{s.name.upper()}_TRACE_SAMPLE_RATIO": str(args.sample_ratio) for s in services}}
    supervisor = Supervisor(services, home, extra_env=env, otlp_endpoint=endpoint)
    try:
        supervisor.start(timeout_s=300)
        from shopmesh.certs import ensure_certs

        ensure_certs(supervisor.certs_dir, ("cli",))
        gateway = next(s for s in supervisor.running if s.name == "gateway")
        done = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "gateway_bench.py"), "--generator", "--address",
             f"127.0.0.1:{gateway.port}", "--certs", str(supervisor.certs_dir), "--rates", str(args.rate),
             "--duration", str(args.duration), "--users", str(args.users)],
            env={**os.environ, **env}, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"generator failed: {done.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        supervisor.stop()
    result["spans"] = 0
    if collector is not None:
        time.sleep(1.0)  # the services flushed their batches at exit
        collector.send_signal(signal.SIGTERM)
        out, _ = collector.communicate(timeout=30)
        result["spans"] = json.loads(out.strip().splitlines()[-1])["spans"]
    return result


def noop_span_us(iterations: int = 200_000) -> float:
    """Microseconds per RPC of the envelope's span work with tracing off (the API's no-op tracer): start the
    server span, make it current, check it, end it — what every RPC pays when nothing is recorded."""
    from opentelemetry import context, trace

    tracer = trace.NoOpTracer()
    attributes = {"rpc.system": "grpc", "rpc.service": "shopmesh.x.v1.X", "rpc.method": "M"}
    started = time.perf_counter()
    for _ in range(iterations):
        span = tracer.start_span("shopmesh.x.v1.X/M", kind=trace.SpanKind.SERVER, attributes=attributes)
        token = context.attach(trace.set_span_in_context(span))
        span.is_recording()
        context.detach(token)
        span.end()
    return (time.perf_counter() - started) / iterations * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50.0, help="req/s of the home-feed load (default 50)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per mesh (default 30)")
    parser.add_argument("--rounds", type=int, default=1, help="off/on pairs (default 1)")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--sample-ratio", type=float, default=1.0, help="share of traces recorded when on")
    parser.add_argument("--postgres-dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--noop-only", action="store_true", help="only the tracing-off span cost per RPC")
    parser.add_argument("--collector", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.collector:
        collector_main(args.collector)
        return
    cost = statistics.median(noop_span_us() for _ in range(3))
    print(f"tracing off: the envelope's no-op span work costs {cost:.2f} us per RPC", flush=True)
    if args.noop_only:
        return
    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="tracebench-") as tmp:
        home = Path(tmp)
        env = mesh_environment(home, args, run_id)
        try:
            load_shop(env)
            off: list[dict[str, Any]] = []
            on: list[dict[str, Any]] = []
            for n in range(args.rounds):
                # Alternate which goes first, so the second mesh's warmer state does not favour one side.
                order = (False, True) if n % 2 == 0 else (True, False)
                for traced in order:
                    result = one_mesh(home, env, args, traced=traced)
                    (on if traced else off).append(result)
                    print(f"round {n + 1} tracing {'on ' if traced else 'off'}: p50 {result['p50_ms']:.1f} ms, "
                          f"p99 {result['p99_ms']:.1f} ms, errors {sum(result['errors'].values())}, "
                          f"spans exported {result['spans']} ({result['spans'] / max(result['sent'], 1):.1f} "
                          "per feed)", flush=True)
            p50_off = statistics.median(r["p50_ms"] for r in off)
            p50_on = statistics.median(r["p50_ms"] for r in on)
            p99_off = statistics.median(r["p99_ms"] for r in off)
            p99_on = statistics.median(r["p99_ms"] for r in on)
            per_feed = statistics.median(r["spans"] / max(r["sent"], 1) for r in on)
            print(f"tracing off: {per_feed:.1f} spans per feed x {cost:.2f} us = {per_feed * cost:.0f} us, "
                  f"{per_feed * cost / 10 / p50_off:.3f}% of the off p50")
            print(f"tracing on (sample ratio {args.sample_ratio}) / off at {args.rate:.0f} req/s: "
                  f"p50 {p50_on:.1f} / {p50_off:.1f} ms = "
                  f"{p50_on / p50_off:.2f}; p99 {p99_on:.1f} / {p99_off:.1f} ms = {p99_on / p99_off:.2f}")
        finally:
            cleanup(args, run_id)


if __name__ == "__main__":
    main()
