"""The hash-chained audit log: entries (never values), their canonical encoding, and chain verification.

entry_hash = SHA-256(previous_hash || canonical JSON of the entry's other fields). Changing, inserting or
deleting an entry breaks the chain at that point; truncating the tail is caught by pinning the head hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

GENESIS_HASH = bytes(32)


class Operation(IntEnum):
    """What an entry records; values equal `shopmesh.vault.v1.AuditOperation`."""

    TOKENIZE = 1
    DETOKENIZE = 2
    LOOKUP = 3
    REDACT = 4
    EXPORT = 5
    FORGET = 6
    ROTATE_KEYS = 7


class Decision(IntEnum):
    """The policy decision; values equal `shopmesh.vault.v1.AuditDecision`."""

    ALLOWED = 1
    MASKED = 2
    DENIED = 3


@dataclass(frozen=True)
class AuditRecord:
    """What a caller of the audit log supplies; the store adds sequence, time and hashes."""

    caller: str
    purpose: str
    operation: Operation
    decision: Decision
    subject_id: str = ""
    acting_user_id: str = ""
    acting_agent_id: str = ""
    pii_types: tuple[int, ...] = ()
    value_count: int = 0


@dataclass(frozen=True)
class AuditEntry:
    """One chained entry as stored."""

    sequence: int
    event_time: dt.datetime
    record: AuditRecord
    previous_hash: bytes
    entry_hash: bytes = field(default=b"")


def canonical_bytes(sequence: int, event_time: dt.datetime, record: AuditRecord) -> bytes:
    """The encoding the hash covers: sorted-key JSON, times as integer microseconds since the epoch (UTC)."""
    micros = int(event_time.timestamp() * 1_000_000) if event_time.tzinfo else None
    if micros is None:
        raise ValueError("audit times must be timezone-aware")
    body = {
        "seq": sequence,
        "t": micros,
        "caller": record.caller,
        "purpose": record.purpose,
        "op": int(record.operation),
        "decision": int(record.decision),
        "subject": record.subject_id,
        "user": record.acting_user_id,
        "agent": record.acting_agent_id,
        "types": sorted(int(t) for t in record.pii_types),
        "count": record.value_count,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(previous_hash: bytes, sequence: int, event_time: dt.datetime, record: AuditRecord) -> bytes:
    """The entry hash of an entry that follows `previous_hash`."""
    return hashlib.sha256(previous_hash + canonical_bytes(sequence, event_time, record)).digest()


def seal(sequence: int, event_time: dt.datetime, record: AuditRecord, previous_hash: bytes) -> AuditEntry:
    """A new entry chained after the entry whose hash is `previous_hash`."""
    return AuditEntry(sequence, event_time, record, previous_hash,
                      chain_hash(previous_hash, sequence, event_time, record))


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying a range of the chain."""

    intact: bool
    checked: int
    first_bad_sequence: int = 0
    problem: str = ""
    head_sequence: int = 0
    head_hash: bytes = b""


def verify_chain(entries: Iterable[AuditEntry], *, expected_first_sequence: int, previous_hash: bytes,
                 head_sequence: int, head_hash: bytes) -> ChainReport:
    """Recomputes hashes over consecutive entries starting at `expected_first_sequence`.

    Args:
        entries: the stored entries of the range, in sequence order.
        expected_first_sequence: the sequence the range must start with.
        previous_hash: the stored hash of the entry before the range (GENESIS_HASH before the first).
        head_sequence: the latest sequence in the store (reported).
        head_hash: the latest entry's hash (reported).
    """
    expected_seq, prev, checked = expected_first_sequence, previous_hash, 0
    for entry in entries:
        checked += 1
        if entry.sequence != expected_seq:
            return ChainReport(False, checked, expected_seq, f"sequence gap {expected_seq - 1} -> {entry.sequence}",
                               head_sequence, head_hash)
        if entry.previous_hash != prev:
            return ChainReport(False, checked, entry.sequence, "previous_hash does not match the entry before",
                               head_sequence, head_hash)
        if chain_hash(prev, entry.sequence, entry.event_time, entry.record) != entry.entry_hash:
            return ChainReport(False, checked, entry.sequence, "entry_hash mismatch", head_sequence, head_hash)
        prev, expected_seq = entry.entry_hash, expected_seq + 1
    return ChainReport(True, checked, 0, "", head_sequence, head_hash)
