"""The agents' side: the hand-off queue (list, get, take, reply, close) and the privacy RPCs.

Agents act through the console's mesh identity; revealing a redacted value is not done here: the console
calls the vault's Detokenize with the token from the transcript, its purpose and the agent's id, and the
vault authorises and audits it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.support.engine import SupportEngine, guarded, unknown_session
from services.support.records import (
    ASSIGNED,
    CLOSED,
    ENDED,
    HANDED_OFF,
    WAITING,
    WITHDRAWN,
    Doc,
    handoff_view,
    new_event,
    rfc3339,
    session_view,
)
from shared.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound

DOMAIN = "shopmesh.support"
MAX_AGENT_TEXT = 4000
MAX_NOTE = 1000
_DEFAULT_STATES = (WAITING, ASSIGNED)


def _unknown_handoff() -> NotFound:
    return NotFound("no such hand-off", reason="UNKNOWN_HANDOFF", domain=DOMAIN)


def _required(**fields: str) -> None:
    missing = [FieldViolation(name, "REQUIRED") for name, value in fields.items() if not value]
    if missing:
        raise InvalidArgument(f"{missing[0].field} is required", missing)


def _closed_error(state: str) -> FailedPrecondition:
    reason = "HANDOFF_CLOSED" if state == CLOSED else "HANDOFF_WITHDRAWN"
    return FailedPrecondition(f"the hand-off is {state.removeprefix('HANDOFF_STATE_').lower()}", reason=reason,
                              domain=DOMAIN)


class AgentDesk:
    """Hand-off operations over the engine's store.

    Args:
        engine: the conversation engine (store, vault redactor, live hub, clock).
    """

    def __init__(self, engine: SupportEngine):
        self.engine = engine
        self.store = engine.store
        self.hub = engine.hub

    async def list_handoffs(self, states: list[str], agent_id: str, language: str, page_size: int,
                   page_token: str) -> tuple[list[Doc], str]:
        """Hand-offs matching the filter, longest waiting first, one page."""
        if page_size > 200 or page_size < 0:
            raise InvalidArgument("page_size is 1 to 200", [FieldViolation("page_size", "OUT_OF_RANGE")])
        # ASCII ("²".isdigit() but int("²") raises) and short (int() refuses over 4,300 digits).
        if page_token and not (len(page_token) <= 9 and page_token.isascii() and page_token.isdigit()):
            raise InvalidArgument("bad page token", [FieldViolation("page_token", "INVALID_PAGE_TOKEN")])
        wanted = set(states or _DEFAULT_STATES)
        rows = [h for h in await guarded(self.store.list_handoffs()) if h["state"] in wanted
                and (not agent_id or h.get("agent_id") == agent_id)
                and (not language or h.get("language_code") == language)]
        start, size = int(page_token or 0), page_size or 50
        page = rows[start:start + size]
        token = str(start + size) if start + size < len(rows) else ""
        return [handoff_view(h) for h in page], token

    async def _handoff(self, handoff_id: str) -> Doc:
        _required(handoff_id=handoff_id)
        handoff = await guarded(self.store.get_handoff(handoff_id))
        if handoff is None:
            raise _unknown_handoff()
        return dict(handoff)

    async def get(self, handoff_id: str) -> tuple[Doc, list[Doc]]:
        """A hand-off and its session's redacted transcript."""
        handoff = await self._handoff(handoff_id)
        session = await guarded(self.store.get_session(handoff["session_id"]))
        return handoff_view(handoff), list(session["transcript"]) if session else []

    async def session(self, session_id: str) -> Doc:
        """GetSession for the console: only a session whose hand-off exists."""
        doc = await guarded(self.store.get_session(session_id))
        if doc is None or not doc.get("handoff_id"):
            raise unknown_session()
        return session_view(doc)

    async def _session_event(self, session_id: str, key: str, payload: dict[str, Any],
                             extra: Callable[[Doc], None] | None = None) -> Doc | None:
        def add(doc: Doc) -> Doc:
            if extra is not None:
                extra(doc)
            new_event(doc, self.engine.clock(), key, payload)
            return doc

        doc = await guarded(self.store.update_session(session_id, add))
        if doc is None:
            return None
        event: Doc = doc["_events"][-1]
        self.hub.publish(session_id, event)
        return doc

    async def take(self, handoff_id: str, agent_id: str, display_name: str) -> Doc:
        """Assigns a waiting hand-off; of concurrent callers exactly one wins (atomic read-modify-write)."""
        _required(handoff_id=handoff_id, agent_id=agent_id)
        now = self.engine.clock()
        changed = False

        def take(handoff: Doc) -> Doc:
            nonlocal changed
            if handoff["state"] == ASSIGNED and handoff["agent_id"] == agent_id:
                return handoff
            if handoff["state"] == ASSIGNED:
                raise FailedPrecondition("another agent holds this hand-off", reason="ALREADY_TAKEN",
                                         domain=DOMAIN, metadata={
                                             "agent_display_name": handoff.get("_agent_display_name", "")})
            if handoff["state"] in (CLOSED, WITHDRAWN):
                raise _closed_error(handoff["state"])
            handoff.update(state=ASSIGNED, agent_id=agent_id, assign_time=rfc3339(now),
                           _agent_display_name=display_name or "Agent")
            changed = True
            return handoff

        handoff = await guarded(self.store.update_handoff(handoff_id, take))
        if handoff is None:
            raise _unknown_handoff()
        if changed:
            await self._session_event(handoff["session_id"], "handoff_update", {
                "handoff_id": handoff_id, "state": ASSIGNED, "reason": handoff["reason"],
                "agent_display_name": handoff["_agent_display_name"]})
            self.hub.publish_handoff("HANDOFF_EVENT_KIND_TAKEN", handoff_view(handoff))
        return handoff_view(handoff)

    def _held(self, handoff: Doc, agent_id: str) -> None:
        if handoff["state"] in (CLOSED, WITHDRAWN):
            raise _closed_error(handoff["state"])
        if handoff["state"] != ASSIGNED or handoff["agent_id"] != agent_id:
            raise FailedPrecondition("the agent does not hold this hand-off", reason="NOT_ASSIGNED_TO_AGENT",
                                     domain=DOMAIN)

    async def reply(self, handoff_id: str, agent_id: str, text: str, cmid: str) -> tuple[Doc, bool]:
        """Sends the agent's message to the user (stored redacted); idempotent by client_message_id.

        Returns:
            The stored transcript entry and whether the user's stream was open on this replica.
        """
        _required(handoff_id=handoff_id, agent_id=agent_id, client_message_id=cmid)
        if not text.strip():
            raise InvalidArgument("text is empty", [FieldViolation("text", "EMPTY")])
        if len(text) > MAX_AGENT_TEXT:
            raise InvalidArgument("text is over 4,000 code points", [FieldViolation("text", "TOO_LONG")])
        handoff = await self._handoff(handoff_id)
        session = await guarded(self.store.get_session(handoff["session_id"]))
        if session is not None and cmid in session["_agent_messages"]:
            seq = session["_agent_messages"][cmid]
            earlier = next(e for e in session["transcript"] if e["sequence"] == seq
                           and e["speaker"] == "SPEAKER_AGENT")
            return earlier, False
        self._held(handoff, agent_id)
        # Agent text may repeat the customer's data: stored redacted (no tokens: it is not the user's input).
        redacted = await self.engine.redactor.redact(text, "", handoff["user_id"], tokenize=False)
        entry: Doc = {"speaker": "SPEAKER_AGENT", "text": redacted.text, "agent_id": agent_id,
                      "spans": [{"entity_type": s.entity_type, "start": s.start, "end": s.end, "token": s.token}
                                for s in redacted.spans]}
        live = self.hub.has_listeners(handoff["session_id"])
        payload = {"handoff_id": handoff_id, "agent_display_name": handoff.get("_agent_display_name", "Agent"),
                   "text": redacted.text, "client_message_id": cmid}

        def record(doc: Doc) -> None:
            entry["sequence"] = doc["_next_sequence"]
            entry["create_time"] = rfc3339(self.engine.clock())
            doc["transcript"].append(entry)
            doc["_agent_messages"][cmid] = entry["sequence"]

        if await self._session_event(handoff["session_id"], "agent_message", payload, record) is None:
            raise _closed_error(WITHDRAWN)
        self.hub.publish_handoff("HANDOFF_EVENT_KIND_AGENT_MESSAGE", handoff_view(handoff), entry)
        return entry, live

    async def close(self, handoff_id: str, agent_id: str, resolution: str, note: str) -> Doc:
        """Closes a held hand-off with a resolution; the session ends (AGENT_CLOSED)."""
        _required(handoff_id=handoff_id, agent_id=agent_id)
        if resolution in ("", "RESOLUTION_UNSPECIFIED"):
            raise InvalidArgument("resolution is required", [FieldViolation("resolution", "UNSPECIFIED")])
        if len(note) > MAX_NOTE:
            raise InvalidArgument("note is over 1,000 code points", [FieldViolation("note", "TOO_LONG")])
        current = await self._handoff(handoff_id)
        if current["state"] == CLOSED:
            if current.get("resolution") == resolution:
                return handoff_view(current)
            raise FailedPrecondition("closed before with another resolution", reason="ALREADY_CLOSED_DIFFERENTLY",
                                     domain=DOMAIN)
        self._held(current, agent_id)
        redacted_note = ""
        if note:
            redacted_note = (await self.engine.redactor.redact(note, "", current["user_id"], tokenize=False)).text
        now = self.engine.clock()

        def close(handoff: Doc) -> Doc:
            self._held(handoff, agent_id)
            handoff.update(state=CLOSED, resolution=resolution, resolution_note=redacted_note,
                           close_time=rfc3339(now))
            return handoff

        handoff = await guarded(self.store.update_handoff(handoff_id, close))
        if handoff is None:
            raise _unknown_handoff()
        await self._session_event(handoff["session_id"], "handoff_update", {
            "handoff_id": handoff_id, "state": CLOSED, "reason": handoff["reason"]})

        def end(doc: Doc) -> None:
            doc["state"] = ENDED

        await self._session_event(handoff["session_id"], "ended", {"reason": "CONVERSATION_END_REASON_AGENT_CLOSED"},
                                  end)
        self.hub.publish_handoff("HANDOFF_EVENT_KIND_CLOSED", handoff_view(handoff))
        return handoff_view(handoff)

    async def delete_user(self, user_id: str) -> tuple[int, int]:
        """Deletes the user's sessions and hand-offs; open streams end with USER_DELETED."""
        _required(user_id=user_id)
        sessions = handoffs = 0
        for session_id in await guarded(self.store.user_session_ids(user_id)):
            if self.hub.has_listeners(session_id):
                self.hub.publish(session_id, {"session_id": session_id, "sequence": 0, "create_time": rfc3339(
                    self.engine.clock()), "ended": {"reason": "CONVERSATION_END_REASON_USER_DELETED"}})
            sessions += bool(await guarded(self.store.delete_session(session_id)))
        for handoff in await guarded(self.store.list_handoffs()):
            if handoff["user_id"] == user_id:
                handoffs += bool(await guarded(self.store.delete_handoff(handoff["handoff_id"])))
        if sessions or handoffs:
            await guarded(self.store.scrub())
        return sessions, handoffs

    async def export_user(self, user_id: str) -> tuple[list[Doc], list[Doc]]:
        """Every retained session of the user (redacted transcripts) and their hand-offs."""
        _required(user_id=user_id)
        sessions = []
        for session_id in await guarded(self.store.user_session_ids(user_id)):
            doc = await guarded(self.store.get_session(session_id))
            if doc is not None:
                sessions.append(doc)
        sessions.sort(key=lambda d: d["_create_epoch"])
        handoffs = [handoff_view(h) for h in await guarded(self.store.list_handoffs()) if h["user_id"] == user_id]
        return [session_view(d) for d in sessions], handoffs


_ = HANDED_OFF  # imported for readers: a session is HANDED_OFF while its hand-off is WAITING or ASSIGNED.
