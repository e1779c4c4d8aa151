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
SOURCE_INDEX = {name: n for n, name in enumerate(SOURCES)}


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


@dataclass
class CandidateColumns:
    """Candidates as columns, one array per field: what `featurize` reads.

    The service fills these straight from a RankRequest (no object per candidate); training and tests build
    them from `CandidateView`s with `of`. Float columns hold NaN where a value is unknown.

    Attributes:
        item_ids / category_keys: Per candidate ("" when the category is unknown).
        source_present: (n, len(SOURCES)) bool, whether each featured source proposed the candidate.
        source_score / source_rank: (n, len(SOURCES)) float64; 0 and RANK_CAP where not proposed.
        source_count: (n,) distinct sources (featured or not) that proposed it.
        retrieval_score ... price: (n,) float64 per CandidateView field.
    """

    item_ids: list[str]
    category_keys: list[str]
    source_present: np.ndarray
    source_score: np.ndarray
    source_rank: np.ndarray
    source_count: np.ndarray
    retrieval_score: np.ndarray
    learned_similarity: np.ndarray
    text_similarity: np.ndarray
    popularity: np.ndarray
    trend: np.ndarray
    view_to_click: np.ndarray
    click_to_purchase: np.ndarray
    price: np.ndarray

    def __len__(self) -> int:
        return len(self.item_ids)

    @classmethod
    def empty(cls, n: int) -> CandidateColumns:
        """n candidates with nothing known yet (ids and categories empty, values NaN, no sources)."""
        width = len(SOURCES)
        return cls([""] * n, [""] * n, np.zeros((n, width), dtype=bool), np.zeros((n, width)),
                   np.full((n, width), float(RANK_CAP)), np.zeros(n),
                   *(np.full(n, np.nan) for _ in _VALUE_FIELDS))

    @classmethod
    def of(cls, views: Sequence[CandidateView]) -> CandidateColumns:
        """The columns of CandidateViews (same order)."""
        out = cls.empty(len(views))
        for n, c in enumerate(views):
            out.item_ids[n] = c.item_id
            out.category_keys[n] = c.category_key
            out.source_count[n] = len(c.sources)
            for name, (score, rank) in c.sources.items():
                j = SOURCE_INDEX.get(name)
                if j is not None:
                    out.source_present[n, j] = True
                    out.source_score[n, j] = score
                    out.source_rank[n, j] = rank
            for name in _VALUE_FIELDS:
                getattr(out, name)[n] = _opt(getattr(c, name))
        return out

    def take(self, rows: np.ndarray) -> CandidateColumns:
        """The candidates at rows, in that order."""
        picked = rows.tolist()
        return CandidateColumns([self.item_ids[r] for r in picked], [self.category_keys[r] for r in picked],
                                self.source_present[rows], self.source_score[rows], self.source_rank[rows],
                                self.source_count[rows], *(getattr(self, name)[rows] for name in _VALUE_FIELDS))


_VALUE_FIELDS = ("retrieval_score", "learned_similarity", "text_similarity", "popularity", "trend", "view_to_click",
                 "click_to_purchase", "price")


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


def featurize(user: UserView, candidates: CandidateColumns | Sequence[CandidateView],
              space: ItemSpace = EMPTY_SPACE) -> np.ndarray:
    """The raw feature matrix (candidates x FEATURE_NAMES), NaN where a value is missing.

    Args:
        user: The user's features.
        candidates: Candidates in retrieval order (position is a feature), as columns or views.
        space: Item vectors for the similarity features; items it lacks get NaN there.
    """
    c = candidates if isinstance(candidates, CandidateColumns) else CandidateColumns.of(candidates)
    n = len(c)
    x = np.full((n, len(FEATURE_NAMES)), np.nan, dtype=np.float64)
    if n == 0:
        return x.astype(np.float32)
    col = INDEX
    x[:, col["retrieval_score"]] = c.retrieval_score
    x[:, col["retrieval_score_rel"]] = _rel(c.retrieval_score)
    x[:, col["retrieval_log_position"]] = np.log1p(np.arange(n))
    x[:, col["source_count"]] = c.source_count
    log_rank = np.log1p(np.clip(c.source_rank, 0, RANK_CAP))
    for j, source in enumerate(SOURCES):
        key = source.lower()
        x[:, col[f"{key}_present"]] = c.source_present[:, j]
        x[:, col[f"{key}_score"]] = c.source_score[:, j]
        x[:, col[f"{key}_score_rel"]] = _rel(c.source_score[:, j])
        x[:, col[f"{key}_log_rank"]] = log_rank[:, j]
    x[:, col["learned_similarity"]] = c.learned_similarity
    x[:, col["text_similarity"]] = c.text_similarity
    _similarity_features(x, user, c.item_ids, space)
    x[:, col["item_log_popularity"]] = np.log1p(np.maximum(c.popularity, 0.0))
    x[:, col["item_popularity_rel"]] = _rel(c.popularity)
    x[:, col["item_trend"]] = c.trend
    x[:, col["item_view_to_click"]] = c.view_to_click
    x[:, col["item_click_to_purchase"]] = c.click_to_purchase
    x[:, col["item_log_price"]] = np.log1p(np.maximum(c.price, 0.0))
    if user.known:
        _user_features(x, user, c)
    return x.astype(np.float32)


def _similarity_features(x: np.ndarray, user: UserView, item_ids: Sequence[str], space: ItemSpace) -> None:
    if not space.dimension or not user.known:
        return
    recent, recent_known = space.rows(list(user.recent_items[:RECENT_FOR_SIMILARITY]))
    recent = recent[recent_known]
    if not len(recent):
        return
    vectors, known = space.rows(item_ids)
    sims = (vectors @ recent.T)[known]
    x[known, INDEX["recent_max_similarity"]] = sims.max(axis=1)
    x[known, INDEX["recent_mean_similarity"]] = sims.mean(axis=1)


def _user_features(x: np.ndarray, user: UserView, c: CandidateColumns) -> None:
    col = INDEX
    x[:, col["user_log_events"]] = math.log1p(user.total_events) if user.total_events is not None else math.nan
    x[:, col["user_days_since_active"]] = ((user.as_of_s - user.last_active_s) / SECONDS_PER_DAY
                                           if user.last_active_s is not None else math.nan)
    ranked = sorted(user.category_affinities.items(), key=lambda kv: -kv[1])
    position = {key: n for n, (key, _) in enumerate(ranked)}
    affinities = user.category_affinities
    has_category = np.array([bool(k) for k in c.category_keys])
    affinity = np.array([affinities.get(k, 0.0) for k in c.category_keys], dtype=np.float64)
    category_rank = np.log1p(np.array([position.get(k, RANK_CAP) for k in c.category_keys], dtype=np.float64))
    x[has_category, col["user_category_affinity"]] = affinity[has_category]
    x[has_category, col["user_category_rank"]] = category_rank[has_category]
    count = np.zeros(len(c))
    days = np.full(len(c), 10_000.0)
    if user.purchases:
        for n, item in enumerate(c.item_ids):
            bought = user.purchases.get(item)
            if bought:
                count[n] = math.log1p(bought[0])
                days[n] = (user.as_of_s - bought[1]) / SECONDS_PER_DAY
    x[:, col["user_log_purchase_count"]] = count
    x[:, col["user_days_since_purchase"]] = days


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
