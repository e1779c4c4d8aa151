"""The vault's data store and keystore over SQL, shared by the SQLite and PostgreSQL backends.

A backend supplies a `SqlDatabase` (connection, transactions, placeholder style, the audit append lock, and
the mapping of its driver's errors); the schema and queries here are the same for both. Times are stored as
integer microseconds since the epoch (UTC) so both databases compare and hash them identically.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from services.vault.audit import GENESIS_HASH, AuditEntry, AuditRecord, Decision, Operation, seal
from services.vault.store import IndexEntry, ShredRecord, StoredValue, WrappedKey

Migration = tuple[int, list[str]]

DATA_MIGRATIONS: list[Migration] = [
    (1, [
        "CREATE TABLE vault_values (token TEXT PRIMARY KEY, subject_id TEXT NOT NULL, pii_type INTEGER NOT NULL,"
        " ciphertext {blob} NOT NULL, create_time_us BIGINT NOT NULL)",
        "CREATE INDEX vault_values_subject ON vault_values (subject_id)",
        "CREATE TABLE blind_index (index_hash {blob} NOT NULL, subject_id TEXT NOT NULL, token TEXT NOT NULL,"
        " PRIMARY KEY (index_hash, subject_id))",
        "CREATE INDEX blind_index_subject ON blind_index (subject_id)",
        "CREATE TABLE forgotten_tokens (token TEXT PRIMARY KEY, subject_id TEXT NOT NULL,"
        " forget_time_us BIGINT NOT NULL)",
        "CREATE TABLE audit_log (sequence BIGINT PRIMARY KEY, event_time_us BIGINT NOT NULL, caller TEXT NOT NULL,"
        " acting_user_id TEXT NOT NULL, acting_agent_id TEXT NOT NULL, purpose TEXT NOT NULL,"
        " subject_id TEXT NOT NULL, operation INTEGER NOT NULL, decision INTEGER NOT NULL,"
        " pii_types TEXT NOT NULL, value_count INTEGER NOT NULL, previous_hash {blob} NOT NULL,"
        " entry_hash {blob} NOT NULL)",
        "CREATE INDEX audit_log_subject ON audit_log (subject_id, sequence)",
    ]),
]

KEYSTORE_MIGRATIONS: list[Migration] = [
    (1, [
        "CREATE TABLE data_keys (subject_id TEXT PRIMARY KEY, kek_version INTEGER NOT NULL,"
        " wrapped_key {blob} NOT NULL, create_time_us BIGINT NOT NULL)",
        "CREATE INDEX data_keys_kek ON data_keys (kek_version)",
        "CREATE TABLE shredded_subjects (subject_id TEXT PRIMARY KEY, forget_time_us BIGINT NOT NULL,"
        " destroyed_keys INTEGER NOT NULL)",
        "CREATE TABLE keystore_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ]),
]


def to_micros(moment: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return int(moment.timestamp() * 1_000_000)


def from_micros(micros: int) -> dt.datetime:
    """The aware UTC datetime of microseconds since the epoch."""
    return dt.datetime.fromtimestamp(micros / 1_000_000, dt.UTC)


class SqlDatabase(abc.ABC):
    """One database connection as the stores use it.

    Subclasses set `blob` (the binary column type) and `placeholder`, open the connection, and implement
    transactions and the audit lock.
    """

    blob = "BLOB"
    placeholder = "?"

    def sql(self, statement: str) -> str:
        """A statement written with `?` placeholders and `{blob}`, in this database's dialect."""
        statement = statement.replace("{blob}", self.blob)
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    @abc.abstractmethod
    def transaction(self, write: bool = True) -> AbstractContextManager[Any]:
        """A context manager yielding a cursor inside one transaction (committed on exit, rolled back on error).

        `write=False` marks a read-only transaction (SQLite then takes no write lock). Driver errors that mean
        the database is unreachable or busy are raised as StoreUnavailable.
        """

    @abc.abstractmethod
    def lock_audit(self, cursor: Any) -> None:
        """Serialises audit appends across processes (the chain head is read, then written)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Closes the connection."""

    def scrub(self) -> None:
        """After a subject's deletion: no copy of the deleted rows left in the database's own files (SQLite's
        write-ahead log); nothing to do where the server manages its storage."""
        return None

    def execute(self, cursor: Any, statement: str, params: Sequence[Any] = ()) -> Any:
        """Runs one statement written in the portable dialect."""
        return cursor.execute(self.sql(statement), tuple(params))

    def migrate(self, migrations: list[Migration]) -> None:
        """Applies the migrations not yet recorded in schema_migrations, each in its own transaction."""
        with self.transaction() as cur:
            # Under the lock too: two replicas starting on an empty database both ran CREATE TABLE IF NOT
            # EXISTS and one failed on PostgreSQL's catalogue (pg_type unique violation) and exited.
            self.lock_audit(cur)
            self.execute(cur, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                              " applied_us BIGINT NOT NULL)")
        for version, statements in migrations:
            with self.transaction() as cur:
                self.lock_audit(cur)  # also serialises concurrent migrations of two replicas
                self.execute(cur, "SELECT 1 FROM schema_migrations WHERE version = ?", (version,))
                if cur.fetchone():
                    continue
                for statement in statements:
                    self.execute(cur, statement)
                self.execute(cur, "INSERT INTO schema_migrations (version, applied_us) VALUES (?, ?)",
                             (version, to_micros(dt.datetime.now(dt.UTC))))


