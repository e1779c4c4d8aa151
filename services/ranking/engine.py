"""Rank in domain terms: validate, dedupe, featurise, impute, score, MMR, business rules, reasons.

No gRPC here: errors are the kit's DomainErrors (InvalidArgument with field violations, NotFound,
Unavailable), which the server interceptor maps to statuses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from services.ranking.models import ModelRegistry
from services.ranking.reasons import GROUP_REASON, Reason, render
from services.ranking.rules import RuleBook, RuleContext, RuleItem, apply_rules
from shared.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from shopmesh.recsys.ranking.artifact import RankerArtifact
from shopmesh.recsys.ranking.diversity import mmr, similarity_matrix
from shopmesh.recsys.ranking.features import INDEX, RANK_CAP, SOURCES, CandidateColumns, UserView, featurize

MAX_CANDIDATES = 1000
MMR_WINDOW = 100
# Features reset with each source's group when finding what drove a score.
_GROUP_EXTRA = {
    "USER_VECTOR_ANN": ("learned_similarity",),
    "CO_VISITATION": ("recent_max_similarity", "recent_mean_similarity"),
    "TEXT_NEIGHBOURS": ("text_similarity",),
    "REPURCHASE": ("user_log_purchase_count", "user_days_since_purchase"),
    "TRENDING": ("item_log_popularity", "item_popularity_rel", "item_trend"),
    "CATEGORY_AFFINITY": ("user_category_affinity", "user_category_rank"),
}


@dataclass
class RankQuery:
    """A Rank request in domain terms."""

    catalog_id: str
    user: UserView
    candidates: CandidateColumns
    surface: str
    in_stock: Sequence[bool | None] = ()
    """Per candidate, whether it is in stock (None: unknown); empty: unknown for all."""
    language: str = "en"
    anchor_item_id: str = ""
    experiment_variant: str = ""
    diversity_lambda: float | None = None
    business_rules_id: str = ""
    limit: int = 0
    model_version: str = ""


@dataclass
class RankedOut:
    """One ranked item."""

    item_id: str
    position: int
    score: float
    reason: Reason
    applied_rules: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RankResult:
    """What Rank returns."""

    items: list[RankedOut]
    model_name: str
    model_version: str
    diversity_lambda: float
    business_rules_id: str
    duplicate_count: int
    imputed_feature_count: int


@dataclass(frozen=True)
class EngineConfig:
    """Service-level knobs.

    Attributes:
        default_diversity_lambda: MMR lambda when a request leaves it unset.
        mmr_page: Positions MMR fills (the rest keep score order).
        default_catalog: Catalogue of a request without one; also the model for catalogues without their own.
    """

    default_diversity_lambda: float = 0.1
    mmr_page: int = 20
    default_catalog: str = "movielens"


def validate(query: RankQuery, rules: RuleBook) -> None:
    """Raises InvalidArgument with every violation found."""
    bad: list[FieldViolation] = []
    if len(query.candidates) > MAX_CANDIDATES:
        bad.append(FieldViolation("candidates", f"TOO_MANY: {len(query.candidates)} candidates, at most "
                                                f"{MAX_CANDIDATES}"))
    else:
        for n in [n for n, item in enumerate(query.candidates.item_ids) if not item]:
            bad.append(FieldViolation(f"candidates[{n}].item_id", "REQUIRED: every candidate needs an item id"))
    lam = query.diversity_lambda
    if lam is not None and not (0.0 <= lam <= 1.0):
        bad.append(FieldViolation("diversity_lambda", "OUT_OF_RANGE: 0 to 1"))
    if query.business_rules_id and rules.resolve(query.business_rules_id, query.catalog_id) is None:
        bad.append(FieldViolation("business_rules_id", f"UNKNOWN_RULES: {query.business_rules_id!r}; "
                                                       f"known: {', '.join(sorted(rules.sets))}"))
    if query.limit < 0:
        bad.append(FieldViolation("limit", "NEGATIVE: 0 (all) or more"))
    if query.surface == "UNSPECIFIED":
        bad.append(FieldViolation("context.surface", "UNSPECIFIED: HOME_FEED, SIMILAR_ITEMS or SEARCH"))
    if bad:
        raise InvalidArgument("invalid Rank request", bad)


class RankingEngine:
    """Ranks candidates with the registry's models, the rule book and the engine config."""

    def __init__(self, registry: ModelRegistry, rules: RuleBook, config: EngineConfig) -> None:
        self.registry = registry
        self.rules = rules
        self.config = config

    def model_for(self, catalog_id: str, version: str = "") -> RankerArtifact:
        """The promoted (or pinned) model of a catalogue, the default catalogue's when it has none."""
        models = self.registry.catalog(catalog_id) or self.registry.catalog(self.config.default_catalog)
        if models is None or models.promoted is None:
            raise Unavailable("no ranking model is loaded yet; serve retrieval order", reason="MODEL_LOADING")
        if version:
            pinned = models.loaded.get(version)
            if pinned is None:
                raise NotFound(f"model version {version!r} is not loaded", reason="UNKNOWN_MODEL_VERSION",
                               metadata={"model_version": version})
            return pinned
        return models.promoted

    def rank(self, query: RankQuery) -> RankResult:
        """Ranks one request (see the proto for the contract)."""
        validate(query, self.rules)
        model = self.model_for(query.catalog_id, query.model_version)
        rule_set = self.rules.resolve(query.business_rules_id, query.catalog_id)
        assert rule_set is not None  # validate() refused unknown ids
        lam = self.config.default_diversity_lambda if query.diversity_lambda is None else query.diversity_lambda
        cols, in_stock = _unique(query.candidates, query.in_stock)
        result = RankResult([], model.manifest.name, model.manifest.version, lam, rule_set.rule_set_id,
                            len(query.candidates) - len(cols), 0)
        if not len(cols):
            return result
        filled, result.imputed_feature_count = model.imputer.transform(featurize(query.user, cols, model.space))
        scores = model.score(filled)
        order = self._diversify(model, cols, scores, lam)
        ids, categories = cols.item_ids, cols.category_keys
        ruled = apply_rules([RuleItem(ids[i], categories[i], in_stock[i] if in_stock else None) for i in order],
                            rule_set, RuleContext(query.experiment_variant, query.surface))
        page_items = ruled[:query.limit or len(ruled)]
        index = {item: n for n, item in enumerate(ids)}
        page = np.array([index[item.item_id] for item in page_items], dtype=np.int64)
        drivers = self._drivers(model, filled, page)
        anchors = self._closest_recent(model, query.user, [ids[n] for n in page.tolist()])
        reasons: dict[tuple[str, str, str], Reason] = {}
        for position, (item, n, driver, anchor) in enumerate(zip(page_items, page.tolist(), drivers, anchors,
                                                                 strict=True)):
            kind = self._reason_kind(query, driver)
            key = (kind, anchor if kind == "SIMILAR_TO_RECENT" else "", categories[n])
            reason = reasons.get(key)
            if reason is None:
                reason = reasons[key] = self._reason(query, model, *key)
            result.items.append(RankedOut(item.item_id, position, float(scores[n]), reason, item.applied))
        return result

    def _diversify(self, model: RankerArtifact, cols: CandidateColumns, scores: np.ndarray, lam: float) -> np.ndarray:
        """MMR over the best MMR_WINDOW by score (the page is picked from them); the rest keep score order."""
        by_score = np.argsort(-scores, kind="stable")
        if lam <= 0:
            return by_score
        window = by_score[:MMR_WINDOW]
        ids = [cols.item_ids[i] for i in window.tolist()]
        vectors, known = model.space.rows(ids) if model.space.dimension else (None, None)
        similarity = similarity_matrix([cols.category_keys[i] for i in window.tolist()], vectors, known)
        picked = window[mmr(scores[window], similarity, lam, self.config.mmr_page)]
        return np.concatenate([picked, by_score[MMR_WINDOW:]])

    @staticmethod
    def _drivers(model: RankerArtifact, x: np.ndarray, rows: np.ndarray) -> list[str]:
        """Per row, the source group whose removal lowers its score most ("" when none proposed it).

        Occlusion: each group present in a row is reset to "not proposed" (and its extra features to their
        fill values), all trials in one batched forward of the model's explain scores (for an ensemble, its
        first member; see RankerEnsemble.explain).
        """
        trials: list[np.ndarray] = []
        labels: list[tuple[np.ndarray, int]] = []
        for j, source in enumerate(SOURCES):
            key = source.lower()
            present = np.flatnonzero(x[rows, INDEX[f"{key}_present"]] > 0)
            if not len(present):
                continue
            trial = x[rows[present]].copy()
            trial[:, [INDEX[f"{key}_present"], INDEX[f"{key}_score"], INDEX[f"{key}_score_rel"]]] = 0.0
            trial[:, INDEX[f"{key}_log_rank"]] = math.log1p(RANK_CAP)
            for name in _GROUP_EXTRA.get(source, ()):
                trial[:, INDEX[name]] = model.imputer.fill[INDEX[name]]
            trials.append(trial)
            labels.append((present, j))
        if not trials:
            return [""] * len(rows)
        scored = model.explain_score(np.concatenate([x[rows], *trials]))
        base, occluded = scored[:len(rows)], scored[len(rows):]
        drops = np.full((len(rows), len(SOURCES)), -np.inf)
        start = 0
        for present, j in labels:
            drops[present, j] = base[present] - occluded[start:start + len(present)]
            start += len(present)
        best = np.argmax(drops, axis=1)
        found = np.isfinite(drops[np.arange(len(rows)), best])
        return [SOURCES[b] if f else "" for b, f in zip(best.tolist(), found.tolist(), strict=True)]

    @staticmethod
    def _reason_kind(query: RankQuery, driver: str) -> str:
        if query.surface == "SIMILAR_ITEMS" and query.anchor_item_id:
            return "SIMILAR_TO_ITEM"
        if not query.user.known or not query.user.recent_items:
            kind = GROUP_REASON.get(driver, "POPULAR_WITH_NEW_USERS")
            return "POPULAR_WITH_NEW_USERS" if kind in ("SIMILAR_TO_RECENT", "FOR_YOU", "BUY_AGAIN") else kind
        return GROUP_REASON.get(driver, "FOR_YOU")

    @staticmethod
    def _reason(query: RankQuery, model: RankerArtifact, kind: str, anchor: str, category_key: str) -> Reason:
        catalog = model.manifest.catalog_id
        if kind == "SIMILAR_TO_ITEM":
            return render(kind, query.language, catalog, title=model.titles.get(query.anchor_item_id, ""),
                          anchor_item_id=query.anchor_item_id)
        return render(kind, query.language, catalog, title=model.titles.get(anchor, ""), anchor_item_id=anchor,
                      category_key=category_key)

    @staticmethod
    def _closest_recent(model: RankerArtifact, user: UserView, item_ids: Sequence[str]) -> list[str]:
        """Per item, the recent item most similar in the item space (the most recent one where unknown)."""
        recent = list(user.recent_items[:10])
        if not recent:
            return [""] * len(item_ids)
        out = [recent[0]] * len(item_ids)
        if model.space.dimension:
            vectors, known = model.space.rows(recent)
            targets, found = model.space.rows(list(item_ids))
            if known.any():
                sims = np.where(known[None, :], targets @ vectors.T, -np.inf)
                best = np.argmax(sims, axis=1)
                out = [recent[int(b)] if f else recent[0] for b, f in zip(best, found, strict=True)]
        return out


def _unique(cols: CandidateColumns, in_stock: Sequence[bool | None]) -> tuple[CandidateColumns, list[bool | None]]:
    """The first occurrence of each item id, in request order (and the stock flags alongside)."""
    first: dict[str, int] = {}
    for n, item in enumerate(cols.item_ids):
        first.setdefault(item, n)
    stock = list(in_stock)
    if len(first) == len(cols):
        return cols, stock
    rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
    return cols.take(rows), [stock[r] for r in rows.tolist()] if stock else []
