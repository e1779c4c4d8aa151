"""Artifact manifests: the JSON beside every versioned artifact (model, index snapshot, ranker), mirroring
`shopmesh.common.v1.ArtifactManifest`, with a checksum over the payload files that a loader verifies.

Text encoders, retrieval indexes and rankers all write one `manifest.json` per artifact version folder and
load through `read_manifest` + `verify_payload`, so a corrupt or half-copied artifact is refused at load.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"
SCHEMA_VERSION = 1
"""Version of this JSON layout (not of the artifact); bumped on incompatible changes."""

ARTIFACT_KINDS = ("TEXT_ENCODER", "USER_TOWER", "TEXT_INDEX", "LEARNED_INDEX", "CO_VISITATION",
                  "LEXICAL_INDEX", "RANKER", "INTENT_CLASSIFIER", "SENTIMENT_MODEL")
"""The `ArtifactKind` names without their `ARTIFACT_KIND_` prefix."""


class ManifestError(ValueError):
    """A manifest is missing, malformed, or does not match its payload."""


@dataclass(frozen=True)
class ArtifactManifest:
    """One artifact version. Field meanings follow `shopmesh.common.v1.ArtifactManifest`.

    Attributes:
        name: stable name across versions, e.g. "minilm-l6-v2".
        version: immutable version string, e.g. "0.1.0-r1".
        kind: one of ARTIFACT_KINDS.
        files: payload files relative to the artifact folder -> lower-case hex sha256 of each.
        sha256: checksum over `files` (see `payload_digest`); what the proto's `sha256` carries.
        vector_space / vector_space_version / dimension: for encoders and indexes.
        schema_id: the input/output schema a loader must implement.
        metrics: offline metrics measured at build (e.g. max abs diff against the source model).
        training_data_start / training_data_end: ISO-8601 UTC, None for packaged models.
        code_version: git commit that built it.
        create_time: ISO-8601 UTC build time.
        catalog_id: the catalogue it was built for; empty when catalogue-independent.
        extra: free-form string facts (source package and version, Triton model version, ...).
    """

    name: str
    version: str
    kind: str
    files: dict[str, str]
    sha256: str
    vector_space: str = ""
    vector_space_version: str = ""
    dimension: int = 0
    schema_id: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    training_data_start: str | None = None
    training_data_end: str | None = None
    code_version: str = ""
    create_time: str = ""
    catalog_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ARTIFACT_KINDS:
            raise ManifestError(f"unknown artifact kind {self.kind!r}")
        if not self.name or not self.version:
            raise ManifestError("manifest needs a name and a version")

    def to_json(self) -> str:
        """Stable JSON (sorted keys), so rebuilding an identical artifact gives an identical file."""
        return json.dumps({"schema_version": SCHEMA_VERSION, **asdict(self)}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ArtifactManifest:
        """Parses what `to_json` wrote; raises ManifestError on a wrong layout."""
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ManifestError(f"manifest schema_version {data.get('schema_version')!r} is not {SCHEMA_VERSION}")
        known = set(cls.__dataclass_fields__)
        try:
            return cls(**{key: value for key, value in data.items() if key in known})
        except TypeError as exc:
            raise ManifestError(f"malformed manifest: {exc}") from exc

    def to_proto(self) -> Any:
        """The `shopmesh.common.v1.ArtifactManifest` message (imported lazily: domain code stays proto-free)."""
        from google.protobuf.timestamp_pb2 import Timestamp

        from shopmesh.common.v1 import artifact_pb2

        def stamp(value: str | None) -> Timestamp | None:
            if not value:
                return None
            ts = Timestamp()
            ts.FromDatetime(datetime.fromisoformat(value))
            return ts

        message = artifact_pb2.ArtifactManifest(
            name=self.name, version=self.version, kind=artifact_pb2.ArtifactKind.Value(f"ARTIFACT_KIND_{self.kind}"),
            catalog_id=self.catalog_id, vector_space=self.vector_space,
            vector_space_version=self.vector_space_version, dimension=self.dimension, schema_id=self.schema_id,
            metrics=self.metrics, code_version=self.code_version, sha256=self.sha256,
        )
        for attr, value in (("training_data_start_time", self.training_data_start),
                            ("training_data_end_time", self.training_data_end), ("create_time", self.create_time)):
            ts = stamp(value)
            if ts is not None:
                getattr(message, attr).CopyFrom(ts)
        return message


def file_sha256(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Lower-case hex sha256 of one file, read in chunks (model files are ~100 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def payload_digest(files: Mapping[str, str]) -> str:
    """The artifact checksum: sha256 over `"<sha256>  <relative path>\\n"` lines sorted by path.

    Hashing per-file digests (like `sha256sum` output) lets a loader name the file that is wrong.
    """
    lines = "".join(f"{files[name]}  {name}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def hash_files(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """sha256 of each named payload file under `folder`."""
    return {name: file_sha256(folder / name) for name in sorted(names)}


def code_version(repo: Path | None = None) -> str:
    """The git commit of the code doing the build ("unknown" outside a git checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo or Path(__file__).parent, capture_output=True,
                             text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def utc_now() -> str:
    """Now as ISO-8601 UTC, second precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def write_manifest(folder: Path, manifest: ArtifactManifest) -> Path:
    """Writes `folder/manifest.json` atomically (a reader never sees half a manifest)."""
    path = folder / MANIFEST_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(manifest.to_json())
    tmp.replace(path)
    return path


def read_manifest(folder: Path) -> ArtifactManifest:
    """Reads `folder/manifest.json`; raises ManifestError when missing or malformed."""
    path = folder / MANIFEST_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ManifestError(f"no manifest at {path}") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"manifest {path} is not JSON: {exc}") from exc
    return ArtifactManifest.from_mapping(data)


def verify_payload(folder: Path, manifest: ArtifactManifest) -> None:
    """Re-hashes the payload and raises ManifestError naming the first file that differs or is missing."""
    if payload_digest(manifest.files) != manifest.sha256:
        raise ManifestError(f"{manifest.name} {manifest.version}: sha256 does not match its file list")
    for name, expected in sorted(manifest.files.items()):
        path = folder / name
        if not path.is_file():
            raise ManifestError(f"{manifest.name} {manifest.version}: payload file {name} is missing")
        if file_sha256(path) != expected:
            raise ManifestError(f"{manifest.name} {manifest.version}: payload file {name} fails its sha256")


def latest_version_dir(artifact_dir: Path) -> Path | None:
    """The newest version folder of an artifact (the one with the highest integer name), or None."""
    versions = [p for p in artifact_dir.iterdir() if p.is_dir() and p.name.isdigit()] if artifact_dir.is_dir() else []
    return max(versions, key=lambda p: int(p.name)) if versions else None
