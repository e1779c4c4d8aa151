"""Component tests of RetrievalService on a real grpc.aio server over mTLS: answers, bad input, snapshots."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from shopmesh.common.v1 import features_pb2, item_pb2, money_pb2, recommendation_pb2, vector_pb2
from shopmesh.retrieval.v1 import retrieval_service_pb2 as pb
from tests.grpc_errors import field_violations as violations
from tests.retrieval import helpers
from tests.retrieval.conftest import RetrievalFactory, RunningRetrieval

ANN = recommendation_pb2.CANDIDATE_SOURCE_USER_VECTOR_ANN



def reason(error: grpc.aio.AioRpcError) -> str:
    """ErrorInfo reason of the status."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason
    return ""


def user_vector(index: int, version: str = "1") -> vector_pb2.Vector:
    """The learned vector of one synthetic item, as a user vector of that space version."""
    values = helpers.clustered_vectors(40, 8, 3)[index]
    return vector_pb2.Vector(vector_space=helpers.LEARNED_SPACE, vector_space_version=version, dimension=8,
                             values_f32le=values.astype("<f4").tobytes())


def features(*items: str) -> features_pb2.UserFeatures:
    """User features with recent items newest first."""
    out = features_pb2.UserFeatures()
    for n, item in enumerate(items):
        recent = out.recent_items.add(item_id=item)
        recent.event_time.seconds = 1_000_000 - n
    return out


async def test_feed_merges_sources_and_reports_each(retrieval: RunningRetrieval) -> None:
    stub = retrieval.stub()
    response = await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(
        user_id="u1", user_features=features("it-1", "it-5"), user_vector=user_vector(5), k=10), timeout=5)
    assert len(response.candidates) == 10
    assert len({c.item_id for c in response.candidates}) == 10
    assert not {"it-1", "it-5"} & {c.item_id for c in response.candidates}, "seen items are not re-proposed"
    assert all(c.sources for c in response.candidates)
    scores = [c.score for c in response.candidates]
    assert scores == sorted(scores, reverse=True)
    outcomes = {recommendation_pb2.CandidateSource.Name(r.source): pb.SourceOutcome.Name(r.outcome)
                for r in response.source_reports}
    assert outcomes["CANDIDATE_SOURCE_USER_VECTOR_ANN"] == "SOURCE_OUTCOME_OK"
    assert outcomes["CANDIDATE_SOURCE_CO_VISITATION"] == "SOURCE_OUTCOME_OK"
    assert outcomes["CANDIDATE_SOURCE_COLD_START"] == "SOURCE_OUTCOME_SKIPPED_NO_INPUT"
    assert not response.cold_start
    assert response.snapshots.learned_index_version == "1"
    assert all(c.HasField("learned_similarity") and c.HasField("text_similarity") for c in response.candidates)
    learned = helpers.clustered_vectors(40, 8, 3)
    first = response.candidates[0]
    expected = float(learned[int(first.item_id.split("-")[1])] @ learned[5])
    assert first.learned_similarity == pytest.approx(expected, abs=1e-5)


async def test_unknown_user_gets_a_non_empty_cold_start_list(retrieval: RunningRetrieval) -> None:
    stub = retrieval.stub()
    response = await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(
        user_id="never-seen", user_features=features("no-such-item"), k=20), timeout=5)
    assert response.cold_start
    assert len(response.candidates) == 20
    # Spread over categories rather than the top-20 trending only.
    categories = {int(c.item_id.split("-")[1]) % len(helpers.CATEGORIES) for c in response.candidates}
    assert len(categories) == len(helpers.CATEGORIES)


async def test_filters_that_exclude_everything_give_an_empty_list(retrieval: RunningRetrieval) -> None:
    stub = retrieval.stub()
    response = await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(
        user_features=features("it-1"), k=10, filter=item_pb2.ItemFilter(category_prefixes=["Furniture"])),
        timeout=5)
    assert list(response.candidates) == []
    assert response.source_reports, "every source still reports"


async def test_category_price_and_stock_filters_apply(retrieval_factory: RetrievalFactory, tmp_path: Path) -> None:
    helpers.build(tmp_path / "indexes", "1", out_of_stock=(0, 4))
    stub = (await retrieval_factory()).stub()
    at_most_20 = money_pb2.Money(currency_code="USD", amount_micros=20_000_000)
    response = await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(
        k=50, filter=item_pb2.ItemFilter(category_prefixes=["Clothing/Dresses"], max_price=at_most_20)), timeout=5)
    ids = {int(c.item_id.split("-")[1]) for c in response.candidates}
    assert ids == {8, 12, 16}, "dresses (i % 4 == 0) up to $20, out-of-stock 0 and 4 dropped"


