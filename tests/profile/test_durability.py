"""Acceptance 3: kill -9 a real `python -m services.profile` while events stream in; every acknowledged event
is in the log after the restart, a retried batch is not double-counted, and flushing the feature store then
running `shopmesh features rebuild` restores every feature."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from shopmesh.common.v1 import event_pb2
from shopmesh.mesh import check_health, free_port
from shopmesh.profile.v1 import profile_service_pb2 as pb
from tests.profile.conftest import REDIS_URL, Backend, stubs_for
from tests.profile.helpers import CLICK, PURCHASE, T0, VIEW, event, load_catalogue
from tests.profile.test_contract_features import assert_close

REPO = Path(__file__).resolve().parents[2]
USERS = 40
BATCH = 200


def service_env(certs: Path, backend: Backend, port: int, health_port: int) -> dict[str, str]:
    """The environment `shopmesh up` would give the profile service, on the test's stores."""
    env = dict(os.environ)
    p = "SHOPMESH_PROFILE_"
    keys = json.dumps([str(certs / "user-context.pub")])
    env.update({f"{p}CERTS_DIR": str(certs), f"{p}USER_CONTEXT_PUBLIC_KEYS": keys,
                f"{p}PORT": str(port), f"{p}HEALTH_PORT": str(health_port), f"{p}METRICS_ENABLED": "false",
                f"{p}VAULT_ADDRESS": "127.0.0.1:9", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"})
    for key, value in backend.overrides.items():
        env[f"{p}{key.upper()}"] = str(value)
    return env


def start(env: dict[str, str], health_port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "services.profile"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 60
    while check_health(health_port, timeout_s=0.5) != "SERVING":
        assert proc.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "profile did not become SERVING"
        time.sleep(0.1)
    return proc


def batch_events(n: int) -> list[pb.Event]:
    kinds = (VIEW, VIEW, CLICK, PURCHASE)
    return [event(f"b{n}-{i}", f"u{(n * BATCH + i) % USERS}", kinds[i % 4], T0 + n * BATCH + i, f"ml-{i % 20 + 1}")
            for i in range(BATCH)]


async def stream_until_killed(stub: object, proc: subprocess.Popen[bytes], batches: int
                              ) -> tuple[set[tuple[str, str]], list[int]]:
    """Sends batches from two concurrent senders; SIGKILLs the service mid-stream. Returns (acked, unacked)."""
    acked: set[tuple[str, str]] = set()
    unacked: list[int] = []
    queue = list(range(batches))
    enough = asyncio.Event()

    async def sender() -> None:
        while queue:
            n = queue.pop(0)
            events = batch_events(n)
            try:
                reply = await stub.IngestEvents(pb.IngestEventsRequest(events=events), timeout=5)  # type: ignore[attr-defined]
            except grpc.aio.AioRpcError:
                unacked.append(n)
                continue
            ok = (event_pb2.EVENT_RESULT_STATUS_ACCEPTED, event_pb2.EVENT_RESULT_STATUS_DUPLICATE)
            assert all(r.status in ok for r in reply.results)
            acked.update((e.user_id, e.event_id) for e in events)
            if len(acked) >= 10 * BATCH:
                enough.set()

    async def killer() -> None:
        await enough.wait()
        os.kill(proc.pid, signal.SIGKILL)

    await asyncio.gather(sender(), sender(), killer())
    return acked, unacked


async def read_log(stub: object) -> list[pb.Event]:
    out: list[pb.Event] = []
    async for batch in stub.ReadEvents(pb.ReadEventsRequest(batch_size=5000), timeout=30):  # type: ignore[attr-defined]
        out.extend(batch.events)
    return out


async def all_features(stub: object) -> list[object]:
    users = [await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id=f"u{i}"), timeout=5)  # type: ignore[attr-defined]
             for i in range(USERS)]
    items = await stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=[f"ml-{i}" for i in range(1, 21)]),  # type: ignore[attr-defined]
                                       timeout=5)
    return [*users, items]


def flush_features(backend: Backend) -> None:
    """Empties the feature store: this test's Redis keys only, or the SQLite feature file."""
    if backend.name == "sqlite":
        folder = Path(backend.overrides["data_dir"])  # type: ignore[arg-type]
        for path in folder.glob("features.sqlite*"):
            path.unlink()
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=backend.prefix + "*"))
    assert keys
    client.delete(*keys)
    assert not list(client.scan_iter(match=backend.prefix + "*"))
    client.close()


@pytest.mark.slow
@pytest.mark.integration
async def test_kill_9_while_streaming_then_retry_and_rebuild(mesh_certs: Path, backend: Backend,
                                                             tmp_path: Path) -> None:
    port, health_port = free_port(), free_port()
    env = service_env(mesh_certs, backend, port, health_port)
    log = tmp_path / "profile.log"
    proc = start(env, health_port, log)
    stubs, factories = stubs_for(mesh_certs, port)
    try:
        await load_catalogue(stubs["loader"])
        acked, unacked = await stream_until_killed(stubs["gateway"], proc, batches=60)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        assert acked and unacked, "the kill should land while batches are in flight"

        proc = start(env, health_port, log)
        stubs, more = stubs_for(mesh_certs, port)  # fresh channels: the old ones back off after the outage
        factories += more
        logged = {(e.user_id, e.event_id) for e in await read_log(stubs["trainer"])}
        assert acked <= logged  # every acknowledged event survived the kill

        # Retry what was not acknowledged, and one batch that was: nothing is counted twice.
        acked_batch = next(n for n in range(60) if n not in unacked)
        for n in [*unacked, acked_batch]:
            reply = await stubs["gateway"].IngestEvents(pb.IngestEventsRequest(events=batch_events(n)), timeout=10)
            assert reply.rejected_count == 0
        assert reply.duplicate_count == BATCH
        events = await read_log(stubs["trainer"])
        assert len(events) == len({(e.user_id, e.event_id) for e in events}) == 60 * BATCH
        await asyncio.sleep(1.0)  # features follow within a second
        before = await all_features(stubs["gateway"])
        assert sum(f.features.total_event_count for f in before[:-1]) == 60 * BATCH  # type: ignore[attr-defined]

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        flush_features(backend)
        rebuilt = subprocess.run([sys.executable, "-m", "shopmesh", "features", "rebuild"], env=env, cwd=REPO,
                                 capture_output=True, text=True, timeout=120)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert f"from {60 * BATCH:,} events" in rebuilt.stdout
        proc = start(env, health_port, log)
        stubs, more = stubs_for(mesh_certs, port)  # fresh channels: the old ones back off after a long outage
        factories += more
        after = await all_features(stubs["gateway"])
        for a, b in zip(before, after, strict=True):
            assert_close(a, b)
    finally:
        for factory in factories:
            await factory.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
