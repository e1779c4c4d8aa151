"""Index snapshots: one version folder per catalogue holding four artifacts, each with a #6 manifest.

Layout: `<root>/<catalog>/<version>/{behaviour,text_index,learned_index,lexical_index}/manifest.json`, plus
`<root>/<catalog>/PROMOTED` naming the version to serve (written atomically). The learned index and the user
tower it was trained with live in one version folder, so promoting the version promotes the pair. A part
whose payload fails its sha256 rejects the whole version: half a snapshot is never served.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from services.retrieval.catalogue import ItemRecord, ItemTable
from services.retrieval.lexical import LexicalIndex, tokenize
from services.retrieval.vector_index import VectorIndex
from shopmesh.models.manifest import (
    ArtifactManifest,
    ManifestError,
    code_version,
    hash_files,
    payload_digest,
    read_manifest,
    utc_now,
    verify_payload,
    write_manifest,
)
from shopmesh.recsys.covisit import CoVisitationConfig, CoVisitationTable

PROMOTED_FILE = "PROMOTED"
PARTS = ("behaviour", "text_index", "learned_index", "lexical_index")


class SnapshotRejected(Exception):
    """A snapshot version could not be loaded (checksum, missing part, malformed payload)."""


@dataclass
class SpaceVectors:
    """Item vectors of one space for a snapshot build.

    Attributes:
        vectors: One row per indexed item (n x d float32).
        positions: Item-table position of each row.
        space: Vector space name, e.g. "text-minilm-l6-v2" or "learned-movielens".
        space_version: Version of that space.
        index_type: FAISS factory string; None chooses by size.
        encoder: Text encoder that made the vectors (the service embeds queries with it).
    """

    vectors: np.ndarray
    positions: np.ndarray
    space: str
    space_version: str
    index_type: str | None = None
    encoder: str = ""


@dataclass
class SnapshotInputs:
    """Everything a snapshot is built from."""

    catalog_id: str
    version: str
    items: list[ItemRecord]
    trending: np.ndarray
    co_visitation: CoVisitationTable
    text: SpaceVectors | None = None
    learned: SpaceVectors | None = None
    paired_user_tower_version: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    training_data_start: str | None = None
    training_data_end: str | None = None


@dataclass
class Snapshot:
    """A loaded snapshot: what one catalogue's requests read, never mutated after load."""

    catalog_id: str
    version: str
    items: ItemTable
    co_visitation: CoVisitationTable
    lexical: LexicalIndex
    text_index: VectorIndex | None
    text_keys: np.ndarray
    learned_index: VectorIndex | None
    learned_keys: np.ndarray
    manifests: dict[str, ArtifactManifest]
    load_time: str = ""
    text_matrix: np.ndarray = field(init=False)
    text_row: np.ndarray = field(init=False)
    learned_matrix: np.ndarray = field(init=False)
    learned_row: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        # Vectors are read per request (profiles, neighbours, similarities for the ranker): keep them as one
        # matrix per space rather than a FAISS reconstruct call per item.
        self.text_matrix, self.text_row = self._matrix(self.text_index, self.text_keys)
        self.learned_matrix, self.learned_row = self._matrix(self.learned_index, self.learned_keys)

    def _matrix(self, index: VectorIndex | None, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.full(len(self.items), -1, dtype=np.int64)
        if index is None or not index.size:
            return np.zeros((0, 0), np.float32), rows
        rows[keys] = np.arange(len(keys))
        return index.index.reconstruct_n(0, index.size), rows

    @property
    def text_space(self) -> tuple[str, str]:
        """(name, version) of the text space, empty when there is no text index."""
        m = self.manifests.get("text_index")
        return (m.vector_space, m.vector_space_version) if m and self.text_index else ("", "")

    def versions(self) -> dict[str, str]:
        """Versions of each part, for ServedSnapshots (the learned one is the learned space's version)."""
        return {"text_index_version": self.version if self.text_index else "",
                "learned_index_version": self.learned_space[1],
                "co_visitation_version": self.version, "lexical_index_version": self.version}

    @property
    def learned_space(self) -> tuple[str, str]:
        """(name, version) of the learned space, empty when there is no learned index."""
        m = self.manifests.get("learned_index")
        return (m.vector_space, m.vector_space_version) if m and self.learned_index else ("", "")


def _write_part(folder: Path, name: str, kind: str, inputs: SnapshotInputs, *, space: str = "", space_version: str = "",
                dimension: int = 0, extra: dict[str, str] | None = None) -> None:
    files = hash_files(folder, [p.name for p in folder.iterdir() if p.name != "manifest.json"])
    manifest = ArtifactManifest(
        name=f"{inputs.catalog_id}-{name}", version=inputs.version, kind=kind, files=files,
        sha256=payload_digest(files), vector_space=space, vector_space_version=space_version, dimension=dimension,
        schema_id=f"shopmesh.retrieval.{name}.v1", metrics=dict(inputs.metrics),
        training_data_start=inputs.training_data_start, training_data_end=inputs.training_data_end,
        code_version=code_version(), create_time=utc_now(), catalog_id=inputs.catalog_id, extra=extra or {})
    write_manifest(folder, manifest)


def write_snapshot(root: Path, inputs: SnapshotInputs, *, shard_index: int = 0, shard_count: int = 1) -> Path:
    """Builds every part into `<root>/<catalog>/<version>` (a temp folder renamed at the end) and returns it.

    Vector indexes keep only the items this shard owns; the item table, co-visitation and lexical index are
    whole (they are small next to the vectors and let any shard filter and score co-visitation).
    """
    target = root / inputs.catalog_id / inputs.version
    tmp = target.with_name(f".{inputs.version}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    table = ItemTable(inputs.items, inputs.trending, shard_index, shard_count)
    behaviour = tmp / "behaviour"
    behaviour.mkdir(parents=True)
    (behaviour / "items.json").write_text(json.dumps([r.__dict__ for r in inputs.items], ensure_ascii=False))
    np.save(behaviour / "trending.npy", np.asarray(inputs.trending, dtype=np.float32))
    sparse.save_npz(behaviour / "co_visitation.npz", inputs.co_visitation.matrix)
    cfg = inputs.co_visitation.config
    (behaviour / "co_visitation.json").write_text(json.dumps(cfg.__dict__))
    _write_part(behaviour, "behaviour", "CO_VISITATION", inputs,
                extra={"shard_index": str(shard_index), "shard_count": str(shard_count)})
    for part, kind, space in (("text_index", "TEXT_INDEX", inputs.text), ("learned_index", "LEARNED_INDEX",
                                                                             inputs.learned)):
        folder = tmp / part
        folder.mkdir()
        extra = {"shard_index": str(shard_index), "shard_count": str(shard_count)}
        if space is None:
            _write_part(folder, part, kind, inputs, extra={**extra, "absent": "true"})
            continue
        keep = table.owned[space.positions]
        index = VectorIndex.build(space.vectors[keep], space.index_type)
        index.save(folder / "index.faiss")
        np.save(folder / "keys.npy", space.positions[keep].astype(np.int64))
        extra["index_type"] = index.index_type
        if space.encoder:
            extra["encoder"] = space.encoder
        if kind == "LEARNED_INDEX":
            extra["paired_user_tower_version"] = inputs.paired_user_tower_version
        _write_part(folder, part, kind, inputs, space=space.space, space_version=space.space_version,
                    dimension=int(space.vectors.shape[1]), extra=extra)
    lexical = tmp / "lexical_index"
    lexical.mkdir()
    (lexical / "tokens.json").write_text(json.dumps([tokenize(r.text) for r in inputs.items], ensure_ascii=False))
    _write_part(lexical, "lexical_index", "LEXICAL_INDEX", inputs)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def promote(root: Path, catalog_id: str, version: str) -> None:
    """Points `<root>/<catalog>/PROMOTED` at a version (atomic rename: a reader sees the old or the new)."""
    pointer = root / catalog_id / PROMOTED_FILE
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(version + "\n")
    tmp.replace(pointer)


def promoted_version(root: Path, catalog_id: str) -> str | None:
    """The promoted version of a catalogue, or None."""
    pointer = root / catalog_id / PROMOTED_FILE
    try:
        return pointer.read_text().strip() or None
    except FileNotFoundError:
        return None


def read_manifests(folder: Path) -> dict[str, ArtifactManifest]:
    """The four parts' manifests (no payload check); raises SnapshotRejected when one is missing or malformed."""
    try:
        return {part: read_manifest(folder / part) for part in PARTS}
    except ManifestError as exc:
        raise SnapshotRejected(str(exc)) from exc


def load_snapshot(folder: Path, load_time: str = "") -> Snapshot:
    """Verifies every part's checksum, then loads it; raises SnapshotRejected on any failure."""
    manifests = read_manifests(folder)
    try:
        for part, manifest in manifests.items():
            verify_payload(folder / part, manifest)
    except ManifestError as exc:
        raise SnapshotRejected(str(exc)) from exc
    try:
        return _load_verified(folder, manifests, load_time)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise SnapshotRejected(f"{folder.name}: unreadable payload: {exc}") from exc


def _load_verified(folder: Path, manifests: dict[str, ArtifactManifest], load_time: str) -> Snapshot:
    behaviour = folder / "behaviour"
    extra = manifests["behaviour"].extra
    records = [ItemRecord(**{**r, "category_path": tuple(r["category_path"])})
               for r in json.loads((behaviour / "items.json").read_text())]
    table = ItemTable(records, np.load(behaviour / "trending.npy"), int(extra.get("shard_index", 0)),
                      int(extra.get("shard_count", 1)))
    covis = CoVisitationTable(sparse.load_npz(behaviour / "co_visitation.npz").tocsr(),
                              CoVisitationConfig(**json.loads((behaviour / "co_visitation.json").read_text())))
    indexes: dict[str, tuple[VectorIndex | None, np.ndarray]] = {}
    for part in ("text_index", "learned_index"):
        m = manifests[part]
        if m.extra.get("absent") == "true":
            indexes[part] = (None, np.zeros(0, np.int64))
        else:
            indexes[part] = (VectorIndex.load(folder / part / "index.faiss", m.extra.get("index_type", "")),
                             np.load(folder / part / "keys.npy"))
    tokens = json.loads((folder / "lexical_index" / "tokens.json").read_text())
    catalog_id = manifests["behaviour"].catalog_id
    return Snapshot(catalog_id, manifests["behaviour"].version, table, covis, LexicalIndex(tokens),
                    indexes["text_index"][0], indexes["text_index"][1], indexes["learned_index"][0],
                    indexes["learned_index"][1], manifests, load_time)
