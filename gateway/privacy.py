"""Export-my-data and delete-my-data over every service, with receipts and idempotency; no grpc here.

Each service that holds something about a user takes part as a `Participant` (gateway/privacy_peers.py adapts
the real gRPC peers; the gateway's own caches are one too). `PrivacyRequests` runs the steps, keeps receipts in
a `ReceiptStore` keyed by a hash of the user id (never the id itself), and limits exports per user.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol

from shared.errors import DomainError, ResourceExhausted, Unavailable

MAX_RECORDS_PER_CHUNK = 1000
"""Records in one exported chunk (the gateway proto's limit)."""


class Outcome(IntEnum):
    """Values of shopmesh.gateway.v1.DeletionStepOutcome."""

    DELETED = 1
    ALREADY_DELETED = 2
    NOTHING_HELD = 3


@dataclass(frozen=True)
class Section:
    """One part of a service's export.

    Attributes:
        service: "profile", "support", "vault", "gateway".
        section: e.g. "events"; with service, the summary's "service/section" key.
        records: JSON-ready records (each a dict); a single-object section has one record and `single`.
        single: the section is one JSON object, not an array of records.
    """

    service: str
    section: str
    records: list[dict[str, Any]]
    single: bool = False


@dataclass(frozen=True)
class Erasure:
    """What one participant's delete did.

    Attributes:
        counts: what was deleted by kind (e.g. {"events": 412}); zero counts are dropped from receipts.
        already_deleted: the service says an earlier call had deleted the user (vs. never held anything).
        derived: what was deleted were caches of data held elsewhere (the gateway's): they fill again with any
            request, so finding some on a repeat does not make a new deletion.
    """

    counts: dict[str, int]
    already_deleted: bool = False
    derived: bool = False

    @property
    def deleted_anything(self) -> bool:
        """Whether this call deleted something."""
        return any(v > 0 for v in self.counts.values())


class Participant(Protocol):
    """A service that holds data about users."""

    name: str

    async def export(self, user_id: str) -> list[Section]:
        """Everything held about the user; raises Unavailable when the service cannot answer."""

    async def erase(self, user_id: str) -> Erasure:
        """Deletes everything held about the user; idempotent; raises Unavailable when it cannot."""


@dataclass
class Step:
    """One step of a receipt."""

    service: str
    outcome: Outcome
    counts: dict[str, int]
    complete_us: int


@dataclass
class Receipt:
    """Proof of a deletion: complete when every participant's step is in it."""

    receipt_id: str
    request_us: int
    steps: list[Step] = field(default_factory=list)
    complete: bool = False

    @property
    def complete_us(self) -> int:
        """When the last step completed."""
        return max((s.complete_us for s in self.steps), default=self.request_us)

    def step(self, service: str) -> Step | None:
        """The step of this service, if done."""
        return next((s for s in self.steps if s.service == service), None)

    def to_json(self) -> str:
        """Stored form."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        """Inverse of to_json."""
        doc = json.loads(text)
        steps = [Step(s["service"], Outcome(s["outcome"]), dict(s["counts"]), int(s["complete_us"]))
                 for s in doc["steps"]]
        return cls(doc["receipt_id"], int(doc["request_us"]), steps, bool(doc["complete"]))


class ReceiptStore(Protocol):
    """Where receipts live between requests (and replicas): keyed by subject_key(user_id)."""

    async def get(self, key: str) -> Receipt | None:
        """The stored receipt, or None."""

    async def put(self, key: str, receipt: Receipt) -> None:
        """Stores (replaces) the receipt."""


def subject_key(user_id: str) -> str:
    """The key receipts and limits are stored under: a hash, so no store of the gateway holds the user id."""
    return hashlib.sha256(b"shopmesh.privacy.v1:" + user_id.encode()).hexdigest()


class SqliteReceiptStore:
    """Receipts in one SQLite file (the embedded default).

    Args:
        path: the database file; its folder is created.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS receipts (subject_key TEXT PRIMARY KEY, receipt TEXT NOT NULL)")
        self._lock = threading.Lock()

    def _get(self, key: str) -> Receipt | None:
        with self._lock:
            row = self._conn.execute("SELECT receipt FROM receipts WHERE subject_key = ?", (key,)).fetchone()
        return Receipt.from_json(row[0]) if row else None

    def _put(self, key: str, receipt: Receipt) -> None:
        with self._lock:
            self._conn.execute("INSERT INTO receipts (subject_key, receipt) VALUES (?, ?) ON CONFLICT(subject_key) "
                               "DO UPDATE SET receipt = excluded.receipt", (key, receipt.to_json()))

    async def get(self, key: str) -> Receipt | None:
        """See ReceiptStore."""
        return await asyncio.to_thread(self._get, key)

    async def put(self, key: str, receipt: Receipt) -> None:
        """See ReceiptStore."""
        await asyncio.to_thread(self._put, key, receipt)

    def close(self) -> None:
        """Closes the file."""
        self._conn.close()


class RedisReceiptStore:
    """Receipts in Redis (shared by every gateway replica), one string per subject under a prefix.

    Args:
        url: the Redis URL.
        prefix: every key this store writes starts with it.
    """

    def __init__(self, url: str, prefix: str = "shopmesh:gateway:receipt:"):
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url)
        self._prefix = prefix

    async def get(self, key: str) -> Receipt | None:
        """See ReceiptStore."""
        raw = await self._redis.get(self._prefix + key)
        if not raw:
            return None
        return Receipt.from_json(raw if isinstance(raw, str) else raw.decode())

    async def put(self, key: str, receipt: Receipt) -> None:
        """See ReceiptStore."""
        await self._redis.set(self._prefix + key, receipt.to_json())

    async def close(self) -> None:
        """Closes the connection pool."""
        await self._redis.aclose()


