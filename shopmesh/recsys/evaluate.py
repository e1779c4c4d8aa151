"""`shopmesh eval retrieval`: every candidate source, their merge and the baselines on one split.

Per user the sources see only the visible history; trending is computed as of the user's test event from
events strictly earlier (event time). The merged list fuses the sources' quota-cut lists with merge.merge,
the same code the service runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from shopmesh.recsys import baselines
from shopmesh.recsys.covisit import CoVisitationConfig, build_co_visitation
from shopmesh.recsys.merge import FusionWeight, Normalisation, SourceResult, merge
from shopmesh.recsys.metrics import ndcg_at, recall_at, top_k
from shopmesh.recsys.protocol import Split, validation_split
from shopmesh.recsys.tower import TowerConfig, train_tower, user_vectors

CUTOFFS = (100, 500)


@dataclass
class EvalConfig:
    """What to run.

    Attributes:
        quota: Candidates each source proposes (and merged list length).
        tower: User tower training settings.
        weights: Fusion weight per source.
        sources: Sources merged, in report order.
        als_threads: Threads of implicit's ALS.
        trending_half_life_days: Half-life of the trending source.
    """

    quota: int = 500
    tower: TowerConfig = field(default_factory=TowerConfig)
    weights: Mapping[str, FusionWeight] = field(default_factory=dict)
    sources: Sequence[str] = ("USER_VECTOR_ANN", "CO_VISITATION", "TRENDING", "CATEGORY_AFFINITY")
    als_threads: int = 1
    trending_half_life_days: float = 7.0


# Chosen by `shopmesh eval retrieval --tune` on the validation split (docs/evaluation.md).
MOVIE_WEIGHTS = {
    "USER_VECTOR_ANN": FusionWeight(1.0, Normalisation.SOFTMAX, 2.0),
    "CO_VISITATION": FusionWeight(0.5, Normalisation.SHARE),
    "TRENDING": FusionWeight(0.3, Normalisation.SHARE),
    "CATEGORY_AFFINITY": FusionWeight(0.05, Normalisation.SHARE),
}
GROCERY_WEIGHTS = {
    "REPURCHASE": FusionWeight(20.0, Normalisation.SHARE),
    "USER_VECTOR_ANN": FusionWeight(1.0, Normalisation.SOFTMAX, 1.0),
    "CO_VISITATION": FusionWeight(1.0, Normalisation.SHARE),
    "TRENDING": FusionWeight(0.1, Normalisation.SHARE),
    "CATEGORY_AFFINITY": FusionWeight(0.05, Normalisation.SHARE),
}


@dataclass
class Row:
    """One line of the report."""

    name: str
    kind: str
    recall: dict[int, float]
    ndcg10: float
    coverage: float


@dataclass
class Report:
    """The report of one split."""

    split: str
    users: int
    items: int
    rows: list[Row]
    seconds: dict[str, float]

    def format(self) -> str:
        """A plain-text table."""
        lines = [f"{self.split}: {self.users} users, {self.items} items",
                 f"{'':26}{'kind':10}" + "".join(f"R@{k:<8}" for k in CUTOFFS) + "NDCG@10   users-with-list"]
        for row in self.rows:
            lines.append(f"{row.name:26}{row.kind:10}" + "".join(f"{row.recall[k]:<10.4f}" for k in CUTOFFS)
                         + f"{row.ndcg10:<10.4f}{row.coverage:.3f}")
        lines.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()))
        return "\n".join(lines)

    def value(self, name: str, k: int) -> float:
        """Recall@k of a row by name."""
        return next(r.recall[k] for r in self.rows if r.name == name)


def trending_at(split: Split, times: np.ndarray, items: np.ndarray, half_life_days: float) -> np.ndarray:
    """Per evaluated user, decayed counts of every user's events strictly before that user's test event.

    Args:
        split: The split (test times per user).
        times: Every visible event's epoch seconds, sorted ascending.
        items: The events' item indices in the same order.
        half_life_days: Decay half-life.
    """
    out = np.zeros((split.n_users, split.n_items), dtype=np.float32)
    rate = np.log(2.0) / (half_life_days * 86400.0)
    for user, when in enumerate(split.test_times):
        lo = np.searchsorted(times, when - 10 * half_life_days * 86400.0)
        hi = np.searchsorted(times, when)
        out[user] = np.bincount(items[lo:hi], weights=np.exp(-rate * (when - times[lo:hi])),
                                minlength=split.n_items)
    return out


def _row(name: str, kind: str, lists: list[list[int]], split: Split) -> Row:
    return Row(name, kind, {k: recall_at(lists, split.targets, k) for k in CUTOFFS},
               ndcg_at(lists, split.targets, 10), float(np.mean([bool(x) for x in lists])))


def evaluate(split: Split, item_category: np.ndarray, config: EvalConfig,
             log: Callable[[str], None] | None = None) -> Report:
    """Runs the baselines, every source and the merge on one split.

    Args:
        split: The split.
        item_category: Category index per dense item (first genre, aisle...).
        config: What to run.
        log: Progress lines, if wanted.
    """
    say = log or (lambda _: None)
    seconds: dict[str, float] = {}
    started = time.monotonic()
    banned = [h if split.exclude_seen else [] for h in split.histories]
    cut = config.quota

    def lists_of(score_row: Callable[[int], np.ndarray]) -> list[list[int]]:
        return [top_k(score_row(u), cut, banned[u]) for u in range(split.n_users)]

    rows: list[Row] = []
    pop = baselines.popularity(split)
    rows.append(_row("popularity", "baseline", lists_of(lambda _u: pop), split))
    t = time.monotonic()
    als = baselines.ALSModel(split, threads=config.als_threads)
    rows.append(_row("ALS (implicit)", "baseline", lists_of(als.scores), split))
    seconds["als"] = time.monotonic() - t
    t = time.monotonic()
    covis = build_co_visitation(split.histories, split.n_items, CoVisitationConfig())
    covis_scores = [covis.score_history(h) for h in split.histories]
    # The reference has no floor: a zero-score item is no proposal, so the list may run short.
    covis_row = [np.where(s > 0, s, -np.inf) for s in covis_scores]
    covis_lists = lists_of(lambda u: covis_row[u])
    rows.append(_row("co-visitation (last 5)", "baseline", covis_lists, split))
    seconds["co_visitation"] = time.monotonic() - t
    say("baselines done")

    per_source: dict[str, tuple[list[list[int]], list[np.ndarray]]] = {}
    for source in config.sources:
        t = time.monotonic()
        rows_of = _source_scores(source, split, item_category=item_category, config=config, covis_row=covis_row,
                                 say=say)
        lists = [top_k(rows_of[u], cut, banned[u]) for u in range(split.n_users)]
        per_source[source] = (lists, rows_of)
        rows.append(_row(source, "source", lists, split))
        seconds[source.lower()] = time.monotonic() - t
        say(f"{source} done")

    merged_lists = []
    for user in range(split.n_users):
        results = [SourceResult(s, lists[user], [float(r[user][i]) for i in lists[user]])
                   for s, (lists, r) in per_source.items()]
        merged_lists.append([c.item for c in merge(results, config.weights, cut)])
    rows.append(_row("merged", "merged", merged_lists, split))
    seconds["total"] = time.monotonic() - started
    return Report(split.name, split.n_users, split.n_items, rows, seconds)


def tune_weights(split: Split, item_category: np.ndarray, config: EvalConfig,
                 log: Callable[[str], None] | None = None) -> dict[str, FusionWeight]:
    """Fusion weights chosen on the validation split (each user's second-to-last event), never the test items.

    Grid over the tower's softmax temperature, co-visitation's weight and trending's weight; the objective is
    the mean of merged Recall@100 and Recall@500.
    """
    say = log or (lambda _: None)
    valid = validation_split(split)
    banned = [h if valid.exclude_seen else [] for h in valid.histories]
    covis = build_co_visitation(valid.histories, valid.n_items, CoVisitationConfig())
    covis_row = [np.where(s > 0, s, -np.inf) for s in (covis.score_history(h) for h in valid.histories)]
    lists: dict[str, tuple[list[list[int]], list[np.ndarray]]] = {}
    for source in config.sources:
        rows = _source_scores(source, valid, item_category=item_category, config=config, covis_row=covis_row,
                              say=say)
        lists[source] = ([top_k(rows[u], config.quota, banned[u]) for u in range(valid.n_users)], rows)
    best: tuple[float, dict[str, FusionWeight]] = (-1.0, dict(config.weights))
    for temperature in (1.0, 2.0):
        for covis_weight in (0.5, 1.0):
            for trending_weight in (0.1, 0.3):
                weights = {**config.weights,
                           "USER_VECTOR_ANN": FusionWeight(1.0, Normalisation.SOFTMAX, temperature),
                           "CO_VISITATION": FusionWeight(covis_weight, Normalisation.SHARE),
                           "TRENDING": FusionWeight(trending_weight, Normalisation.SHARE)}
                merged = []
                for user in range(valid.n_users):
                    results = [SourceResult(s, ls[user], [float(r[user][i]) for i in ls[user]])
                               for s, (ls, r) in lists.items()]
                    merged.append([c.item for c in merge(results, weights, config.quota)])
                objective = (recall_at(merged, valid.targets, 100) + recall_at(merged, valid.targets, 500)) / 2
                say(f"validation T={temperature} covis={covis_weight} trending={trending_weight}: {objective:.4f}")
                if objective > best[0]:
                    best = (objective, weights)
    return best[1]


def _source_scores(source: str, split: Split, *, item_category: np.ndarray, config: EvalConfig,
                   covis_row: list[np.ndarray], say: Callable[[str], None]) -> list[np.ndarray]:
    """Score rows of one production source for every evaluated user (-inf: not proposed)."""
    if source == "CO_VISITATION":
        return covis_row
    if source == "USER_VECTOR_ANN":
        model, info = train_tower(split.histories, split.n_items, config.tower)
        say(f"user tower trained in {info['train_seconds']:.0f} s, loss {info['train_loss']:.3f}")
        vectors = user_vectors(model, split.histories)
        items = model.item_vectors().detach().numpy()
        return list(vectors @ items.T)
    if source in ("TRENDING", "CATEGORY_AFFINITY"):
        times = np.asarray([t for ts in split.history_times for t in ts], dtype=np.float64)
        items = np.asarray([i for h in split.histories for i in h], dtype=np.int64)
        order = np.argsort(times, kind="stable")
        trend = trending_at(split, times[order], items[order], config.trending_half_life_days)
        if source == "TRENDING":
            return [np.where(t > 0, t, -np.inf) for t in trend]
        return [baselines.category_affinity(h, item_category, trend[u]) for u, h in enumerate(split.histories)]
    if source == "REPURCHASE":
        return [baselines.repurchase(h, ts, split.n_items) for h, ts in zip(split.histories, split.history_times,
                                                                            strict=True)]
    raise ValueError(f"unknown source {source}")
