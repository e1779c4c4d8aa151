"""Offline evaluation of the support NLU on the held-out content, each metric beside a simple baseline.

- Intents and OOS: eval.yaml, minus examples whose e5 vector is within DEDUP_COSINE of a training example
  (the separate pass must not restate training sentences). Baselines: nearest training example by e5
  cosine, and character TF-IDF + logistic regression.
- Slots: dialogues.yaml through the Understander turn by turn; baseline: the current turn's slots only.
- Escalation: escalation.yaml, binary F1 of "handed off by the last turn"; baseline: hand off only on the
  contact.human_agent intent.
- Sentiment: macro-F1 on the held-out 20% of the real reviews; baseline: unigram TF-IDF + LR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from services.support.artifacts import SupportModels
from services.support.content import (
    OUT_OF_SCOPE,
    Example,
    load_dialogues,
    load_escalation_cases,
    load_examples,
)
from services.support.encoder import TextEncoder
from services.support.escalation import EscalationPolicy
from services.support.nlu import DialogueState, Understander
from services.support.sentiment import chinese_sentences, english_reviews, fit_language_model
from services.support.slots import extract_slots, slot_matches

DEDUP_COSINE = 0.95
"""Eval examples at least this similar to a training example are dropped as near-duplicates."""


@dataclass
class Report:
    """Named metrics, each as {system: value}, plus notes (counts, thresholds)."""

    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: dict[str, float] = field(default_factory=dict)

    def put(self, metric: str, system: str, value: float) -> None:
        """Records one figure."""
        self.metrics.setdefault(metric, {})[system] = round(float(value), 4)


@dataclass(frozen=True)
class Verdict:
    """One system's answer for one example: intent id (or OUT_OF_SCOPE)."""

    label: str


def _intent_scores(report: Report, system: str, examples: list[Example], labels: list[str]) -> None:
    for lang in ("en", "zh"):
        idx = [i for i, e in enumerate(examples) if e.language == lang and e.label != OUT_OF_SCOPE]
        report.put(f"intent_accuracy_{lang}", system,
                   float(np.mean([labels[i] == examples[i].label for i in idx])))
    truth = np.array([e.label == OUT_OF_SCOPE for e in examples])
    pred = np.array([label == OUT_OF_SCOPE for label in labels])
    tp, fp, fn = (truth & pred).sum(), (~truth & pred).sum(), (truth & ~pred).sum()
    report.put("oos_f1", system, 2 * tp / max(2 * tp + fp + fn, 1))


def _nearest_threshold(train_vectors: np.ndarray, train_labels: np.ndarray) -> float:
    """Leave-one-out choice of the 1-NN similarity floor below which a message is out of scope."""
    sims = train_vectors @ train_vectors.T
    np.fill_diagonal(sims, -1)
    nearest = sims.argmax(axis=1)
    best_sim = sims.max(axis=1)
    best, best_score = 0.0, -1.0
    for floor in np.arange(0.80, 0.95, 0.01):
        labels = np.where(best_sim < floor, OUT_OF_SCOPE, train_labels[nearest])
        truth = train_labels == OUT_OF_SCOPE
        pred = labels == OUT_OF_SCOPE
        tp, fp, fn = (truth & pred).sum(), (~truth & pred).sum(), (truth & ~pred).sum()
        score = (np.mean(labels[~truth] == train_labels[~truth]) + 2 * tp / max(2 * tp + fp + fn, 1)) / 2
        if score > best_score:
            best, best_score = float(floor), float(score)
    return best


