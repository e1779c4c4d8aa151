"""Gated retraining of a catalogue's ranker: train a candidate, judge it against the promoted model, decide.

The candidate trains on the latest events the way `shopmesh train ranker` does (`build.train_and_save`: the
replay one step before each user's last interaction). Both the candidate and the currently promoted model are
then judged OFFLINE on the same held-out events, the last interaction of every user (the #7 split, ordered by
event time), over the same replayed candidates and features: each model scores them through its own saved
artifact (its imputer and TorchScript, as the service loads them) and the metric is NDCG@10 over the top 100. The
candidate is promoted through the model registry only when its NDCG@10 >= the current one's - tolerance;
otherwise it stays on disk, is never served, and the current model keeps serving. Every decision, with both
figures, is appended to `<models>/artifacts/ranker-<catalog>/decisions.jsonl`.

Before the candidate is written, a family without a registry pointer gets one at the version serving now, so a
running service never picks the candidate up as "the newest version" while it is being judged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from shopmesh.models import registry
from shopmesh.models.families import ranker_family
from shopmesh.models.manifest import ManifestError, utc_now
from shopmesh.recsys.ranking import training
from shopmesh.recsys.ranking.artifact import RankerArtifact, load_ranker
from shopmesh.recsys.ranking.build import Recipe, train_and_save
from shopmesh.recsys.ranking.datasets import Dataset
from shopmesh.recsys.ranking.evaluation import LIST_LENGTH, per_user_ndcg
from shopmesh.recsys.ranking.replay import Replay

DECISIONS_FILE = "decisions.jsonl"
METRIC = "ndcg10"


@dataclass(frozen=True)
class Decision:
    """One gate run, as recorded.

    Attributes:
        time: When the gate decided (ISO-8601 UTC, wall clock: an operations record, not a feature).
        catalog_id: The catalogue.
        candidate_version: The version trained by this run (on disk either way).
        current_version: The version promoted before the run; None when there was none.
        candidate_ndcg10: The candidate's NDCG@10 on the held-out events.
        current_ndcg10: The current model's, on the same events and candidates; None when there was none or it
            does not load with this code (then the candidate is promoted).
        tolerance: How much worse than the current model the candidate may be and still be promoted.
        promoted: Whether the candidate was promoted.
        reason: Why, in words.
        users: Users with a held-out interaction the figures average over.
        holdout_end: Event time of the latest held-out interaction (ISO-8601 UTC).
    """

    time: str
    catalog_id: str
    candidate_version: str
    current_version: str | None
    candidate_ndcg10: float
    current_ndcg10: float | None
    tolerance: float
    promoted: bool
    reason: str
    users: int
    holdout_end: str | None

    def to_json(self) -> str:
        """One JSONL line (no newline)."""
        return json.dumps(asdict(self), sort_keys=True)


def decide(candidate: float, current: float | None, tolerance: float) -> tuple[bool, str]:
    """Promote when there is no current figure, or when the candidate is not worse beyond the tolerance."""
    if current is None:
        return True, "no current model to compare with"
    if candidate >= current - tolerance - 1e-12:
        return True, f"candidate NDCG@10 {candidate:.4f} >= current {current:.4f} - tolerance {tolerance:g}"
    return False, f"candidate NDCG@10 {candidate:.4f} < current {current:.4f} - tolerance {tolerance:g}"


def holdout_replay(data: Dataset, tower_epochs: int) -> Replay:
    """The retrieval replay at every user's last interaction (the targets the gate judges on)."""
    return training.replay_split(data, data.split, training.replay_config(data, tower_epochs=tower_epochs))


def ndcg10(artifact: RankerArtifact, rep: Replay, raw: list[np.ndarray] | None = None) -> float:
    """Mean NDCG@10 of an artifact's order of the replay's candidates (users without a target skipped).

    Features are the replay's own (`training.features_of`, item-space features in the held-out replay's
    space, as `shopmesh eval recommend` computes them), so every judged model sees identical inputs; each
    model applies its own saved imputer and TorchScript.
    """
    raw = raw if raw is not None else training.features_of(rep)
    lists: list[list[int]] = []
    for x, candidates in zip(raw, rep.candidates, strict=True):
        if not candidates:
            lists.append([])
            continue
        filled, _ = artifact.imputer.transform(x)
        order = np.argsort(-artifact.score(filled), kind="stable")[:LIST_LENGTH]
        lists.append([candidates[i] for i in order.tolist()])
    scores = per_user_ndcg(lists, rep.split.targets)
    return float(np.mean(scores)) if scores else 0.0


