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
SCRIPTS = {
    "en": ["Hi", "How long do refunds take?", "and for PayPal?", "Where is my order?", "A10023",
           "Do you ship to Singapore?", "Thanks!"],
    "zh": ["你好", "退款一般多久到账？", "那微信支付呢？", "我的订单到哪了？", "订单号是A10023", "可以寄到新加坡吗？",
           "谢谢"],
}


async def serve(root: Path, port_file: Path) -> None:
    """Child process: starts the mesh, writes the support port, serves until killed."""
    from shared.threads import pin_cpu_threads
    from tests.support.conftest import start_mesh

    pin_cpu_threads(1)
    certs = root / "certs"
    signer = UserContextSigner.from_file(certs / "user-context.key")
    # No vector cache: the scripts repeat across conversations, and a cache would answer most turns.
    mesh = await start_mesh(certs, signer, root, max_turns_per_minute=100_000, in_process_cache_texts=0)
    await asyncio.to_thread(port_file.write_text, json.dumps({"port": mesh.app.host.port}))
    await asyncio.Event().wait()


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
            while True:
                event = (await call.read()).event
                now = time.perf_counter()
                first = first or now
                if event.WhichOneof("event") == "handoff_update":
                    break
                if event.WhichOneof("event") == "bot_reply" and event.bot_reply.final and not event.bot_reply.HasField(
                        "handoff"):
                    break
            out["first"].append(first - sent)
            out["turn"].append(now - sent)
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
    await conversation(stub, signer, "en", rounds=1, think=None, out={"first": [], "turn": []})  # warm-up
    out: dict[str, list[float]] = {"first": [], "turn": []}
    started = time.perf_counter()
    await asyncio.gather(*(conversation(stub, signer, ("en", "zh")[i % 2], rounds=rounds, think=think, out=out)
                           for i in range(conversations)))
    elapsed = time.perf_counter() - started
    await channel.close()
    return {"turns": len(out["turn"]), "turns_per_s": len(out["turn"]) / elapsed,
            "turn_p50_ms": percentile(out["turn"], 0.5), "turn_p99_ms": percentile(out["turn"], 0.99),
            "first_chunk_p50_ms": percentile(out["first"], 0.5), "first_chunk_p99_ms": percentile(out["first"], 0.99),
            "turn_mean_ms": statistics.fmean(out["turn"]) * 1000}


def main() -> None:
    """Parses arguments, spawns the mesh, runs both load shapes, prints a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.serve / "port.json"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        certs = root / "certs"
        create_ca(certs)
        for name in ("support", "vault", "profile", "gateway"):
            issue_service_cert(certs, name)
        generate_keypair(certs / "user-context.key", certs / "user-context.pub")
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(root)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port_file = root / "port.json"
            deadline = time.monotonic() + 300
            while not port_file.exists():
                if child.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the mesh did not start")
                time.sleep(0.2)
            port = json.loads(port_file.read_text())["port"]
            for label, think in (("closed loop", None), ("think 1-3 s", (1.0, 3.0))):
                figures = asyncio.run(drive(port, certs, args.conversations, args.rounds, think))
                verdict = "meets" if figures["turn_p99_ms"] <= TARGET_P99_MS else "misses"
                print(f"{label:12} {args.conversations} conversations, {figures['turns']} turns, "
                      f"{figures['turns_per_s']:.1f} turns/s: turn p50 {figures['turn_p50_ms']:.1f} ms, "
                      f"p99 {figures['turn_p99_ms']:.1f} ms ({verdict} the {TARGET_P99_MS:.0f} ms target); "
                      f"first chunk p50 {figures['first_chunk_p50_ms']:.1f} ms, "
                      f"p99 {figures['first_chunk_p99_ms']:.1f} ms")
        finally:
            child.terminate()
            child.wait(timeout=30)


if __name__ == "__main__":
    main()
