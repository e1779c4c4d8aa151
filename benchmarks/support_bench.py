"""The support service's turn latency with 16 concurrent conversations, over gRPC with mTLS.

The mesh runs in a child process (this script with --serve): the real vault (SQLite), the real support
service (SQLite sessions, the in-process e5 encoder: the model the embedding service serves) and the small
fake profile of tests/support (the profile service does not serve order RPCs yet). The parent drives 16
Converse streams at once, each through en or zh multi-turn scripts (greeting, FAQ, follow-up, order
status with a clarification, shipping abroad, thanks), and measures per turn:
- time to first chunk: message sent -> first event of the turn;
- turn latency: message sent -> final chunk.
Two load shapes: closed loop (each user sends the next message as soon as the answer is complete: the
worst case) and with think time (a pause of 1-3 s between messages, like people typing).

Two service configurations in the same run, each in a fresh child: `batched` (production settings: concurrent
turns' texts coalesced into one encoder call) and the baseline `one call per turn` (embed_max_batch=1, what
the service did before). Vector caches are off in both: the scripts repeat across conversations, and a cache
would answer most turns. The ratio baseline / batched is printed for each figure.

    .venv/bin/python benchmarks/support_bench.py [--conversations 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.tls import TlsFiles, create_ca, issue_service_cert
from shared.usercontext import UserContextSigner, generate_keypair
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.support.v1 import support_service_pb2 as pb
from shopmesh.support.v1 import support_service_pb2_grpc as pb_grpc

TARGET_P99_MS = 150.0
READ_TIMEOUT_S = 60.0
CONFIGS = {"one call per turn": {"embed_max_batch": 1}, "batched": {}}
SCRIPTS = {
    "en": ["Hi", "How long do refunds take?", "and for PayPal?", "Where is my order?", "A10023",
           "Do you ship to Singapore?", "Thanks!"],
    "zh": ["你好", "退款一般多久到账？", "那微信支付呢？", "我的订单到哪了？", "订单号是A10023", "可以寄到新加坡吗？",
           "谢谢"],
}


async def serve(root: Path, port_file: Path, config: str, profile_out: Path | None = None) -> None:
    """Child process: starts the mesh with one of CONFIGS, writes the support port, serves until killed.

    With profile_out, the event loop's thread runs under cProfile from the first turn on and the stats are
    written there on SIGTERM (the encoder's worker thread is not in it: its cost is the engine's).
    """
    import cProfile
    import signal

    from shared.threads import pin_cpu_threads
    from tests.support.conftest import start_mesh

    pin_cpu_threads(1)
    certs = root / "certs"
    signer = UserContextSigner.from_file(certs / "user-context.key")
    # No vector cache: the scripts repeat across conversations, and a cache would answer most turns.
    mesh = await start_mesh(certs, signer, root / config.replace(" ", "-"), max_turns_per_minute=100_000,
                            in_process_cache_texts=0, turn_vector_cache_texts=0, max_connection_age_seconds=3600,
                            **CONFIGS[config])
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    profiler = cProfile.Profile() if profile_out else None
    if profiler:
        profiler.enable()
    await asyncio.to_thread(port_file.write_text, json.dumps({"port": mesh.app.host.port}))
    await stop.wait()
    if profiler and profile_out:
        profiler.disable()
        profiler.dump_stats(profile_out)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank), in ms."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def conversation(stub: pb_grpc.SupportServiceStub, signer: UserContextSigner, language: str, *, rounds: int,
                       think: tuple[float, float] | None, out: dict[str, list[float]]) -> None:
    """One user's session(s): the script `rounds` times, a new session each round."""
    rng = random.Random(hash(language) ^ id(out))
    for _ in range(rounds):
        call = stub.Converse(metadata=(("x-shopmesh-user-context", signer.sign("u-alice", ttl_seconds=600)),))
        await call.write(pb.ConverseRequest(input=cpb.ConversationInput(open=cpb.OpenConversation(
            language_code=language))))
        await call.read()
        for text in SCRIPTS[language]:
            sent = time.perf_counter()
            await call.write(pb.ConverseRequest(input=cpb.ConversationInput(user_message=cpb.UserMessage(
                client_message_id=uuid.uuid4().hex, text=text))))
            first = None
            handed_off = False
            while True:
                # Bounded: a turn that never completes fails the run instead of hanging it.
                event = (await asyncio.wait_for(call.read(), READ_TIMEOUT_S)).event
                now = time.perf_counter()
                first = first or now
                if event.WhichOneof("event") == "handoff_update":
                    handed_off = True
                    break
                if event.WhichOneof("event") == "bot_reply" and event.bot_reply.final and not event.bot_reply.HasField(
                        "handoff"):
                    break
            out["first"].append(first - sent)
            out["turn"].append(now - sent)
            if handed_off:
                # Later messages would go to a human agent (no bot reply): this round's session is over.
                out["handoffs"].append(now)
                break
            if think:
                await asyncio.sleep(rng.uniform(*think))
        call.cancel()


