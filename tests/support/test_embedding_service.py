"""The support service with its production encoder path: query vectors from the real embedding service (#6,
in-process backend on the built model repository), which match the in-process e5 vectors the intent head
was trained on."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.embedding.app import build_engine, build_host, watch
from services.embedding.settings import EmbeddingSettings
from services.support.encoder import E5Encoder
from services.support.peers import EmbeddingClient
from shared.channels import ChannelFactory
from shared.tls import TlsFiles
from shared.usercontext import UserContextSigner
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.models.repository import models_dir
from tests.support.conftest import Conversation, answer_text, final_reply, slots_of, start_mesh, stop_mesh
from tests.support.fake_profile import ALICE

pytestmark = pytest.mark.timeout(900)


async def _serving(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        while True:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
            assert time.monotonic() < deadline, "the embedding service never became SERVING"
            await asyncio.sleep(0.2)


@pytest.fixture(scope="session")
def model_repository() -> Path:
    """The embedding model repository under $SHOPMESH_HOME/models (built once, shared with tests/embedding)."""
    from shopmesh.models.build import build_repository

    root = models_dir()
    build_repository(root, check_triton=False, progress=lambda line: None)
    return root


async def test_vectors_and_turns_through_the_embedding_service(mesh_certs: Path, signer: UserContextSigner,
                                                               tmp_path: Path, trained_models: None,
                                                               model_repository: Path) -> None:
    settings = EmbeddingSettings(certs_dir=mesh_certs, metrics_enabled=False,  # type: ignore[call-arg]
                                 models_dir=model_repository, backend="in_process", build_models_on_start=False,
                                 readiness_interval_s=0.2, grace_seconds=0.5)
    engine = build_engine(settings, model_repository)
    host = build_host(settings, engine)
    await host.start()
    await engine.start()
    watcher = watch(host, engine, settings)
    channels = ChannelFactory(TlsFiles.in_dir(mesh_certs, "support"))
    try:
        await _serving(host.health_port, 120)
        client = EmbeddingClient(channels, f"127.0.0.1:{host.port}", 60.0)
        texts = ["How long do refunds take?", "我的订单到哪了？"]
        served = await client.embed(texts)
        local = E5Encoder().encode(texts)
        cosine = np.sum(served / np.linalg.norm(served, axis=1, keepdims=True) * local, axis=1)
        assert cosine.min() > 0.999, cosine

        mesh = await start_mesh(mesh_certs, signer, tmp_path, encoder="embedding_service",
                                embedding_address=f"127.0.0.1:{host.port}")
        try:
            chat = Conversation(mesh, ALICE, "en")
            await chat.open()
            await chat.say("How long do refunds take?")
            follow = await chat.say("and for PayPal?")
            reply = final_reply(follow)
            assert reply.understanding.intent_id == "refund.timeline"
            assert slots_of(reply) == {"payment_method": "paypal"}
            assert reply.answer_source == cpb.ANSWER_SOURCE_FAQ and "within 2 days" in answer_text(follow)
            chat.cancel()
        finally:
            await stop_mesh(mesh)
    finally:
        await channels.close()
        watcher.cancel()
        await host.stop(0)
        await engine.close()


async def test_support_waits_for_an_embedding_service_that_starts_after_it(
        mesh_certs: Path, signer: UserContextSigner, tmp_path: Path, trained_models: None,
        model_repository: Path) -> None:
    """In a mesh started all at once embedding may still be loading when support starts: support waits
    (NOT_SERVING) and becomes ready once embedding serves, instead of exiting."""
    from shopmesh.mesh import free_port

    port = free_port()
    starting = asyncio.create_task(start_mesh(mesh_certs, signer, tmp_path, encoder="embedding_service",
                                              embedding_address=f"127.0.0.1:{port}", embedding_timeout_ms=2000))
    await asyncio.sleep(3)
    assert not starting.done(), "support finished starting (or failed) without its embedding service"
    settings = EmbeddingSettings(certs_dir=mesh_certs, metrics_enabled=False, port=port,  # type: ignore[call-arg]
                                 models_dir=model_repository, backend="in_process", build_models_on_start=False,
                                 readiness_interval_s=0.2, grace_seconds=0.5)
    engine = build_engine(settings, model_repository)
    host = build_host(settings, engine)
    await host.start()
    await engine.start()
    watcher = watch(host, engine, settings)
    try:
        mesh = await asyncio.wait_for(starting, 180)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.app.host.health_port}") as channel:
                reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            chat = Conversation(mesh, ALICE, "en")
            await chat.open()
            reply_turn = final_reply(await chat.say("How long do refunds take?"))
            assert reply_turn.understanding.intent_id == "refund.timeline"
            chat.cancel()
        finally:
            await stop_mesh(mesh)
    finally:
        if not starting.done():
            starting.cancel()
        watcher.cancel()
        await host.stop(0)
        await engine.close()
