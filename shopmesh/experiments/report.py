"""Per-variant CTR and conversion of the gateway's experiments, from impressions and the events that cite them.

Units (what a user of the report should know):
    impressions: distinct IMPRESSION events of the variant (the gateway logs one per card served).
    clicks / purchases: impressions with at least one CLICK / PURCHASE event carrying their impression id, by
        the same user (so CTR and conversion are proportions of impressions and stay <= 1).
    users: distinct users with an impression of the variant; user conversion = users with an attributed
        purchase / users. Hash bucketing puts a user in one variant per experiment, so users are the unit
        sample-ratio mismatch (SRM) is tested on.
Per-impression intervals assume independent impressions; one user's impressions are correlated, so read
them as a little narrow when users see many cards (the per-user rate has no such caveat).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from shopmesh.experiments.stats import (
    chi_square_gof,
    newcombe_interval,
    two_proportion_p_value,
    wilson_interval,
)

SRM_P_THRESHOLD = 0.001
"""The usual SRM alarm level: a p-value this small means the split is broken, not unlucky."""
IMPRESSION, CLICK, PURCHASE = 1, 3, 5
"""Event type numbers of shopmesh.common.v1.EventType."""


@dataclass(frozen=True)
class LoggedEvent:
    """What the report needs of one logged event."""

    user_id: str
    event_type: int
    impression_id: str


def parse_arm(impression_id: str) -> tuple[str, str] | None:
    """(experiment, variant) of a gateway impression id, None when it has no experiment arm.

    The id is `<request>.<surface>.<position>.<experiment>:<variant>.<mac>` (gateway/impressions.py); the
    signature was checked when the event was accepted, so only the layout is read here.
    """
    body, _, mac = impression_id.rpartition(".")
    parts = body.split(".", 3)
    if not mac or len(parts) != 4:
        return None
    experiment, sep, variant = parts[3].partition(":")
    if not sep or not experiment or not variant:
        return None
    return experiment, variant


@dataclass(frozen=True)
class Rate:
    """A proportion with its 95% Wilson interval."""

    successes: int
    trials: int
    rate: float
    ci_low: float
    ci_high: float

    @classmethod
    def of(cls, successes: int, trials: int) -> Rate:
        """The rate successes / trials (0 when there are no trials) and its interval."""
        low, high = wilson_interval(successes, trials)
        return cls(successes, trials, successes / trials if trials else 0.0, low, high)


@dataclass(frozen=True)
class Difference:
    """A variant's rate minus control's, with its 95% Newcombe interval and a two-sided p-value."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float

    @classmethod
    def of(cls, variant: Rate, control: Rate) -> Difference:
        """variant - control."""
        low, high = newcombe_interval(variant.successes, variant.trials, control.successes, control.trials)
        p = two_proportion_p_value(variant.successes, variant.trials, control.successes, control.trials)
        return cls(variant.rate - control.rate, low, high, p)


@dataclass(frozen=True)
class VariantReport:
    """One variant's counts, rates and (except for control) differences to control."""

    variant: str
    weight: float | None
    impressions: int
    clicks: int
    purchases: int
    users: int
    ctr: Rate
    conversion: Rate
    user_conversion: Rate
    ctr_vs_control: Difference | None = None
    conversion_vs_control: Difference | None = None
    user_conversion_vs_control: Difference | None = None


@dataclass(frozen=True)
class SampleRatio:
    """Chi-square goodness of fit of users per variant against the configured weights."""

    statistic: float
    df: int
    p_value: float
    expected_users: dict[str, float]
    mismatch: bool


@dataclass(frozen=True)
class ExperimentReport:
    """The report of one experiment."""

    experiment_id: str
    control: str
    variants: list[VariantReport]
    srm: SampleRatio | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return asdict(self)


@dataclass
class _Arm:
    impressions: dict[str, str] = field(default_factory=dict)  # impression id -> user
    clicked: set[str] = field(default_factory=set)
    purchased: set[str] = field(default_factory=set)