class ExportLimiter:
    """One export per user per interval (exports are expensive and hold everything about a user).

    Args:
        interval_s: minimum time between two exports of one user; 0 disables the limit.
        clock: wall-clock seconds (a security/abuse limit, not an event time).
    """

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.time):
        self.interval_s = interval_s
        self._clock = clock
        self._last: dict[str, float] = {}

    def admit(self, user_id: str) -> None:
        """Records an export; raises ResourceExhausted (EXPORT_RATE_LIMITED, retry delay) when too soon."""
        if self.interval_s <= 0:
            return
        key, now = subject_key(user_id), self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            raise ResourceExhausted("one data export per user per interval; retry later",
                                    retry_after_seconds=self.interval_s - (now - last),
                                    reason="EXPORT_RATE_LIMITED", domain="shopmesh.gateway")
        self._last[key] = now

    def release(self, user_id: str) -> None:
        """Forgets an export that failed (the user may retry at once)."""
        self._last.pop(subject_key(user_id), None)

    async def forget_user(self, user_id: str) -> int:
        """Drops the user's limiter state (part of the gateway's deletion); returns entries removed."""
        return 1 if self._last.pop(subject_key(user_id), None) is not None else 0


@dataclass(frozen=True)
class Chunk:
    """One message of an export stream."""

    service: str
    section: str
    chunk_index: int
    last_chunk: bool
    content: bytes


@dataclass(frozen=True)
class ExportSummary:
    """The closing message of an export."""

    generate_us: int
    sections: list[str]
    record_counts: dict[str, int]


def chunks_of(section: Section) -> list[Chunk]:
    """A section as JSON documents of up to MAX_RECORDS_PER_CHUNK records (an object for single sections)."""
    if section.single:
        doc = section.records[0] if section.records else {}
        return [Chunk(section.service, section.section, 0, True, _json(doc))]
    parts = [section.records[i:i + MAX_RECORDS_PER_CHUNK]
             for i in range(0, len(section.records), MAX_RECORDS_PER_CHUNK)] or [[]]
    return [Chunk(section.service, section.section, n, n == len(parts) - 1, _json(part))
            for n, part in enumerate(parts)]


