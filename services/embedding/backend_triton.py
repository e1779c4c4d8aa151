"""The Triton backend: KServe v2 gRPC through `tritonclient.grpc.aio`, every call with a client_timeout.

Failing fast matters more than retrying here: callers (retrieval, support) degrade on UNAVAILABLE, so a dead
Triton must not hold their deadline. The channel reconnects with a short backoff so that recovery, once
Triton is back, takes well under a second instead of gRPC's default of up to two minutes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
from opentelemetry import propagate, trace

from services.embedding.triton_process import ManagedTriton
from services.embedding.types import BatchOutput, Kind, ModelState, ServedModel
from shared.errors import DeadlineExceeded, Unavailable
from shared.logging import get_logger
from shopmesh.models.encoders import SCHEMA_TOKEN_IDS
from shopmesh.models.tokens import TokenBatch, WordPieceTokenizer

_CHANNEL_ARGS = [
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 2_000),
    ("grpc.keepalive_permit_without_calls", 1),
]
_READY_TIMEOUT_S = 1.0
_INLINE_TOKENIZE_CHARS = 20_000
"""Tokenising more than this blocks the event loop for milliseconds: do it on a thread instead."""
_log = get_logger(__name__)
_tracer = trace.get_tracer("shopmesh.embedding")


def _to_domain_error(exc: Exception, model: str, timeout_s: float | None) -> Exception:
    status = str(getattr(exc, "status", lambda: "")() or "")
    message = str(getattr(exc, "message", lambda: str(exc))() or exc)
    meta = {"model_name": model}
    if "DEADLINE_EXCEEDED" in status:
        if timeout_s is not None and timeout_s < 0.05:
            return DeadlineExceeded("deadline exceeded waiting for Triton")
        return Unavailable("Triton did not answer in time", reason="BACKEND_UNAVAILABLE", metadata=meta)
    if "not ready" in message or "unknown model" in message.lower() or "NOT_FOUND" in status:
        return Unavailable(f"model {model} is loading on Triton", reason="MODEL_LOADING", metadata=meta)
    return Unavailable("Triton is unavailable", reason="BACKEND_UNAVAILABLE", metadata=meta)


class TritonBackend:
    """Embeds through a Triton server (external, or a ManagedTriton child).

    Args:
        url: host:port of Triton's gRPC endpoint (ignored when `managed` is given).
        timeout_s: the longest one call may take.
        managed: a child tritonserver to start and stop with the backend.
    """

    name = "triton"

    def __init__(self, url: str, *, timeout_s: float = 3.0, managed: ManagedTriton | None = None):
        self._url = managed.url if managed is not None else url
        self._timeout_s = timeout_s
        self.managed = managed
        self._client: Any = None
        self._tokenizers: dict[str, WordPieceTokenizer] = {}
        self._failures = 0
        self._last_failure_log = 0.0

    @property
    def url(self) -> str:
        """Triton's gRPC address."""
        return self._url

    async def start(self, models: list[ServedModel]) -> None:
        """Starts the child Triton (if managed), opens the channel and loads the tokenisers."""
        import tritonclient.grpc.aio as grpcclient

        for model in models:
            if model.state is not ModelState.REJECTED and model.manifest.schema_id == SCHEMA_TOKEN_IDS:
                self._tokenizers[model.name] = WordPieceTokenizer(model.artifact_dir / "tokenizer.json",
                                                                  model.max_sequence_tokens)
        if self.managed is not None:
            await self.managed.start()
        self._client = grpcclient.InferenceServerClient(self._url, channel_args=_CHANNEL_ARGS)

    async def model_ready(self, model: ServedModel) -> bool:
        """Triton's own readiness for the model (False when Triton is unreachable)."""
        if self._client is None or model.state is ModelState.REJECTED:
            return False
        try:
            ready = await self._client.is_model_ready(model.name, client_timeout=_READY_TIMEOUT_S)
        except Exception:
            return False
        return bool(ready)

    def _timeout(self, timeout_s: float | None) -> float:
        return self._timeout_s if timeout_s is None else min(self._timeout_s, timeout_s)

    async def embed(self, model: ServedModel, texts: list[str], kind: Kind, timeout_s: float | None) -> BatchOutput:
        """Triton inferences for the batch (one per length bucket, concurrently).

        Raises:
            Unavailable: Triton is down, the model is loading, or Triton was too slow.
            DeadlineExceeded: the caller's deadline ran out.
        """
        if self._client is None:
            raise Unavailable("Triton backend not started", reason="BACKEND_UNAVAILABLE")
        started = time.monotonic()
        if model.manifest.schema_id != SCHEMA_TOKEN_IDS:
            return BatchOutput(await self._infer(model, self._text_inputs(texts, kind), timeout_s, len(texts)),
                               [False] * len(texts))
        tokenizer = self._tokenizers[model.name]
        if sum(len(t) for t in texts) > _INLINE_TOKENIZE_CHARS:
            buckets = await asyncio.to_thread(tokenizer.encode_buckets, texts)
        else:
            buckets = tokenizer.encode_buckets(texts)
        remaining = None if timeout_s is None else timeout_s - (time.monotonic() - started)
        results = await asyncio.gather(*(self._infer(model, self._token_inputs(batch), remaining, len(rows))
                                         for rows, batch in buckets), return_exceptions=True)
        vectors = np.empty((len(texts), model.dimension), dtype=np.float32)
        truncated = [False] * len(texts)
        for (rows, batch), result in zip(buckets, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            vectors[rows] = result
            for row, flag in zip(rows, batch.truncated, strict=True):
                truncated[row] = flag
        return BatchOutput(vectors, truncated)

    @staticmethod
    def _token_inputs(batch: TokenBatch) -> list[Any]:
        import tritonclient.grpc.aio as grpcclient

        inputs = [grpcclient.InferInput("input_ids", list(batch.input_ids.shape), "INT64"),
                  grpcclient.InferInput("attention_mask", list(batch.attention_mask.shape), "INT64")]
        inputs[0].set_data_from_numpy(batch.input_ids)
        inputs[1].set_data_from_numpy(batch.attention_mask)
        return inputs

    @staticmethod
    def _text_inputs(texts: list[str], kind: Kind) -> list[Any]:
        import tritonclient.grpc.aio as grpcclient

        text = np.array([[t.encode("utf-8")] for t in texts], dtype=np.object_)
        flags = np.full((len(texts), 1), kind is Kind.QUERY, dtype=np.bool_)
        inputs = [grpcclient.InferInput("text", list(text.shape), "BYTES"),
                  grpcclient.InferInput("is_query", list(flags.shape), "BOOL")]
        inputs[0].set_data_from_numpy(text)
        inputs[1].set_data_from_numpy(flags)
        return inputs

    async def _infer(self, model: ServedModel, inputs: list[Any], remaining: float | None, rows: int) -> np.ndarray:
        import tritonclient.grpc.aio as grpcclient

        if remaining is not None and remaining <= 0:
            raise DeadlineExceeded("deadline passed before the Triton call")
        # The Triton hop as a client span of the batch (it serves every request coalesced into it); the
        # traceparent header lets a Triton started with OpenTelemetry tracing join the trace.
        with _tracer.start_as_current_span("triton.infer", kind=trace.SpanKind.CLIENT, attributes={
            "rpc.system": "kserve-v2", "shopmesh.model": model.name, "shopmesh.model_version": model.manifest.version,
            "shopmesh.batch_rows": rows,
        }) as span:
            headers: dict[str, str] = {}
            propagate.inject(headers)
            try:
                result = await self._client.infer(model.name, inputs,
                                                  outputs=[grpcclient.InferRequestedOutput("embedding")],
                                                  client_timeout=self._timeout(remaining), headers=headers or None)
            except Exception as exc:
                error = _to_domain_error(exc, model.name, remaining)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
                self._note_failure(exc, error, model)
                raise error from None
        vectors = np.asarray(result.as_numpy("embedding"), dtype=np.float32)
        if vectors.shape != (rows, model.dimension):
            raise Unavailable(f"Triton returned shape {vectors.shape} for {rows} texts", reason="BACKEND_UNAVAILABLE")
        return vectors

    def _note_failure(self, exc: Exception, error: Exception, model: ServedModel) -> None:
        self._failures += 1
        now = time.monotonic()
        if now - self._last_failure_log >= 1.0:  # one line a second, not one per call while Triton is down
            _log.warning("triton.infer_failed", model=model.name, error=type(exc).__name__,
                         status=str(getattr(exc, "status", lambda: "")()),
                         mapped=type(error).__name__,
                         failures_since_last_log=self._failures)
            self._last_failure_log, self._failures = now, 0

    async def queue_statistics(self) -> dict[str, tuple[int, int]]:
        """Per served model: (requests, nanoseconds they waited in Triton's queue), Triton's running totals."""
        if self._client is None:
            return {}
        stats = await self._client.get_inference_statistics(client_timeout=_READY_TIMEOUT_S)
        out: dict[str, tuple[int, int]] = {}
        for model in stats.model_stats:
            queue = model.inference_stats.queue
            count, ns = out.get(model.name, (0, 0))
            out[model.name] = (count + int(queue.count), ns + int(queue.ns))
        return out

    async def close(self) -> None:
        """Closes the channel and stops the child Triton."""
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self.managed is not None:
            await self.managed.stop()
