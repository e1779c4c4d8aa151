"""Shapes of the stored documents and events.

Sessions, hand-offs, transcript entries and conversation events are kept as dicts in the protobuf JSON
mapping of the support contract (field names as in the .proto, enums by name, timestamps in RFC 3339), so
the servicer turns them into messages with one json_format call and the domain needs no protobuf.
Keys starting with "_" are internal (counters, dedup maps) and never leave the service.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

Doc = dict[str, Any]

ACTIVE = "CONVERSATION_STATE_ACTIVE"
HANDED_OFF = "CONVERSATION_STATE_HANDED_OFF"
ENDED = "CONVERSATION_STATE_ENDED"

WAITING = "HANDOFF_STATE_WAITING"
ASSIGNED = "HANDOFF_STATE_ASSIGNED"
CLOSED = "HANDOFF_STATE_CLOSED"
WITHDRAWN = "HANDOFF_STATE_WITHDRAWN"

SENTIMENTS = {"negative": "SENTIMENT_NEGATIVE", "neutral": "SENTIMENT_NEUTRAL", "positive": "SENTIMENT_POSITIVE"}


def rfc3339(epoch: float) -> str:
    """An epoch time as the RFC 3339 string protobuf's JSON mapping reads for Timestamp."""
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def handoff_reason_enum(reason: str) -> str:
    """escalation.py's reason name -> the HandoffReason enum name."""
    return f"HANDOFF_REASON_{reason.upper()}"


def new_event(doc: Doc, now: float, payload_key: str, payload: dict[str, Any]) -> Doc:
    """Appends the session's next event (sequence strictly increasing from 1) and returns it."""
    doc["_next_sequence"] = int(doc.get("_next_sequence", 1))
    event = {"session_id": doc["session_id"], "sequence": doc["_next_sequence"], "create_time": rfc3339(now),
             payload_key: payload}
    doc["_next_sequence"] += 1
    doc.setdefault("_events", []).append(event)
    return event


def session_view(doc: Doc, with_transcript: bool = True) -> Doc:
    """The contract's Session message of a stored session (internal keys dropped)."""
    view = {k: v for k, v in doc.items() if not k.startswith("_") and k != "transcript"}
    view["create_time"] = rfc3339(doc["_create_epoch"])
    view["update_time"] = rfc3339(doc["_update_epoch"])
    view["expire_time"] = rfc3339(doc["expire_time"])
    view.pop("expire_time_epoch", None)
    view["slots"] = slot_list(doc)
    if with_transcript:
        view["transcript"] = list(doc.get("transcript", []))
    return view


def slot_list(doc: Doc) -> list[Doc]:
    """The session's captured slots as Slot messages."""
    return [{"name": name, "value": value, "turn_id": turn_id}
            for name, (value, turn_id) in sorted(doc["_dialogue"].get("slots", {}).items())]


def handoff_view(doc: Doc) -> Doc:
    """The contract's Handoff message (internal keys dropped)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def chunk_text(text: str, max_chars: int) -> list[str]:
    """Splits an answer into stream chunks at sentence ends (then spaces), each at most max_chars.

    The concatenation of the chunks is exactly `text`.
    """
    pieces: list[str] = []
    for sentence in [s for s in re.split(r"(?<=[.!?。！？；;]\s)|(?<=[。！？；])", text) if s]:
        rest = sentence
        while len(rest) > max_chars:
            cut = rest.rfind(" ", 0, max_chars)
            cut = cut + 1 if cut > 0 else max_chars
            pieces.append(rest[:cut])
            rest = rest[cut:]
        if pieces and len(pieces[-1]) + len(rest) <= max_chars:
            pieces[-1] += rest
        else:
            pieces.append(rest)
    return pieces or [""]
