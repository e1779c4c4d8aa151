"""Component tests of the Triton backend against a fake KServe v2 server (the real proto): a model still
loading, a hung Triton, a failing model — each a clear, fast status, never INTERNAL or a hang."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from shopmesh.embedding.v1 import embedding_service_pb2 as pb
from tests.embedding.conftest import RunningService, running_service, settings_for
from tests.embedding.fake_triton import FakeTriton, start_fake
from tests.embedding.test_service import vectors

MODELS = {"minilm-l6-v2", "multilingual-e5-small"}
SERVING, NOT_SERVING = 1, 2


@pytest.fixture
async def fake_and_service(certs: Path, models_root: Path) -> AsyncIterator[tuple[FakeTriton, RunningService]]:
    """The service (backend=triton, 300 ms Triton timeout) in front of a fake Triton."""
    fake = FakeTriton(MODELS)
    server, url = await start_fake(fake)
    settings = settings_for(certs, models_root, backend="triton", triton_url=url, triton_timeout_ms=300)
    async with running_service(settings, certs, models_root) as svc:
        await svc.wait_health(SERVING, timeout_s=10)
        yield fake, svc
    await server.stop(0)


def reason(exc: grpc.aio.AioRpcError) -> str:
    """ErrorInfo.reason of a failed call."""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    info = error_details_pb2.ErrorInfo()
    assert status is not None and any(d.Unpack(info) for d in status.details if d.Is(info.DESCRIPTOR))
    return info.reason


async def test_served_vectors_come_from_triton(fake_and_service: tuple[FakeTriton, RunningService]) -> None:
    fake, svc = fake_and_service
    response = await svc.stub.Embed(pb.EmbedRequest(texts=["a", "b", "c"], kind=pb.EMBEDDING_KIND_QUERY), timeout=5)
    assert np.allclose(vectors(response)[:, :3], np.eye(3)) and fake.calls == 1


async def test_a_model_still_loading_is_unavailable_and_not_serving(
        fake_and_service: tuple[FakeTriton, RunningService]) -> None:
    fake, svc = fake_and_service
    fake.ready_models.discard("multilingual-e5-small")
    await svc.wait_health(NOT_SERVING, timeout_s=3)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.Embed(pb.EmbedRequest(texts=["毛衣"], model_name="multilingual-e5-small",
                                             kind=pb.EMBEDDING_KIND_QUERY), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE and reason(caught.value) == "MODEL_LOADING"
    fake.ready_models.add("multilingual-e5-small")
    await svc.wait_health(SERVING, timeout_s=3)


async def test_a_hung_triton_fails_within_the_triton_timeout(
        fake_and_service: tuple[FakeTriton, RunningService]) -> None:
    fake, svc = fake_and_service
    fake.infer_delay_s = 10.0
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.Embed(pb.EmbedRequest(texts=["slow"], kind=pb.EMBEDDING_KIND_QUERY), timeout=5)
    assert time.monotonic() - started < 1.5
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE and reason(caught.value) == "BACKEND_UNAVAILABLE"


async def test_a_failing_model_is_unavailable_not_internal(
        fake_and_service: tuple[FakeTriton, RunningService]) -> None:
    fake, svc = fake_and_service
    fake.fail_with = grpc.StatusCode.INTERNAL
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.Embed(pb.EmbedRequest(texts=["boom"], kind=pb.EMBEDDING_KIND_PASSAGE), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE and "injected" not in caught.value.details()