async def drive(port: int, certs: Path, conversations: int, rounds: int,
                think: tuple[float, float] | None) -> dict[str, float]:
    """Runs the concurrent conversations; returns the figures."""
    ca, chain, key = TlsFiles.in_dir(certs, "gateway").read()
    channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(ca, key, chain),
                                      options=[("grpc.ssl_target_name_override", "support")])
    stub = pb_grpc.SupportServiceStub(channel)
    signer = UserContextSigner.from_file(certs / "user-context.key")
    warm_up: dict[str, list[float]] = {"first": [], "turn": [], "handoffs": []}
    await conversation(stub, signer, "en", rounds=1, think=None, out=warm_up)
    out: dict[str, list[float]] = {"first": [], "turn": [], "handoffs": []}
    started = time.perf_counter()
    await asyncio.gather(*(conversation(stub, signer, ("en", "zh")[i % 2], rounds=rounds, think=think, out=out)
                           for i in range(conversations)))
    elapsed = time.perf_counter() - started
    await channel.close()
    return {"turns": len(out["turn"]), "turns_per_s": len(out["turn"]) / elapsed,
            "turn_p50_ms": percentile(out["turn"], 0.5), "turn_p99_ms": percentile(out["turn"], 0.99),
            "first_chunk_p50_ms": percentile(out["first"], 0.5), "first_chunk_p99_ms": percentile(out["first"], 0.99),
            "turn_mean_ms": statistics.fmean(out["turn"]) * 1000, "handoffs": len(out["handoffs"])}


def main() -> None:
    """Parses arguments, spawns the mesh, runs both load shapes, prints a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write the batched service's cProfile stats here "
                        "(runs only that configuration)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--config", choices=sorted(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.serve / f"port-{args.config.replace(' ', '-')}.json", args.config,
                          args.profile))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        certs = root / "certs"
        create_ca(certs)
        for name in ("support", "vault", "profile", "gateway"):
            issue_service_cert(certs, name)
        generate_keypair(certs / "user-context.key", certs / "user-context.pub")
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        if args.profile:
            run_config(root, certs, "batched", env, conversations=args.conversations, rounds=args.rounds,
                       profile=args.profile)
            return
        results = {config: run_config(root, certs, config, env, conversations=args.conversations, rounds=args.rounds)
                   for config in CONFIGS}
    baseline, batched = results["one call per turn"], results["batched"]
    for label in baseline:
        b, n = baseline[label], batched[label]
        print(f"{label:12} ratio one-call-per-turn / batched: turn p50 {b['turn_p50_ms'] / n['turn_p50_ms']:.2f}x, "
              f"p99 {b['turn_p99_ms'] / n['turn_p99_ms']:.2f}x, first chunk p99 "
              f"{b['first_chunk_p99_ms'] / n['first_chunk_p99_ms']:.2f}x, turns/s "
              f"{n['turns_per_s'] / b['turns_per_s']:.2f}x, service CPU per turn "
              f"{b['server_cpu_ms_per_turn'] / n['server_cpu_ms_per_turn']:.2f}x")


def child_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_config(root: Path, certs: Path, config: str, env: dict[str, str], *, conversations: int,
               rounds: int, profile: Path | None = None) -> dict[str, dict[str, float]]:
    """Starts a child serving `config`, drives both load shapes, prints and returns their figures.

    Beside the latencies: the service process's CPU per turn (vault and fake profile included; the warm-up
    conversation too), which the other engineers' load on the machine barely moves.
    """
    extra = ["--profile", str(profile.resolve())] if profile else []
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(root), "--config", config, *extra], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, dict[str, float]] = {}
    try:
        port_file = root / f"port-{config.replace(' ', '-')}.json"
        deadline = time.monotonic() + 300
        while not port_file.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the mesh did not start")
            time.sleep(0.2)
        port = json.loads(port_file.read_text())["port"]
        for label, think in (("closed loop", None), ("think 1-3 s", (1.0, 3.0))):
            cpu_before = child_cpu_s(child.pid)
            figures = asyncio.run(drive(port, certs, conversations, rounds, think))
            figures["server_cpu_ms_per_turn"] = (child_cpu_s(child.pid) - cpu_before) * 1000 / (
                figures["turns"] + len(SCRIPTS["en"]))
            out[label] = figures
            verdict = "meets" if figures["turn_p99_ms"] <= TARGET_P99_MS else "misses"
            print(f"[{config}] {label:12} {conversations} conversations, {figures['turns']:.0f} turns, "
                  f"{figures['turns_per_s']:.1f} turns/s: turn p50 {figures['turn_p50_ms']:.1f} ms, "
                  f"p99 {figures['turn_p99_ms']:.1f} ms ({verdict} the {TARGET_P99_MS:.0f} ms target); "
                  f"first chunk p50 {figures['first_chunk_p50_ms']:.1f} ms, "
                  f"p99 {figures['first_chunk_p99_ms']:.1f} ms; {figures['handoffs']:.0f} hand-offs; "
                  f"service CPU {figures['server_cpu_ms_per_turn']:.1f} ms/turn", flush=True)
    finally:
        child.terminate()
        child.wait(timeout=30)
    return out

if __name__ == "__main__":
    main()
