"""SQLite backend of the vault (the embedded default): the data store and the keystore as two files.

Two files, not two tables of one: copying the data file (a backup) copies no key. Both use WAL with
`synchronous=FULL` by default, so a write the vault acknowledged survives a crash of the process or machine.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from services.vault.store import StoreUnavailable
from services.vault.store_sql import SqlDatabase, SqlDataStore, SqlKeyStore
from shared.sqlite import scrub_wal


class SqliteDatabase(SqlDatabase):
    """One SQLite file opened in autocommit mode; transactions are explicit `BEGIN IMMEDIATE`.

    Args:
        path: the database file (created with its folder, mode 0600).
        synchronous: SQLite's `synchronous` pragma: FULL (default, durable), NORMAL, or OFF (benchmarks only).
    """

    def __init__(self, path: Path, synchronous: str = "FULL"):
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists()
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=5.0, check_same_thread=False)
        if new:
            path.chmod(0o600)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Any]:
        """A cursor inside `BEGIN IMMEDIATE` (reads: a deferred `BEGIN`) … `COMMIT`; busy → StoreUnavailable."""
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite busy: {type(exc).__name__}") from exc
        try:
            yield cur
        except BaseException:
            self._conn.rollback()
            raise
        else:
            try:
                self._conn.commit()
            except sqlite3.OperationalError as exc:
                self._conn.rollback()
                raise StoreUnavailable("sqlite commit failed") from exc
        finally:
            cur.close()

    def lock_audit(self, cursor: Any) -> None:
        """Nothing to do: `BEGIN IMMEDIATE` already holds the database's write lock."""

    def scrub(self) -> None:
        """Checkpoints the write-ahead log into the file (secure_delete zeroed the rows there) and truncates it."""
        scrub_wal(self._conn)

    def close(self) -> None:
        """Closes the connection."""
        self._conn.close()


def open_sqlite_stores(data_path: Path, keystore_path: Path, synchronous: str = "FULL") -> tuple[
        SqlDataStore, SqlKeyStore]:
    """The data store and keystore on two SQLite files (which must differ)."""
    if data_path.resolve() == keystore_path.resolve():
        raise ValueError("the keystore must be a different file from the data store")
    return (SqlDataStore(SqliteDatabase(data_path, synchronous)),
            SqlKeyStore(SqliteDatabase(keystore_path, synchronous)))
