"""The support service's product content: taxonomy, FAQ (with the shop's policy figures), examples, eval sets.

Everything lives under services/support/ as YAML shipped with the code; FAQ figures are filled from
shopmesh/data/order_policy.py so the bot and the order system never disagree.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shopmesh.data import order_policy as policy
from shopmesh.data.order_events import PaymentMethod

PACKAGE_DIR = Path(__file__).resolve().parent
CONTENT_DIR = PACKAGE_DIR / "content"
TAXONOMY_FILE = PACKAGE_DIR / "intents.yaml"
LANGUAGES = ("en", "zh")
OUT_OF_SCOPE = "out_of_scope"
"""The classifier's label for out-of-scope messages (never sent as an intent id)."""


@dataclass(frozen=True)
class Intent:
    """One intent of the taxonomy."""

    id: str
    description: str
    needs_user_data: bool


@dataclass(frozen=True)
class Taxonomy:
    """The label set: intents in file order and slot names."""

    intents: tuple[Intent, ...]
    slot_names: tuple[str, ...]

    def ids(self) -> list[str]:
        """Intent ids in file order."""
        return [i.id for i in self.intents]

    def get(self, intent_id: str) -> Intent | None:
        """The intent with this id, if any."""
        return next((i for i in self.intents if i.id == intent_id), None)


def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    """Parses intents.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    intents = tuple(Intent(i["id"], " ".join(i["description"].split()), bool(i["needs_user_data"]))
                    for i in data["intents"])
    return Taxonomy(intents, tuple(s["name"] for s in data["slots"]))


def _range(bounds: tuple[float, float], unit_en: str = "days") -> str:
    low, high = bounds
    if low < 1:
        return f"within {high:g} {unit_en if high != 1 else unit_en.rstrip('s')}"
    return f"{low:g} to {high:g} {unit_en}"


def _range_zh(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"{high:g}天内" if low < 1 else f"{low:g}至{high:g}天"


def policy_figures() -> dict[str, str]:
    """The placeholders the FAQ may use, each rendered from order_policy."""
    carriers = policy.CARRIER_DAYS
    transit_low = min(low for low, _ in carriers.values())
    transit_high = max(high for _, high in carriers.values())
    refund = policy.REFUND_DAYS
    low_h, high_h = policy.HANDLING_HOURS
    figures = {
        "return_window_days": str(policy.RETURN_WINDOW_DAYS),
        "return_transit_days": f"{policy.RETURN_TRANSIT_DAYS[0]:g}-{policy.RETURN_TRANSIT_DAYS[1]:g}",
        "payment_window_minutes": str(int(policy.PAYMENT_WINDOW.total_seconds() // 60)),
        "handling_hours": f"within {high_h:g} hours",
        "handling_hours_zh": f"{high_h:g}小时",
        "carriers": ", ".join(carriers),
        "transit_days_range": f"{transit_low:g} to {transit_high:g} days",
        "transit_days_range_zh": f"{transit_low:g}至{transit_high:g}天",
        "free_shipping_from": f"${policy.FREE_SHIPPING_FROM_CENTS / 100:.2f}".replace(".00", ""),
        "shipping_fee": f"${policy.SHIPPING_CENTS / 100:.2f}",
        "points_per_dollar": str(policy.POINTS_PER_CURRENCY_UNIT),
        "point_value_cents": str(policy.POINT_VALUE_CENTS),
        "min_redeem_points": str(policy.MIN_REDEEM_POINTS),
        "max_redeem_percent": f"{policy.MAX_REDEEM_SHARE * 100:g}",
    }
    for name, (low, high) in carriers.items():
        figures[f"{name.lower()}_days"] = f"{low:g}-{high:g}"
    for method in PaymentMethod:
        figures[f"refund_{method.value}"] = _range(refund[method])
        figures[f"refund_{method.value}_zh"] = _range_zh(refund[method])
    _ = low_h  # The FAQ quotes the upper bound: "within 48 hours" is the promise, the lower one is typical.
    return figures


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ answer in one language.

    Attributes:
        faq_id: stable id, e.g. "refund.timeline/paypal" (the same in both languages).
        intent_id: the intent it answers.
        language: "en" or "zh".
        title / answer: the text, figures filled in.
        slots: slot values this entry is specific to (payment_method: paypal); empty for general entries.
    """

    faq_id: str
    intent_id: str
    language: str
    title: str
    answer: str
    slots: dict[str, str] = field(default_factory=dict)


def _clean(text: str, language: str) -> str:
    # YAML folding joins lines with a space, which Chinese text does not use after its full stop.
    joined = " ".join(text.split())
    return joined.replace("。 ", "。") if language == "zh" else joined


def load_faq(path: Path = CONTENT_DIR / "faq.yaml") -> list[FaqEntry]:
    """All FAQ entries, figures filled from order_policy; raises KeyError on an unknown placeholder."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    figures = policy_figures()
    formatter = string.Formatter()
    out = []
    for raw in data["entries"]:
        for language in LANGUAGES:
            text = raw[language]
            answer = _clean(str(text["answer"]), language)
            for _, name, _, _ in formatter.parse(answer):
                if name is not None and name not in figures:
                    raise KeyError(f"{raw['id']}: unknown FAQ figure {{{name}}}")
            out.append(FaqEntry(raw["id"], raw["intent"], language, str(text["title"]),
                                answer.format(**figures), {k: str(v) for k, v in (raw.get("slot") or {}).items()}))
    return out


@dataclass(frozen=True)
class Example:
    """One labelled message: text, language and intent id (or OUT_OF_SCOPE)."""

    text: str
    language: str
    label: str


def _examples(data: dict[str, Any]) -> list[Example]:
    out = [Example(str(text), lang, intent)
           for intent, by_lang in data["intents"].items() for lang in LANGUAGES for text in by_lang.get(lang, [])]
    out += [Example(str(text), lang, OUT_OF_SCOPE) for lang in LANGUAGES for text in data["out_of_scope"][lang]]
    return out


def load_examples(name: str) -> list[Example]:
    """Examples of content/<name>.yaml ("train" or "eval")."""
    return _examples(yaml.safe_load((CONTENT_DIR / f"{name}.yaml").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class DialogueTurn:
    """One user turn of a labelled dialogue and the slots expected after it."""

    text: str
    intent: str | None
    slots: dict[str, str]


@dataclass(frozen=True)
class Dialogue:
    """A labelled multi-turn dialogue."""

    id: str
    language: str
    turns: tuple[DialogueTurn, ...]


def load_dialogues(path: Path = CONTENT_DIR / "dialogues.yaml") -> list[Dialogue]:
    """The slot-filling dialogues."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Dialogue(d["id"], d["language"], tuple(
        DialogueTurn(str(t["text"]), t.get("intent"), {k: str(v) for k, v in (t.get("slots") or {}).items()})
        for t in d["turns"])) for d in data["dialogues"]]


@dataclass(frozen=True)
class EscalationCase:
    """A conversation and the hand-off expected on its last turn ("none" for no hand-off)."""

    id: str
    language: str
    turns: tuple[str, ...]
    handoff: str


def load_escalation_cases(path: Path = CONTENT_DIR / "escalation.yaml") -> list[EscalationCase]:
    """The escalation cases."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [EscalationCase(c["id"], c["language"], tuple(c["turns"]), c["handoff"]) for c in data["cases"]]
