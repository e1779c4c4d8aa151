"""RankRequest protobuf -> domain query, domain result -> RankResponse (no logic beyond the mapping).

Unset messages and optional fields become None (imputed by the featuriser), never zeros.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.ranking.engine import RankQuery, RankResult
from shopmesh.common.v1 import features_pb2, impression_pb2, recommendation_pb2
from shopmesh.ranking.v1 import ranking_service_pb2 as pb
from shopmesh.recsys.ranking.features import SOURCE_INDEX, CandidateColumns, UserView

_SOURCE_NAMES = {v: k.removeprefix("CANDIDATE_SOURCE_")
                 for k, v in recommendation_pb2.CandidateSource.items()}
_SURFACES = {v: k.removeprefix("SURFACE_") for k, v in impression_pb2.Surface.items()}
_KINDS = {k.removeprefix("REASON_KIND_"): v for k, v in recommendation_pb2.ReasonKind.items()}
_EFFECTS = {k.removeprefix("RULE_EFFECT_"): v for k, v in pb.RuleEffect.items()}
_MICROS = 1_000_000


def _seconds(ts: object) -> float:
    return ts.seconds + ts.nanos / 1e9  # type: ignore[attr-defined]


def user_view(request: pb.RankRequest, now_s: float) -> UserView:
    """The user's features; unset user_features (or an anonymous request) makes every user feature missing."""
    as_of = _seconds(request.context.request_time) if request.context.HasField("request_time") else now_s
    if not request.HasField("user_features"):
        return UserView(as_of_s=as_of, known=False)
    f: features_pb2.UserFeatures = request.user_features
    return UserView(
        as_of_s=as_of,
        total_events=float(f.total_event_count),
        recent_items=[r.item_id for r in f.recent_items],
        category_affinities=dict(f.category_affinities),
        purchases={p.item_id: (p.purchase_count, _seconds(p.last_purchase_time)) for p in f.purchased_items},
        last_active_s=_seconds(f.last_active_time) if f.HasField("last_active_time") else None,
    )


_SOURCE_COLUMN_TABLE = np.array([SOURCE_INDEX.get(_SOURCE_NAMES.get(number, ""), -1)
                                 for number in range(max(_SOURCE_NAMES) + 1)], dtype=np.int64)
"""CandidateSource number -> column in the source arrays (-1: a source without its own features)."""


def candidates(messages: Sequence[pb.RankCandidate]) -> tuple[CandidateColumns, list[bool | None]]:
    """The candidates as columns, and whether each is in stock (None: no item features).

    One pass over the messages into flat lists of plain values, then one array per column: no object per
    candidate. Unset optional fields and unset item features stay NaN (imputed); NaN scores stay NaN.
    Presence (HasField) is asked only of values that read as zero, which is what an unset field reads as.
    An item's features are read once per distinct content (by their wire bytes; see ITEM_CACHE_SIZE).
    """
    n = len(messages)
    cols = CandidateColumns.empty(n)
    if not n:
        return cols, []
    nan, item_cache = _NAN, _ITEM_CACHE
    ids: list[str] = []
    scores: list[float] = []
    source_entries: list[tuple[int, float, int]] = []
    source_counts: list[int] = []
    featured: list[int] = []
    item_values: list[float] = []
    in_stock: list[bool | None] = [None] * n
    categories = cols.category_keys
    add_id, add_score, add_entry, add_count, add_value = (ids.append, scores.append, source_entries.append,
                                                          source_counts.append, item_values.extend)
    for i, c in enumerate(messages):
        add_id(c.item_id)
        learned, text = c.learned_similarity, c.text_similarity
        add_score(c.retrieval_score)
        add_score(learned if learned or c.HasField("learned_similarity") else nan)
        add_score(text if text or c.HasField("text_similarity") else nan)
        entries = c.sources
        add_count(len(entries))
        for e in entries:
            add_entry((e.source, e.score, e.rank))
        if c.HasField("item_features"):
            f = c.item_features
            key = f.SerializeToString()
            known = item_cache.get(key)
            if known is None:
                known = _item_values(f)
                if len(item_cache) >= ITEM_CACHE_SIZE:
                    item_cache.clear()
                item_cache[key] = known
                ITEM_CACHE_STATS.misses += 1
            featured.append(i)
            categories[i] = known[0]
            add_value(known[1])
            in_stock[i] = known[2]
    cols.item_ids = ids
    ITEM_CACHE_STATS.lookups += len(featured)
    values = _finite(np.array(scores, dtype=np.float64).reshape(n, 3))
    cols.retrieval_score, cols.learned_similarity, cols.text_similarity = values[:, 0], values[:, 1], values[:, 2]
    _sources(cols, source_entries, np.array(source_counts, dtype=np.int64))
    if featured:
        at = np.asarray(featured, dtype=np.int64)
        values = _finite(np.array(item_values, dtype=np.float64).reshape(len(featured), 5))
        for j, column in enumerate((cols.popularity, cols.trend, cols.view_to_click, cols.click_to_purchase,
                                    cols.price)):
            column[at] = values[:, j]
    return cols, in_stock


