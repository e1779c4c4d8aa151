"""The loaded ranker versions per catalogue: the promoted one, others kept (pinnable) or refused.

Every version folder under `<models>/artifacts/ranker-<catalog>/` is loaded through
`shopmesh.recsys.ranking.artifact.load_ranker`; a corrupt payload or a feature schema other than this
code's is refused with its reason (GetModelInfo lists it as REJECTED) and never served.

Which version is served: the one the model registry's pointer (`ranker-<catalog>/PROMOTED`, see
`shopmesh.models.registry`) names; without a pointer, the newest loadable version. A pointer at a version
that does not load is refused: the version served before keeps serving (on a fresh start, the newest loadable
one promoted before it), so a refused retraining candidate on disk is never served by default.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from shared.logging import get_logger
from shopmesh.models.manifest import ArtifactManifest, ManifestError, read_manifest
from shopmesh.models.registry import fallback_versions, read_pointer
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
        # Catalogue -> the pointer value last refused, so a bad pointer is logged once, not every refresh.
        self._refused_pointer: dict[str, str] = {}
        self.changed = False
        """Whether the last load_all loaded, refused or dropped a version or changed a served one."""

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
        newest: RankerArtifact | None = None
        for folder in folders:
            stamp = _stamp(folder)
            seen = self._seen.get(folder)
            if seen is None or seen[0] != stamp:
                outcome = self._load(catalog, folder)
                self._seen[folder] = (stamp, outcome)
                self.changed = True
            else:
                outcome = seen[1]
            if isinstance(outcome, Rejected):
                models.rejected.append(outcome)
                continue
            models.loaded[outcome.manifest.version] = outcome
            newest = outcome
        before = self._state.get(catalog)
        served_before = before.promoted.folder.name if before and before.promoted else None
        pointer = read_pointer(base)
        models.promoted = newest if pointer is None else self._pointed(catalog, base, pointer, models, served_before)
        served = models.promoted.folder.name if models.promoted else None
        if served != served_before:
            self.changed = True
            if models.promoted is not None:
                _log.info("ranking.model_serving", catalog_id=catalog, version=served, previous=served_before,
                          by="registry pointer" if pointer is not None else "newest version",
                          schema_id=models.promoted.manifest.schema_id)
        return models

    def _pointed(self, catalog: str, base: Path, pointer: str, models: CatalogModels,
                 served_before: str | None) -> RankerArtifact | None:
        """The version folder the registry pointer names; when it does not load, the one served before it."""
        by_folder = {artifact.folder.name: artifact for artifact in models.loaded.values()}
        chosen = by_folder.get(pointer)
        if chosen is not None:
            self._refused_pointer.pop(catalog, None)
            return chosen
        keep = [v for v in [served_before, *fallback_versions(base)] if v is not None and v in by_folder]
        if self._refused_pointer.get(catalog) != pointer:
            self._refused_pointer[catalog] = pointer
            reason = next((r.reason for r in models.rejected if r.version == pointer), "no such version folder")
            _log.warning("ranking.promoted_version_refused", catalog_id=catalog, version=pointer, reason=reason,
                         keeps_serving=keep[0] if keep else None)
        return by_folder[keep[0]] if keep else None

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
