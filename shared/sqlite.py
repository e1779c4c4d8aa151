"""SQLite helpers of the kit: leave no copy of deleted rows in a database's files.

In WAL mode a deleted row stays in the write-ahead log (as the old image of its page) until a checkpoint
copies the log into the file and the log is reset; `secure_delete` makes the new page images, and so the file
after the checkpoint, hold zeros where the row was. A user's deletion runs `scrub_wal` so that neither file of
the database keeps the user's rows (or, in the vault's keystore, a destroyed data key's wrapped bytes).
"""

from __future__ import annotations

import sqlite3

from shared.logging import get_logger

_log = get_logger(__name__)


def scrub_wal(conn: sqlite3.Connection, busy_ms: int = 2000) -> bool:
    """Checkpoints the write-ahead log into the database file and truncates it to zero bytes.

    Waits up to `busy_ms` for readers of older snapshots (another connection's open read transaction keeps the
    frames it needs); returns whether the log was fully checkpointed and truncated. Never raises: a busy or
    failed checkpoint is logged and the next one (SQLite checkpoints every 1,000 pages) completes the job.
    """
    if conn.in_transaction:
        return False
    try:
        previous = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        try:
            row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.execute(f"PRAGMA busy_timeout={previous}")
    except sqlite3.Error as exc:
        _log.warning("sqlite.scrub_failed", error_type=type(exc).__name__)
        return False
    done = row is not None and int(row[0]) == 0
    if not done:
        _log.warning("sqlite.scrub_busy")
    return done
