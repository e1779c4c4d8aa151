"""The one small interface every embedding backend implements (Triton, in-process)."""

from __future__ import annotations

from typing import Protocol

from services.embedding.types import BatchOutput, Kind, ServedModel


class EmbeddingBackend(Protocol):
    """Runs text encoders. Implementations raise shared.errors domain errors (Unavailable when down)."""

    name: str
    """"triton" or "in_process" (what ListModels reports)."""

    async def start(self, models: list[ServedModel]) -> None:
        """Prepares the models (loads sessions, connects); must not block until they are ready."""

    async def model_ready(self, model: ServedModel) -> bool:
        """Whether `model` can answer now (quick; used by health)."""

    async def embed(self, model: ServedModel, texts: list[str], kind: Kind, timeout_s: float | None) -> BatchOutput:
        """Vectors for `texts`, L2-normalised float32 (n, dim), within `timeout_s`."""

    async def close(self) -> None:
        """Releases connections, sessions and child processes."""
