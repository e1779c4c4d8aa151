"""Ranker features: one function from (user, candidates) to a float matrix, shared by training and serving.

Training builds the same `UserView` / `CandidateView` from replayed retrieval as the service builds from a
RankRequest, so the two paths run one featuriser. A value that should be there but is missing or NaN is
NaN in the raw matrix; `Imputer` replaces it with the training median and counts it. A candidate that a
source did not propose is not missing data: its source features are encoded (present 0, rank at the cap).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

SOURCES = ("USER_VECTOR_ANN", "CO_VISITATION", "TEXT_NEIGHBOURS", "REPURCHASE", "TRENDING", "CATEGORY_AFFINITY",
           "LEXICAL_MATCH", "DENSE_MATCH")
"""Candidate sources with their own features (the others only count in `source_count`)."""
RANK_CAP = 1000
SECONDS_PER_DAY = 86400.0
RECENT_FOR_SIMILARITY = 10


def _source_features() -> list[str]:
    names = []
    for source in SOURCES:
        key = source.lower()
        names += [f"{key}_present", f"{key}_score", f"{key}_score_rel", f"{key}_log_rank"]
    return names


FEATURE_NAMES: tuple[str, ...] = (
    "retrieval_score", "retrieval_score_rel", "retrieval_log_position", "source_count",
    *_source_features(),
    "learned_similarity", "text_similarity", "recent_max_similarity", "recent_mean_similarity",
    "item_log_popularity", "item_popularity_rel", "item_trend", "item_view_to_click", "item_click_to_purchase",
    "item_log_price",
    "user_log_events", "user_days_since_active", "user_category_affinity", "user_category_rank",
    "user_log_purchase_count", "user_days_since_purchase",
)
"""Model inputs in order. Changing it changes SCHEMA_ID, and a service refuses artifacts of another schema."""

SCHEMA_ID = "ranker-features-v1-" + hashlib.sha256(",".join(FEATURE_NAMES).encode()).hexdigest()[:12]
INDEX = {name: n for n, name in enumerate(FEATURE_NAMES)}


@dataclass
class UserView:
    """What the ranker knows about the user (from profile's UserFeatures, or replayed from the log).

    Attributes:
        as_of_s: Event time the features hold at (epoch seconds).
        total_events: Events of the user up to as_of; None: unknown (imputed).
        recent_items: Item ids, newest first.
        category_affinities: Category key -> affinity (the deepest key of an item counts).
        purchases: Item id -> (purchase count, last purchase epoch seconds).
        last_active_s: Latest event time; None: unknown.
        known: False for an anonymous request or one without user features (all user features imputed).
    """

    as_of_s: float
    total_events: float | None = None
    recent_items: Sequence[str] = ()
    category_affinities: Mapping[str, float] = field(default_factory=dict)
    purchases: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    last_active_s: float | None = None
    known: bool = True


@dataclass
class CandidateView:
    """One candidate (from retrieval, with item features from profile).

    Attributes:
        item_id: The item.
        category_key: "/"-joined category path; empty when unknown.
        sources: Source name -> (score, 0-based rank).
        retrieval_score: Retrieval's merged score; None: unknown.
        learned_similarity / text_similarity: From retrieval; None: unknown.
        popularity / trend / view_to_click / click_to_purchase / price: Item features; None: unknown.
    """

    item_id: str
    category_key: str = ""
    sources: Mapping[str, tuple[float, int]] = field(default_factory=dict)
    retrieval_score: float | None = None
    learned_similarity: float | None = None
    text_similarity: float | None = None
    popularity: float | None = None
    trend: float | None = None
    view_to_click: float | None = None
    click_to_purchase: float | None = None
    price: float | None = None


class ItemSpace:
    """Unit item vectors by item id (the artifact's learned space) for similarity features, MMR and reasons."""

    def __init__(self, item_ids: Sequence[str], vectors: np.ndarray) -> None:
        self.index = {item: n for n, item in enumerate(item_ids)}
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(vectors) else np.ones((0, 1))
        self.vectors = (vectors / np.maximum(norms, 1e-9)).astype(np.float32)

    @property
    def dimension(self) -> int:
        """Width of the vectors (0 when the space is empty)."""
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 and len(self.vectors) else 0

    def rows(self, item_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, known mask) for item ids; unknown items get zero vectors."""
        found = np.array([self.index.get(i, -1) for i in item_ids], dtype=np.int64)
        known = found >= 0
        out = np.zeros((len(item_ids), max(self.dimension, 1)), dtype=np.float32)
        if self.dimension and known.any():
            out[known] = self.vectors[found[known]]
        return out, known


EMPTY_SPACE = ItemSpace([], np.zeros((0, 1), dtype=np.float32))


def _rel(values: np.ndarray) -> np.ndarray:
    """Each value over the largest finite absolute value among them (0 when none)."""
    finite = values[np.isfinite(values)]
    top = float(np.abs(finite).max()) if len(finite) else 0.0
    return values / top if top > 0 else np.where(np.isfinite(values), 0.0, np.nan)


def _opt(value: float | None) -> float:
    return math.nan if value is None else float(value)


def featurize(user: UserView, candidates: Sequence[CandidateView], space: ItemSpace = EMPTY_SPACE) -> np.ndarray:
    """The raw feature matrix (candidates x FEATURE_NAMES), NaN where a value is missing.

    Args:
        user: The user's features.
        candidates: Candidates in retrieval order (position is a feature).
        space: Item vectors for the similarity features; items it lacks get NaN there.
    """
    n = len(candidates)
    x = np.full((n, len(FEATURE_NAMES)), np.nan, dtype=np.float64)
    if n == 0:
        return x.astype(np.float32)
    col = INDEX
    retrieval = np.array([_opt(c.retrieval_score) for c in candidates])
    x[:, col["retrieval_score"]] = retrieval
    x[:, col["retrieval_score_rel"]] = _rel(retrieval)
    x[:, col["retrieval_log_position"]] = np.log1p(np.arange(n))
    x[:, col["source_count"]] = [len(c.sources) for c in candidates]
    for source in SOURCES:
        key = source.lower()
        present = np.array([source in c.sources for c in candidates])
        score = np.array([c.sources[source][0] if source in c.sources else 0.0 for c in candidates], dtype=np.float64)
        rank = np.array([c.sources[source][1] if source in c.sources else RANK_CAP for c in candidates],
                        dtype=np.float64)
        x[:, col[f"{key}_present"]] = present
        x[:, col[f"{key}_score"]] = score
        x[:, col[f"{key}_score_rel"]] = _rel(score)
        x[:, col[f"{key}_log_rank"]] = np.log1p(np.clip(rank, 0, RANK_CAP))
    x[:, col["learned_similarity"]] = [_opt(c.learned_similarity) for c in candidates]
    x[:, col["text_similarity"]] = [_opt(c.text_similarity) for c in candidates]
    _similarity_features(x, user, candidates, space)
    popularity = np.array([_opt(c.popularity) for c in candidates])
    x[:, col["item_log_popularity"]] = np.log1p(np.maximum(popularity, 0.0))
    x[:, col["item_popularity_rel"]] = _rel(popularity)
    x[:, col["item_trend"]] = [_opt(c.trend) for c in candidates]
    x[:, col["item_view_to_click"]] = [_opt(c.view_to_click) for c in candidates]
    x[:, col["item_click_to_purchase"]] = [_opt(c.click_to_purchase) for c in candidates]
    price = np.array([_opt(c.price) for c in candidates])
    x[:, col["item_log_price"]] = np.log1p(np.maximum(price, 0.0))
    if user.known:
        _user_features(x, user, candidates)
    return x.astype(np.float32)


def _similarity_features(x: np.ndarray, user: UserView, candidates: Sequence[CandidateView],
                         space: ItemSpace) -> None:
    if not space.dimension or not user.known:
        return
    recent, recent_known = space.rows(list(user.recent_items[:RECENT_FOR_SIMILARITY]))
    recent = recent[recent_known]
    if not len(recent):
        return
    vectors, known = space.rows([c.item_id for c in candidates])
    sims = vectors @ recent.T
    x[known, INDEX["recent_max_similarity"]] = sims[known].max(axis=1)
    x[known, INDEX["recent_mean_similarity"]] = sims[known].mean(axis=1)


def _user_features(x: np.ndarray, user: UserView, candidates: Sequence[CandidateView]) -> None:
    col = INDEX
    x[:, col["user_log_events"]] = math.log1p(user.total_events) if user.total_events is not None else math.nan
    x[:, col["user_days_since_active"]] = ((user.as_of_s - user.last_active_s) / SECONDS_PER_DAY
                                           if user.last_active_s is not None else math.nan)
    ranked = sorted(user.category_affinities.items(), key=lambda kv: -kv[1])
    position = {key: n for n, (key, _) in enumerate(ranked)}
    for n, c in enumerate(candidates):
        if c.category_key:
            x[n, col["user_category_affinity"]] = user.category_affinities.get(c.category_key, 0.0)
            x[n, col["user_category_rank"]] = math.log1p(position.get(c.category_key, RANK_CAP))
        bought = user.purchases.get(c.item_id)
        x[n, col["user_log_purchase_count"]] = math.log1p(bought[0]) if bought else 0.0
        x[n, col["user_days_since_purchase"]] = ((user.as_of_s - bought[1]) / SECONDS_PER_DAY if bought
                                                 else 10_000.0)


@dataclass
class Imputer:
    """Per-feature fill values from training and which features training ever saw.

    A feature training never observed (e.g. text similarity offline) is always set to its fill value, so a
    weight that never learnt anything cannot move a score at serving time.
    """

    fill: np.ndarray
    observed: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Imputer:
        """Medians of the finite values per column (0 for a column with none)."""
        finite = np.isfinite(x)
        observed = finite.any(axis=0)
        fill = np.zeros(x.shape[1], dtype=np.float32)
        for j in np.flatnonzero(observed):
            fill[j] = float(np.median(x[finite[:, j], j]))
        return cls(fill, observed)

    def transform(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """(filled copy, count of imputed values among features the model uses)."""
        missing = ~np.isfinite(x)
        count = int(missing[:, self.observed].sum())
        out = np.where(missing, self.fill[None, :], x).astype(np.float32)
        out[:, ~self.observed] = self.fill[~self.observed]
        return out, count
