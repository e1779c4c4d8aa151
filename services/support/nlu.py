"""Understanding one turn in its conversation: language, intent (with follow-ups), slots, sentiment and the
hand-off decision. Pure domain logic: vectors come in, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from services.support.escalation import EscalationPolicy
from services.support.intent_model import IntentModel
from services.support.language import detect_language
from services.support.sentiment import SentimentModel, SentimentResult
from services.support.slots import ORDER_ID, extract_slots

_FOLLOWUP = re.compile(r"^\s*(and|what about|how about|also|or|same for|what if)\b|^\s*那|呢\s*[?？]*\s*$", re.I)
_NOT_FAILURES = ("chitchat.greeting", "chitchat.thanks")
FOLLOWUP_OVERRIDE_CONFIDENCE = 0.8
"""A follow-up keeps the session's intent unless the classifier is at least this sure of another one."""


@dataclass
class DialogueState:
    """What a session remembers between turns (all of it redacted-safe: ids, labels, normalised slots).

    Attributes:
        language: the session language ("en", "zh"; "" until known).
        intent_id / confidence: the latest in-scope intent and its confidence.
        slots: slot name -> (normalised value, turn id that set it).
        failures_in_row / low_confidence_in_row: for the escalation policy.
    """

    language: str = ""
    intent_id: str = ""
    confidence: float = 0.0
    slots: dict[str, tuple[str, str]] = field(default_factory=dict)
    failures_in_row: int = 0
    low_confidence_in_row: int = 0

    def slot_values(self) -> dict[str, str]:
        """slot name -> value."""
        return {name: value for name, (value, _) in self.slots.items()}


@dataclass(frozen=True)
class TurnUnderstanding:
    """The result of one turn.

    Attributes:
        language: detected language, or the session's when inconclusive.
        supported_language: False when written in a language the bot does not speak.
        intent_id / confidence / out_of_scope: the intent decision (follow-ups keep the session's).
        followup: True when the turn was read as a follow-up of the session's intent.
        new_slots: slots captured (or changed) by this turn.
        sentiment: sentiment and cues.
        handoff_reason: escalation reason (escalation.py names), or None.
    """

    language: str
    supported_language: bool
    intent_id: str
    confidence: float
    out_of_scope: bool
    followup: bool
    new_slots: dict[str, str]
    sentiment: SentimentResult
    handoff_reason: str | None


def _slot_only(text: str, slots: dict[str, str]) -> bool:
    """True when the message is little more than slot values ("#a10023", "订单号b20417", "it's save10")."""
    rest = ORDER_ID.sub(" ", text)
    for value in slots.values():
        rest = re.sub(re.escape(value), " ", rest, flags=re.I)
    words = re.findall(r"[A-Za-z]+", rest)
    han = re.findall(r"[\u4e00-\u9fff]", rest)
    return bool(slots) and len(words) <= 5 and len(han) <= 5


class Understander:
    """Runs the NLU of one turn against the session's state.

    Args:
        intents: the trained intent classifier.
        sentiment: the sentiment model.
        policy: the escalation policy.
    """

    def __init__(self, intents: IntentModel, sentiment: SentimentModel, policy: EscalationPolicy | None = None):
        self.intents = intents
        self.sentiment = sentiment
        self.policy = policy or EscalationPolicy()

    def understand(self, text: str, vector: np.ndarray, state: DialogueState, turn_id: str,
                   ui_language: str = "") -> TurnUnderstanding:
        """Understands `text` (already redacted) and updates `state` in place.

        Args:
            text: the message.
            vector: its e5 query vector, (DIMENSION,).
            state: the session's dialogue state (updated: language, intent, slots, counters).
            turn_id: id of this turn (recorded on the slots it sets).
            ui_language: the app's language, used when the text's language is inconclusive.
        """
        detected = detect_language(text)
        language = detected.code or state.language or (ui_language if ui_language in ("en", "zh") else "en")
        prediction = self.intents.predict([text], vector.reshape(1, -1))[0]
        pre_slots = extract_slots(text)
        followup_shape = bool(_FOLLOWUP.search(text)) or _slot_only(text, pre_slots)
        followup = bool(state.intent_id) and followup_shape and not (
            not prediction.out_of_scope and prediction.intent_id != state.intent_id
            and prediction.confidence >= FOLLOWUP_OVERRIDE_CONFIDENCE)
        if followup:
            intent_id, confidence, out_of_scope = state.intent_id, max(state.confidence, prediction.confidence), False
        else:
            intent_id, confidence, out_of_scope = prediction.intent_id, prediction.confidence, prediction.out_of_scope
        if not detected.supported:
            out_of_scope = True
        coupon_context = intent_id.startswith("coupon.") and not out_of_scope
        new_slots = extract_slots(text, coupon_context=coupon_context)
        for name, value in new_slots.items():
            state.slots[name] = (value, turn_id)
        sentiment = self.sentiment.score(text, language)
        failed = self.policy.failed(out_of_scope, confidence) and intent_id not in _NOT_FAILURES
        state.failures_in_row = state.failures_in_row + 1 if failed else 0
        low = (not out_of_scope) and confidence < self.policy.low_confidence
        state.low_confidence_in_row = state.low_confidence_in_row + 1 if low else 0
        reason = self.policy.decide(text=text, intent_id=intent_id, out_of_scope=out_of_scope,
                                    confidence=confidence, anger=sentiment.anger,
                                    failures_in_row=state.failures_in_row,
                                    low_confidence_in_row=state.low_confidence_in_row)
        if detected.code:
            state.language = detected.code
        elif not state.language:
            state.language = language
        if not out_of_scope:
            state.intent_id, state.confidence = intent_id, confidence
        return TurnUnderstanding(language, detected.supported, intent_id, confidence, out_of_scope, followup,
                                 new_slots, sentiment, reason)
