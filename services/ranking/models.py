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

    def load_all(self) -> dict[str, CatalogModels]:
        """(Re)loads every catalogue's versions; returns the new state."""
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
        for folder in folders:
            try:
                artifact = load_ranker(folder, self.threads)
            except (ManifestError, OSError, RuntimeError, ValueError, KeyError) as exc:
                manifest = _manifest_or_none(folder)
                models.rejected.append(Rejected(manifest, folder.name, str(exc)))
                _log.warning("ranking.model_rejected", catalog_id=catalog, version=folder.name, reason=str(exc))
                continue
            models.loaded[artifact.manifest.version] = artifact
            models.promoted = artifact
        if models.promoted is not None:
            _log.info("ranking.model_loaded", catalog_id=catalog, version=models.promoted.manifest.version,
                      schema_id=models.promoted.manifest.schema_id)
        return models

    def catalog(self, catalog: str) -> CatalogModels | None:
        """A catalogue's versions (None when the catalogue is not configured)."""
        with self._lock:
            return self._state.get(catalog)

    @property
    def ready(self) -> bool:
        """Whether every configured catalogue has a promoted model."""
        with self._lock:
            return bool(self._state) and all(m.promoted is not None for m in self._state.values())


def _manifest_or_none(folder: Path) -> ArtifactManifest | None:
    try:
        return read_manifest(folder)
    except ManifestError:
        return None
