"""The embedded session store: one SQLite file, JSON documents, expiry checked on read and swept on write."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from services.support.store import Doc, Mutator, handoff_order
from shared.sqlite import scrub_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, expire_time REAL NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS handoffs (
  handoff_id TEXT PRIMARY KEY, create_time REAL NOT NULL, doc TEXT NOT NULL);
"""


class SqliteSessionStore:
    """Sessions and hand-offs in SQLite (WAL). Calls are short local transactions, run on the loop thread.

    Args:
        path: the database file (its folder is created).
        handoff_ttl_seconds: how long hand-offs are kept (the same retention the Redis store applies).
    """

    def __init__(self, path: Path, handoff_ttl_seconds: int = 7 * 86400):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handoff_ttl = handoff_ttl_seconds
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free space
        self._db.executescript(_SCHEMA)

    def _load(self, raw: str | None) -> Doc | None:
        return None if raw is None else dict(json.loads(raw))

    async def get_session(self, session_id: str) -> Doc | None:
        """See SessionStore."""
        row = self._db.execute("SELECT doc, expire_time FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        if row is None or row[1] <= time.time():
            return None
        return self._load(row[0])

    async def create_session(self, doc: Doc) -> None:
        """See SessionStore; also sweeps expired sessions."""
        self._db.execute("DELETE FROM sessions WHERE expire_time <= ?", (time.time(),))
        self._db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                         (doc["session_id"], doc["user_id"], doc["expire_time"], json.dumps(doc)))

    async def update_session(self, session_id: str, mutate: Mutator) -> Doc | None:
        """See SessionStore (BEGIN IMMEDIATE: the write lock is held from the read)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT doc, expire_time FROM sessions WHERE session_id = ?",
                                   (session_id,)).fetchone()
            if row is None or row[1] <= time.time():
                self._db.execute("ROLLBACK")
                return None
            doc = mutate(dict(json.loads(row[0])))
            self._db.execute("UPDATE sessions SET doc = ?, expire_time = ? WHERE session_id = ?",
                             (json.dumps(doc), doc["expire_time"], session_id))
            self._db.execute("COMMIT")
            return doc
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    async def delete_session(self, session_id: str) -> bool:
        """See SessionStore."""
        return self._db.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,)).rowcount > 0

    async def user_session_ids(self, user_id: str) -> list[str]:
        """See SessionStore."""
        rows = self._db.execute("SELECT session_id FROM sessions WHERE user_id = ? ORDER BY rowid", (user_id,))
        return [r[0] for r in rows]

    async def get_handoff(self, handoff_id: str) -> Doc | None:
        """See SessionStore."""
        row = self._db.execute("SELECT doc FROM handoffs WHERE handoff_id = ?", (handoff_id,)).fetchone()
        return self._load(row[0]) if row else None

    async def create_handoff(self, doc: Doc) -> None:
        """See SessionStore; also sweeps hand-offs past their retention."""
        self._db.execute("DELETE FROM handoffs WHERE json_extract(doc, '$._created') <= ?",
                         (time.time() - self._handoff_ttl,))
        self._db.execute("INSERT INTO handoffs VALUES (?, ?, ?)",
                         (doc["handoff_id"], handoff_order(doc), json.dumps(doc)))

    async def update_handoff(self, handoff_id: str, mutate: Mutator) -> Doc | None:
        """See SessionStore."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT doc FROM handoffs WHERE handoff_id = ?", (handoff_id,)).fetchone()
            if row is None:
                self._db.execute("ROLLBACK")
                return None
            doc = mutate(dict(json.loads(row[0])))
            self._db.execute("UPDATE handoffs SET doc = ? WHERE handoff_id = ?", (json.dumps(doc), handoff_id))
            self._db.execute("COMMIT")
            return doc
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    async def list_handoffs(self) -> list[Doc]:
        """See SessionStore."""
        return [dict(json.loads(r[0])) for r in self._db.execute("SELECT doc FROM handoffs ORDER BY create_time")]

    async def delete_handoff(self, handoff_id: str) -> bool:
        """See SessionStore."""
        return self._db.execute("DELETE FROM handoffs WHERE handoff_id = ?", (handoff_id,)).rowcount > 0

    async def scrub(self) -> None:
        """See SessionStore: checkpoints the write-ahead log into the file and truncates it."""
        scrub_wal(self._db)

    async def ping(self) -> bool:
        """See SessionStore."""
        self._db.execute("SELECT 1")
        return True

    async def close(self) -> None:
        """See SessionStore."""
        self._db.close()
