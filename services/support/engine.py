"""The conversation: opening and resuming sessions, one turn (redact -> embed -> understand -> answer ->
stream), ending, and the hand-off it may start. No grpc here: events are contract-shaped dicts.

Privacy order of a turn: the raw text goes to the vault first; only the redacted text is embedded,
classified, stored and logged.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from services.support.answering import HANDOFF, Answer, Answerer, needs_profile
from services.support.language import detect_language
from services.support.live import LiveHub
from services.support.nlu import DialogueState, TurnUnderstanding, Understander
from services.support.peers import Redacted
from services.support.records import (
    ACTIVE,
    ENDED,
    HANDED_OFF,
    SENTIMENTS,
    WAITING,
    WITHDRAWN,
    Doc,
    chunk_text,
    handoff_reason_enum,
    handoff_view,
    new_event,
    rfc3339,
    session_view,
    slot_list,
)
from services.support.store import SessionStore, StoreUnavailable
from services.support.texts import text as canned
from shared.errors import FailedPrecondition, NotFound, Unavailable
from shared.logging import get_logger

_log = get_logger(__name__)
MAX_MESSAGE_CHARS = 2000
Emit = Callable[[Doc], Awaitable[None]]


class Redactor(Protocol):
    """The vault's redaction, seen from the engine."""

    async def redact(self, text: str, language: str, user_id: str, *, tokenize: bool = True) -> Redacted:
        """The redacted text and spans (tokens for user_id when tokenize)."""
        ...


class Encoder(Protocol):
    """Query vectors (the embedding service or the in-process model)."""

    async def embed(self, texts: list[str]) -> np.ndarray:
        """(n, d) vectors."""
        ...


@dataclass(frozen=True)
class EngineConfig:
    """Limits of the conversation."""

    session_ttl_seconds: int = 1800
    max_turns_per_minute: int = 20
    chunk_chars: int = 120


def unknown_session() -> NotFound:
    """The one error for a session that does not exist, expired, or is another user's."""
    return NotFound("no such session", reason="UNKNOWN_SESSION", domain="shopmesh.support")


async def guarded(call: Awaitable[Any]) -> Any:
    """Maps the store's outage to UNAVAILABLE."""
    try:
        return await call
    except StoreUnavailable as exc:
        raise Unavailable("the session store is unavailable; retry with backoff", reason="STORE_UNAVAILABLE",
                          domain="shopmesh.support") from exc


