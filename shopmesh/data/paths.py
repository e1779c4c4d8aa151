"""Where the fetched data sets live: `SHOPMESH_DATA_DIR`, else `var/data` in the repo, else the XDG data home."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "SHOPMESH_DATA_DIR"
MANIFEST_NAME = "manifest.json"
CACHE_DIR_NAME = ".cache"


class DataNotFetchedError(FileNotFoundError):
    """A loader found no fetched data set; the message says which command fetches it."""


def _repo_root() -> Path | None:
    """The source checkout this package runs from, or None when installed into site-packages."""
    candidate = Path(__file__).resolve().parents[2]
    pyproject = candidate / "pyproject.toml"
    if pyproject.is_file() and 'name = "shopmesh"' in pyproject.read_text(encoding="utf-8"):
        return candidate
    return None


def default_data_dir() -> Path:
    """The data directory used when no `--data-dir` is given.

    Order: the `SHOPMESH_DATA_DIR` environment variable; `var/data` under the repo root (git-ignored) for a
    source checkout; `$XDG_DATA_HOME/shopmesh/data` (or `~/.local/share/shopmesh/data`) for an installed
    package, whose own directory may be read-only.
    """
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    root = _repo_root()
    if root is not None:
        return root / "var" / "data"
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "shopmesh" / "data"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """`data_dir` as a Path, or the default when it is None."""
    return Path(data_dir).expanduser() if data_dir is not None else default_data_dir()


def dataset_file(data_dir: str | os.PathLike[str] | None, dataset: str, name: str) -> Path:
    """Path of one fetched file; raises DataNotFetchedError (naming the fetch command) when it is missing."""
    path = resolve_data_dir(data_dir) / dataset / name
    if not path.is_file():
        raise DataNotFetchedError(
            f"{path} is missing: run `shopmesh data fetch` (or pass the directory it fetched into)"
        )
    return path
