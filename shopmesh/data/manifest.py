"""The data dir's manifest: which archive each data set came from, and each file's checksum, size and counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopmesh.data.archives import write_atomically
from shopmesh.data.sources import DataSource

MANIFEST_FORMAT = 1


@dataclass
class Manifest:
    """In-memory form of `manifest.json`; one entry per data set, keyed by its name."""

    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Reads the manifest; a missing, unreadable or foreign-format file counts as empty."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
            return cls()
        datasets = raw.get("datasets")
        return cls(dict(datasets) if isinstance(datasets, dict) else {})

    def write(self, path: Path) -> None:
        """Writes the manifest atomically, data sets in name order."""
        body = {"format": MANIFEST_FORMAT, "datasets": dict(sorted(self.datasets.items()))}
        write_atomically(path, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def entry_matches(self, source: DataSource) -> bool:
        """Whether the recorded entry names this exact package version, archive and pinned file checksums."""
        entry = self.datasets.get(source.name)
        if not isinstance(entry, dict):
            return False
        files = entry.get("files")
        if (
            entry.get("package") != source.package
            or entry.get("version") != source.version
            or entry.get("archive_sha256") != source.archive_sha256
            or not isinstance(files, dict)
        ):
            return False
        return all(
            isinstance(files.get(f.name), dict) and files[f.name].get("sha256") == f.sha256 for f in source.files
        )

    def recorded_counts(self, source: DataSource, file_name: str) -> dict[str, int] | None:
        """Counts recorded for one file when the entry matches the source, else None."""
        if not self.entry_matches(source):
            return None
        counts = self.datasets[source.name]["files"][file_name].get("counts")
        return dict(counts) if isinstance(counts, dict) else None
