"""Which snapshot each catalogue serves, and the hot swap to a newly promoted one.

Requests take `registry.get(catalog)` once and use that object to the end, so a swap (one dict assignment)
never changes a snapshot under a running request; the old one is freed when its last request ends. A version
that fails to load is recorded as REJECTED with its reason and the old one keeps serving; it is not retried
until a different version is promoted or the same version's manifest changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from services.retrieval.snapshot import Snapshot, SnapshotRejected, load_snapshot, promoted_version, read_manifests
from shared.errors import NotFound, Unavailable
from shopmesh.models.manifest import ArtifactManifest, utc_now

log = logging.getLogger(__name__)


@dataclass
class SnapshotStatus:
    """One snapshot version this replica knows of, for GetIndexInfo."""

    catalog_id: str
    version: str
    state: str
    reason: str
    manifests: dict[str, ArtifactManifest]
    snapshot: Snapshot | None = None
    load_time: str = ""


class SnapshotRegistry:
    """Current snapshot per catalogue under one root folder."""

    def __init__(self, root: Path, catalogs: Iterable[str], clock: Callable[[], str] = utc_now) -> None:
        self.root = root
        self.catalogs = list(catalogs)
        self._clock = clock
        self._current: dict[str, Snapshot] = {}
        self._history: dict[str, list[SnapshotStatus]] = {c: [] for c in self.catalogs}
        self._rejected: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def get(self, catalog_id: str) -> Snapshot:
        """The serving snapshot; NotFound for an unknown catalogue, Unavailable before the first load."""
        if catalog_id not in self._history:
            raise NotFound("no such catalogue", reason="UNKNOWN_CATALOG", domain="shopmesh.retrieval",
                           metadata={"catalog_id": catalog_id[:64]})
        snapshot = self._current.get(catalog_id)
        if snapshot is None:
            raise Unavailable("no index snapshot loaded yet", reason="NOT_LOADED", domain="shopmesh.retrieval")
        return snapshot

    @property
    def ready(self) -> bool:
        """True when every catalogue serves a snapshot."""
        return all(c in self._current for c in self.catalogs)

    def statuses(self, catalog_id: str = "") -> list[SnapshotStatus]:
        """Known versions, serving ones first."""
        chosen = [catalog_id] if catalog_id else self.catalogs
        out = [s for c in chosen for s in self._history.get(c, [])]
        return sorted(out, key=lambda s: (s.state != "SERVING", s.catalog_id, s.version))

    def refresh(self) -> list[SnapshotStatus]:
        """Loads each catalogue's promoted version if it is new; blocking (run it off the event loop).

        Returns:
            The statuses that changed (a swap or a rejection).
        """
        changed = []
        with self._lock:
            for catalog in self.catalogs:
                status = self._refresh_one(catalog)
                if status is not None:
                    changed.append(status)
        return changed

    def _refresh_one(self, catalog: str) -> SnapshotStatus | None:
        version = promoted_version(self.root, catalog)
        current = self._current.get(catalog)
        if version is None or (current is not None and current.version == version):
            return None
        folder = self.root / catalog / version
        try:
            fingerprint = "/".join(m.sha256 for m in read_manifests(folder).values())
        except SnapshotRejected as exc:
            fingerprint = f"unreadable:{exc}"
        if self._rejected.get(catalog) == (version, fingerprint):
            return None
        try:
            snapshot = load_snapshot(folder, self._clock())
        except SnapshotRejected as exc:
            self._rejected[catalog] = (version, fingerprint)
            try:
                manifests = read_manifests(folder)
            except SnapshotRejected:
                manifests = {}
            status = SnapshotStatus(catalog, version, "REJECTED", str(exc), manifests, load_time=self._clock())
            self._history[catalog].append(status)
            log.warning("snapshot rejected, previous one keeps serving",
                        extra={"catalog_id": catalog, "version": version, "reason": str(exc)})
            return status
        for old in self._history[catalog]:
            if old.state == "SERVING":
                old.state, old.snapshot = "RETIRED", None
        status = SnapshotStatus(catalog, version, "SERVING", "", snapshot.manifests, snapshot, snapshot.load_time)
        self._history[catalog].append(status)
        self._current[catalog] = snapshot
        log.info("snapshot serving", extra={"catalog_id": catalog, "version": version})
        return status
