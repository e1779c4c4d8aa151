"""Two shard replicas behind the scatter-gather client, against one unsharded replica over the same catalogue."""

from __future__ import annotations

from pathlib import Path

from services.retrieval.catalogue import shard_of
from services.retrieval.policy import policy_for
from services.retrieval.shard_client import ShardedRetrievalClient
from shopmesh.retrieval.v1 import retrieval_service_pb2 as pb
from tests.retrieval import helpers
from tests.retrieval.conftest import RetrievalFactory
from tests.retrieval.test_service import features, user_vector


async def test_two_shards_answer_like_one_replica(retrieval_factory: RetrievalFactory, tmp_path: Path) -> None:
    helpers.build(tmp_path / "single", "1", n_items=80)
    shards = []
    for index in range(2):
        root = tmp_path / f"shard-{index}"
        helpers.build(root, "1", n_items=80, shard_index=index, shard_count=2)
        shards.append(await retrieval_factory(root=root, shard_index=index, shard_count=2))
    single = await retrieval_factory(root=tmp_path / "single")
    client = ShardedRetrievalClient([s.stub() for s in shards], policy_for("movielens").weights)
    request = pb.RetrieveCandidatesRequest(user_features=features("it-1", "it-5"), user_vector=user_vector(5), k=20)

    gathered = await client.retrieve(request, timeout_s=5)
    reference = await single.stub().RetrieveCandidates(request, timeout=5)

    ids = [c.item_id for c in gathered.response.candidates]
    assert gathered.failed_shards == []
    assert len(ids) == 20 and len(set(ids)) == 20
    assert {shard_of(i, 2) for i in ids} == {0, 1}, "both shards contribute"
    for n, replica in enumerate(shards):
        own = await replica.stub().RetrieveCandidates(request, timeout=5)
        assert all(shard_of(c.item_id, 2) == n for c in own.candidates), "a shard proposes only its own items"
    overlap = len(set(ids) & {c.item_id for c in reference.candidates})
    assert overlap >= 16, f"sharded and single top-20 share {overlap}"
    info = await shards[1].stub().GetIndexInfo(pb.GetIndexInfoRequest(), timeout=5)
    assert (info.shard.shard_index, info.shard.shard_count) == (1, 2)


async def test_a_failed_shard_degrades_to_the_others(retrieval_factory: RetrievalFactory, tmp_path: Path) -> None:
    root = tmp_path / "shard-0"
    helpers.build(root, "1", n_items=80, shard_index=0, shard_count=2)
    alive = await retrieval_factory(root=root, shard_index=0, shard_count=2)
    dead = await retrieval_factory(root=tmp_path / "nothing-loaded", shard_index=1, shard_count=2)
    client = ShardedRetrievalClient([alive.stub(), dead.stub()], policy_for("movielens").weights)
    gathered = await client.retrieve(pb.RetrieveCandidatesRequest(k=10), timeout_s=5)
    assert gathered.failed_shards == [1]
    assert len(gathered.response.candidates) == 10
