"""What the vault stores, and the two store interfaces: the data store and the separate keystore.

The data store holds ciphertexts, blind-index entries, forgotten-token tombstones and the audit log. The
keystore holds the wrapped data keys (and the record of shredded subjects): it lives in another database (or
file), so a backup of the data store never contains a key that could decrypt it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from services.vault.audit import AuditEntry, AuditRecord


class StoreUnavailable(Exception):
    """The database behind a store is unreachable or busy; the service answers UNAVAILABLE."""


@dataclass(frozen=True)
class StoredValue:
    """One encrypted value. `ciphertext` is nonce || AES-GCM output, bound to (subject, type, token)."""

    token: str
    subject_id: str
    pii_type: int
    ciphertext: bytes
    create_time: dt.datetime


@dataclass(frozen=True)
class IndexEntry:
    """One blind-index row: a keyed hash of (type, normalised value) pointing at the subject's token."""

    index_hash: bytes
    subject_id: str
    token: str


@dataclass(frozen=True)
class WrappedKey:
    """A subject's data key, encrypted under KEK `kek_version`."""

    subject_id: str
    kek_version: int
    wrapped: bytes
    create_time: dt.datetime


@dataclass(frozen=True)
class ShredRecord:
    """What shredding a subject did (or had done, when it was shredded before)."""

    forget_time: dt.datetime
    destroyed_keys: int
    already: bool


class DataStore(Protocol):
    """Ciphertexts, blind index, tombstones and the audit chain."""

    def migrate(self) -> None:
        """Applies missing schema migrations."""

    def put_values(self, values: list[StoredValue], index: list[IndexEntry]) -> None:
        """Inserts values and index rows in one transaction; rows already present are left as they are."""

    def get_values(self, tokens: list[str]) -> dict[str, StoredValue]:
        """The stored values of these tokens (absent ones omitted)."""

    def subject_values(self, subject_id: str) -> list[StoredValue]:
        """Every value of a subject, oldest first."""

    def lookup(self, index_hash: bytes) -> IndexEntry | None:
        """The index row for a blind-index hash, or None."""

    def delete_subject(self, subject_id: str, forget_time: dt.datetime) -> tuple[int, int]:
        """Deletes a subject's values and index rows, keeping token tombstones; returns (values, index rows)."""

    def forgotten_tokens(self, tokens: list[str]) -> dict[str, str]:
        """Subject ids of tokens whose subject was forgotten."""

    def append_audit(self, record: AuditRecord, now: dt.datetime) -> AuditEntry:
        """Appends an entry chained to the current head, atomically."""

    def audit_page(self, subject_id: str, start_time: dt.datetime | None, after_sequence: int,
                   limit: int) -> list[AuditEntry]:
        """Entries after `after_sequence` (optionally of one subject, from a time), oldest first."""

    def audit_range(self, from_sequence: int, to_sequence: int, limit: int) -> list[AuditEntry]:
        """Entries with from_sequence <= sequence <= to_sequence, in order, at most `limit`."""

    def audit_hash(self, sequence: int) -> bytes | None:
        """The stored entry_hash of one sequence."""

    def audit_head(self) -> tuple[int, bytes]:
        """(latest sequence, its hash); (0, genesis) when empty."""

    def close(self) -> None:
        """Closes connections."""


class KeyStore(Protocol):
    """Wrapped data keys, shredded subjects and the active KEK version."""

    def migrate(self) -> None:
        """Applies missing schema migrations."""

    def get_key(self, subject_id: str) -> WrappedKey | None:
        """A subject's wrapped data key, or None (never created, or shredded)."""

    def insert_key(self, key: WrappedKey) -> WrappedKey:
        """Stores a new data key unless one exists; returns the one that is stored (first writer wins)."""

    def shred(self, subject_id: str, now: dt.datetime) -> ShredRecord:
        """Destroys the subject's data key and records it as shredded; idempotent."""

    def shred_time(self, subject_id: str) -> dt.datetime | None:
        """When the subject was shredded, or None."""

    def active_kek_version(self) -> int | None:
        """The KEK version that wraps new data keys, None before the first start."""

    def set_active_kek_version(self, version: int) -> None:
        """Makes `version` the active KEK version."""

    def count_by_kek(self) -> dict[int, int]:
        """Data keys per KEK version."""

    def keys_below(self, version: int, limit: int) -> list[WrappedKey]:
        """Up to `limit` data keys wrapped by a version older than `version`."""

    def replace_wrapping(self, key: WrappedKey, new_version: int, new_wrapped: bytes) -> bool:
        """Rewraps one key if it is still as read (compare and set); False when it changed meanwhile."""

    def counts(self) -> tuple[int, int]:
        """(subjects with a live data key, subjects shredded)."""

    def close(self) -> None:
        """Closes connections."""
