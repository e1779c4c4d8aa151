"""The key source: versioned key-encryption keys and the blind-index key, read from a directory.

The directory is what a Kubernetes Secret mounted as a volume looks like (one file per key): `kek-<N>` for KEK
version N and `index-key` for the blind-index HMAC key, each holding 32 bytes as base64. Keys never come from a
database. Adding `kek-<N+1>` to the Secret and calling RotateKeys rotates without a restart (the directory is
re-read).
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path

from services.vault.crypto import KEY_BYTES

INDEX_KEY_FILE = "index-key"
_KEK_FILE_RE = re.compile(r"^kek-(\d{1,6})$")


class KeySourceError(Exception):
    """The key directory is missing, unreadable or holds a malformed key."""


def _read_key(path: Path) -> bytes:
    try:
        raw = path.read_bytes().strip()
    except OSError as exc:
        raise KeySourceError(f"cannot read key file {path.name}") from exc
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise KeySourceError(f"key file {path.name} is not base64") from exc
    if len(key) != KEY_BYTES:
        raise KeySourceError(f"key file {path.name} holds {len(key)} bytes, expected {KEY_BYTES}")
    return key


@dataclass(frozen=True)
class KeyRing:
    """The keys loaded from the key source.

    Attributes:
        keks: KEK bytes by version.
        index_key: the blind-index HMAC key.
    """

    keks: dict[int, bytes]
    index_key: bytes

    @property
    def newest_version(self) -> int:
        """The highest KEK version loaded."""
        return max(self.keks)

    def kek(self, version: int) -> bytes:
        """The KEK of a version; KeyError when the source does not hold it."""
        return self.keks[version]


def load_key_dir(key_dir: Path) -> KeyRing:
    """Reads every `kek-<N>` and the `index-key` in `key_dir`.

    Raises:
        KeySourceError: the directory, the index key or every KEK is missing, or a key is malformed.
    """
    if not key_dir.is_dir():
        raise KeySourceError(f"key directory {key_dir} does not exist")
    keks: dict[int, bytes] = {}
    for entry in key_dir.iterdir():
        match = _KEK_FILE_RE.match(entry.name)
        if match:
            version = int(match.group(1))
            if version < 1:
                raise KeySourceError("KEK versions start at 1")
            keks[version] = _read_key(entry)
    if not keks:
        raise KeySourceError(f"no kek-<N> file in {key_dir}")
    index_path = key_dir / INDEX_KEY_FILE
    if not index_path.exists():
        raise KeySourceError(f"{INDEX_KEY_FILE} missing in {key_dir}")
    return KeyRing(keks=keks, index_key=_read_key(index_path))


def _write_secret(path: Path, key: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key) + b"\n")
    os.replace(tmp, path)


def add_kek_version(key_dir: Path) -> int:
    """Writes a new random KEK one version above the highest present (creating the directory); returns it."""
    key_dir.mkdir(parents=True, exist_ok=True)
    versions = [int(m.group(1)) for e in key_dir.iterdir() if (m := _KEK_FILE_RE.match(e.name))]
    version = max(versions, default=0) + 1
    _write_secret(key_dir / f"kek-{version}", os.urandom(KEY_BYTES))
    return version


def ensure_key_dir(key_dir: Path) -> bool:
    """Creates a local key directory (KEK version 1 and an index key) if it holds none; True if it did.

    For the local mesh and tests; in Kubernetes the keys come from a Secret.
    """
    key_dir.mkdir(parents=True, exist_ok=True)
    key_dir.chmod(0o700)
    created = False
    if not (key_dir / INDEX_KEY_FILE).exists():
        _write_secret(key_dir / INDEX_KEY_FILE, os.urandom(KEY_BYTES))
        created = True
    if not any(_KEK_FILE_RE.match(e.name) for e in key_dir.iterdir()):
        add_kek_version(key_dir)
        created = True
    return created