def _json(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _now_us() -> int:
    return int(time.time() * 1e6)


class DeletionIncomplete(Unavailable):
    """Some deletion steps failed; the finished ones stay done and a retry completes the rest."""

    def __init__(self, pending: Sequence[str]):
        super().__init__("the deletion is not complete yet; retry to finish it", reason="DELETION_INCOMPLETE",
                         domain="shopmesh.gateway", metadata={"pending_steps": ",".join(pending)})
        self.pending = list(pending)


class PrivacyRequests:
    """Export-my-data and delete-my-data over the participants of each request.

    Participants are passed per call (they carry the caller's user context), in deletion order: the vault
    first, so personal data is unreadable from the first step on.

    Args:
        receipts: where receipts are kept.
        limiter: the export limit.
        clock_us: wall-clock microseconds for receipt times (they record when a request happened).
    """

    def __init__(self, receipts: ReceiptStore, limiter: ExportLimiter, clock_us: Callable[[], int] = _now_us):
        self.receipts = receipts
        self.limiter = limiter
        self._clock_us = clock_us
        self._locks: dict[str, asyncio.Lock] = {}

    # --- export -----------------------------------------------------------------------------------------------

    async def export(self, user_id: str, participants: Sequence[Participant]
                     ) -> tuple[str, list[Chunk], ExportSummary]:
        """(export id, chunks, summary) of everything every participant holds; all or nothing.

        The gateway's own record, the receipt of an earlier deletion, is the "gateway/deletion_receipts"
        section.

        Raises:
            ResourceExhausted: EXPORT_RATE_LIMITED.
            Unavailable: a participant could not contribute (metadata {"dependency"}); nothing is returned.
        """
        self.limiter.admit(user_id)
        try:
            gathered = await asyncio.gather(*(self._export_one(p, user_id) for p in participants))
            receipt = await self.receipts.get(subject_key(user_id))
        except BaseException:
            self.limiter.release(user_id)
            raise
        sections = [s for part in gathered for s in part]
        sections.append(Section("gateway", "deletion_receipts", [asdict(receipt)] if receipt else []))
        chunks = [c for s in sections for c in chunks_of(s)]
        summary = ExportSummary(self._clock_us(), [f"{s.service}/{s.section}" for s in sections],
                                {f"{s.service}/{s.section}": len(s.records) for s in sections})
        return f"exp-{secrets.token_hex(8)}", chunks, summary

    @staticmethod
    async def _export_one(participant: Participant, user_id: str) -> list[Section]:
        try:
            return await participant.export(user_id)
        except DomainError as exc:
            raise Unavailable(f"{participant.name} cannot contribute to the export now; retry later",
                              reason="DEPENDENCY_UNAVAILABLE", domain="shopmesh.gateway",
                              metadata={"dependency": participant.name}) from exc

    # --- delete -----------------------------------------------------------------------------------------------

    async def delete(self, user_id: str, participants: Sequence[Participant]) -> tuple[Receipt, bool]:
        """(receipt, repeated): runs every step (each idempotent) and records the receipt.

        A repeat after a complete deletion that finds nothing new returns the stored receipt with repeated =
        True. A retry after a partial failure keeps the finished steps' results and completes the rest. A
        deletion after new data appeared (the user came back) gets a new receipt.

        Raises:
            DeletionIncomplete: some step failed (UNAVAILABLE, metadata {"pending_steps"}).
        """
        key = subject_key(user_id)
        async with self._locks.setdefault(key, asyncio.Lock()):  # one deletion of a user at a time per replica
            return await self._delete(key, user_id, participants)

    async def _delete(self, key: str, user_id: str, participants: Sequence[Participant]) -> tuple[Receipt, bool]:
        previous = await self.receipts.get(key)
        resuming = previous is not None and not previous.complete
        receipt = previous if resuming and previous is not None else Receipt(
            f"del-{secrets.token_hex(8)}", self._clock_us())
        fresh: list[Step] = []
        new_data = False
        pending: list[str] = []
        for participant in participants:  # in order: the vault's forget first
            try:
                erased = await participant.erase(user_id)
            except DomainError:
                pending.append(participant.name)
                continue
            earlier = previous.step(participant.name) if previous is not None else None
            if erased.deleted_anything:
                outcome = Outcome.DELETED
                new_data = new_data or not erased.derived
            elif earlier is not None or erased.already_deleted:
                outcome = Outcome.ALREADY_DELETED
            else:
                outcome = Outcome.NOTHING_HELD
            fresh.append(Step(participant.name, outcome, {k: v for k, v in erased.counts.items() if v > 0},
                              self._clock_us()))
        if previous is not None and previous.complete and not pending and not new_data:
            return previous, True
        for step in fresh:
            kept = receipt.step(step.service) if resuming else None
            if kept is None:
                receipt.steps.append(step)
            elif step.outcome == Outcome.DELETED:  # new data since the failed attempt: count it too
                kept.counts = {k: kept.counts.get(k, 0) + step.counts.get(k, 0)
                               for k in set(kept.counts) | set(step.counts)}
                kept.outcome, kept.complete_us = Outcome.DELETED, step.complete_us
        order = [p.name for p in participants]
        receipt.steps.sort(key=lambda s: order.index(s.service) if s.service in order else len(order))
        receipt.complete = not pending
        await self.receipts.put(key, receipt)
        if pending:
            raise DeletionIncomplete(pending)
        return receipt, False


class GatewayCaches:
    """The gateway's own per-user state as a participant (feed, cursor, vector and rate-limit caches...).

    Args:
        caches: objects with `async forget_user(user_id) -> int` (entries removed).
    """

    name = "gateway"

    def __init__(self, caches: Sequence[Any]):
        self.caches = list(caches)

    async def export(self, user_id: str) -> list[Section]:
        """Nothing: the caches hold short-lived copies of the other services' data, exported there."""
        return []

    async def erase(self, user_id: str) -> Erasure:
        """Drops every cached entry of the user."""
        removed = 0
        for cache in self.caches:
            removed += int(await cache.forget_user(user_id))
        return Erasure({"cache_entries": removed}, derived=True)
