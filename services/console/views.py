"""What the console shows: plain views of hand-offs, transcripts and orders, and the console's errors."""

from __future__ import annotations

from dataclasses import dataclass, field


class ConsoleError(Exception):
    """An outcome the agent is told about: an HTTP status, a key of the UI texts and its parameters."""

    def __init__(self, status: int, key: str, **params: str):
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Span:
    """A redacted value inside a transcript entry (code-point range of its placeholder, vault token)."""

    entity_type: str
    start: int
    end: int
    token: str


@dataclass(frozen=True)
class Entry:
    """One redacted transcript message."""

    sequence: int
    speaker: str
    text: str
    spans: tuple[Span, ...] = ()
    created_at: float = 0.0
    agent_id: str = ""
    intent: str = ""


@dataclass(frozen=True)
class Handoff:
    """A hand-off as the queue and the conversation view show it."""

    handoff_id: str
    session_id: str
    user_id: str
    state: str
    reason: str
    reason_text: str
    language: str
    intent: str
    sentiment: str
    summary: str
    created_at: float
    agent_id: str = ""
    assigned_at: float | None = None
    closed_at: float | None = None
    resolution: str = ""
    last_user_message: str = ""


@dataclass(frozen=True)
class OrderLine:
    title: str
    quantity: int


@dataclass(frozen=True)
class OrderSummary:
    """One of the customer's recent orders."""

    order_id: str
    status: str
    placed_at: float
    total: str
    lines: tuple[OrderLine, ...] = ()
    refunds: int = 0


@dataclass(frozen=True)
class QueueEvent:
    """A change of the queue (kind as support names it, lower case) or a new message of a held hand-off."""

    kind: str
    handoff_id: str
    entry: Entry | None = None


@dataclass(frozen=True)
class Revealed:
    """The vault's answer for one token: the masked form, and the clear value only when disclosed."""

    token: str
    masked: str
    clear: str = ""


@dataclass(frozen=True)
class Piece:
    """A part of a message as shown: plain text, or a redacted value (masked, revealable by span index)."""

    text: str
    entity_type: str = ""
    span_index: int = -1


@dataclass(frozen=True)
class ShownEntry:
    """A transcript entry cut into pieces for display."""

    entry: Entry
    pieces: tuple[Piece, ...] = field(default_factory=tuple)
