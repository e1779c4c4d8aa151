"""In-process fan-out of live events: to a session's open Converse streams and to the console's
WatchHandoffs streams. A replica delivers what happens on it; every event is also in the store, so a
client that reconnects (to any replica) catches up by resuming.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]


@dataclass(eq=False)  # identity equality, hence hashable: watchers live in a set
class Watcher:
    """A WatchHandoffs stream: its filter and its queue."""

    states: frozenset[str]
    language: str
    agent_id: str
    queue: asyncio.Queue[Event | None]

    def wants(self, handoff: dict[str, Any], kind: str) -> bool:
        """Whether this watcher receives an event of `kind` about `handoff`."""
        if kind in ("HANDOFF_EVENT_KIND_USER_MESSAGE", "HANDOFF_EVENT_KIND_AGENT_MESSAGE"):
            return bool(self.agent_id) and handoff.get("agent_id") == self.agent_id
        # State changes are sent even when the new state leaves the filter, so consoles drop the row.
        return not (self.language and handoff.get("language_code") != self.language)


class LiveHub:
    """Queues of the streams open on this replica."""

    def __init__(self) -> None:
        self._sessions: dict[str, set[asyncio.Queue[Event | None]]] = defaultdict(set)
        self._watchers: set[Watcher] = set()

    def attach(self, session_id: str) -> asyncio.Queue[Event | None]:
        """A queue receiving the session's live events (agent messages, hand-off updates, ended)."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._sessions[session_id].add(queue)
        return queue

    def detach(self, session_id: str, queue: asyncio.Queue[Event | None]) -> None:
        """Stops delivering to the queue."""
        queues = self._sessions.get(session_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._sessions[session_id]

    def has_listeners(self, session_id: str) -> bool:
        """True when a stream of the session is open here."""
        return bool(self._sessions.get(session_id))

    def publish(self, session_id: str, event: Event) -> None:
        """Delivers a conversation event to the session's open streams."""
        for queue in list(self._sessions.get(session_id, ())):
            queue.put_nowait(event)

    def watch(self, watcher: Watcher) -> None:
        """Registers a WatchHandoffs stream."""
        self._watchers.add(watcher)

    def unwatch(self, watcher: Watcher) -> None:
        """Unregisters it."""
        self._watchers.discard(watcher)

    def publish_handoff(self, kind: str, handoff: dict[str, Any], entry: dict[str, Any] | None = None) -> None:
        """Delivers a queue event to the watchers that want it."""
        for watcher in list(self._watchers):
            if watcher.wants(handoff, kind):
                event: Event = {"kind": kind, "handoff": handoff}
                if entry is not None:
                    event["entry"] = entry
                watcher.queue.put_nowait(event)

    def close_all(self) -> None:
        """Ends every stream (server drain)."""
        for queues in self._sessions.values():
            for queue in queues:
                queue.put_nowait(None)
        for watcher in self._watchers:
            watcher.queue.put_nowait(None)
