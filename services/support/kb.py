"""FAQ retrieval and re-ranking: candidates by the classified intent and by e5 similarity, re-ranked with
the session's slots (so "and for PayPal?" lands on refund.timeline/paypal), cited by id.

The KB reloads from faq.yaml without a restart (`reload`), re-embedding its entries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.support.content import CONTENT_DIR, FaqEntry, load_faq

Embed = Callable[[list[str]], Awaitable[np.ndarray]]
INTENT_WEIGHT = 0.6
SIMILARITY_WEIGHT = 0.4
SLOT_MATCH_BONUS = 0.3
SLOT_MISMATCH_PENALTY = 0.3


@dataclass(frozen=True)
class Hit:
    """A ranked FAQ entry and its score in [0, 1]."""

    entry: FaqEntry
    score: float


class KnowledgeBase:
    """The FAQ entries of both languages with their vectors.

    Args:
        embed: async text -> vectors (the same encoder as the classifier's).
        path: the FAQ file.
    """

    def __init__(self, embed: Embed, path: Path = CONTENT_DIR / "faq.yaml"):
        self._embed = embed
        self._path = path
        self.entries: list[FaqEntry] = []
        self._vectors = np.zeros((0, 0), dtype=np.float32)

    async def reload(self) -> int:
        """(Re)loads the FAQ file and embeds each entry's title; returns the entry count.

        The swap is one assignment, so turns in flight keep using the old entries safely.
        """
        entries = load_faq(self._path)
        vectors = await self._embed([f"{e.title} {e.answer}" for e in entries])
        self.entries, self._vectors = entries, vectors
        return len(entries)

    def search(self, vector: np.ndarray, language: str, intent_id: str, confidence: float, *,
               slots: dict[str, str], top_k: int = 3) -> list[Hit]:
        """Best entries in `language` for a query vector, the intent and the session's slots."""
        entries, vectors = self.entries, self._vectors
        hits = []
        similarities = vectors @ vector if len(entries) else np.zeros(0)
        for entry, similarity in zip(entries, similarities, strict=True):
            if entry.language != language:
                continue
            score = SIMILARITY_WEIGHT * float(similarity)
            if entry.intent_id == intent_id:
                score += INTENT_WEIGHT * max(confidence, 0.5)
            for name, value in entry.slots.items():
                score += SLOT_MATCH_BONUS if slots.get(name) == value else -SLOT_MISMATCH_PENALTY
            hits.append(Hit(entry, max(0.0, min(1.0, score))))
        hits.sort(key=lambda h: -h.score)
        return hits[:top_k]

    def entry(self, faq_id: str, language: str) -> FaqEntry | None:
        """An entry by id and language."""
        return next((e for e in self.entries if e.faq_id == faq_id and e.language == language), None)