class SupportEngine:
    """Runs conversations.

    Args:
        store: the session store.
        redactor: the vault client.
        encoder: query vectors.
        understander: the NLU.
        answerer: answers from the KB and the profile service.
        hub: live fan-out on this replica.
        config: limits.
        clock: epoch seconds (tests move it to expire sessions).
    """

    def __init__(self, store: SessionStore, redactor: Redactor, encoder: Encoder, understander: Understander,  # noqa: PLR0917
                 answerer: Answerer, hub: LiveHub, config: EngineConfig, clock: Callable[[], float] = time.time):
        self.store = store
        self.redactor = redactor
        self.encoder = encoder
        self.understander = understander
        self.answerer = answerer
        self.hub = hub
        self.config = config
        self.clock = clock

    async def _own_session(self, user_id: str, session_id: str) -> Doc:
        doc = await guarded(self.store.get_session(session_id)) if session_id else None
        if doc is None or doc["user_id"] != user_id or doc["expire_time"] <= self.clock():
            raise unknown_session()
        return doc

    def _touch(self, doc: Doc) -> None:
        now = self.clock()
        doc["_update_epoch"] = now
        doc["expire_time"] = now + self.config.session_ttl_seconds

    async def open(self, user_id: str, session_id: str, resume_after: int, ui_language: str) -> list[Doc]:
        """Opens a new session or resumes the user's own; returns the events to send (opened, then replay).

        Raises:
            NotFound: UNKNOWN_SESSION (missing, expired, another user's).
            FailedPrecondition: SESSION_ENDED.
        """
        now = self.clock()
        if not session_id:
            doc: Doc = {"session_id": uuid.uuid4().hex, "user_id": user_id, "state": ACTIVE,
                        "language_code": ui_language if ui_language in ("en", "zh") else "", "handoff_id": "",
                        "transcript": [], "_create_epoch": now, "_update_epoch": now,
                        "expire_time": now + self.config.session_ttl_seconds, "_dialogue": asdict(DialogueState(
                            language=ui_language if ui_language in ("en", "zh") else "")),
                        "_answered": {}, "_turn_times": [], "_ui_language": ui_language, "_next_sequence": 1,
                        "_events": [], "_agent_messages": {}}
            opened = new_event(doc, now, "opened", self._opened(doc, resumed=False))
            await guarded(self.store.create_session(doc))
            _log.info("support.session_opened", session_id=doc["session_id"], resumed=False)
            return [opened]
        current = await self._own_session(user_id, session_id)
        if current["state"] == ENDED:
            raise FailedPrecondition("the session has ended", reason="SESSION_ENDED", domain="shopmesh.support")
        replay = [e for e in current["_events"] if e["sequence"] > resume_after and "opened" not in e]

        def resume(doc: Doc) -> Doc:
            self._touch(doc)
            new_event(doc, self.clock(), "opened", self._opened(doc, resumed=True))
            return doc

        updated = await guarded(self.store.update_session(session_id, resume))
        if updated is None:
            raise unknown_session()
        _log.info("support.session_opened", session_id=session_id, resumed=True, replayed=len(replay))
        return [updated["_events"][-1], *replay]

    def _opened(self, doc: Doc, *, resumed: bool) -> Doc:
        return {"resumed": resumed, "state": doc["state"], "language_code": doc["language_code"],
                "slots": slot_list(doc) if resumed else [], "expire_time": rfc3339(doc["expire_time"]),
                "handoff_id": doc["handoff_id"] if doc["state"] == HANDED_OFF else ""}

    async def _reject(self, session_id: str, cmid: str, reason: str, language: str) -> Doc:
        key = reason.lower()

        def add(doc: Doc) -> Doc:
            new_event(doc, self.clock(), "turn_rejected", {
                "client_message_id": cmid, "reason": f"TURN_REJECTION_REASON_{reason}",
                "text": canned(f"rejected.{key}", language)})
            return doc

        doc = await guarded(self.store.update_session(session_id, add))
        if doc is None:
            raise unknown_session()
        _log.info("support.turn_rejected", session_id=session_id, reason=reason)
        return dict(doc["_events"][-1])

    def _rate_limited(self, doc: Doc) -> bool:
        recent = [t for t in doc.get("_turn_times", []) if t > self.clock() - 60]
        return len(recent) >= self.config.max_turns_per_minute

    async def turn(self, user_id: str, session_id: str, cmid: str, message: str, emit: Emit) -> None:
        """Handles one user message, emitting its events in order (chunk 0 as soon as the intent is known).

        Args:
            user_id: the signed-in user.
            session_id: the stream's session.
            cmid: the message's client_message_id (a repeat replays the first answer).
            message: the raw text (never stored or logged as such).
            emit: sends an event on the caller's stream.
        """
        doc = await self._own_session(user_id, session_id)
        language = doc["language_code"] or doc["_ui_language"] or "en"
        if cmid in doc["_answered"]:
            wanted = set(doc["_answered"][cmid])
            for event in doc["_events"]:
                if event["sequence"] in wanted:
                    await emit(event)
            return
        reason = None
        if doc["state"] == ENDED:
            reason = "SESSION_ENDED"
        elif not message.strip():
            reason = "EMPTY"
        elif len(message) > MAX_MESSAGE_CHARS:
            reason = "TOO_LONG"
        elif self._rate_limited(doc):
            reason = "RATE_LIMITED"
        if reason:
            await emit(await self._reject(session_id, cmid, reason, language))
            return
        detected = detect_language(message).code
        try:
            redacted = await self.redactor.redact(message, detected, user_id)
        except Unavailable:
            await self._vault_down(doc, cmid, detected or language, emit)
            return
        if doc["state"] == HANDED_OFF:
            await self._to_agent(doc, cmid, redacted)
            return
        await self._bot_turn(user_id, doc, cmid, redacted, emit)

    async def _bot_turn(self, user_id: str, doc: Doc, cmid: str, redacted: Redacted, emit: Emit) -> None:
        session_id = doc["session_id"]
        turn_id = uuid.uuid4().hex[:16]
        state = DialogueState(**{**doc["_dialogue"], "slots": {k: tuple(v) for k, v in doc["_dialogue"][
            "slots"].items()}})
        try:
            vector = (await self.encoder.embed([redacted.text]))[0]
        except Unavailable:
            vector = None
        if vector is None:
            u = None
            answer: Answer | None = Answer(canned("handoff.data_unavailable", state.language or "en"), HANDOFF,
                                           handoff_reason="data_unavailable")
        else:
            u = self.understander.understand(redacted.text, vector, state, turn_id,
                                             ui_language=doc["_ui_language"])
            answer = self.answerer.immediate(vector, u, state)
        language = u.language if u else (state.language or "en")
        understanding = self._understanding(u, state, language)
        first_text = canned("checking", language) if answer is None else ""
        chunks = chunk_text(answer.text, self.config.chunk_chars) if answer is not None else [first_text]
        user_entry = {"speaker": "SPEAKER_USER", "text": redacted.text, "understanding": understanding,
                      "spans": [{"entity_type": s.entity_type, "start": s.start, "end": s.end, "token": s.token}
                                for s in redacted.spans]}

        def first(current: Doc) -> Doc:
            now = self.clock()
            self._touch(current)
            current["_turn_times"] = [t for t in current["_turn_times"] if t > now - 60] + [now]
            current["_dialogue"] = asdict(state)
            current["language_code"] = state.language or current["language_code"]
            event = new_event(current, now, "bot_reply", {
                "turn_id": turn_id, "client_message_id": cmid, "chunk_index": 0, "text": chunks[0],
                "understanding": understanding, "final": False})
            current["transcript"].append({**user_entry, "sequence": event["sequence"], "create_time": rfc3339(now)})
            current["_answered"][cmid] = [event["sequence"]]
            return current

        stored = await guarded(self.store.update_session(session_id, first))
        if stored is None:
            raise unknown_session()
        chunk0 = stored["_events"][-1]
        if answer is None:
            assert u is not None and vector is not None and needs_profile(u)
            await emit(chunk0)
            answer = await self.answerer.from_user_data(user_id, vector, u, state, redacted_text=redacted.text,
                                                        request_key=f"{session_id}:{cmid}")
            rest = chunk_text(answer.text, self.config.chunk_chars)
        else:
            rest = chunks[1:]
            if rest:
                await emit(chunk0)
        events = await self._finish(session_id, cmid, turn_id, understanding, answer, rest=rest, chunk0=chunk0,
                                    emit=emit, u=u, redacted_text=redacted.text)
        _log.info("support.turn", session_id=session_id, turn_id=turn_id, intent=understanding["intent_id"],
                  out_of_scope=understanding["out_of_scope"], source=answer.source, handoff=answer.handoff_reason,
                  events=len(events))

    def _understanding(self, u: TurnUnderstanding | None, state: DialogueState, language: str) -> Doc:
        slots = [{"name": n, "value": v, "turn_id": t} for n, (v, t) in sorted(state.slots.items())]
        if u is None:
            return {"intent_id": "", "confidence": 0.0, "out_of_scope": False, "slots": slots,
                    "language_code": language, "sentiment": "SENTIMENT_UNSPECIFIED", "sentiment_score": 0.0,
                    "frustration_detected": False}
        return {"intent_id": "" if u.out_of_scope else u.intent_id, "confidence": round(u.confidence, 4),
                "out_of_scope": u.out_of_scope, "slots": slots, "language_code": u.language,
                "sentiment": SENTIMENTS[u.sentiment.label], "sentiment_score": round(u.sentiment.score, 4),
                "frustration_detected": u.sentiment.frustration}

    async def _finish(self, session_id: str, cmid: str, turn_id: str, understanding: Doc, answer: Answer, *,
                      rest: list[str], chunk0: Doc, emit: Emit, u: TurnUnderstanding | None,
                      redacted_text: str) -> list[Doc]:
        """Stores the remaining chunks, the bot's transcript entry and any hand-off; emits them."""
        handoff: Doc | None = None
        notice = None
        if answer.handoff_reason:
            notice = {"reason": handoff_reason_enum(answer.handoff_reason), "text": answer.text}

        def finish(current: Doc) -> Doc:
            nonlocal handoff
            now = self.clock()
            pieces = rest or []
            total = len(pieces) + 1
            final_index = total - 1
            for index, piece in enumerate(pieces, start=1):
                payload = {"turn_id": turn_id, "client_message_id": cmid, "chunk_index": index, "text": piece,
                           "final": index == final_index}
                if index == final_index:
                    payload.update(understanding=understanding, answer_source=answer.source,
                                   citations=answer.citations, handoff=notice)
                new_event(current, now, "bot_reply", {k: v for k, v in payload.items() if v is not None})
            if not pieces:
                # A one-chunk answer: chunk 0 itself is final; rewrite it in place (not sent yet).
                chunk = next(e for e in current["_events"] if e["sequence"] == chunk0["sequence"])
                chunk["bot_reply"].update(final=True, answer_source=answer.source, citations=answer.citations,
                                          **({"handoff": notice} if notice else {}))
            added = [e for e in current["_events"] if e["sequence"] >= chunk0["sequence"]]
            current["_answered"][cmid] = [e["sequence"] for e in added]
            current["transcript"].append({"speaker": "SPEAKER_BOT", "text": answer.text, "citations": answer.citations,
                                          "sequence": added[-1]["sequence"], "create_time": rfc3339(now)})
            if notice is not None and current["state"] == ACTIVE:
                handoff = self._new_handoff(current, notice, understanding, u, redacted_text=redacted_text, now=now)
                current["state"], current["handoff_id"] = HANDED_OFF, handoff["handoff_id"]
                current["transcript"].append({"speaker": "SPEAKER_SYSTEM", "text": notice["text"],
                                              "sequence": added[-1]["sequence"], "create_time": rfc3339(now)})
                new_event(current, now, "handoff_update", {"handoff_id": handoff["handoff_id"], "state": WAITING,
                                                           "reason": notice, "queue_position": 1})
                current["_answered"][cmid].append(current["_events"][-1]["sequence"])
            return current

        # Chunk 0 went out early only when more chunks follow; a one-chunk answer is sent once, final.
        stored = await guarded(self.store.update_session(session_id, finish))
        if stored is None:
            raise unknown_session()
        if handoff is not None:
            await guarded(self.store.create_handoff(handoff))
            self.hub.publish_handoff("HANDOFF_EVENT_KIND_CREATED", handoff_view(handoff))
        wanted = set(stored["_answered"][cmid])
        emitted_first = bool(rest)
        out = [e for e in stored["_events"] if e["sequence"] in wanted
               and (not emitted_first or e["sequence"] != chunk0["sequence"])]
        for event in out:
            await emit(event)
        return out

    def _new_handoff(self, doc: Doc, notice: Doc, understanding: Doc, u: TurnUnderstanding | None, *,
                     redacted_text: str, now: float) -> Doc:
        slots = ", ".join(f"{s['name']}={s['value']}" for s in understanding["slots"]) or "none"
        intent = understanding["intent_id"] or (u.intent_id if u else "") or "unknown"
        summary = (f"[{doc['language_code'] or 'en'}] intent {intent} ({understanding['confidence']:.2f}), "
                   f"sentiment {understanding['sentiment'].removeprefix('SENTIMENT_').lower()}, slots: {slots}. "
                   f"Hand-off: {notice['reason'].removeprefix('HANDOFF_REASON_').lower()}. "
                   f"Last message: {redacted_text[:200]}")
        return {"handoff_id": uuid.uuid4().hex, "session_id": doc["session_id"], "user_id": doc["user_id"],
                "state": WAITING, "reason": notice, "language_code": doc["language_code"] or "en",
                "intent_id": intent if intent != "unknown" else "", "sentiment": understanding["sentiment"],
                "summary": summary, "create_time": rfc3339(now), "_created": now, "agent_id": "",
                "last_user_message": redacted_text[:500]}

    async def _vault_down(self, doc: Doc, cmid: str, language: str, emit: Emit) -> None:
        """The vault is down: the message is not stored (it could not be redacted); the turn hands off as
        DATA_UNAVAILABLE so a person can pick the conversation up."""
        notice = {"reason": "HANDOFF_REASON_DATA_UNAVAILABLE", "text": canned("handoff.data_unavailable", language)}
        handoff: Doc | None = None

        def add(current: Doc) -> Doc:
            nonlocal handoff
            now = self.clock()
            event = new_event(current, now, "bot_reply", {
                "turn_id": uuid.uuid4().hex[:16], "client_message_id": cmid, "chunk_index": 0,
                "text": notice["text"], "final": True, "answer_source": HANDOFF, "handoff": notice})
            current["_answered"][cmid] = [event["sequence"]]
            if current["state"] == ACTIVE:
                understanding = self._understanding(None, DialogueState(), language)
                handoff = self._new_handoff(current, notice, understanding, None, now=now,
                                            redacted_text="(not stored: the vault was unavailable)")
                current["state"], current["handoff_id"] = HANDED_OFF, handoff["handoff_id"]
                new_event(current, now, "handoff_update", {"handoff_id": handoff["handoff_id"], "state": WAITING,
                                                           "reason": notice, "queue_position": 1})
                current["_answered"][cmid].append(current["_events"][-1]["sequence"])
            return current

        stored = await guarded(self.store.update_session(doc["session_id"], add))
        if stored is None:
            raise unknown_session()
        _log.warning("support.vault_unavailable", session_id=doc["session_id"])
        if handoff is not None:
            await guarded(self.store.create_handoff(handoff))
            self.hub.publish_handoff("HANDOFF_EVENT_KIND_CREATED", handoff_view(handoff))
        wanted = set(stored["_answered"][cmid])
        for event in stored["_events"]:
            if event["sequence"] in wanted:
                await emit(event)

    async def _to_agent(self, doc: Doc, cmid: str, redacted: Redacted) -> None:
        """While handed off, user messages go to the transcript and the agent, not to the bot."""
        entry: Doc = {"speaker": "SPEAKER_USER", "text": redacted.text,
                      "spans": [{"entity_type": s.entity_type, "start": s.start, "end": s.end, "token": s.token}
                                for s in redacted.spans]}

        def add(current: Doc) -> Doc:
            now = self.clock()
            self._touch(current)
            entry["sequence"] = current.get("_next_sequence", 1) - 1
            entry["create_time"] = rfc3339(now)
            current["transcript"].append(entry)
            current["_answered"][cmid] = []
            return current

        stored = await guarded(self.store.update_session(doc["session_id"], add))
        if stored is None:
            raise unknown_session()

        def preview(handoff: Doc) -> Doc:
            handoff["last_user_message"] = redacted.text[:500]
            return handoff

        handoff = await guarded(self.store.update_handoff(doc["handoff_id"], preview))
        if handoff is not None:
            self.hub.publish_handoff("HANDOFF_EVENT_KIND_USER_MESSAGE", handoff_view(handoff), entry)

    async def end(self, user_id: str, session_id: str) -> Doc:
        """The user ends the chat: the session ends, an open hand-off is withdrawn. Returns the ended event."""
        await self._own_session(user_id, session_id)
        withdrawn: list[str] = []

        def end(current: Doc) -> Doc:
            if current["state"] == HANDED_OFF and current["handoff_id"]:
                withdrawn.append(current["handoff_id"])
            current["state"] = ENDED
            new_event(current, self.clock(), "ended", {"reason": "CONVERSATION_END_REASON_USER_ENDED"})
            return current

        stored = await guarded(self.store.update_session(session_id, end))
        if stored is None:
            raise unknown_session()
        for handoff_id in withdrawn:
            await self._withdraw(handoff_id)
        return dict(stored["_events"][-1])

    async def _withdraw(self, handoff_id: str) -> None:
        def withdraw(handoff: Doc) -> Doc:
            if handoff["state"] in (WAITING, "HANDOFF_STATE_ASSIGNED"):
                handoff["state"], handoff["close_time"] = WITHDRAWN, rfc3339(self.clock())
            return handoff

        handoff = await guarded(self.store.update_handoff(handoff_id, withdraw))
        if handoff is not None:
            self.hub.publish_handoff("HANDOFF_EVENT_KIND_WITHDRAWN", handoff_view(handoff))

    async def session_for_user(self, user_id: str, session_id: str) -> Doc:
        """GetSession for the end user: their own session, with its redacted transcript."""
        return session_view(await self._own_session(user_id, session_id))
