"""SQLite backend of the profile store (the embedded default): WAL, synchronous=FULL, busy timeout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from services.profile.store import SqlStore


def connect(path: Path) -> sqlite3.Connection:
    """Opens (creating) an SQLite file tuned for a durable append-mostly log.

    synchronous=FULL fsyncs every commit, so an acknowledged event survives a power cut as well as a kill.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level="DEFERRED", check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")  # a deleted user's rows are overwritten, not left in free pages
    return conn


def sqlite_store(path: Path) -> SqlStore:
    """A SqlStore over the SQLite file at `path`."""
    return SqlStore(lambda: connect(path), "sqlite", (sqlite3.OperationalError,))
