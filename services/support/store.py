"""The session store interface: sessions and hand-offs as JSON documents, with atomic read-modify-write.

Documents hold only redacted text, ids, labels and normalised slots (the engine redacts through the vault
before anything reaches a store). Backends: store_sqlite.py (embedded), store_redis.py (production).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Doc = dict[str, Any]
Mutator = Callable[[Doc], Doc]


def handoff_order(doc: Doc) -> float:
    """The queue-order key of a hand-off: its creation time in epoch seconds (`_created`; the RFC 3339
    `create_time` is for people). Redis sorts the queue by it as a ZSET score, SQLite by a REAL column."""
    created = doc.get("_created", doc.get("create_time"))
    return float(created) if isinstance(created, int | float) else 0.0


class StoreUnavailable(Exception):
    """The backend cannot be reached (the engine maps it to UNAVAILABLE)."""


class SessionStore(Protocol):
    """Where sessions and hand-offs live."""

    async def get_session(self, session_id: str) -> Doc | None:
        """The session, or None when unknown or expired."""
        ...

    async def create_session(self, doc: Doc) -> None:
        """Stores a new session (doc["expire_time"] is its epoch expiry)."""
        ...

    async def update_session(self, session_id: str, mutate: Mutator) -> Doc | None:
        """Atomically replaces the session by mutate(current); None when it does not exist.

        mutate may raise to abort; the stored document is then unchanged.
        """
        ...

    async def delete_session(self, session_id: str) -> bool:
        """Deletes one session; True when it existed."""
        ...

    async def user_session_ids(self, user_id: str) -> list[str]:
        """Ids of the user's sessions still stored (expired ones may be listed; get_session filters)."""
        ...

    async def get_handoff(self, handoff_id: str) -> Doc | None:
        """The hand-off, or None."""
        ...

    async def create_handoff(self, doc: Doc) -> None:
        """Stores a new hand-off."""
        ...

    async def update_handoff(self, handoff_id: str, mutate: Mutator) -> Doc | None:
        """Atomic read-modify-write of a hand-off (of concurrent callers, each sees the previous write)."""
        ...

    async def list_handoffs(self) -> list[Doc]:
        """Every hand-off, oldest first."""
        ...

    async def delete_handoff(self, handoff_id: str) -> bool:
        """Deletes one hand-off."""
        ...

    async def scrub(self) -> None:
        """After a user's deletion: leaves no copy of deleted rows in the backend's files (SQLite's write-ahead
        log keeps old page images until a checkpoint); a no-op where the backend keeps none."""
        ...

    async def ping(self) -> bool:
        """True when the backend answers."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...
