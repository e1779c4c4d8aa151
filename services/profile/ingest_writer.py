"""Group commit for the event log: concurrent IngestEvents calls share one INSERT and one commit.

The log has one writer connection (so sequences commit in order and the feature fold's applied sequence
is exact). Calls that arrive while a write is in flight queue up and go together in the next write, which
amortises the round trips and the commit (fsync) over every waiting batch. Each call still returns only
after its own events are committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from services.profile.model import Event

Outcome = tuple[set[str], dict[tuple[str, str], int]]
"""(users without consent, (user_id, event_id) -> sequence of this call's newly written events)."""
Append = Callable[[Sequence[Event], int, bool], Awaitable[Outcome]]
"""Writes events durably: (events, ingest time, consent default) -> outcome."""


class GroupWriter:
    """Coalesces concurrent writes of event batches.

    Args:
        append: writes one group to the log (one connection: its commits are in sequence order).
        default_granted: consent of users never asked.
        on_committed: receives each group's committed events in sequence order (the feature fold).
    """

    def __init__(self, append: Append, default_granted: bool, on_committed: Callable[[list[Event]], None]):
        self._append = append
        self._default = default_granted
        self._on_committed = on_committed
        self._pending: list[tuple[list[Event], int, asyncio.Future[Outcome]]] = []
        self._flushing = False

    async def write(self, events: list[Event], ingest_us: int) -> Outcome:
        """Writes `events` (already validated and deduplicated within the batch) durably."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((events, ingest_us, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                group, self._pending = self._pending, []
                events = [e for batch, _, _ in group for e in batch]
                ingest_us = max(t for _, t, _ in group)
                try:
                    denied, written = await self._append(events, ingest_us, self._default)
                except Exception as exc:
                    for _, _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                claimed: set[tuple[str, str]] = set()
                committed: list[Event] = []
                for batch, _, future in group:
                    mine: dict[tuple[str, str], int] = {}
                    for e in batch:
                        key = (e.user_id, e.event_id)
                        if key in written and key not in claimed:  # the first batch of the group owns it
                            claimed.add(key)
                            mine[key] = written[key]
                            e.sequence, e.ingest_time_us = written[key], ingest_us
                            committed.append(e)
                    if not future.done():
                        future.set_result((denied, mine))
                committed.sort(key=lambda e: e.sequence)
                self._on_committed(committed)
        finally:
            self._flushing = False
