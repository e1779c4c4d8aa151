"""Component tests of RankingService on a real grpc.aio server over mTLS: ranking, bad input, model states."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import cast

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shopmesh.common.v1 import artifact_pb2, features_pb2, impression_pb2, money_pb2, recommendation_pb2
from shopmesh.ranking.v1 import ranking_service_pb2 as pb
from tests.grpc_errors import field_violations
from tests.ranking import helpers
from tests.ranking.conftest import Factory

COVIS = recommendation_pb2.CANDIDATE_SOURCE_CO_VISITATION
TRENDING = recommendation_pb2.CANDIDATE_SOURCE_TRENDING


def user_features(*recent: int) -> features_pb2.UserFeatures:
    """Profile-style user features."""
    out = features_pb2.UserFeatures(user_id="u1", total_event_count=len(recent),
                                    category_affinities={"Movies/Comedy": 0.8, "Movies/Drama": 0.2})
    for n, item in enumerate(recent):
        r = out.recent_items.add(item_id=helpers.item_id(item))
        r.event_time.seconds = 999_000 - n
    out.last_active_time.seconds = 999_000
    return out


def candidate(n: int, rank: int, covis: float | None = None) -> pb.RankCandidate:
    """A candidate with item features and sources."""
    c = pb.RankCandidate(item_id=helpers.item_id(n % helpers.N_ITEMS), retrieval_score=1.0 / (1 + rank))
    c.sources.add(source=TRENDING, score=float(helpers.N_ITEMS - n % helpers.N_ITEMS), rank=rank)
    if covis is not None:
        c.sources.add(source=COVIS, score=covis, rank=rank)
    f = c.item_features
    f.category_path.extend(helpers.CATEGORIES[n % 3].split("/"))
    f.popularity = float(helpers.N_ITEMS - n % helpers.N_ITEMS)
    f.trend = 1.0
    f.stock_quantity = 5
    f.price.CopyFrom(money_pb2.Money(currency_code="USD", amount_micros=9_990_000))
    return c


def request(candidates: list[pb.RankCandidate], **kwargs: object) -> pb.RankRequest:
    """A home-feed Rank request."""
    ctx = cast(pb.RankingContext, kwargs.pop("context", None) or pb.RankingContext(
        surface=impression_pb2.SURFACE_HOME_FEED))
    ctx.request_time.seconds = 1_000_000
    return pb.RankRequest(user_id="u1", user_features=user_features(1, 2), candidates=candidates, context=ctx,
                          **kwargs)  # type: ignore[arg-type]


async def test_not_serving_until_a_model_is_loaded(ranking: Factory, tmp_path: Path, mesh_certs: Path) -> None:
    app, stub = await ranking()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.host.health_port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Rank(request([candidate(1, 0, 0.5)]), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        helpers.write_artifact(tmp_path / "artifacts")
        await app.refresh()
        reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    response = await stub.Rank(request([candidate(1, 0, 0.5)]), timeout=5)
    assert response.items[0].item_id == "ml-1" and response.model_version == "1"


async def test_ranks_by_the_model_with_reasons_and_counts(ranking: Factory, tmp_path: Path) -> None:
    helpers.write_artifact(tmp_path / "artifacts")
    _, stub = await ranking()
    cands = [candidate(n, n, 0.9 if n == 7 else 0.05) for n in range(30)]
    cands.append(candidate(3, 30, 0.05))  # a duplicate of item 3
    nan = candidate(40, 31)
    nan.sources[0].score = math.nan
    nan.ClearField("item_features")
    cands.append(nan)
    response = await stub.Rank(request(cands, diversity_lambda=0.0, business_rules_id="documentaries-week"),
                               timeout=5)
    assert response.duplicate_count == 1
    assert len(response.items) == 31
    assert response.items[0].item_id == "ml-7", "the highest co-visitation score wins (what the model learnt)"
    assert response.imputed_feature_count >= 6, "NaN score and unset item features are imputed and counted"
    assert [i.position for i in response.items] == list(range(31))
    top = response.items[0].reason
    assert top.kind == recommendation_pb2.REASON_KIND_SIMILAR_TO_RECENT
    assert top.text.startswith("Because you watched Movie ") and top.anchor_item_id in {"ml-1", "ml-2"}
    zh = await stub.Rank(request(cands[:5], limit=2, context=pb.RankingContext(
        surface=impression_pb2.SURFACE_HOME_FEED, language_code="zh")), timeout=5)
    assert len(zh.items) == 2 and all(any("\u4e00" <= ch <= "\u9fff" for ch in i.reason.text) for i in zh.items)


async def test_category_cap_and_diversity_change_the_page(ranking: Factory, tmp_path: Path) -> None:
    helpers.write_artifact(tmp_path / "artifacts")
    _, stub = await ranking()
    cands = ([candidate(3 * n, n, 1.0 - n / 40) for n in range(12)]
             + [candidate(3 * n + k, 12 + n, 0.01) for n in range(8) for k in (1, 2)])
    plain = await stub.Rank(request(cands, diversity_lambda=0.0, business_rules_id="default"), timeout=5)
    first_page = plain.items[:10]
    comedy = [i for i in first_page if int(i.item_id.split("-")[1]) % 3 == 0]
    assert len(comedy) == 4, "at most 4 per category per page"
    assert any(r.effect == pb.RULE_EFFECT_CATEGORY_CAPPED for i in plain.items[10:] for r in i.applied_rules)
    diverse = await stub.Rank(request(cands, diversity_lambda=0.9), timeout=5)
    assert diverse.diversity_lambda == pytest.approx(0.9)
    assert [i.item_id for i in diverse.items] != [i.item_id for i in plain.items]


async def test_bad_input_gets_invalid_argument_with_field_violations(ranking: Factory, tmp_path: Path) -> None:
    helpers.write_artifact(tmp_path / "artifacts")
    _, stub = await ranking()
    empty = await stub.Rank(request([]), timeout=5)
    assert list(empty.items) == [] and empty.model_version == "1"
    too_many = [candidate(n, n) for n in range(10_000)]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Rank(request(too_many), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(err.value)["candidates"].startswith("TOO_MANY")
    bad = request([pb.RankCandidate(item_id="")], diversity_lambda=1.5, business_rules_id="nope", limit=-1,
                  context=pb.RankingContext())
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Rank(bad, timeout=5)
    found = field_violations(err.value)
    assert set(found) == {"candidates[0].item_id", "diversity_lambda", "business_rules_id", "limit",
                          "context.surface"}
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Rank(request([candidate(1, 0)], model_version="99"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_artifact_with_another_feature_schema_is_refused_at_load(ranking: Factory, tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    helpers.write_artifact(root, version="1")
    folder = helpers.write_artifact(root, version="2")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["schema_id"] = "ranker-features-v0-old"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    _, stub = await ranking()
    info = await stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=5)
    assert info.manifest.version == "1", "the refused version is never served"
    assert info.state == artifact_pb2.ARTIFACT_STATE_SERVING
    rejected = [v for v in info.other_versions if v.state == artifact_pb2.ARTIFACT_STATE_REJECTED]
    assert len(rejected) == 1 and "feature schema ranker-features-v0-old" in rejected[0].state_reason
    assert info.max_candidates == 1000 and "default" in info.business_rules_ids
    assert len(info.feature_names) == len(set(info.feature_names)) > 30