def _in_clause(count: int) -> str:
    return ",".join("?" * count)


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _audit_entry(row: Sequence[Any]) -> AuditEntry:
    (sequence, time_us, caller, user, agent, purpose, subject, operation, decision, types, count,
     previous_hash, entry_hash) = row
    record = AuditRecord(
        caller=caller, purpose=purpose, operation=Operation(operation), decision=Decision(decision),
        subject_id=subject, acting_user_id=user, acting_agent_id=agent,
        pii_types=tuple(int(t) for t in types.split(",") if t), value_count=count,
    )
    return AuditEntry(int(sequence), from_micros(int(time_us)), record, bytes(previous_hash), bytes(entry_hash))


_AUDIT_COLUMNS = ("sequence, event_time_us, caller, acting_user_id, acting_agent_id, purpose, subject_id, operation,"
                  " decision, pii_types, value_count, previous_hash, entry_hash")


class SqlDataStore:
    """The data store (ciphertexts, blind index, tombstones, audit) on a SqlDatabase."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    def migrate(self) -> None:
        """Applies missing schema migrations."""
        self.db.migrate(DATA_MIGRATIONS)

    def put_values(self, values: list[StoredValue], index: list[IndexEntry]) -> None:
        """Inserts values and index rows in one transaction; rows already present are left as they are."""
        with self.db.transaction() as cur:
            cur.executemany(
                self.db.sql("INSERT INTO vault_values (token, subject_id, pii_type, ciphertext, create_time_us)"
                            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (token) DO NOTHING"),
                [(v.token, v.subject_id, v.pii_type, v.ciphertext, to_micros(v.create_time)) for v in values],
            )
            if index:
                cur.executemany(
                    self.db.sql("INSERT INTO blind_index (index_hash, subject_id, token) VALUES (?, ?, ?)"
                                " ON CONFLICT (index_hash, subject_id) DO NOTHING"),
                    [(e.index_hash, e.subject_id, e.token) for e in index],
                )

    @staticmethod
    def _value(row: Sequence[Any]) -> StoredValue:
        return StoredValue(row[0], row[1], int(row[2]), bytes(row[3]), from_micros(int(row[4])))

    def get_values(self, tokens: list[str]) -> dict[str, StoredValue]:
        """The stored values of these tokens (absent ones omitted)."""
        found: dict[str, StoredValue] = {}
        with self.db.transaction(write=False) as cur:
            for chunk in _chunks(list(dict.fromkeys(tokens))):
                self.db.execute(cur, "SELECT token, subject_id, pii_type, ciphertext, create_time_us FROM vault_values"
                                     f" WHERE token IN ({_in_clause(len(chunk))})", chunk)
                for row in cur.fetchall():
                    found[row[0]] = self._value(row)
        return found

    def subject_values(self, subject_id: str) -> list[StoredValue]:
        """Every value of a subject, oldest first."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT token, subject_id, pii_type, ciphertext, create_time_us FROM vault_values"
                                 " WHERE subject_id = ? ORDER BY create_time_us, token", (subject_id,))
            return [self._value(row) for row in cur.fetchall()]

    def lookup(self, index_hash: bytes) -> IndexEntry | None:
        """The index row for a blind-index hash (the oldest subject's, should two share a value), or None."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT subject_id, token FROM blind_index WHERE index_hash = ?"
                                 " ORDER BY subject_id LIMIT 1", (index_hash,))
            row = cur.fetchone()
        return None if row is None else IndexEntry(index_hash, row[0], row[1])

    def delete_subject(self, subject_id: str, forget_time: dt.datetime) -> tuple[int, int]:
        """Deletes a subject's values and index rows, keeping token tombstones; returns (values, index rows)."""
        with self.db.transaction() as cur:
            self.db.execute(cur, "INSERT INTO forgotten_tokens (token, subject_id, forget_time_us)"
                                 " SELECT token, subject_id, ? FROM vault_values WHERE subject_id = ?"
                                 " ON CONFLICT (token) DO NOTHING", (to_micros(forget_time), subject_id))
            self.db.execute(cur, "DELETE FROM vault_values WHERE subject_id = ?", (subject_id,))
            values = cur.rowcount
            self.db.execute(cur, "DELETE FROM blind_index WHERE subject_id = ?", (subject_id,))
            index = cur.rowcount
        self.db.scrub()
        return max(values, 0), max(index, 0)

    def forgotten_tokens(self, tokens: list[str]) -> dict[str, str]:
        """Subject ids of tokens whose subject was forgotten."""
        found: dict[str, str] = {}
        with self.db.transaction(write=False) as cur:
            for chunk in _chunks(list(dict.fromkeys(tokens))):
                self.db.execute(cur, "SELECT token, subject_id FROM forgotten_tokens"
                                     f" WHERE token IN ({_in_clause(len(chunk))})", chunk)
                found.update({row[0]: row[1] for row in cur.fetchall()})
        return found

    def append_audit(self, record: AuditRecord, now: dt.datetime) -> AuditEntry:
        """Appends an entry chained to the current head, atomically."""
        with self.db.transaction() as cur:
            self.db.lock_audit(cur)
            self.db.execute(cur, "SELECT sequence, entry_hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
            head = cur.fetchone()
            sequence, previous = (1, GENESIS_HASH) if head is None else (int(head[0]) + 1, bytes(head[1]))
            # The hash covers the stored (microsecond) time, so verification recomputes exactly.
            entry = seal(sequence, from_micros(to_micros(now)), record, previous)
            self.db.execute(
                cur, f"INSERT INTO audit_log ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sequence, to_micros(entry.event_time), record.caller, record.acting_user_id, record.acting_agent_id,
                 record.purpose, record.subject_id, int(record.operation), int(record.decision),
                 ",".join(str(int(t)) for t in sorted(record.pii_types)), record.value_count, previous,
                 entry.entry_hash),
            )
        return entry

    def audit_page(self, subject_id: str, start_time: dt.datetime | None, after_sequence: int,
                   limit: int) -> list[AuditEntry]:
        """Entries after `after_sequence` (optionally of one subject, from a time), oldest first."""
        where, params = ["sequence > ?"], [after_sequence]
        if subject_id:
            where.append("subject_id = ?")
            params.append(subject_id)  # type: ignore[arg-type]
        if start_time is not None:
            where.append("event_time_us >= ?")
            params.append(to_micros(start_time))
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE {' AND '.join(where)}"
                                 " ORDER BY sequence LIMIT ?", [*params, limit])
            return [_audit_entry(row) for row in cur.fetchall()]

    def audit_range(self, from_sequence: int, to_sequence: int, limit: int) -> list[AuditEntry]:
        """Entries with from_sequence <= sequence <= to_sequence, in order, at most `limit`."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE sequence >= ? AND sequence <= ?"
                                 " ORDER BY sequence LIMIT ?", (from_sequence, to_sequence, limit))
            return [_audit_entry(row) for row in cur.fetchall()]

    def audit_hash(self, sequence: int) -> bytes | None:
        """The stored entry_hash of one sequence."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT entry_hash FROM audit_log WHERE sequence = ?", (sequence,))
            row = cur.fetchone()
        return None if row is None else bytes(row[0])

    def audit_head(self) -> tuple[int, bytes]:
        """(latest sequence, its hash); (0, genesis) when empty."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT sequence, entry_hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
            row = cur.fetchone()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), bytes(row[1]))

    def close(self) -> None:
        """Closes the connection."""
        self.db.close()


class SqlKeyStore:
    """The keystore (wrapped data keys, shredded subjects, active KEK version) on its own SqlDatabase."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    def migrate(self) -> None:
        """Applies missing schema migrations."""
        self.db.migrate(KEYSTORE_MIGRATIONS)

    def get_key(self, subject_id: str) -> WrappedKey | None:
        """A subject's wrapped data key, or None (never created, or shredded)."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT subject_id, kek_version, wrapped_key, create_time_us FROM data_keys"
                                 " WHERE subject_id = ?", (subject_id,))
            row = cur.fetchone()
        return None if row is None else WrappedKey(row[0], int(row[1]), bytes(row[2]), from_micros(int(row[3])))

    def insert_key(self, key: WrappedKey) -> WrappedKey:
        """Stores a new data key unless one exists; returns the one that is stored (first writer wins)."""
        with self.db.transaction() as cur:
            self.db.execute(cur, "INSERT INTO data_keys (subject_id, kek_version, wrapped_key, create_time_us)"
                                 " VALUES (?, ?, ?, ?) ON CONFLICT (subject_id) DO NOTHING",
                            (key.subject_id, key.kek_version, key.wrapped, to_micros(key.create_time)))
            self.db.execute(cur, "SELECT subject_id, kek_version, wrapped_key, create_time_us FROM data_keys"
                                 " WHERE subject_id = ?", (key.subject_id,))
            row = cur.fetchone()
        return WrappedKey(row[0], int(row[1]), bytes(row[2]), from_micros(int(row[3])))

    def shred(self, subject_id: str, now: dt.datetime) -> ShredRecord:
        """Destroys the subject's data key and records it as shredded; idempotent."""
        with self.db.transaction() as cur:
            self.db.execute(cur, "SELECT forget_time_us, destroyed_keys FROM shredded_subjects WHERE subject_id = ?",
                            (subject_id,))
            row = cur.fetchone()
            self.db.execute(cur, "DELETE FROM data_keys WHERE subject_id = ?", (subject_id,))
            destroyed = max(cur.rowcount, 0)
            if row is not None:
                return ShredRecord(from_micros(int(row[0])), destroyed, already=True)
            self.db.execute(cur, "INSERT INTO shredded_subjects (subject_id, forget_time_us, destroyed_keys)"
                                 " VALUES (?, ?, ?)", (subject_id, to_micros(now), destroyed))
        # The wrapped data key must not survive in the keystore's write-ahead log: with it (and the KEK) a copy
        # of the disk could still decrypt the subject's ciphertexts, which is what shredding rules out.
        self.db.scrub()
        return ShredRecord(from_micros(to_micros(now)), destroyed, already=False)

    def shred_time(self, subject_id: str) -> dt.datetime | None:
        """When the subject was shredded, or None."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT forget_time_us FROM shredded_subjects WHERE subject_id = ?", (subject_id,))
            row = cur.fetchone()
        return None if row is None else from_micros(int(row[0]))

    def active_kek_version(self) -> int | None:
        """The KEK version that wraps new data keys, None before the first start."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT value FROM keystore_meta WHERE name = 'active_kek_version'")
            row = cur.fetchone()
        return None if row is None else int(row[0])

    def set_active_kek_version(self, version: int) -> None:
        """Makes `version` the active KEK version."""
        with self.db.transaction() as cur:
            self.db.execute(cur, "INSERT INTO keystore_meta (name, value) VALUES ('active_kek_version', ?)"
                                 " ON CONFLICT (name) DO UPDATE SET value = excluded.value", (str(version),))

    def count_by_kek(self) -> dict[int, int]:
        """Data keys per KEK version."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT kek_version, COUNT(*) FROM data_keys GROUP BY kek_version")
            return {int(version): int(count) for version, count in cur.fetchall()}

    def keys_below(self, version: int, limit: int) -> list[WrappedKey]:
        """Up to `limit` data keys wrapped by a version older than `version`."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT subject_id, kek_version, wrapped_key, create_time_us FROM data_keys"
                                 " WHERE kek_version < ? ORDER BY subject_id LIMIT ?", (version, limit))
            return [WrappedKey(r[0], int(r[1]), bytes(r[2]), from_micros(int(r[3]))) for r in cur.fetchall()]

    def replace_wrapping(self, key: WrappedKey, new_version: int, new_wrapped: bytes) -> bool:
        """Rewraps one key if it is still as read (compare and set); False when it changed meanwhile."""
        with self.db.transaction() as cur:
            self.db.execute(cur, "UPDATE data_keys SET kek_version = ?, wrapped_key = ?"
                                 " WHERE subject_id = ? AND kek_version = ?",
                            (new_version, new_wrapped, key.subject_id, key.kek_version))
            return bool(cur.rowcount == 1)

    def counts(self) -> tuple[int, int]:
        """(subjects with a live data key, subjects shredded)."""
        with self.db.transaction(write=False) as cur:
            self.db.execute(cur, "SELECT COUNT(*) FROM data_keys")
            live = int(cur.fetchone()[0])
            self.db.execute(cur, "SELECT COUNT(*) FROM shredded_subjects")
            shredded = int(cur.fetchone()[0])
        return live, shredded

    def close(self) -> None:
        """Closes the connection."""
        self.db.close()
