"""Writes the labelled redaction evaluation set, tests/vault/data/redaction_cases.jsonl, deterministically.

Run `python -m tests.vault.make_redaction_cases` to regenerate (`--check` to verify the committed file).
Values come from `redaction_case_values`, which computes its own check digits (nothing here imports the
engine, so the labels follow the definitions, not the engine's behaviour); phrasing comes from the
hand-written templates in `redaction_case_templates`. Every slot filled with a labelled value becomes an
expected span; every distractor slot (order numbers, prices, dates, times, tracking numbers, quantities,
postcodes, version strings, checksum-failing numbers) is, by definition, not personal data.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.vault.redaction_case_distractors import SLOTS
from tests.vault.redaction_case_templates import (
    EMOJI,
    LANGS,
    LITERAL_CASES,
    MULTI_CASES,
    MULTI_TEMPLATES,
    NAMED_POSITIVE_SLOTS,
    NEGATIVE_KINDS,
    PER_NEGATIVE_KIND,
    PER_TYPE_CASES,
    POSITIVE_GENERATORS,
    POSITIVE_TEMPLATES,
)
from tests.vault.redaction_case_values import Value, fullwidth

SEED = 20240315
OUTPUT = Path(__file__).parent / "data" / "redaction_cases.jsonl"


# --- assembly ------------------------------------------------------------------------------------------------

SLOT = re.compile(r"\{([A-Z_]+)\}")


@dataclass
class Case:
    lang: str
    text: str = ""
    spans: list[dict[str, object]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)

    def add(self, value: Value, *, full_width: bool = False) -> None:
        text = fullwidth(value.text) if full_width else value.text
        if full_width:
            self.tags.add("fullwidth")
        if value.entity is not None:
            start = len(self.text)
            self.spans.append({"type": value.entity, "start": start, "end": start + len(text), "value": text})
        self.tags.update(value.tags)
        self.text += text


def render(rng: random.Random, lang: str, template: str, fills: dict[str, Callable[[random.Random], Value]]) -> Case:
    case = Case(lang=lang)
    if rng.random() < 0.1:
        case.text = rng.choice(EMOJI) + " "
        case.tags.add("emoji_prefix")
    full_width = lang != "en" and rng.random() < 0.15
    position = 0
    for match in SLOT.finditer(template):
        case.text += template[position : match.start()]
        name = match.group(1)
        value = (fills.get(name) or NAMED_POSITIVE_SLOTS.get(name) or SLOTS[name])(rng)
        case.add(value, full_width=full_width and name in {"V", "N", *NAMED_POSITIVE_SLOTS})
        position = match.end()
    case.text += template[position:]
    return case


def build_cases() -> list[dict[str, object]]:
    """Every case, in a fixed order, from one seeded generator."""
    rng = random.Random(SEED)
    cases: list[Case] = []
    for entity, count in PER_TYPE_CASES.items():
        for index in range(count):
            lang = LANGS[index % 3]
            template = rng.choice(POSITIVE_TEMPLATES[entity][lang])
            cases.append(render(rng, lang, template, {"V": POSITIVE_GENERATORS[entity]}))
    for index in range(MULTI_CASES):
        lang = LANGS[index % 3]
        cases.append(render(rng, lang, rng.choice(MULTI_TEMPLATES[lang]), {}))
    for kind, (generator, templates) in NEGATIVE_KINDS.items():
        for index in range(PER_NEGATIVE_KIND):
            lang = ("en", "zh")[index % 2]
            case = render(rng, lang, rng.choice(templates[lang]), {"N": generator})
            case.tags.add(f"negative:{kind}")
            cases.append(case)
    for lang, text, values in LITERAL_CASES:
        case = Case(lang=lang, text=text, tags={"literal"})
        cursor = 0
        for entity, value in values:
            start = text.index(value, cursor)
            case.spans.append({"type": entity, "start": start, "end": start + len(value), "value": value})
            cursor = start + len(value)
        cases.append(case)
    return [
        {
            "id": f"case-{number:04d}",
            "lang": case.lang,
            "kind": "positive" if case.spans else "hard_negative",
            "text": case.text,
            "spans": case.spans,
            "tags": sorted(case.tags),
        }
        for number, case in enumerate(cases, start=1)
    ]


def render_jsonl(cases: list[dict[str, object]]) -> str:
    return "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the committed file differs")
    args = parser.parse_args(argv)
    content = render_jsonl(build_cases())
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != content:
            print(f"{OUTPUT} is out of date; run python -m tests.vault.make_redaction_cases", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(content, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(Path.cwd()) if OUTPUT.is_relative_to(Path.cwd()) else OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
