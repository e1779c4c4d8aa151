"""Precision and recall of the redaction engine on the independent labelled set (issue #4, acceptance item 7).

The set in ``tests/vault/data/redaction_cases_independent.jsonl`` was written by a second author from
``docs/redaction.md`` alone; ``tests/vault/make_independent_cases.py`` generates it and documents every
labelling choice. Scoring is span-exact: a found span counts only when its type, start and end all match a
labelled span. Run with ``-s`` to see the per-type table on success too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from services.vault.redaction import EntityType, redact
from tests.vault import make_independent_cases as gen

THRESHOLD = 0.98
MIN_CASES = 400
MIN_NEGATIVE_SHARE = 0.40
MIN_POSITIVES_PER_TYPE = 40
TYPES = [t.value for t in EntityType]
SHOWN_FAILURES = 80

Span = tuple[str, int, int]


def _load() -> list[dict]:
    with gen.OUT_PATH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = _load()


def _show(spans: set[Span], text: str) -> str:
    return ", ".join(f"{t}[{a}:{b}]={text[a:b]!r}" for t, a, b in sorted(spans, key=lambda sp: sp[1])) or "-"


def _score(cases: list[dict]) -> tuple[Counter[str], Counter[str], Counter[str], list[str]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    failures: list[str] = []
    for case in cases:
        text = case["text"]
        expected: set[Span] = {(s["type"], s["start"], s["end"]) for s in case["spans"]}
        found: set[Span] = {(s.entity_type.value, s.start, s.end) for s in redact(text).spans}
        for etype, _, _ in expected & found:
            tp[etype] += 1
        for etype, _, _ in found - expected:
            fp[etype] += 1
        for etype, _, _ in expected - found:
            fn[etype] += 1
        if expected != found:
            failures.append(
                f"{case['id']} ({case['lang']}): {text!r}\n"
                f"    expected: {_show(expected, text)}\n"
                f"    found:    {_show(found, text)}\n"
                f"    missed:   {_show(expected - found, text)}\n"
                f"    extra:    {_show(found - expected, text)}"
            )
    return tp, fp, fn, failures


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def _table(tp: Counter[str], fp: Counter[str], fn: Counter[str]) -> str:
    rows = ["| type | support | TP | FP | FN | precision | recall |", "|---|---:|---:|---:|---:|---:|---:|"]
    for t in TYPES:
        rows.append(
            f"| {t} | {tp[t] + fn[t]} | {tp[t]} | {fp[t]} | {fn[t]} | "
            f"{_ratio(tp[t], tp[t] + fp[t]):.3f} | {_ratio(tp[t], tp[t] + fn[t]):.3f} |"
        )
    return "\n".join(rows)


def test_independent_set_is_reproduced_by_its_generator() -> None:
    assert gen.OUT_PATH.read_text(encoding="utf-8") == gen.dumps(gen.build_cases()), (
        "run .venv/bin/python -m tests.vault.make_independent_cases to rewrite the set"
    )


def test_generator_does_not_use_the_engine() -> None:
    source = Path(gen.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+services\b", source, re.MULTILINE)


def test_generator_check_digits_match_published_examples() -> None:
    assert gen.luhn_ok("4111111111111111") and gen.luhn_ok("378282246310005") and not gen.luhn_ok("4111111111111112")
    assert gen.card_valid("5555555555554444") and not gen.card_valid("9111111111111111")
    assert gen.cn_id_check_char("11010519491231002") == "X" and gen.cn_id_valid("11010519491231002X")
    assert not gen.cn_id_valid("110105194912310021")
    assert gen.iban_mod97_ok("GB82 WEST 1234 5698 7654 32") and gen.iban_mod97_ok("DE89370400440532013000")
    assert gen.iban_check_digits("DE", "370400440532013000") == "89"
    assert not gen.iban_mod97_ok("GB83WEST12345698765432")


def test_independent_set_shape() -> None:
    assert len(CASES) >= MIN_CASES
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert len({c["text"] for c in CASES}) == len(CASES)
    negatives = [c for c in CASES if c["kind"] == "hard_negative"]
    assert len(negatives) / len(CASES) >= MIN_NEGATIVE_SHARE
    langs = Counter(c["lang"] for c in CASES)
    assert set(langs) == {"en", "zh", "mixed"}
    assert langs["en"] >= len(CASES) // 4 and langs["zh"] >= len(CASES) // 4 and langs["mixed"] >= len(CASES) // 10
    per_type = Counter(s["type"] for c in CASES for s in c["spans"])
    for t in TYPES:
        assert per_type[t] >= MIN_POSITIVES_PER_TYPE, (t, per_type[t])
    for c in CASES:
        assert c["source"] == "independent" and c["author"] == "independent"
        assert (c["kind"] == "hard_negative") == (not c["spans"])
        last_end = 0
        for s in c["spans"]:
            assert s["type"] in TYPES
            assert c["text"][s["start"] : s["end"]] == s["value"], c["id"]
            assert s["start"] >= last_end, f"{c['id']}: spans overlap or are out of order"
            last_end = s["end"]


def test_engine_spans_slice_the_original_text() -> None:
    for c in CASES:
        for s in redact(c["text"]).spans:
            assert c["text"][s.start : s.end] == s.value, c["id"]


def test_precision_and_recall_per_type_on_independent_set() -> None:
    tp, fp, fn, failures = _score(CASES)
    table = _table(tp, fp, fn)
    print(f"\nindependent set: {len(CASES)} cases\n{table}")
    low = [t for t in TYPES if _ratio(tp[t], tp[t] + fp[t]) < THRESHOLD or _ratio(tp[t], tp[t] + fn[t]) < THRESHOLD]
    shown = "\n".join(failures[:SHOWN_FAILURES])
    more = f"\n... and {len(failures) - SHOWN_FAILURES} more" if len(failures) > SHOWN_FAILURES else ""
    assert not low, (
        f"precision or recall below {THRESHOLD} for {', '.join(low)}\n{table}\n\n"
        f"{len(failures)} cases differ:\n{shown}{more}"
    )
