"""The embedding engine: validates, answers from the cache, coalesces the misses per model and kind into
backend batches, and reports readiness. No protobuf or grpc here."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from services.embedding.backend import EmbeddingBackend
from services.embedding.batching import Coalescer
from services.embedding.cache import VectorCache
from services.embedding.types import BatchOutput, EmbedResult, Kind, ModelState, ServedModel
from services.embedding.validation import validate_texts
from shared.context import remaining_seconds
from shared.errors import DeadlineExceeded, FieldViolation, InvalidArgument, NotFound, Unavailable


class EmbeddingEngine:
    """Serves text encoders through one backend.

    Args:
        models: the catalogue (default first).
        backend: where inference runs.
        cache: the text-vector cache.
        max_texts / max_chars: request limits.
        max_batch / max_queued / max_wait_s / max_concurrent: coalescing (see Coalescer).
    """

    def __init__(self, models: list[ServedModel], backend: EmbeddingBackend, cache: VectorCache, *,
                 max_texts: int = 256, max_chars: int = 8192, max_batch: int = 64, max_queued: int = 2048,
                 max_wait_s: float = 0.0, max_concurrent: int = 1):
        self.models = models
        self.backend = backend
        self.cache = cache
        self._by_name = {m.name: m for m in models}
        self._max_texts = max_texts
        self._max_chars = max_chars
        self._coalescing = {"max_batch": max_batch, "max_queued": max_queued, "max_wait_s": max_wait_s,
                            "max_concurrent": max_concurrent}
        self._coalescers: dict[tuple[str, Kind], Coalescer] = {}

    @property
    def default_model(self) -> ServedModel:
        """The default text encoder."""
        return next((m for m in self.models if m.default), self.models[0])

    async def start(self) -> None:
        """Starts the backend (does not wait for the models to be ready)."""
        await self.backend.start(self.models)

    def resolve(self, model_name: str) -> ServedModel:
        """The named model (empty: the default); NotFound for an unknown name."""
        if not model_name:
            return self.default_model
        model = self._by_name.get(model_name)
        if model is None:
            raise NotFound(f"unknown model {model_name!r}; see ListModels", reason="UNKNOWN_MODEL",
                           metadata={"model_name": model_name[:200]})
        return model

    async def embed(self, texts: list[str], model_name: str, kind: Kind | None) -> EmbedResult:
        """Embeds 1..max_texts texts into L2-normalised float32 vectors.

        Raises:
            InvalidArgument: bad texts or no kind. NotFound: unknown model. Unavailable: the model or its
            backend is not serving. ResourceExhausted: the queue is full. DeadlineExceeded.
        """
        model = self.resolve(model_name)
        if kind is None:
            raise InvalidArgument("kind must be QUERY or PASSAGE",
                                  [FieldViolation("kind", "UNSPECIFIED: set QUERY or PASSAGE")], reason="UNSPECIFIED")
        validate_texts(texts, max_texts=self._max_texts, max_chars=self._max_chars)
        if model.state is ModelState.REJECTED:
            raise Unavailable(f"model {model.name} was rejected at load", reason="MODEL_REJECTED",
                              metadata={"model_name": model.name})
        cache_kind = kind if model.asymmetric else None
        version = model.manifest.version
        vectors = np.empty((len(texts), model.dimension), dtype=np.float32)
        truncated = [False] * len(texts)
        misses: dict[str, list[int]] = {}
        hits = 0
        for row, text in enumerate(texts):
            cached = self.cache.get((model.name, version, cache_kind, text))
            if cached is None:
                misses.setdefault(text, []).append(row)
            else:
                vectors[row], truncated[row] = cached
                hits += 1
        if misses:
            unique = list(misses)
            output = await self._run(model, kind, unique)
            for i, text in enumerate(unique):
                for row in misses[text]:
                    vectors[row] = output.vectors[i]
                    truncated[row] = output.truncated[i]
                self.cache.put((model.name, version, cache_kind, text), output.vectors[i], output.truncated[i],
                               len(text))
        return EmbedResult(model, vectors, truncated, hits, self.backend.name)

    async def _run(self, model: ServedModel, kind: Kind, texts: list[str]) -> BatchOutput:
        key = (model.name, kind)
        coalescer = self._coalescers.get(key)
        if coalescer is None:
            async def run(batch: list[str], timeout_s: float | None) -> BatchOutput:
                return await self.backend.embed(model, batch, kind, timeout_s)

            settings = dict(self._coalescing)
            settings["max_batch"] = min(int(settings["max_batch"]), model.max_batch_size)
            coalescer = Coalescer(run, **settings)  # type: ignore[arg-type]
            self._coalescers[key] = coalescer
        remaining = remaining_seconds()
        deadline = None if remaining is None else time.monotonic() + remaining
        try:
            return await asyncio.wait_for(coalescer.submit(texts, deadline), remaining)
        except TimeoutError:
            raise DeadlineExceeded("deadline exceeded while embedding") from None

    async def refresh_states(self) -> bool:
        """Re-checks each model with the backend; True when every non-rejected model is serving."""
        serving = []
        for model in self.models:
            if model.state is ModelState.REJECTED:
                continue
            ready = await self.backend.model_ready(model)
            model.state = ModelState.SERVING if ready else ModelState.LOADING
            serving.append(ready)
        return bool(serving) and all(serving)

    async def close(self) -> None:
        """Stops the coalescers and the backend."""
        for coalescer in self._coalescers.values():
            await coalescer.close()
        await self.backend.close()
