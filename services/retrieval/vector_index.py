"""A FAISS index over one vector space, with item keys, the index type chosen by catalogue size.

FAISS pads a result row with label -1 when it holds fewer than k vectors (Merlin's most reported crash), and
some index types reject k above their size; `search` clamps k and drops padding, so a caller never sees -1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

EXACT_MAX_ITEMS = 50_000
"""Up to this size exact search is fast enough (100k x 64-d in ~1 ms is the HNSW crossover measured in
benchmarks/retrieval_bench.py); above it, HNSW."""
IVF_MIN_ITEMS = 2_000_000
"""From here HNSW's graph (about 2 x M x 4 bytes per vector on top of the vectors) outgrows a replica: IVF-PQ."""


def choose_index_type(n_items: int, dimension: int) -> str:
    """The FAISS factory string for a catalogue of n_items vectors.

    Args:
        n_items: Vectors to index.
        dimension: Their dimension.
    """
    if n_items <= EXACT_MAX_ITEMS:
        return "Flat"
    if n_items < IVF_MIN_ITEMS:
        return "HNSW32"
    nlist = int(4 * np.sqrt(n_items))
    return f"IVF{nlist},PQ{max(8, dimension // 8)}"


@dataclass
class SearchResult:
    """Positions into the index's key array and their inner-product scores, best first (no padding)."""

    positions: np.ndarray
    scores: np.ndarray


class VectorIndex:
    """Inner-product search over L2-normalised (text) or raw (learned) vectors, keyed by item position."""

    def __init__(self, index: faiss.Index, index_type: str, hnsw_ef_search: int = 128) -> None:
        self.index = index
        self.index_type = index_type
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = hnsw_ef_search

    @classmethod
    def build(cls, vectors: np.ndarray, index_type: str | None = None) -> VectorIndex:
        """Builds an index over vectors (n x d float32); index_type defaults to choose_index_type."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        kind = index_type or choose_index_type(n, dim)
        index = faiss.index_factory(dim, kind, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            index.train(vectors)
        if n:
            index.add(vectors)
        return cls(index, kind)

    @property
    def size(self) -> int:
        """Vectors in the index."""
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self.index.d)

    def search(self, queries: np.ndarray, k: int) -> list[SearchResult]:
        """The k best positions per query row; fewer when the index is smaller, never -1 padding."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = min(k, self.size)
        if k <= 0:
            empty = SearchResult(np.zeros(0, np.int64), np.zeros(0, np.float32))
            return [empty for _ in range(len(queries))]
        scores, labels = self.index.search(queries, k)
        out = []
        for row_scores, row_labels in zip(scores, labels, strict=True):
            keep = row_labels >= 0
            out.append(SearchResult(row_labels[keep].astype(np.int64), row_scores[keep]))
        return out

    def reconstruct(self, position: int) -> np.ndarray:
        """The stored vector at one position (exact for Flat and HNSW-Flat)."""
        return np.asarray(self.index.reconstruct(int(position)), dtype=np.float32)

    def save(self, path: Path) -> None:
        """Writes the index file."""
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, index_type: str) -> VectorIndex:
        """Reads an index file written by save."""
        return cls(faiss.read_index(str(path)), index_type)
