"""BM25 over item text with English word tokens and jieba segmentation for Chinese.

Tokens are lower-cased words and, for Chinese runs, jieba's search-mode segments (which emit both
"连衣裙" and its parts "连衣", "衣裙"), so a query matches whether or not it is segmented the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_STOPWORDS = frozenset((
    "a", "an", "and", "the", "of", "in", "on", "for", "with", "to", "is", "it", "this", "that", "or", "by", "at",
    "as", "from", "的", "了", "和", "是", "在", "我", "有", "要", "一个"))


def tokenize(text: str) -> list[str]:
    """Search tokens of one text (English words, Chinese segments), stopwords dropped."""
    import jieba

    tokens: list[str] = []
    for match in _WORD.findall(text.lower()):
        if _CJK.match(match):
            tokens.extend(t for t in jieba.lcut_for_search(match) if t.strip() and t not in _STOPWORDS)
        elif match not in _STOPWORDS:
            tokens.append(match[:-2] if match.endswith("'s") else match)
    return tokens


def detect_language(text: str) -> str:
    """"zh" when the text has a Chinese character, else "en"."""
    return "zh" if _CJK.search(text) else "en"


class LexicalIndex:
    """bm25s over pre-tokenised documents (one per item position)."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        import bm25s
        import jieba

        jieba.setLogLevel(60)
        self.documents = [list(d) for d in documents]
        self._bm25 = bm25s.BM25()
        # bm25s cannot index an empty vocabulary; a catalogue of textless items gets one dummy token.
        corpus = [d if d else ["\x00"] for d in self.documents] or [["\x00"]]
        self._bm25.index(corpus, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)

    @property
    def size(self) -> int:
        """Documents indexed."""
        return len(self.documents)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score per document position (0 where no query token occurs)."""
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens or not self.documents:
            return np.zeros(len(self.documents), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)[: len(self.documents)]