_NAN = float("nan")

ITEM_CACHE_SIZE = 50_000
"""Distinct ItemFeatures contents kept read (about 200 bytes each). Every feed carries the same few hundred
items' features, so reading their nine fields each time was a quarter of the conversion; keyed by the bytes,
an entry can never be stale. Cleared when full."""
_ITEM_CACHE: dict[bytes, tuple[str, tuple[float, float, float, float, float], bool]] = {}


class _CacheCounts:
    """Lookups and misses of the item-features cache (hits derived, so the loop counts only its misses)."""

    lookups = 0
    misses = 0

    @property
    def hits(self) -> int:
        return self.lookups - self.misses


ITEM_CACHE_STATS = _CacheCounts()


def _item_values(f: features_pb2.ItemFeatures) -> tuple[str, tuple[float, float, float, float, float], bool]:
    """(category key, (popularity, trend, view->click, click->purchase, price or NaN), in stock)."""
    price = f.price.amount_micros / _MICROS if f.HasField("price") else _NAN
    return ("/".join(f.category_path),
            (f.popularity, f.trend, f.view_to_click_rate, f.click_to_purchase_rate, price), f.stock_quantity > 0)


def _finite(values: np.ndarray) -> np.ndarray:
    """The array with NaN where a value is not finite (in place)."""
    values[~np.isfinite(values)] = np.nan
    return values


def _sources(cols: CandidateColumns, entries: list[tuple[int, float, int]], lengths: np.ndarray) -> None:
    """Source columns from the flat (source, score, rank) entries, `lengths[i]` of them candidate i's.

    Per candidate the first entry of each source counts; featured sources get columns.
    """
    if not entries:
        return
    flat = np.array(entries, dtype=np.float64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    number = flat[:, 0].astype(np.int64)
    _, first = np.unique(owner * (number.max() + 1) + number, return_index=True)
    owner, number, flat = owner[first], number[first], flat[first]
    cols.source_count[:] = np.bincount(owner, minlength=len(lengths))
    column = _SOURCE_COLUMN_TABLE[np.clip(number, 0, len(_SOURCE_COLUMN_TABLE) - 1)]
    column[(number < 0) | (number >= len(_SOURCE_COLUMN_TABLE))] = -1
    featured = column >= 0
    owner, column, flat = owner[featured], column[featured], flat[featured]
    cols.source_present[owner, column] = True
    scores = flat[:, 1]
    cols.source_score[owner, column] = np.where(np.isfinite(scores), scores, np.nan)
    cols.source_rank[owner, column] = np.maximum(flat[:, 2], 0)


def query(request: pb.RankRequest, catalog_id: str, now_s: float) -> RankQuery:
    """The domain query of a RankRequest."""
    ctx = request.context
    cols, in_stock = candidates(request.candidates)
    return RankQuery(
        catalog_id=catalog_id, user=user_view(request, now_s),
        candidates=cols, in_stock=in_stock,
        surface=_SURFACES.get(ctx.surface, "UNSPECIFIED"), language=ctx.language_code or "en",
        anchor_item_id=ctx.anchor_item_id, experiment_variant=ctx.experiment_variant,
        diversity_lambda=request.diversity_lambda if request.HasField("diversity_lambda") else None,
        business_rules_id=request.business_rules_id, limit=request.limit, model_version=request.model_version)


def response(result: RankResult) -> pb.RankResponse:
    """The RankResponse of a domain result."""
    out = pb.RankResponse(model_name=result.model_name, model_version=result.model_version,
                          diversity_lambda=result.diversity_lambda, business_rules_id=result.business_rules_id,
                          duplicate_count=result.duplicate_count, imputed_feature_count=result.imputed_feature_count)
    messages: dict[int, recommendation_pb2.RecommendationReason] = {}
    items = out.items
    for item in result.items:
        r = item.reason
        reason = messages.get(id(r))
        if reason is None:
            reason = messages[id(r)] = recommendation_pb2.RecommendationReason(
                kind=_KINDS[r.kind], text=r.text, anchor_item_id=r.anchor_item_id, category_key=r.category_key)
        ranked = items.add(item_id=item.item_id, position=item.position, score=item.score)
        ranked.reason.CopyFrom(reason)
        for rule_id, effect in item.applied_rules:
            ranked.applied_rules.add(rule_id=rule_id, effect=_EFFECTS[effect])
    return out
