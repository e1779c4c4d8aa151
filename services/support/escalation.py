"""When the bot hands a conversation to a human: an explicit request, anger, repeated failure, or low
confidence twice in a row.

The order matters: a user who asks for a person in so many words gets one even when calm; anger comes
next (an angry message the classifier reads as contact.human_agent, e.g. one that mentions a phone number,
is reported as anger); failure counts come last because an angry customer should not be asked to rephrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

USER_REQUESTED = "user_requested"
NEGATIVE_SENTIMENT = "negative_sentiment"
REPEATED_FAILURE = "repeated_failure"
LOW_CONFIDENCE = "low_confidence"
DATA_UNAVAILABLE = "data_unavailable"

_ASK_HUMAN = re.compile(
    r"\b(real|actual|live)\s+(person|human|agent)|\bhuman\b|\bagent\b|\bmanager\b|\bsupervisor\b|"
    r"\bsomeone\b.*\b(talk|speak)|\b(talk|speak)\s+to\s+(a|someone|somebody)|call me back|"
    r"转人工|人工|真人|找经理|主管", re.I)


@dataclass(frozen=True)
class EscalationPolicy:
    """Thresholds of the hand-off rules.

    Attributes:
        low_confidence: an in-scope intent below this confidence counts as a failed turn.
        low_confidence_turns: consecutive low-confidence in-scope turns that hand off (LOW_CONFIDENCE).
        failure_turns: consecutive failed turns (out of scope or low confidence) that hand off.
    """

    low_confidence: float = 0.3
    low_confidence_turns: int = 2
    failure_turns: int = 3

    def failed(self, out_of_scope: bool, confidence: float) -> bool:
        """Whether a turn counts as the bot failing to understand."""
        return out_of_scope or confidence < self.low_confidence

    def decide(self, *, text: str, intent_id: str, out_of_scope: bool, confidence: float, anger: bool,
               failures_in_row: int, low_confidence_in_row: int) -> str | None:
        """The hand-off reason for this turn, or None.

        Args:
            text: the (redacted) message.
            intent_id / out_of_scope / confidence: the understanding of this turn.
            anger: strong anger cues in this turn.
            failures_in_row / low_confidence_in_row: counts including this turn.
        """
        if _ASK_HUMAN.search(text):
            return USER_REQUESTED
        if anger:
            return NEGATIVE_SENTIMENT
        if intent_id == "contact.human_agent" and not out_of_scope:
            return USER_REQUESTED
        if failures_in_row >= self.failure_turns:
            return REPEATED_FAILURE
        if low_confidence_in_row >= self.low_confidence_turns:
            return LOW_CONFIDENCE
        return None