async def test_index_smaller_than_k_gives_fewer_candidates_never_padding(retrieval: RunningRetrieval) -> None:
    stub = retrieval.stub()
    response = await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(
        user_vector=user_vector(3), k=2000,
        source_quotas=[pb.SourceQuota(source=ANN, max_candidates=2000)]), timeout=5)
    ids = [c.item_id for c in response.candidates]
    assert 0 < len(ids) <= 40
    assert len(ids) == len(set(ids))
    assert all(i.startswith("it-") for i in ids)


@pytest.mark.parametrize(("request_kwargs", "field"), [
    ({"k": 0}, "k"),
    ({"k": 2001}, "k"),
    ({"k": 5, "source_quotas": [pb.SourceQuota(source=recommendation_pb2.CANDIDATE_SOURCE_LEXICAL_MATCH,
                                                max_candidates=5)]}, "source_quotas[0].source"),
    ({"k": 5, "source_quotas": [pb.SourceQuota(source=ANN, max_candidates=-1)]}, "source_quotas[0].max_candidates"),
    ({"k": 5, "source_quotas": [pb.SourceQuota(max_candidates=3)]}, "source_quotas[0].source"),
    ({"k": 5, "user_vector": vector_pb2.Vector(dimension=8, values_f32le=b"\x00" * 12)}, "user_vector.values_f32le"),
    ({"k": 5, "exclude_item_ids": [f"x{i}" for i in range(2001)]}, "exclude_item_ids"),
    # Found by fuzzing: a million category prefixes ran Search past its 5 s deadline.
    ({"k": 5, "filter": item_pb2.ItemFilter(category_prefixes=["Clothing"] * 101)}, "filter.category_prefixes"),
    ({"k": 5, "filter": item_pb2.ItemFilter(brands=["b"] * 101)}, "filter.brands"),
    # Found by fuzzing: a million quotas, a million violations in a worker thread, SimilarItems past its deadline.
    ({"k": 5, "source_quotas": [pb.SourceQuota(source=ANN, max_candidates=1)] * 33}, "source_quotas"),
    ({"k": 5, "filter": item_pb2.ItemFilter(min_price=money_pb2.Money(currency_code="USD", amount_micros=1_000_000),
                                            max_price=money_pb2.Money(currency_code="EUR", amount_micros=9_000_000))},
     "filter.min_price.currency_code"),
])
async def test_bad_feed_requests_are_invalid_argument(retrieval: RunningRetrieval, request_kwargs: dict[str, Any],
                                                      field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await retrieval.stub().RetrieveCandidates(pb.RetrieveCandidatesRequest(**request_kwargs), timeout=5)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations(caught.value)


async def test_vector_of_another_space_version_skips_ann_only(retrieval: RunningRetrieval) -> None:
    response = await retrieval.stub().RetrieveCandidates(pb.RetrieveCandidatesRequest(
        user_vector=user_vector(3, version="0"), user_features=features("it-2"), k=5), timeout=5)
    ann = next(r for r in response.source_reports if r.source == ANN)
    assert ann.outcome == pb.SOURCE_OUTCOME_SKIPPED_VECTOR_SPACE_MISMATCH
    assert len(response.candidates) == 5


async def test_unknown_catalogue_and_item_are_not_found(retrieval: RunningRetrieval) -> None:
    stub = retrieval.stub()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(catalog_id="nope", k=5), timeout=5)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert reason(caught.value) == "UNKNOWN_CATALOG"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.SimilarItems(pb.SimilarItemsRequest(item_id="it-999", k=5), timeout=5)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert reason(caught.value) == "UNKNOWN_ITEM"


