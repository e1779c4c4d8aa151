"""Retrieval replayed at interaction times: the candidates the ranker trains on and is evaluated over.

For a split, every source of #7 is fitted on the visible events only, each user's sources are scored as of
that user's cut time (trending from events strictly earlier, event time), and their quota-cut lists are
fused by `shopmesh.recsys.merge.merge`, the service's code. The first `candidates` merged items become
`CandidateView`s, the visible history becomes a `UserView`, exactly what the service builds from a request.
Training replays the split one step earlier (validation targets); evaluation replays the test split.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from shopmesh.recsys import baselines
from shopmesh.recsys.covisit import CoVisitationConfig, build_co_visitation
from shopmesh.recsys.evaluate import trending_at
from shopmesh.recsys.merge import FusionWeight, SourceResult, merge
from shopmesh.recsys.metrics import top_k
from shopmesh.recsys.protocol import Split
from shopmesh.recsys.ranking.features import CandidateView, ItemSpace, UserView
from shopmesh.recsys.tower import TowerConfig, train_tower, user_vectors

SHORT_HALF_LIFE_DAYS = 1.0
AFFINITY_LAST_N = 50


@dataclass
class ReplayConfig:
    """What retrieval looks like in the replay.

    Attributes:
        sources: Production sources fused, by name.
        weights: Fusion weights (the service's policy for the catalogue).
        quota: Items each source proposes before the merge.
        candidates: Merged candidates handed to the ranker.
        tower: User tower settings; None leaves USER_VECTOR_ANN (and learned similarity) out.
        trending_half_life_days: Half-life of trending and of item popularity.
    """

    sources: Sequence[str]
    weights: Mapping[str, FusionWeight]
    quota: int = 500
    candidates: int = 200
    tower: TowerConfig | None = field(default_factory=TowerConfig)
    trending_half_life_days: float = 7.0


@dataclass
class Replay:
    """Replayed retrieval over one split.

    Attributes:
        split: The split replayed (targets are the labels).
        item_keys: Dense index -> item id string as the service sees it.
        categories: Dense index -> category key.
        candidates: Per user, merged candidate indices in retrieval order.
        users: Per user, the UserView as of the cut.
        views: Per user, the CandidateViews (same order as candidates).
        space: Item vectors (the tower's learned space, empty without a tower).
        source_scores: Per source, per user score rows (-inf: not proposed), for baselines.
        seconds: Time spent per stage.
    """

    split: Split
    item_keys: list[str]
    categories: list[str]
    candidates: list[list[int]]
    users: list[UserView]
    views: list[list[CandidateView]]
    space: ItemSpace
    source_scores: dict[str, list[np.ndarray]]
    seconds: dict[str, float]


def previous_basket_split(split: Split) -> Split:
    """Instacart one step earlier: each user's last visible basket becomes the target (users with >= 2 kept)."""
    keep = [u for u, b in enumerate(split.baskets) if len(b) >= 2]
    histories, times, targets, test_times, baskets = [], [], [], [], []
    for u in keep:
        visible = split.baskets[u][:-1]
        n = sum(len(b) for b in visible)
        histories.append(split.histories[u][:n])
        times.append(split.history_times[u][:n])
        targets.append(sorted(set(split.baskets[u][-1])))
        test_times.append(split.history_times[u][n])
        baskets.append(visible)
    return Split(f"{split.name}-validation", split.item_ids, histories, times, targets, test_times,
                 split.exclude_seen, baskets)


def replay(split: Split, item_keys: Sequence[str], categories: Sequence[str], prices: np.ndarray, *,
           config: ReplayConfig, log: Callable[[str], None] | None = None) -> Replay:
    """Fits the sources on the split's visible events and replays retrieval for every user.

    Args:
        split: The split (visible histories, cut times).
        item_keys: Item id strings by dense index.
        categories: Category keys by dense index.
        prices: Price (major units) by dense index.
        config: Sources, weights and sizes.
        log: Progress lines, if wanted.
    """
    say = log or (lambda _: None)
    seconds: dict[str, float] = {}
    banned = [h if split.exclude_seen else [] for h in split.histories]
    category_index = {c: n for n, c in enumerate(sorted(set(categories)))}
    item_category = np.asarray([category_index[c] for c in categories], dtype=np.int64)

    t = time.monotonic()
    times = np.asarray([x for ts in split.history_times for x in ts], dtype=np.float64)
    items = np.asarray([i for h in split.histories for i in h], dtype=np.int64)
    order = np.argsort(times, kind="stable")
    popularity = trending_at(split, times[order], items[order], config.trending_half_life_days)
    short = trending_at(split, times[order], items[order], SHORT_HALF_LIFE_DAYS)
    seconds["trending"] = time.monotonic() - t

    rows: dict[str, list[np.ndarray]] = {}
    space = ItemSpace([], np.zeros((0, 1), dtype=np.float32))
    learned: np.ndarray | None = None
    for source in config.sources:
        t = time.monotonic()
        if source == "USER_VECTOR_ANN":
            if config.tower is None:
                continue
            model, info = train_tower(split.histories, split.n_items, config.tower)
            say(f"user tower trained in {info['train_seconds']:.0f} s")
            item_vectors = model.item_vectors().detach().numpy()
            learned = user_vectors(model, split.histories) @ item_vectors.T
            rows[source] = list(learned)
            space = ItemSpace(list(item_keys), item_vectors)
        elif source == "CO_VISITATION":
            table = build_co_visitation(split.histories, split.n_items, CoVisitationConfig())
            rows[source] = [np.where(s > 0, s, -np.inf) for s in (table.score_history(h) for h in split.histories)]
        elif source == "TRENDING":
            rows[source] = [np.where(p > 0, p, -np.inf) for p in popularity]
        elif source == "CATEGORY_AFFINITY":
            rows[source] = [baselines.category_affinity(h, item_category, popularity[u])
                            for u, h in enumerate(split.histories)]
        elif source == "REPURCHASE":
            rows[source] = [baselines.repurchase(h, ts, split.n_items)
                            for h, ts in zip(split.histories, split.history_times, strict=True)]
        else:
            raise ValueError(f"source {source} is not replayed offline")
        seconds[source.lower()] = time.monotonic() - t

    t = time.monotonic()
    all_candidates: list[list[int]] = []
    users: list[UserView] = []
    views: list[list[CandidateView]] = []
    for u in range(split.n_users):
        results = []
        for source, per_user in rows.items():
            chosen = top_k(per_user[u], config.quota, banned[u])
            results.append(SourceResult(source, chosen, [float(per_user[u][i]) for i in chosen]))
        merged = merge(results, config.weights, config.candidates)
        all_candidates.append([c.item for c in merged])
        users.append(user_view(split.histories[u], split.history_times[u], split.test_times[u], item_keys,
                               categories, purchases=not split.exclude_seen))
        views.append([CandidateView(
            item_id=item_keys[c.item], category_key=categories[c.item],
            sources={s: (score, rank) for s, score, rank in c.sources}, retrieval_score=c.score,
            learned_similarity=float(learned[u][c.item]) if learned is not None else None,
            popularity=float(popularity[u][c.item]),
            trend=float(short[u][c.item] / popularity[u][c.item]) if popularity[u][c.item] > 0 else 0.0,
            price=float(prices[c.item])) for c in merged])
    seconds["merge"] = time.monotonic() - t
    return Replay(split, list(item_keys), list(categories), all_candidates, users, views, space, rows, seconds)


def user_view(history: Sequence[int], times: Sequence[int], as_of: int, item_keys: Sequence[str],
              categories: Sequence[str], *, purchases: bool) -> UserView:
    """The UserView of a visible history as of a cut time (what profile reports at that event time).

    Args:
        history: Visible item indices, oldest first.
        times: Their event times.
        as_of: The cut (epoch seconds).
        item_keys: Item id strings by dense index.
        categories: Category keys by dense index.
        purchases: Whether the events are purchases (groceries) and feed the purchase features.
    """
    recent = [item_keys[i] for i in reversed(history[-AFFINITY_LAST_N:])]
    shares: dict[str, float] = defaultdict(float)
    tail = history[-AFFINITY_LAST_N:]
    for i in tail:
        shares[categories[i]] += 1.0 / len(tail)
    bought: dict[str, tuple[int, float]] = {}
    if purchases:
        for i, when in zip(history, times, strict=True):
            count, _ = bought.get(item_keys[i], (0, 0.0))
            bought[item_keys[i]] = (count + 1, float(when))
    return UserView(as_of_s=float(as_of), total_events=float(len(history)), recent_items=recent,
                    category_affinities=dict(shares), purchases=bought,
                    last_active_s=float(max(times)) if len(times) else None)