@dataclass
class Tally:
    """Impressions and attributed clicks and purchases per (experiment, variant), fed event by event.

    Clicks and purchases may come before or after their impression in the input; they are matched by id.
    """

    _arms: dict[str, dict[str, _Arm]] = field(default_factory=dict)
    _responses: list[tuple[str, str, int]] = field(default_factory=list)
    unattributed: int = 0

    def add(self, event: LoggedEvent) -> None:
        """Counts one event (events without an experiment arm in their impression id are ignored)."""
        if not event.impression_id or event.event_type not in {IMPRESSION, CLICK, PURCHASE}:
            return
        arm = parse_arm(event.impression_id)
        if arm is None:
            return
        if event.event_type == IMPRESSION:
            slot = self._arms.setdefault(arm[0], {}).setdefault(arm[1], _Arm())
            slot.impressions.setdefault(event.impression_id, event.user_id)
        else:
            self._responses.append((event.impression_id, event.user_id, event.event_type))

    def add_all(self, events: Iterable[LoggedEvent]) -> Tally:
        """Counts every event; returns self."""
        for e in events:
            self.add(e)
        return self

    def _attribute(self) -> None:
        for impression_id, user_id, kind in self._responses:
            arm = parse_arm(impression_id)
            slot = self._arms.get(arm[0], {}).get(arm[1]) if arm else None
            if slot is None or slot.impressions.get(impression_id) != user_id:
                self.unattributed += 1
            elif kind == CLICK:
                slot.clicked.add(impression_id)
            else:
                slot.purchased.add(impression_id)
        self._responses = []

    def experiments(self) -> list[str]:
        """The experiments seen, in id order."""
        return sorted(self._arms)

    def report(self, experiment_id: str, weights: Mapping[str, float] | None = None,
               control: str | None = None) -> ExperimentReport:
        """The report of one experiment.

        Args:
            experiment_id: which experiment.
            weights: the configured weight of each variant (None: no SRM test).
            control: the baseline variant (default: "control" if present, else the first configured, else the
                first by name).
        """
        self._attribute()
        arms = self._arms.get(experiment_id, {})
        names = sorted(arms.keys() | {k for k, w in (weights or {}).items() if w > 0})
        if weights:  # configured order first
            names = [n for n in weights if n in names] + [n for n in names if n not in weights]
        chosen = control or ("control" if "control" in names else (names[0] if names else ""))
        notes: list[str] = []
        user_variants: dict[str, set[str]] = {}
        for name, slot in arms.items():
            for user in slot.impressions.values():
                user_variants.setdefault(user, set()).add(name)
        crossed = sum(1 for v in user_variants.values() if len(v) > 1)
        if crossed:
            notes.append(f"{crossed} users have impressions in more than one variant (configuration changed?)")
        rows = [self._variant(name, arms.get(name, _Arm()), (weights or {}).get(name)) for name in names]
        base = next((r for r in rows if r.variant == chosen), None)
        if base is None and chosen:
            notes.append(f"control variant {chosen!r} has no impressions; no differences computed")
        if base is not None:
            rows = [r if r is base else _with_differences(r, base) for r in rows]
        return ExperimentReport(experiment_id, chosen, rows, _srm(rows, weights, notes), notes)

    @staticmethod
    def _variant(name: str, slot: _Arm, weight: float | None) -> VariantReport:
        impressions = len(slot.impressions)
        users = set(slot.impressions.values())
        buyers = {slot.impressions[i] for i in slot.purchased}
        return VariantReport(
            name, weight, impressions, len(slot.clicked), len(slot.purchased), len(users),
            Rate.of(len(slot.clicked), impressions), Rate.of(len(slot.purchased), impressions),
            Rate.of(len(buyers), len(users)))


def _with_differences(row: VariantReport, base: VariantReport) -> VariantReport:
    return VariantReport(
        row.variant, row.weight, row.impressions, row.clicks, row.purchases, row.users, row.ctr, row.conversion,
        row.user_conversion, Difference.of(row.ctr, base.ctr), Difference.of(row.conversion, base.conversion),
        Difference.of(row.user_conversion, base.user_conversion))


def _srm(rows: list[VariantReport], weights: Mapping[str, float] | None, notes: list[str]) -> SampleRatio | None:
    if not weights:
        notes.append("no configured weights for this experiment: sample ratio not tested")
        return None
    unknown = [r.variant for r in rows if r.users and weights.get(r.variant, 0) <= 0]
    if unknown:
        notes.append(f"variants with users but no positive configured weight: {', '.join(unknown)}")
    tested = [(name, w) for name, w in weights.items() if w > 0]
    if len(tested) < 2:
        return None
    users = {r.variant: r.users for r in rows}
    test = chi_square_gof([users.get(name, 0) for name, _ in tested], [w for _, w in tested])
    return SampleRatio(test.statistic, test.df, test.p_value,
                       {name: e for (name, _), e in zip(tested, test.expected, strict=True)},
                       mismatch=test.p_value < SRM_P_THRESHOLD or bool(unknown))
