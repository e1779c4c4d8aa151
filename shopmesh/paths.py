"""Where the local mesh keeps its state: `$SHOPMESH_HOME` (default `./var`) holds certs, data, run files."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The state folder (created on demand by the commands that write to it)."""
    return Path(os.environ.get("SHOPMESH_HOME", "var")).resolve()


def certs_dir() -> Path:
    """Mesh CA, service certificates and the user-context key pair."""
    return home() / "certs"


def run_dir() -> Path:
    """`shopmesh up`'s state file and per-service logs."""
    return home() / "run"
