"""Domain types of the embedding service (no protobuf, no grpc)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shopmesh.models.manifest import ArtifactManifest


class Kind(enum.Enum):
    """How a text will be used; asymmetric encoders (e5) prefix queries and passages differently."""

    QUERY = "query"
    PASSAGE = "passage"


class ModelState(enum.Enum):
    """Whether a model answers requests (mirrors shopmesh.common.v1.ArtifactState)."""

    LOADING = "loading"
    SERVING = "serving"
    REJECTED = "rejected"


@dataclass
class ServedModel:
    """A text encoder the service serves: its manifest, limits and where its artifact lies.

    Attributes:
        manifest: the artifact's manifest (checked against its payload at load).
        artifact_dir: the artifact's version folder.
        max_sequence_tokens: longest input in tokens.
        max_batch_size: largest batch per backend call.
        asymmetric: whether query and passage vectors differ (e5), so the cache keys on kind.
        default: the default text encoder.
        state / state_reason: serving state and, when rejected, why.
    """

    manifest: ArtifactManifest
    artifact_dir: Path
    max_sequence_tokens: int
    max_batch_size: int
    asymmetric: bool
    default: bool = False
    state: ModelState = ModelState.LOADING
    state_reason: str = ""

    @property
    def name(self) -> str:
        """The model (and Triton model) name."""
        return self.manifest.name

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return self.manifest.dimension


@dataclass(frozen=True)
class BatchOutput:
    """What a backend returns for a batch: (n, dim) float32 vectors and per-text truncation."""

    vectors: np.ndarray
    truncated: list[bool]


@dataclass(frozen=True)
class EmbedResult:
    """The answer to one Embed call."""

    model: ServedModel
    vectors: np.ndarray
    truncated: list[bool]
    cache_hits: int = 0
    backend: str = field(default="")
