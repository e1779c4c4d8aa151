"""The artifact families the registry knows, found on disk, each with the check its serving process runs.

- `ranker-<catalog>`: `<models>/artifacts/ranker-<catalog>/<n>/`, checked by the ranking service's loader
  (manifest, payload sha256, this code's feature schema); the ranking service serves the promoted one.
- `<encoder>` (minilm-l6-v2, multilingual-e5-small): `<models>/artifacts/<name>/<n>/`, checked for manifest,
  payload and the encoder's input schema. The pointer is recorded, but the embedding service does not read
  it yet: it serves the newest version folder it finds at start (and Triton its `latest` version policy).
- `retrieval-<catalog>`: a retrieval snapshot `<indexes>/<catalog>/<n>/`, whose learned index is paired with
  the user tower version it was built from; checked by the retrieval loader, which hot-swaps to the promoted one.

Loaders are imported when a check runs, so listing needs neither torch nor FAISS.
"""

from __future__ import annotations

import os
from pathlib import Path

from shopmesh import paths
from shopmesh.models.manifest import ArtifactManifest, ManifestError, read_manifest, verify_payload
from shopmesh.models.registry import Check, Family

RANKER_PREFIX = "ranker-"
SNAPSHOT_PREFIX = "retrieval-"


def indexes_dir() -> Path:
    """Where retrieval snapshots live: `$SHOPMESH_HOME/indexes`, as the retrieval service's default."""
    return Path(os.environ.get("SHOPMESH_HOME", "var")) / "indexes"


def ranker_family(artifacts_root: Path, catalog_id: str) -> Family:
    """The ranker family of one catalogue under `<models>/artifacts`."""
    return Family(f"{RANKER_PREFIX}{catalog_id}", "ranker", artifacts_root / f"{RANKER_PREFIX}{catalog_id}",
                  _check_ranker, serving="ranking serves it at its next refresh (no pointer: the newest loadable)")


def discover(models_root: Path | None = None, index_root: Path | None = None) -> list[Family]:
    """Every family with a folder on disk (rankers, text encoders, retrieval snapshots), in that order."""
    from shopmesh.models.encoders import ENCODERS

    artifacts = (models_root or paths.home() / "models") / "artifacts"
    out = []
    if artifacts.is_dir():
        for folder in sorted(artifacts.iterdir()):
            if folder.is_dir() and folder.name.startswith(RANKER_PREFIX):
                out.append(ranker_family(artifacts, folder.name.removeprefix(RANKER_PREFIX)))
    for spec in ENCODERS:
        if (artifacts / spec.name).is_dir():
            out.append(Family(spec.name, "text encoder", artifacts / spec.name, _encoder_check(spec.schema_id),
                              serving="recorded only: embedding loads the newest version at start"))
    root = index_root or indexes_dir()
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            if folder.is_dir() and any((v / "behaviour").is_dir() for v in folder.iterdir() if v.is_dir()):
                out.append(Family(f"{SNAPSHOT_PREFIX}{folder.name}", "user tower + learned index (snapshot)",
                                  folder, _check_snapshot, _snapshot_manifest,
                                  serving="retrieval hot-swaps to it at its next refresh"))
    return out


def find(name: str, models_root: Path | None = None, index_root: Path | None = None) -> Family | None:
    """A family by name, or None."""
    return next((f for f in discover(models_root, index_root) if f.name == name), None)


def _check_ranker(folder: Path) -> object:
    from shopmesh.recsys.ranking.artifact import load_ranker

    return load_ranker(folder)


def _encoder_check(schema_id: str) -> Check:
    def check(folder: Path) -> ArtifactManifest:
        manifest = read_manifest(folder)
        if manifest.kind != "TEXT_ENCODER":
            raise ManifestError(f"{manifest.name} {manifest.version}: kind {manifest.kind}, not TEXT_ENCODER")
        if manifest.schema_id != schema_id:
            raise ManifestError(f"{manifest.name} {manifest.version}: schema {manifest.schema_id}, the service "
                                f"feeds {schema_id}")
        verify_payload(folder, manifest)
        return manifest

    return check


def _check_snapshot(folder: Path) -> object:
    from services.retrieval.snapshot import load_snapshot

    return load_snapshot(folder)


def _snapshot_manifest(folder: Path) -> ArtifactManifest:
    """The learned index part: its manifest names the paired user tower version."""
    return read_manifest(folder / "learned_index")
