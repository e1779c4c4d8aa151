"""The agent's desk: what an agent may see and do with hand-offs, free of HTTP and gRPC.

Rules:
- The queue shows waiting hand-offs (longest waiting first) and the agent's own.
- A conversation's customer context (recent orders, masked values) is shown only to the agent holding it;
  anyone signed in sees the redacted transcript and the bot's summary, so they can decide to take it.
- A reveal needs the `reveal` permission, the hand-off held by the agent, and one of REVEAL_PURPOSES; an
  agent without the permission is refused before the vault is asked, so no clear value is ever fetched.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Protocol

from services.console.accounts import Agent
from services.console.views import (
    ConsoleError,
    Entry,
    Handoff,
    OrderSummary,
    Piece,
    QueueEvent,
    Revealed,
    ShownEntry,
)

VIEW_PURPOSE = "console.view_customer"
REVEAL_PURPOSES = {
    "verify_identity": "console.reveal_to_verify_identity",
    "contact_customer": "console.reveal_to_contact_customer",
    "fix_delivery": "console.reveal_to_fix_delivery",
}
RESOLUTIONS = ("resolved", "follow_up", "customer_unresponsive", "invalid")
MAX_NOTE_CHARS = 1000


class DeskPeers(Protocol):
    """What the desk needs from the mesh (services/console/peers.py over gRPC)."""

    async def list_queue(self, agent_id: str = "") -> list[Handoff]: ...

    async def get_handoff(self, handoff_id: str) -> tuple[Handoff, list[Entry]]: ...

    async def take(self, handoff_id: str, agent_id: str, display_name: str) -> Handoff: ...

    async def reply(self, handoff_id: str, agent_id: str, text: str,
                    client_message_id: str) -> tuple[Entry, bool]: ...

    async def close(self, handoff_id: str, agent_id: str, resolution: str, note: str) -> Handoff: ...

    def watch(self, agent_id: str) -> AsyncIterator[QueueEvent]: ...

    async def recent_orders(self, user_id: str, agent_id: str, count: int) -> list[OrderSummary]: ...

    async def detokenize(self, tokens: list[str], agent_id: str, purpose: str, clear: bool) -> list[Revealed]: ...


def pieces(entry: Entry, masked: dict[str, str] | None = None) -> ShownEntry:
    """An entry cut at its redacted spans; a span shows its masked form when known, else its placeholder."""
    out: list[Piece] = []
    cursor = 0
    for i, span in enumerate(entry.spans):
        if span.start < cursor or span.end > len(entry.text) or span.end <= span.start:
            continue  # malformed span: the text around it still shows
        if span.start > cursor:
            out.append(Piece(entry.text[cursor:span.start]))
        shown = (masked or {}).get(span.token) or entry.text[span.start:span.end]
        out.append(Piece(shown, span.entity_type, i))
        cursor = span.end
    if cursor < len(entry.text):
        out.append(Piece(entry.text[cursor:]))
    return ShownEntry(entry, tuple(out))


class Conversation:
    """Everything the conversation view shows."""

    def __init__(self, handoff: Handoff, entries: list[ShownEntry], orders: list[OrderSummary] | None,
                 held: bool, orders_unavailable: bool = False):
        self.handoff = handoff
        self.entries = entries
        self.orders = orders
        self.held = held
        self.orders_unavailable = orders_unavailable


class Desk:
    """The agent-facing operations over the mesh peers."""

    def __init__(self, peers: DeskPeers, *, max_reply_chars: int = 4000, recent_orders: int = 5):
        self.peers = peers
        self.max_reply_chars = max_reply_chars
        self.recent_orders = recent_orders

    async def queue(self, agent: Agent) -> list[Handoff]:
        """Waiting hand-offs and the agent's own, longest waiting first."""
        handoffs = await self.peers.list_queue()
        shown = [h for h in handoffs if h.state == "waiting" or h.agent_id == agent.agent_id]
        return sorted(shown, key=lambda h: (h.state != "waiting", h.created_at))

    async def conversation(self, agent: Agent, handoff_id: str) -> Conversation:
        """The conversation view: transcript (masked values and orders only for the holder)."""
        handoff, entries = await self.peers.get_handoff(handoff_id)
        held = handoff.state == "assigned" and handoff.agent_id == agent.agent_id
        masked: dict[str, str] = {}
        orders: list[OrderSummary] | None = None
        unavailable = False
        if held:
            tokens = sorted({s.token for e in entries for s in e.spans if s.token})
            try:
                masked = {r.token: r.masked for r in
                          await self.peers.detokenize(tokens, agent.agent_id, VIEW_PURPOSE, clear=False)}
            except ConsoleError as exc:
                if exc.status != 503:
                    raise
            try:
                orders = await self.peers.recent_orders(handoff.user_id, agent.agent_id, self.recent_orders)
            except ConsoleError as exc:
                if exc.status not in (503, 404):
                    raise
                unavailable = exc.status == 503
                orders = None if unavailable else []
        return Conversation(handoff, [pieces(e, masked) for e in entries], orders, held, unavailable)

    async def take(self, agent: Agent, handoff_id: str) -> Handoff:
        """Takes a waiting hand-off; another agent's is a 409 naming who holds it."""
        return await self.peers.take(handoff_id, agent.agent_id, agent.display_name)

    async def reply(self, agent: Agent, handoff_id: str, text: str, client_message_id: str) -> tuple[Entry, bool]:
        """Sends the agent's message to the customer (idempotent by client_message_id)."""
        text = text.strip()
        if not text:
            raise ConsoleError(400, "reply_empty")
        if len(text) > self.max_reply_chars:
            raise ConsoleError(413, "reply_too_long", limit=str(self.max_reply_chars))
        try:
            message_id = str(uuid.UUID(client_message_id))
        except ValueError:
            message_id = str(uuid.uuid4())
        return await self.peers.reply(handoff_id, agent.agent_id, text, message_id)

    async def close(self, agent: Agent, handoff_id: str, resolution: str, note: str) -> Handoff:
        """Closes a held hand-off with a resolution tag (and an optional note, stored redacted)."""
        if resolution not in RESOLUTIONS:
            raise ConsoleError(400, "resolution_required")
        if len(note) > MAX_NOTE_CHARS:
            raise ConsoleError(413, "note_too_long", limit=str(MAX_NOTE_CHARS))
        return await self.peers.close(handoff_id, agent.agent_id, resolution, note.strip())

    async def reveal(self, agent: Agent, handoff_id: str, sequence: int, span_index: int, reason: str) -> Revealed:
        """One redacted value in clear, for the agent holding the hand-off, with a stated reason (audited)."""
        if not agent.may_reveal:
            raise ConsoleError(403, "reveal_not_permitted")
        purpose = REVEAL_PURPOSES.get(reason)
        if purpose is None:
            raise ConsoleError(400, "reveal_reason_required")
        handoff, entries = await self.peers.get_handoff(handoff_id)
        if handoff.state != "assigned" or handoff.agent_id != agent.agent_id:
            raise ConsoleError(409, "not_yours")
        entry = next((e for e in entries if e.sequence == sequence), None)
        if entry is None or not 0 <= span_index < len(entry.spans) or not entry.spans[span_index].token:
            raise ConsoleError(404, "not_found")
        got = await self.peers.detokenize([entry.spans[span_index].token], agent.agent_id, purpose, clear=True)
        if not got or not got[0].clear:
            raise ConsoleError(403, "reveal_denied_by_policy")
        return got[0]
