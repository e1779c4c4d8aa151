"""One chat turn through the fitted TF-IDF + logistic-regression models without scikit-learn's per-call checks.

Why: a turn scores one short text with the intent head and a sentiment model. Through scikit-learn each
`transform` / `predict_proba` re-validates its input (array checks, finiteness, dataframe-library probes),
which cost more CPU on the service's event loop than the arithmetic: about 8 ms of main-thread time per turn
in the benchmark's profile, beside the encoder's 10 ms on its own thread. The same fitted parameters
(vocabulary, idf, coefficients) give the same probabilities with a few numpy operations on the text's own
n-grams. Only the exact shapes the service trains are taken (anything else falls back to scikit-learn), and
tests/support compare both paths on the training and held-out texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Analyzer = Callable[[str], list[str]]


class TfidfBlock:
    """A fitted TfidfVectorizer's transform of one text as (column indices, values), offset into a wider row."""

    def __init__(self, vectorizer: Any, offset: int = 0):
        self._analyze: Analyzer = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf: np.ndarray = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._sublinear = bool(vectorizer.sublinear_tf)
        self._binary = bool(vectorizer.binary)
        self._norm = vectorizer.norm
        self.offset = offset
        self.width = len(self._vocabulary)

    @staticmethod
    def supports(vectorizer: Any) -> bool:
        """Whether the vectorizer is one this class reproduces (a fitted TfidfVectorizer with idf, l2/no norm)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        return (type(vectorizer) is TfidfVectorizer and bool(vectorizer.use_idf) and hasattr(vectorizer, "idf_")
                and vectorizer.norm in ("l2", None))

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Columns (offset included) and tf-idf values of text's known n-grams, in column order."""
        counts: dict[int, int] = {}
        vocabulary = self._vocabulary
        for token in self._analyze(text):
            column = vocabulary.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        columns = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        values = np.ones(len(columns)) if self._binary else np.array([counts[c] for c in columns], dtype=np.float64)
        if self._sublinear:
            values = np.log(values) + 1.0
        values *= self._idf[columns]
        if self._norm == "l2":
            length = float(np.sqrt(np.dot(values, values)))
            if length > 0:
                values /= length
        return columns + self.offset, values


def _logistic_parameters(model: Any) -> tuple[np.ndarray, np.ndarray] | None:
    from sklearn.linear_model import LogisticRegression

    if type(model) is not LogisticRegression:
        return None
    return np.asarray(model.coef_, dtype=np.float64), np.asarray(model.intercept_, dtype=np.float64)


def _probabilities(decision: np.ndarray) -> np.ndarray:
    """predict_proba of a fitted LogisticRegression from its decision values (binary: sigmoid; else softmax)."""
    if decision.shape[0] == 1:
        positive = 1.0 / (1.0 + np.exp(-decision[0]))
        return np.array([1.0 - positive, positive])
    shifted = np.exp(decision - decision.max())
    result: np.ndarray = shifted / shifted.sum()
    return result


class TextPipelineScorer:
    """predict_proba of one text through a fitted Pipeline(TfidfVectorizer | FeatureUnion of them, LogReg)."""

    def __init__(self, blocks: list[TfidfBlock], coef: np.ndarray, intercept: np.ndarray):
        self._blocks = blocks
        self._coef = coef
        self._intercept = intercept

    @classmethod
    def of(cls, pipeline: Any) -> TextPipelineScorer | None:
        """The scorer of pipeline, or None when its shape is not one reproduced here."""
        from sklearn.pipeline import FeatureUnion, Pipeline

        if type(pipeline) is not Pipeline or len(pipeline.steps) != 2:
            return None
        features, model = pipeline.steps[0][1], pipeline.steps[1][1]
        parameters = _logistic_parameters(model)
        if parameters is None:
            return None
        if type(features) is FeatureUnion:
            parts = [t for _, t in features.transformer_list]
            if features.transformer_weights or not all(TfidfBlock.supports(t) for t in parts):
                return None
        elif TfidfBlock.supports(features):
            parts = [features]
        else:
            return None
        blocks, offset = [], 0
        for part in parts:
            blocks.append(TfidfBlock(part, offset))
            offset += blocks[-1].width
        if offset != parameters[0].shape[1]:
            return None
        return cls(blocks, *parameters)

    def predict_proba(self, text: str) -> np.ndarray:
        """(classes,) probabilities of text, in the model's classes_ order."""
        decision = self._intercept.copy()
        for block in self._blocks:
            columns, values = block.transform(text)
            decision += self._coef[:, columns] @ values
        return _probabilities(decision)


class IntentScorer:
    """predict_proba of one (text, e5 vector) through the intent head: [vector | weight * tf-idf] -> LogReg."""

    def __init__(self, block: TfidfBlock, tfidf_weight: float, coef: np.ndarray, intercept: np.ndarray,
                 dense: int):
        self._block = block
        self._weight = tfidf_weight
        self._coef = coef
        self._intercept = intercept
        self._dense = dense

    @classmethod
    def of(cls, vectorizer: Any, model: Any, tfidf_weight: float, dense: int) -> IntentScorer | None:
        """The scorer of the intent head's parts, or None when their shape is not one reproduced here."""
        parameters = _logistic_parameters(model)
        if parameters is None or not TfidfBlock.supports(vectorizer):
            return None
        block = TfidfBlock(vectorizer, dense)
        if dense + block.width != parameters[0].shape[1]:
            return None
        return cls(block, tfidf_weight, *parameters, dense=dense)

    def predict_proba(self, text: str, vector: np.ndarray) -> np.ndarray:
        """(classes,) probabilities."""
        columns, values = self._block.transform(text)
        decision = self._intercept + self._coef[:, :self._dense] @ np.asarray(vector, dtype=np.float64)
        decision += self._coef[:, columns] @ (values * self._weight)
        return _probabilities(decision)
