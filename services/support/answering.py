"""Choosing and writing the answer to an understood turn: FAQ (retrieved, re-ranked, cited), the user's
own data through the profile service, a clarifying question, a decline, or a hand-off notice.

The user id always comes from the caller (the signed user context), never from the message: "show me
user 42's orders" reads the caller's own orders, and an order number that is not theirs is "not found".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np

from services.support.kb import KnowledgeBase
from services.support.nlu import DialogueState, TurnUnderstanding
from services.support.texts import text
from services.support.userdata import (
    DataUnavailable,
    ProfilePort,
    cancel_text,
    not_your_order_text,
    order_status_text,
    points_text,
    refunds_text,
    which_order_text,
)

FAQ, USER_DATA, CLARIFICATION = "ANSWER_SOURCE_FAQ", "ANSWER_SOURCE_USER_DATA", "ANSWER_SOURCE_CLARIFICATION"
OUT_OF_SCOPE, CHITCHAT, HANDOFF = "ANSWER_SOURCE_OUT_OF_SCOPE", "ANSWER_SOURCE_CHITCHAT", "ANSWER_SOURCE_HANDOFF"
USER_DATA_INTENTS = frozenset({"order.status", "refund.status", "points.balance", "order.cancel"})


@dataclass
class Answer:
    """What the bot says for one turn.

    Attributes:
        text: the whole answer (streamed in chunks).
        source: AnswerSource enum name.
        citations: FaqCitation dicts, best first.
        handoff_reason: escalation reason name when this turn hands off.
    """

    text: str
    source: str
    citations: list[dict[str, object]] = field(default_factory=list)
    handoff_reason: str | None = None


def needs_profile(u: TurnUnderstanding) -> bool:
    """Whether the answer reads the user's data (so chunk 0 is a short "let me check" while it loads)."""
    return u.handoff_reason is None and not u.out_of_scope and u.intent_id in USER_DATA_INTENTS


class Answerer:
    """Builds answers from the KB and the profile service.

    Args:
        kb: the FAQ knowledge base.
        profile: the profile service port.
    """

    def __init__(self, kb: KnowledgeBase, profile: ProfilePort):
        self.kb = kb
        self.profile = profile

    def _cite(self, vector: np.ndarray, u: TurnUnderstanding, state: DialogueState) -> list[dict[str, object]]:
        hits = self.kb.search(vector, u.language, u.intent_id, u.confidence, slots=state.slot_values())
        return [{"faq_id": h.entry.faq_id, "title": h.entry.title, "language_code": h.entry.language,
                 "score": round(h.score, 4)} for h in hits]

    def immediate(self, vector: np.ndarray, u: TurnUnderstanding, state: DialogueState) -> Answer | None:
        """The answer when no remote call is needed (FAQ, chitchat, decline, hand-off); None otherwise."""
        lang = u.language
        if u.handoff_reason:
            return Answer(text(f"handoff.{u.handoff_reason}", lang), HANDOFF, handoff_reason=u.handoff_reason)
        if not u.supported_language:
            return Answer(text("unsupported_language", lang), OUT_OF_SCOPE)
        if u.out_of_scope:
            return Answer(text("out_of_scope", lang), OUT_OF_SCOPE)
        if u.intent_id in USER_DATA_INTENTS:
            return None
        citations = self._cite(vector, u, state)
        if not citations:
            return Answer(text("out_of_scope", lang), OUT_OF_SCOPE)
        best = self.kb.entry(str(citations[0]["faq_id"]), lang)
        source = CHITCHAT if u.intent_id.startswith("chitchat.") else FAQ
        return Answer(best.answer if best else "", source, citations)

    async def from_user_data(self, user_id: str, vector: np.ndarray, u: TurnUnderstanding, state: DialogueState,
                             *, redacted_text: str, request_key: str) -> Answer:
        """The answer from the user's own data; a DATA_UNAVAILABLE hand-off when the profile is down.

        Args:
            user_id: the signed-in user (from the verified user context, never from the text).
            vector / u / state: the turn.
            redacted_text: the message, redacted (the cancellation reason sent to the outbox).
            request_key: stable per turn, so a retried turn does not file two cancellation requests.
        """
        lang = u.language
        slots = state.slot_values()
        order_id = slots.get("order_id", "")
        citations = self._cite(vector, u, state)
        try:
            if u.intent_id == "points.balance":
                return Answer(points_text(await self.profile.points(user_id), lang), USER_DATA, citations)
            if u.intent_id == "order.cancel":
                if not order_id:
                    return Answer(text("ask.order_id", lang), CLARIFICATION, citations)
                request_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"support:{request_key}:{order_id}"))
                outcome = await self.profile.request_cancellation(user_id, order_id, redacted_text, request_id)
                return Answer(cancel_text(order_id, outcome, lang), USER_DATA, citations)
            if u.intent_id == "refund.status":
                refunds = await self.profile.refunds(user_id, order_id)
                if refunds is None:
                    return Answer(not_your_order_text(order_id, lang), USER_DATA, citations)
                return Answer(refunds_text(refunds, lang), USER_DATA, citations)
            # order.status
            if order_id:
                order = await self.profile.order(user_id, order_id)
                if order is None:
                    return Answer(not_your_order_text(order_id, lang), USER_DATA, citations)
                return Answer(order_status_text(order, lang), USER_DATA, citations)
            orders = await self.profile.recent_orders(user_id)
            if len(orders) == 1:
                return Answer(order_status_text(orders[0], lang), USER_DATA, citations)
            return Answer(which_order_text(orders, lang), CLARIFICATION, citations)
        except DataUnavailable:
            return Answer(text("handoff.data_unavailable", lang), HANDOFF, citations,
                          handoff_reason="data_unavailable")
