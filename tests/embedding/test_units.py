"""Unit tests of the embedding domain: limits, cache, coalescing, manifests, tokens, Triton configs."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import numpy as np
import pytest

from services.embedding.batching import Coalescer
from services.embedding.cache import VectorCache
from services.embedding.types import BatchOutput
from services.embedding.validation import validate_texts
from shared.errors import DeadlineExceeded, InvalidArgument, ResourceExhausted, Unavailable
from shopmesh.models.manifest import (
    ArtifactManifest,
    ManifestError,
    hash_files,
    payload_digest,
    read_manifest,
    verify_payload,
    write_manifest,
)
from shopmesh.models.repository import TensorSpec, TritonModelConfig


def test_validation_reports_each_bad_text_as_a_field_violation() -> None:
    validate_texts(["fine", "也可以"], max_texts=256, max_chars=8192)
    with pytest.raises(InvalidArgument) as caught:
        validate_texts(["ok", "", "   ", "x" * 8193, "nul\x00byte", "\ud800"], max_texts=256, max_chars=8192)
    fields = {v.field: v.description for v in caught.value.violations}
    assert set(fields) == {"texts[1]", "texts[2]", "texts[3]", "texts[4]", "texts[5]"}
    assert fields["texts[1]"].startswith("EMPTY") and fields["texts[3]"].startswith("TOO_LONG")
    assert fields["texts[4]"].startswith("INVALID_CHARACTER") and fields["texts[5]"].startswith("INVALID_UTF8")


@pytest.mark.parametrize(("texts", "reason"), [([], "EMPTY"), (["a"] * 257, "TOO_MANY")])
def test_validation_bounds_the_batch(texts: list[str], reason: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_texts(texts, max_texts=256, max_chars=8192)
    assert caught.value.reason == reason and caught.value.violations[0].field == "texts"


def test_validation_caps_the_number_of_reported_violations() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_texts([""] * 256, max_texts=256, max_chars=8192)
    assert len(caught.value.violations) == 20 and "256 invalid" in caught.value.message


def test_cache_evicts_least_recently_used_by_bytes() -> None:
    vec = np.ones(384, dtype=np.float32)
    cache = VectorCache(max_bytes=3 * (vec.nbytes + 4 + 160))
    for key in "abc":
        cache.put(key, vec * ord(key), False, 1)
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", vec, True, 1)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("d") == (pytest.approx(vec), True)
    assert cache.bytes <= cache.max_bytes and len(cache) == 3


def test_cache_copies_rows_and_can_be_disabled() -> None:
    batch = np.zeros((2, 4), dtype=np.float32)
    cache = VectorCache(1 << 20)
    cache.put("k", batch[0], False, 1)
    batch[0, 0] = 9
    cached = cache.get("k")
    assert cached is not None and cached[0][0] == 0
    off = VectorCache(0)
    off.put("k", batch[0], False, 1)
    assert off.get("k") is None


class _Recorder:
    """A backend call that records batch sizes and takes `delay_s` per batch."""

    def __init__(self, delay_s: float = 0.01, fail: Exception | None = None):
        self.sizes: list[int] = []
        self.delay_s = delay_s
        self.fail = fail

    async def __call__(self, texts: list[str], timeout_s: float | None) -> BatchOutput:
        self.sizes.append(len(texts))
        await asyncio.sleep(self.delay_s)
        if self.fail is not None:
            raise self.fail
        vectors = np.array([[float(t)] for t in texts], dtype=np.float32)
        return BatchOutput(vectors, [t.endswith("0") for t in texts])


async def test_coalescer_batches_concurrent_callers_and_routes_rows_back() -> None:
    run = _Recorder(delay_s=0.02)
    coalescer = Coalescer(run, max_batch=32, max_queued=1000)
    outputs = await asyncio.gather(*(coalescer.submit([str(i)], None) for i in range(40)))
    assert [float(o.vectors[0, 0]) for o in outputs] == [float(i) for i in range(40)]
    assert outputs[10].truncated == [True] and outputs[11].truncated == [False]
    # All 40 queued before the worker ran: two batches, capped at 32.
    assert run.sizes == [32, 8]
    await coalescer.close()


async def test_coalescer_lets_a_lone_request_go_at_once_and_batches_those_arriving_meanwhile() -> None:
    run = _Recorder(delay_s=0.05)
    coalescer = Coalescer(run, max_batch=32, max_queued=1000)
    first = asyncio.ensure_future(coalescer.submit(["0"], None))
    await asyncio.sleep(0.01)  # the first batch is running now
    rest = await asyncio.gather(*(coalescer.submit([str(i)], None) for i in range(1, 16)))
    await first
    assert run.sizes == [1, 15] and [float(o.vectors[0, 0]) for o in rest] == [float(i) for i in range(1, 16)]
    await coalescer.close()


async def test_coalescer_splits_a_large_request_into_chunks() -> None:
    run = _Recorder(delay_s=0)
    coalescer = Coalescer(run, max_batch=8, max_queued=1000)
    out = await coalescer.submit([str(i) for i in range(20)], None)
    assert out.vectors[:, 0].tolist() == [float(i) for i in range(20)] and max(run.sizes) <= 8
    await coalescer.close()


async def test_coalescer_refuses_when_the_queue_is_full() -> None:
    coalescer = Coalescer(_Recorder(delay_s=0.2), max_batch=4, max_queued=4)
    first = asyncio.ensure_future(coalescer.submit(["1", "2", "3"], None))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(coalescer.submit(["4"], None))
    await asyncio.sleep(0)
    with pytest.raises(ResourceExhausted) as caught:
        await coalescer.submit(["5", "6", "7", "8"], None)
    assert caught.value.retry_after_seconds and caught.value.reason == "QUEUE_FULL"
    await asyncio.gather(first, second)
    await coalescer.close()


async def test_coalescer_fails_expired_requests_and_propagates_backend_errors() -> None:
    slow = Coalescer(_Recorder(delay_s=0.1), max_batch=1, max_queued=100)
    busy = asyncio.ensure_future(slow.submit(["1"], None))
    await asyncio.sleep(0)
    with pytest.raises(DeadlineExceeded):
        await slow.submit(["2"], time.monotonic() + 0.01)
    await busy
    await slow.close()
    failing = Coalescer(_Recorder(fail=Unavailable("down")), max_batch=8, max_queued=100)
    results = await asyncio.gather(*(failing.submit([str(i)], None) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, Unavailable) for r in results)
    await failing.close()


def _manifest(folder: Path) -> ArtifactManifest:
    (folder / "model.onnx").write_bytes(b"weights")
    (folder / "tokenizer.json").write_text("{}")
    files = hash_files(folder, ["model.onnx", "tokenizer.json"])
    return ArtifactManifest(name="minilm-l6-v2", version="0.1.0-r1", kind="TEXT_ENCODER", files=files,
                            sha256=payload_digest(files), vector_space="text-minilm-l6-v2", dimension=384,
                            metrics={"max_abs_diff": 2e-7}, create_time="2026-12-01T20:00:00+00:00")


def test_manifest_round_trips_and_detects_a_tampered_payload(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    write_manifest(tmp_path, manifest)
    loaded = read_manifest(tmp_path)
    assert loaded == manifest and json.loads((tmp_path / "manifest.json").read_text())["schema_version"] == 1
    verify_payload(tmp_path, loaded)
    (tmp_path / "model.onnx").write_bytes(b"weightz")
    with pytest.raises(ManifestError, match=r"model\.onnx fails its sha256"):
        verify_payload(tmp_path, loaded)
    (tmp_path / "model.onnx").write_bytes(b"weights")
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ManifestError, match="missing"):
        verify_payload(tmp_path, loaded)


def test_manifest_converts_to_the_proto(tmp_path: Path) -> None:
    from shopmesh.common.v1 import artifact_pb2

    message = _manifest(tmp_path).to_proto()
    assert message.kind == artifact_pb2.ARTIFACT_KIND_TEXT_ENCODER and message.dimension == 384
    assert message.create_time.seconds > 0 and not message.HasField("training_data_start_time")
    assert message.metrics["max_abs_diff"] == pytest.approx(2e-7) and len(message.sha256) == 64


def test_manifest_rejects_unknown_kind_and_layout() -> None:
    with pytest.raises(ManifestError):
        ArtifactManifest(name="x", version="1", kind="BANANA", files={}, sha256="")
    with pytest.raises(ManifestError):
        ArtifactManifest.from_mapping({"schema_version": 99})


def test_triton_config_has_dynamic_batching_and_the_gpu_accelerator() -> None:
    inputs = (TensorSpec("input_ids", "TYPE_INT64", (-1,)),)
    outputs = (TensorSpec("embedding", "TYPE_FP32", (384,)),)
    cpu = TritonModelConfig("m", "python", inputs, outputs, 256).render()
    gpu = TritonModelConfig("m", "onnxruntime", inputs, outputs, 256, instance_kind="KIND_GPU",
                            tensorrt_fp16=True).render()
    assert "dynamic_batching {" in cpu and "max_batch_size: 256" in cpu and "KIND_CPU" in cpu
    assert 'name: "tensorrt"' in gpu and "FP16" in gpu and "KIND_GPU" in gpu and "tensorrt" not in cpu


async def test_coalescer_lingers_only_under_concurrency() -> None:
    run = _Recorder(delay_s=0.03)
    coalescer = Coalescer(run, max_batch=32, max_queued=1000, max_wait_s=0.05)
    started = time.monotonic()
    await coalescer.submit(["1"], None)
    assert time.monotonic() - started < 0.045  # a lone request does not wait for company
    first = [asyncio.ensure_future(coalescer.submit([str(i)], None)) for i in range(4)]
    await asyncio.gather(*first)
    # The previous batch had 4 callers: the next batch waits for the stragglers instead of running alone.
    second = [asyncio.ensure_future(coalescer.submit(["1"], None))]
    await asyncio.sleep(0.01)
    second += [asyncio.ensure_future(coalescer.submit([str(i)], None)) for i in range(3)]
    await asyncio.gather(*second)
    assert run.sizes == [1, 4, 4]
    await coalescer.close()
