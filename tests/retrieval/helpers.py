"""Small synthetic catalogues and snapshots for retrieval tests (built in tmp dirs, seconds at most)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.retrieval.catalogue import ItemRecord
from services.retrieval.snapshot import SnapshotInputs, SpaceVectors, promote, write_snapshot
from shopmesh.recsys.covisit import build_co_visitation

TEXT_SPACE = "text-test"
LEARNED_SPACE = "learned-test"
CATEGORIES = (("Clothing", "Dresses"), ("Clothing", "Tops"), ("Clothing", "Jeans"), ("Shoes", "Boots"))
WORDS = {"Dresses": "dress 连衣裙", "Tops": "top shirt 上衣", "Jeans": "jeans denim 牛仔裤",
         "Boots": "boots leather 靴子"}


def items(n: int, out_of_stock: tuple[int, ...] = ()) -> list[ItemRecord]:
    """n items cycling through four categories; item i costs (i+1) dollars."""
    out = []
    for i in range(n):
        path = CATEGORIES[i % len(CATEGORIES)]
        out.append(ItemRecord(f"it-{i}", path, f"brand{i % 3}", (i + 1) * 100, "USD", 0 if i in out_of_stock else 5,
                              f"{'red' if i % 2 else 'blue'} {WORDS[path[1]]} number{i}"))
    return out


def clustered_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors clustered by category (the same four categories as items)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(CATEGORIES), dim))
    vectors = centres[np.arange(n) % len(CATEGORIES)] + 0.3 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def sequences(n_items: int, n_users: int, seed: int) -> list[list[int]]:
    """Users who browse within one category (so co-visitation has structure)."""
    rng = np.random.default_rng(seed)
    out = []
    for u in range(n_users):
        cat = u % len(CATEGORIES)
        pool = np.arange(cat, n_items, len(CATEGORIES))
        out.append(rng.choice(pool, size=min(8, len(pool)), replace=False).tolist())
    return out


def build(root: Path, version: str, *, n_items: int = 40, catalog_id: str = "movielens", dim: int = 16,
          learned_version: str | None = None, shard_index: int = 0, shard_count: int = 1,
          text: bool = True, learned: bool = True, out_of_stock: tuple[int, ...] = (),
          promote_it: bool = True) -> Path:
    """Writes (and by default promotes) one synthetic snapshot version."""
    records = items(n_items, out_of_stock)
    trending = np.linspace(1.0, 0.1, n_items).astype(np.float32)
    covis = build_co_visitation(sequences(n_items, 60, seed=1), n_items)
    positions = np.arange(n_items)
    inputs = SnapshotInputs(
        catalog_id, version, records, trending, covis,
        text=SpaceVectors(clustered_vectors(n_items, dim, 2), positions, TEXT_SPACE, "1") if text else None,
        learned=SpaceVectors(clustered_vectors(n_items, 8, 3), positions, LEARNED_SPACE,
                             learned_version or version) if learned else None,
        paired_user_tower_version=learned_version or version)
    folder = write_snapshot(root, inputs, shard_index=shard_index, shard_count=shard_count)
    if promote_it:
        promote(root, catalog_id, version)
    return folder