def evaluate_intents(report: Report, models: SupportModels, encoder: TextEncoder) -> None:
    """Intent accuracy (en, zh) and OOS F1 for the model and both baselines."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train = load_examples("train")
    held = load_examples("eval")
    train_vectors = encoder.encode([e.text for e in train])
    held_vectors = encoder.encode([e.text for e in held])
    max_sim = (held_vectors @ train_vectors.T).max(axis=1)
    keep = [i for i in range(len(held)) if max_sim[i] < DEDUP_COSINE]
    report.notes["eval_examples_written"] = len(held)
    report.notes["eval_examples_dropped_as_near_duplicates"] = len(held) - len(keep)
    examples = [held[i] for i in keep]
    vectors = held_vectors[keep]
    report.notes["eval_examples_scored"] = len(examples)

    predictions = models.intent.predict([e.text for e in examples], vectors)
    _intent_scores(report, "model", examples,
                   [OUT_OF_SCOPE if p.out_of_scope else p.intent_id for p in predictions])
    report.notes["oos_threshold"] = models.intent.config.oos_threshold

    train_labels = np.array([e.label for e in train])
    floor = _nearest_threshold(train_vectors, train_labels)
    report.notes["nearest_example_oos_floor"] = floor
    sims = vectors @ train_vectors.T
    nearest = np.where(sims.max(axis=1) < floor, OUT_OF_SCOPE, train_labels[sims.argmax(axis=1)])
    _intent_scores(report, "nearest_example", examples, [str(x) for x in nearest])

    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    lr = LogisticRegression(C=10.0, max_iter=2000).fit(tfidf.fit_transform([e.text for e in train]),
                                                        list(train_labels))
    _intent_scores(report, "tfidf_logreg", examples,
                   [str(x) for x in lr.predict(tfidf.transform([e.text for e in examples]))])


def evaluate_slots(report: Report, understander: Understander, encoder: TextEncoder) -> None:
    """Slot accuracy over every expected (turn, slot) of the dialogues; follow-up intent accuracy."""
    matched = total = carried_matched = intent_ok = intent_total = exact_turns = turns = 0
    for dialogue in load_dialogues():
        state = DialogueState(language=dialogue.language)
        for n, turn in enumerate(dialogue.turns):
            vector = encoder.encode([turn.text])[0]
            understanding = understander.understand(turn.text, vector, state, f"t{n}")
            got = state.slot_values()
            only_now = extract_slots(turn.text, coupon_context=understanding.intent_id.startswith("coupon."))
            for name, want in turn.slots.items():
                total += 1
                matched += slot_matches(name, want, got.get(name))
                carried_matched += slot_matches(name, want, only_now.get(name))
            turns += 1
            exact_turns += all(slot_matches(k, v, got.get(k)) for k, v in turn.slots.items()) and set(
                got) <= set(turn.slots)
            if turn.intent:
                intent_total += 1
                intent_ok += understanding.intent_id == turn.intent and not understanding.out_of_scope
    report.put("slot_accuracy", "model", matched / max(total, 1))
    report.put("slot_accuracy", "current_turn_only", carried_matched / max(total, 1))
    report.put("dialogue_turn_exact_slots", "model", exact_turns / max(turns, 1))
    report.put("dialogue_intent_accuracy", "model", intent_ok / max(intent_total, 1))
    report.notes["slot_values_expected"] = total


def evaluate_escalation(report: Report, understander: Understander, encoder: TextEncoder) -> None:
    """Binary hand-off F1 and reason accuracy over the escalation cases."""
    def run(case_turns: tuple[str, ...], language: str,
            decide: Callable[[str, str, str | None], str | None]) -> str:
        state = DialogueState(language=language)
        for n, text in enumerate(case_turns):
            u = understander.understand(text, encoder.encode([text])[0], state, f"t{n}")
            reason = decide(text, u.intent_id if not u.out_of_scope else OUT_OF_SCOPE, u.handoff_reason)
            if reason:
                return reason
        return "none"

    systems = {
        "model": lambda text, intent, reason: reason,
        "human_intent_only": lambda text, intent, reason: "user_requested" if intent == "contact.human_agent"
        else None,
    }
    cases = load_escalation_cases()
    for system, decide in systems.items():
        outcomes = [(case.handoff, run(case.turns, case.language, decide)) for case in cases]
        tp = sum(w != "none" and g != "none" for w, g in outcomes)
        fp = sum(w == "none" and g != "none" for w, g in outcomes)
        fn = sum(w != "none" and g == "none" for w, g in outcomes)
        report.put("escalation_f1", system, 2 * tp / max(2 * tp + fp + fn, 1))
        report.put("escalation_reason_accuracy", system, float(np.mean([w == g for w, g in outcomes])))
    report.notes["escalation_cases"] = len(cases)


def evaluate_sentiment(report: Report, models: SupportModels) -> None:
    """Macro-F1 on the held-out real reviews, model beside the unigram baseline."""
    from sklearn.metrics import f1_score

    for lang, (train, test) in (("en", english_reviews()), ("zh", chinese_sentences())):
        texts = [x.text for x in test]
        truth = [x.positive for x in test]
        model = models.sentiment.models[lang]
        report.put(f"sentiment_macro_f1_{lang}", "model", f1_score(truth, model.predict(texts), average="macro"))
        baseline = fit_language_model([x.text for x in train], [x.positive for x in train], lang, simple=True)
        report.put(f"sentiment_macro_f1_{lang}", "tfidf_unigram_logreg",
                   f1_score(truth, baseline.predict(texts), average="macro"))
        report.notes[f"sentiment_heldout_{lang}"] = len(test)


def evaluate_all(models: SupportModels, encoder: TextEncoder) -> Report:
    """Every metric of issue #9's acceptance item 1."""
    report = Report()
    understander = Understander(models.intent, models.sentiment, EscalationPolicy())
    evaluate_intents(report, models, encoder)
    evaluate_slots(report, understander, encoder)
    evaluate_escalation(report, understander, encoder)
    evaluate_sentiment(report, models)
    return report


TARGETS = {"intent_accuracy_en": 0.92, "intent_accuracy_zh": 0.88, "oos_f1": 0.85, "slot_accuracy": 0.9,
           "escalation_f1": 0.8, "sentiment_macro_f1_en": 0.85, "sentiment_macro_f1_zh": 0.85}
