"""The loaded ranker versions per catalogue: the promoted (newest loadable) one, others kept or refused.

Every version folder under `<models>/artifacts/ranker-<catalog>/` is loaded through
`shopmesh.recsys.ranking.artifact.load_ranker`; a corrupt payload or a feature schema other than this
code's is refused with its reason (GetModelInfo lists it as REJECTED) and never served.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from shared.logging import get_logger
from shopmesh.models.manifest import ArtifactManifest, ManifestError, read_manifest
from shopmesh.recsys.ranking.artifact import RankerArtifact, artifact_name, load_ranker

_log = get_logger(__name__)


@dataclass
class Rejected:
    """A version refused at load."""

    manifest: ArtifactManifest | None
    version: str
    reason: str


@dataclass
class CatalogModels:
    """One catalogue's versions."""

    promoted: RankerArtifact | None = None
    loaded: dict[str, RankerArtifact] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)


class ModelRegistry:
    """Loads ranker versions from the artifacts root (thread-safe swaps; readers see a whole state)."""

    def __init__(self, artifacts_root: Path, catalogs: list[str], threads: int = 1) -> None:
        self.root = artifacts_root
        self.catalogs = list(catalogs)
        self.threads = threads
        self._state: dict[str, CatalogModels] = {c: CatalogModels() for c in catalogs}
        self._lock = threading.Lock()
        # Version folder -> (its files' stamp, what loading it gave): unchanged folders are not loaded again.
        self._seen: dict[Path, tuple[tuple[tuple[str, int, int], ...], RankerArtifact | Rejected]] = {}
        self.changed = False
        """Whether the last load_all loaded, refused or dropped any version (set by load_all)."""

    def load_all(self) -> dict[str, CatalogModels]:
        """Loads new or changed version folders of every catalogue (others are kept as loaded); the new state."""
        self.changed = False
        state = {}
        for catalog in self.catalogs:
            state[catalog] = self._load_catalog(catalog)
        with self._lock:
            self._state = state
        return state

    def _load_catalog(self, catalog: str) -> CatalogModels:
        models = CatalogModels()
        base = self.root / artifact_name(catalog)
        folders = sorted((p for p in base.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)) \
            if base.is_dir() else []
        for gone in [path for path in self._seen if path.parent == base and path not in folders]:
            del self._seen[gone]
            self.changed = True
        promoted_fresh = False
        for folder in folders:
            stamp = _stamp(folder)
            seen = self._seen.get(folder)
            if seen is None or seen[0] != stamp:
                fresh, outcome = True, self._load(catalog, folder)
                self._seen[folder] = (stamp, outcome)
                self.changed = True
            else:
                fresh, outcome = False, seen[1]
            if isinstance(outcome, Rejected):
                models.rejected.append(outcome)
                continue
            models.loaded[outcome.manifest.version] = outcome
            models.promoted, promoted_fresh = outcome, fresh
        if models.promoted is not None and promoted_fresh:
            _log.info("ranking.model_loaded", catalog_id=catalog, version=models.promoted.manifest.version,
                      schema_id=models.promoted.manifest.schema_id)
        return models

    def _load(self, catalog: str, folder: Path) -> RankerArtifact | Rejected:
        try:
            return load_ranker(folder, self.threads)
        except (ManifestError, OSError, RuntimeError, ValueError, KeyError) as exc:
            _log.warning("ranking.model_rejected", catalog_id=catalog, version=folder.name, reason=str(exc))
            return Rejected(_manifest_or_none(folder), folder.name, str(exc))

    def catalog(self, catalog: str) -> CatalogModels | None:
        """A catalogue's versions (None when the catalogue is not configured)."""
        with self._lock:
            return self._state.get(catalog)

    @property
    def ready(self) -> bool:
        """Whether every configured catalogue has a promoted model."""
        with self._lock:
            return bool(self._state) and all(m.promoted is not None for m in self._state.values())


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of every file in a version folder: a changed or half-written folder loads again."""
    try:
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))
    except OSError:
        return ()


def _manifest_or_none(folder: Path) -> ArtifactManifest | None:
    try:
        return read_manifest(folder)
    except ManifestError:
        return None