async def test_similar_items_excludes_the_anchor_and_stays_in_cluster(retrieval: RunningRetrieval) -> None:
    response = await retrieval.stub().SimilarItems(pb.SimilarItemsRequest(item_id="it-3", k=5), timeout=5)
    ids = [int(c.item_id.split("-")[1]) for c in response.candidates]
    assert 3 not in ids and len(ids) == 5
    assert all(i % 4 == 3 for i in ids), "co-visitation and text neighbours of a boot are boots"
    for bad, field in (({"item_id": "", "k": 5}, "item_id"), ({"item_id": "it-1", "k": 501}, "k")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await retrieval.stub().SimilarItems(pb.SimilarItemsRequest(**bad), timeout=5)  # type: ignore[arg-type]
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in violations(caught.value)


async def test_search_lexical_and_dense_fused(retrieval: RunningRetrieval) -> None:
    stub = retrieval.stub()
    lexical = await stub.Search(pb.SearchRequest(query="牛仔裤", k=5), timeout=5)
    assert lexical.mode_used == pb.SEARCH_MODE_LEXICAL, "no embedding peer and no query vector"
    assert lexical.language_code == "zh"
    assert {int(c.item_id.split("-")[1]) % 4 for c in lexical.candidates} == {2}
    vector = helpers.clustered_vectors(40, 16, 2)[2]
    query_vector = vector_pb2.Vector(vector_space=helpers.TEXT_SPACE, vector_space_version="1", dimension=16,
                                     values_f32le=vector.astype("<f4").tobytes())
    hybrid = await stub.Search(pb.SearchRequest(query="jeans", k=5, query_vector=query_vector), timeout=5)
    assert hybrid.mode_used == pb.SEARCH_MODE_HYBRID
    sources = {s.source for c in hybrid.candidates for s in c.sources}
    assert sources == {recommendation_pb2.CANDIDATE_SOURCE_LEXICAL_MATCH,
                       recommendation_pb2.CANDIDATE_SOURCE_DENSE_MATCH}
    wrong = vector_pb2.Vector(vector_space="other", vector_space_version="1", dimension=16,
                              values_f32le=vector.astype("<f4").tobytes())
    for bad, field in (({"query": "", "k": 5}, "query"), ({"query": "x" * 257, "k": 5}, "query"),
                       ({"query": "a", "k": 0}, "k"),
                       ({"query": "a", "k": 5, "language_code": "fr"}, "language_code"),
                       ({"query": "a", "k": 5, "query_vector": wrong}, "query_vector.vector_space")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Search(pb.SearchRequest(**bad), timeout=5)  # type: ignore[arg-type]
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in violations(caught.value)


async def test_checksum_failure_keeps_the_old_snapshot_and_reports_it(retrieval: RunningRetrieval) -> None:
    folder = helpers.build(retrieval.root, "2", promote_it=False)
    with (folder / "learned_index" / "index.faiss").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"corrupt!")
    helpers.promote(retrieval.root, "movielens", "2")
    await retrieval.app.refresh()
    stub = retrieval.stub()
    response = await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(user_vector=user_vector(1), k=5), timeout=5)
    assert response.snapshots.learned_index_version == "1"
    assert len(response.candidates) == 5
    info = await stub.GetIndexInfo(pb.GetIndexInfoRequest(), timeout=5)
    rejected = [s for s in info.snapshots if s.manifest.version == "2"]
    assert rejected and all(s.state_reason and "sha256" in s.state_reason for s in rejected)
    serving = [s for s in info.snapshots if s.manifest.version == "1"]
    assert (serving and serving[0].index_type == "Flat") or serving[0].index_type == ""
    assert info.shard.shard_count == 1


async def test_not_loaded_is_unavailable_and_not_serving(retrieval_factory: RetrievalFactory, tmp_path: Path) -> None:
    running = await retrieval_factory(root=tmp_path / "empty")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub().RetrieveCandidates(pb.RetrieveCandidatesRequest(k=5), timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
    assert not running.app.registry.ready


async def test_hot_swap_under_load_fails_no_request(retrieval: RunningRetrieval) -> None:
    stub = retrieval.stub()
    seen_versions: set[str] = set()
    failures: list[BaseException] = []
    done = asyncio.Event()

    async def client(worker: int) -> int:
        calls = 0
        while not done.is_set():
            version = "2" if "2" in seen_versions else "1"
            try:
                response = await stub.RetrieveCandidates(pb.RetrieveCandidatesRequest(
                    user_id=f"u{worker}", user_features=features("it-1"), user_vector=user_vector(worker, version),
                    k=20), timeout=5)
                assert len(response.candidates) == 20
                seen_versions.add(response.snapshots.learned_index_version)
            except BaseException as exc:
                failures.append(exc)
            calls += 1
        return calls

    workers = [asyncio.create_task(client(n)) for n in range(4)]
    await asyncio.sleep(0.3)
    helpers.build(retrieval.root, "2")
    for _ in range(100):
        if "2" in seen_versions:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    done.set()
    calls = sum(await asyncio.gather(*workers))
    print(f"hot swap under load: {calls} calls, {len(failures)} failed, versions seen {sorted(seen_versions)}")
    assert failures == []
    assert seen_versions == {"1", "2"}
    assert calls > 20


async def test_a_fresh_replica_builds_a_first_snapshot_from_the_data(retrieval_factory: RetrievalFactory,
                                                                     tmp_path: Path) -> None:
    running = await retrieval_factory(root=tmp_path / "fresh", build_on_start=True)
    assert running.app.registry.ready
    response = await running.stub().RetrieveCandidates(pb.RetrieveCandidatesRequest(
        user_features=features("ml-50", "ml-172"), k=50), timeout=5)
    assert len(response.candidates) == 50 and all(c.item_id.startswith("ml-") for c in response.candidates)
    covis = next(r for r in response.source_reports if r.source == recommendation_pb2.CANDIDATE_SOURCE_CO_VISITATION)
    assert covis.outcome == pb.SOURCE_OUTCOME_OK
