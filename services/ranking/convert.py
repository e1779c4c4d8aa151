"""RankRequest protobuf -> domain query, domain result -> RankResponse (no logic beyond the mapping).

Unset messages and optional fields become None (imputed by the featuriser), never zeros.
"""

from __future__ import annotations

import math

from services.ranking.engine import RankCandidateIn, RankQuery, RankResult
from shopmesh.common.v1 import features_pb2, impression_pb2, recommendation_pb2
from shopmesh.ranking.v1 import ranking_service_pb2 as pb
from shopmesh.recsys.ranking.features import CandidateView, UserView

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


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def candidate(message: pb.RankCandidate) -> RankCandidateIn:
    """One candidate; NaN scores become missing values."""
    sources = {}
    for s in message.sources:
        name = _SOURCE_NAMES.get(s.source, "UNSPECIFIED")
        if name not in sources:
            sources[name] = (s.score if math.isfinite(s.score) else math.nan, max(0, s.rank))
    view = CandidateView(
        item_id=message.item_id, sources=sources, retrieval_score=_finite(message.retrieval_score),
        learned_similarity=_finite(message.learned_similarity) if message.HasField("learned_similarity") else None,
        text_similarity=_finite(message.text_similarity) if message.HasField("text_similarity") else None)
    in_stock = None
    if message.HasField("item_features"):
        f = message.item_features
        view.category_key = "/".join(f.category_path)
        view.popularity = _finite(f.popularity)
        view.trend = _finite(f.trend)
        view.view_to_click = _finite(f.view_to_click_rate)
        view.click_to_purchase = _finite(f.click_to_purchase_rate)
        view.price = f.price.amount_micros / _MICROS if f.HasField("price") else None
        in_stock = f.stock_quantity > 0
    return RankCandidateIn(view, in_stock)


def query(request: pb.RankRequest, catalog_id: str, now_s: float) -> RankQuery:
    """The domain query of a RankRequest."""
    ctx = request.context
    return RankQuery(
        catalog_id=catalog_id, user=user_view(request, now_s),
        candidates=[candidate(c) for c in request.candidates],
        surface=_SURFACES.get(ctx.surface, "UNSPECIFIED"), language=ctx.language_code or "en",
        anchor_item_id=ctx.anchor_item_id, experiment_variant=ctx.experiment_variant,
        diversity_lambda=request.diversity_lambda if request.HasField("diversity_lambda") else None,
        business_rules_id=request.business_rules_id, limit=request.limit, model_version=request.model_version)


def response(result: RankResult) -> pb.RankResponse:
    """The RankResponse of a domain result."""
    out = pb.RankResponse(model_name=result.model_name, model_version=result.model_version,
                          diversity_lambda=result.diversity_lambda, business_rules_id=result.business_rules_id,
                          duplicate_count=result.duplicate_count, imputed_feature_count=result.imputed_feature_count)
    for item in result.items:
        r = item.reason
        out.items.append(pb.RankedItem(
            item_id=item.item_id, position=item.position, score=item.score,
            reason=recommendation_pb2.RecommendationReason(kind=_KINDS[r.kind], text=r.text,
                                                           anchor_item_id=r.anchor_item_id,
                                                           category_key=r.category_key),
            applied_rules=[pb.AppliedRule(rule_id=rule_id, effect=_EFFECTS[effect])
                           for rule_id, effect in item.applied_rules]))
    return out
