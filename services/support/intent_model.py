"""The intent classifier: a logistic-regression head over e5 query vectors joined with character n-gram
TF-IDF features, with out-of-scope as its own class and a probability threshold for it.

Why both features: e5 vectors carry meaning across languages and paraphrases, the character n-grams carry
the exact shop words ("运费", "promo code") that separate neighbouring intents; the join beat either
alone in cross-validation on the training set. The OOS threshold is chosen by cross-validation on the
training set too, never on the held-out set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from services.support.content import OUT_OF_SCOPE
from services.support.linear import IntentScorer

FAST_PATH_TEXTS = 64
"""Up to this many texts per call go through linear.py; more (training, evaluation) through scikit-learn."""


@dataclass(frozen=True)
class IntentPrediction:
    """What the classifier says about one message.

    Attributes:
        intent_id: the best in-scope intent (kept even when out_of_scope, for the agent's summary).
        confidence: its probability in [0, 1].
        out_of_scope: True when the OOS probability reaches the threshold.
        ranked: the top in-scope intents with probabilities, best first.
    """

    intent_id: str
    confidence: float
    out_of_scope: bool
    ranked: tuple[tuple[str, float], ...]


@dataclass
class IntentConfig:
    """Hyper-parameters (fixed before looking at the held-out set).

    Attributes:
        c: inverse L2 penalty of the logistic regression.
        tfidf_weight: scale of the TF-IDF block against the unit-length e5 vector.
        oos_threshold: OOS probability from which a message is out of scope.
    """

    c: float = 30.0
    tfidf_weight: float = 0.5
    oos_threshold: float = 0.35


class IntentModel:
    """A trained classifier (scikit-learn objects inside; pickled in a checksummed artifact)."""

    def __init__(self, vectorizer: Any, model: Any, config: IntentConfig):
        self.vectorizer = vectorizer
        self.model = model
        self.config = config
        self.classes: list[str] = [str(c) for c in model.classes_]
        self._oos = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else -1

    def _features(self, texts: list[str], vectors: np.ndarray) -> Any:
        import scipy.sparse as sp

        tfidf = self.vectorizer.transform(texts) * self.config.tfidf_weight
        return sp.hstack([sp.csr_matrix(vectors), tfidf]).tocsr()

    def probabilities(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """(n, classes) probabilities (a few texts, as in a chat turn, skip scikit-learn's checks: linear.py)."""
        scorer = self._scorer()
        if scorer is not None and len(texts) <= FAST_PATH_TEXTS:
            return np.stack([scorer.predict_proba(t, v) for t, v in zip(texts, vectors, strict=True)])
        result: np.ndarray = self.model.predict_proba(self._features(texts, vectors))
        return result

    def __getstate__(self) -> dict[str, Any]:
        # The fast scorer is derived from the fitted objects: never pickled into an artifact.
        return {k: v for k, v in self.__dict__.items() if k != "_fast"}

    def _scorer(self) -> IntentScorer | None:
        # Built on first use, not in __init__: artifacts are unpickled without calling it.
        if not hasattr(self, "_fast"):
            dense = self.model.coef_.shape[1] - len(self.vectorizer.vocabulary_)
            self._fast = IntentScorer.of(self.vectorizer, self.model, self.config.tfidf_weight, dense)
        return self._fast

    def predict(self, texts: list[str], vectors: np.ndarray, top_k: int = 3) -> list[IntentPrediction]:
        """Predictions for texts and their e5 vectors (row i for texts[i])."""
        if not texts:
            return []
        return [self._decide(row, top_k) for row in self.probabilities(texts, vectors)]

    def _decide(self, row: np.ndarray, top_k: int) -> IntentPrediction:
        order = [int(i) for i in np.argsort(-row) if i != self._oos]
        ranked = tuple((self.classes[i], float(row[i])) for i in order[:top_k])
        oos = bool(self._oos >= 0 and row[self._oos] >= self.config.oos_threshold)
        return IntentPrediction(ranked[0][0], ranked[0][1], oos, ranked)


def fit(texts: list[str], vectors: np.ndarray, labels: list[str], config: IntentConfig,
        seed: int = 7) -> IntentModel:
    """Fits the classifier (a few seconds on one core for ~900 examples)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True).fit(texts)
    shell = IntentModel(vectorizer, _Classes(labels), config)
    model = LogisticRegression(C=config.c, max_iter=3000, random_state=seed)
    model.fit(shell._features(texts, vectors), labels)
    return IntentModel(vectorizer, model, config)


class _Classes:
    """Stands in for the fitted model while building features (only `classes_` is read)."""

    def __init__(self, labels: list[str]):
        self.classes_ = sorted(set(labels))


def choose_oos_threshold(texts: list[str], vectors: np.ndarray, labels: list[str], config: IntentConfig,
                         *, folds: int = 5, candidates: tuple[float, ...] = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
                         ) -> tuple[float, dict[float, float]]:
    """The OOS threshold with the best cross-validated mean of in-scope accuracy and OOS F1 (training only).

    Returns:
        The chosen threshold and the mean score of every candidate.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.array(labels)
    text_array = np.array(texts, dtype=object)
    scores: dict[float, list[float]] = {t: [] for t in candidates}
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=7).split(vectors, y):
        model = fit(list(text_array[train_idx]), vectors[train_idx], list(y[train_idx]), config)
        probs = model.probabilities(list(text_array[test_idx]), vectors[test_idx])
        for threshold in candidates:
            model.config = IntentConfig(config.c, config.tfidf_weight, threshold)
            preds = [model._decide(row, 1) for row in probs]
            scores[threshold].append(_score(preds, y[test_idx]))
    means = {t: float(np.mean(v)) for t, v in scores.items()}
    return max(candidates, key=lambda t: means[t]), means


def _score(preds: list[IntentPrediction], truth: np.ndarray) -> float:
    tp = fp = fn = correct = in_scope = 0
    for pred, label in zip(preds, truth, strict=True):
        is_oos = label == OUT_OF_SCOPE
        tp += pred.out_of_scope and is_oos
        fp += pred.out_of_scope and not is_oos
        fn += (not pred.out_of_scope) and is_oos
        if not is_oos:
            in_scope += 1
            correct += (not pred.out_of_scope) and pred.intent_id == label
    f1 = 2 * tp / max(2 * tp + fp + fn, 1)
    return (correct / max(in_scope, 1) + f1) / 2
