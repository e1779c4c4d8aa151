"""Business rules from configuration: bury, boost, pin, and at most N per category per page.

Rule sets live in a YAML file (services/ranking/rules.yaml by default); each catalogue names its default
set. Rules act on the order MMR produced and record what they did per item, for the response.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yaml")
EFFECTS = ("bury", "boost", "pin")
_CAPPED = ("category-cap", "CATEGORY_CAPPED")


class RulesError(ValueError):
    """The rules file is malformed (raised at start, never per request)."""


@dataclass(frozen=True)
class Condition:
    """When a rule applies; every given field must hold."""

    category_prefix: str = ""
    item_ids: frozenset[str] = frozenset()
    out_of_stock: bool | None = None
    experiment_variant: str = ""
    surface: str = ""


@dataclass(frozen=True)
class Rule:
    """One rule of a set."""

    rule_id: str
    effect: str
    when: Condition
    boost_positions: int = 5
    pin_position: int = 0


@dataclass(frozen=True)
class RuleSet:
    """A named rule set."""

    rule_set_id: str
    rules: tuple[Rule, ...]
    page_size: int = 10
    max_per_category: int = 0


@dataclass
class RuleItem:
    """What a rule looks at for one ranked item."""

    item_id: str
    category_key: str
    in_stock: bool | None
    applied: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RuleContext:
    """Request facts rules can condition on."""

    experiment_variant: str = ""
    surface: str = ""


class RuleBook:
    """All rule sets and each catalogue's default."""

    def __init__(self, sets: dict[str, RuleSet], defaults: dict[str, str]) -> None:
        self.sets = sets
        self.defaults = defaults

    @classmethod
    def load(cls, path: Path = DEFAULT_RULES_FILE) -> RuleBook:
        """Parses a rules file; raises RulesError naming the problem."""
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RulesError(f"rules file {path}: {exc}") from exc
        sets: dict[str, RuleSet] = {}
        for set_id, spec in (data.get("rule_sets") or {}).items():
            rules = []
            for raw in spec.get("rules") or []:
                effect = raw.get("effect")
                if effect not in EFFECTS or not raw.get("id"):
                    raise RulesError(f"rule set {set_id}: a rule needs an id and an effect in {EFFECTS}")
                when = raw.get("when") or {}
                rules.append(Rule(str(raw["id"]), effect, Condition(
                    str(when.get("category_prefix", "")), frozenset(map(str, when.get("item_ids", []))),
                    when.get("out_of_stock"), str(when.get("experiment_variant", "")), str(when.get("surface", ""))),
                    int(raw.get("boost_positions", 5)), int(raw.get("pin_position", 0))))
            sets[str(set_id)] = RuleSet(str(set_id), tuple(rules), int(spec.get("page_size", 10)),
                                        int(spec.get("max_per_category", 0)))
        defaults = {str(k): str(v) for k, v in (data.get("defaults") or {}).items()}
        for catalog, set_id in defaults.items():
            if set_id not in sets:
                raise RulesError(f"catalogue {catalog}: default rule set {set_id} is not defined")
        return cls(sets, defaults)

    def resolve(self, rule_set_id: str, catalog_id: str) -> RuleSet | None:
        """The named set, or the catalogue's default (or the set "default"); None when unknown."""
        if rule_set_id:
            return self.sets.get(rule_set_id)
        return self.sets.get(self.defaults.get(catalog_id, "default"), RuleSet("none", ()))


def _matches(rule: Rule, item: RuleItem, context: RuleContext) -> bool:
    w = rule.when
    if w.category_prefix and not (item.category_key == w.category_prefix
                                  or item.category_key.startswith(w.category_prefix + "/")):
        return False
    if w.item_ids and item.item_id not in w.item_ids:
        return False
    if w.out_of_stock is not None and (item.in_stock is None or item.in_stock == w.out_of_stock):
        return False
    if w.experiment_variant and w.experiment_variant != context.experiment_variant:
        return False
    return not (w.surface and w.surface != context.surface)


def apply_rules(items: Sequence[RuleItem], rule_set: RuleSet, context: RuleContext) -> list[RuleItem]:
    """The items reordered by the set's rules (each item's `applied` lists (rule id, effect))."""
    order = list(items)
    for rule in rule_set.rules:
        hit = [i for i in order if _matches(rule, i, context)]
        if not hit:
            continue
        for i in hit:
            i.applied.append((rule.rule_id, {"bury": "BURIED", "boost": "BOOSTED", "pin": "PINNED"}[rule.effect]))
        hit_ids = {id(i) for i in hit}
        if rule.effect == "bury":
            order = [i for i in order if id(i) not in hit_ids] + hit
        elif rule.effect == "boost":
            for i in hit:
                at = order.index(i)
                order.insert(max(0, at - rule.boost_positions), order.pop(at))
        else:
            rest = [i for i in order if id(i) not in hit_ids]
            order = rest[:rule.pin_position] + hit + rest[rule.pin_position:]
    if rule_set.max_per_category > 0:
        order = _cap_categories(order, rule_set.page_size, rule_set.max_per_category)
    return order


CAPPED_PAGES = 5
"""Pages the category cap arranges; a feed shows a few, and the tail keeps its order (bounded work per call)."""


def _cap_categories(order: list[RuleItem], page_size: int, cap: int) -> list[RuleItem]:
    """Fills pages in order, deferring an item whose category already has `cap` items on the page.

    A deferred item that would have been on the page is marked CATEGORY_CAPPED. When only capped
    categories remain, the page is filled with them anyway rather than left short.
    """
    out: list[RuleItem] = []
    pending = list(order)
    for _ in range(CAPPED_PAGES):
        if not pending:
            break
        page: list[RuleItem] = []
        counts: dict[str, int] = {}
        deferred: list[RuleItem] = []
        for position, item in enumerate(pending):
            if len(page) == page_size and position >= page_size:
                deferred += pending[position:]
                break
            if len(page) < page_size and counts.get(item.category_key, 0) < cap:
                page.append(item)
                counts[item.category_key] = counts.get(item.category_key, 0) + 1
                continue
            if (len(page) < page_size or position < page_size) and _CAPPED not in item.applied:
                item.applied.append(_CAPPED)
            deferred.append(item)
        room = page_size - len(page)
        if room > 0 and deferred:
            fill, deferred = deferred[:room], deferred[room:]
            for item in fill:
                if _CAPPED in item.applied:
                    item.applied.remove(_CAPPED)
            page += fill
        out += page
        pending = deferred
    return out + pending