def read_decisions(family_folder: Path) -> list[Decision]:
    """The recorded decisions of a ranker family, oldest first."""
    path = family_folder / DECISIONS_FILE
    if not path.is_file():
        return []
    return [Decision(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def record(family_folder: Path, decision: Decision) -> None:
    """Appends one decision line (append-only; one write, flushed to disk)."""
    family_folder.mkdir(parents=True, exist_ok=True)
    with (family_folder / DECISIONS_FILE).open("a") as handle:
        handle.write(decision.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def retrain(data: Dataset, artifacts_root: Path, *, recipe: Recipe, tolerance: float, seed: int = 0,
            clock: Callable[[], str] = utc_now, log: Callable[[str], None] | None = None) -> Decision:
    """Trains a candidate ranker on `data`, judges it against the promoted one, promotes it or not, records it.

    Args:
        data: The catalogue's data set (its split may be a user subsample).
        artifacts_root: `<models>/artifacts`.
        recipe: How much to train the candidate (`build.FULL`, `build.QUICK`, or any other).
        tolerance: The candidate may be this much worse in NDCG@10 than the current model and still be promoted
            (negative: it must be better by that much).
        seed: The candidate's training seed.
        clock: The decision's time stamp.
        log: Progress lines.

    Returns:
        The recorded decision.
    """
    say = log or (lambda _: None)
    family = ranker_family(artifacts_root, data.catalog_id)
    current_version = _pin_current(family, say)
    folder, manifest = train_and_save(data.catalog_id, artifacts_root, recipe=recipe, seed=seed, data=data, log=say)
    holdout = holdout_replay(data, recipe.tower_epochs)
    raw = training.features_of(holdout)
    candidate_ndcg = ndcg10(load_ranker(folder), holdout, raw)
    current_ndcg: float | None = None
    reason_prefix = ""
    if current_version is not None:
        try:
            current_ndcg = ndcg10(load_ranker(family.folder / current_version), holdout, raw)
        except (ManifestError, OSError, RuntimeError, ValueError, KeyError) as exc:
            reason_prefix = f"current version {current_version} does not load ({exc}); "
    promoted, reason = decide(candidate_ndcg, current_ndcg, tolerance)
    reason = reason_prefix + reason
    moved = registry.read_pointer(family.folder)
    if promoted and current_version is not None and moved != current_version:
        promoted, reason = False, f"{reason}, but the promoted version moved to {moved} during the run"
    if promoted:
        try:
            registry.promote(family, manifest.version, reason=f"retrain gate: {reason}", clock=clock)
        except registry.RegistryError as exc:
            promoted, reason = False, f"{reason}, but the registry refused it: {exc}"
    times = [t for t, target in zip(holdout.split.test_times, holdout.split.targets, strict=True) if target]
    decision = Decision(clock(), data.catalog_id, manifest.version, current_version, candidate_ndcg, current_ndcg,
                        tolerance, promoted, reason, sum(1 for t in holdout.split.targets if t),
                        _iso(max(times)) if times else None)
    record(family.folder, decision)
    say(f"{family.name}: {'promoted' if promoted else 'refused'} {manifest.version} ({reason})")
    return decision


def _pin_current(family: registry.Family, say: Callable[[str], None]) -> str | None:
    """The promoted version; without a pointer, pins the newest loadable version (what serves now) first."""
    current = registry.read_pointer(family.folder)
    if current is not None:
        return current
    for version in reversed([v for v in registry.version_names(family.folder) if v.isdigit()]):
        try:
            registry.promote(family, version, reason="retrain gate: pinned the serving version before training")
        except registry.RegistryError as exc:
            say(f"{family.name} {version} is not loadable, not pinned: {exc}")
            continue
        return version
    return None


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=0).isoformat()
