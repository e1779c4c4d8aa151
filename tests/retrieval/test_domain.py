"""Unit tests of retrieval's domain logic (no gRPC): FAISS edges, merge, co-visitation, filters, registry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from services.retrieval import convert
from services.retrieval.catalogue import ItemTable
from services.retrieval.engine import RetrievalEngine
from services.retrieval.filters import allowed_mask
from services.retrieval.lexical import LexicalIndex, tokenize
from services.retrieval.registry import SnapshotRegistry
from services.retrieval.search import rrf
from services.retrieval.types import CandidateQuery, CandidateResult, ItemFilterSpec, UserVector
from services.retrieval.vector_index import VectorIndex, choose_index_type
from shared.errors import InvalidArgument, NotFound, Unavailable
from shopmesh.recsys.covisit import CoVisitationConfig, build_co_visitation
from shopmesh.recsys.merge import FusionWeight, Normalisation, SourceResult, merge
from shopmesh.retrieval.v1 import retrieval_service_pb2 as pb
from tests.retrieval import helpers


def test_search_never_returns_faiss_padding_when_k_exceeds_the_index() -> None:
    vectors = helpers.clustered_vectors(5, 8, 0)
    for kind in ("Flat", "HNSW32"):
        index = VectorIndex.build(vectors, kind)
        result = index.search(vectors[:2], 50)
        assert [len(r.positions) for r in result] == [5, 5]
        assert all((r.positions >= 0).all() for r in result)
        assert result[0].positions[0] == 0


class CountingIndex(VectorIndex):
    """A real FAISS index that counts its searches and the k each asked."""

    def __init__(self, index: VectorIndex) -> None:
        super().__init__(index.index, index.index_type)
        self.asked: list[int] = []

    def search(self, queries: np.ndarray, k: int) -> list:  # type: ignore[type-arg]
        self.asked.append(k)
        return super().search(queries, k)


def test_filtered_search_widens_by_the_share_kept_and_stops_when_the_index_has_no_more() -> None:
    from services.retrieval.sources import search_index

    vectors = helpers.clustered_vectors(4000, 16, 0)
    keys = np.arange(len(vectors), dtype=np.int64)
    query = vectors[7]
    # Filters drop every third item: one wider search by the kept share, not x4 rounds.
    flat = CountingIndex(VectorIndex.build(vectors, "Flat"))
    allowed = np.arange(len(vectors)) % 3 != 0
    positions, scores = search_index(flat, keys, query, allowed, 500)
    assert len(positions) == 500 and allowed[positions].all() and np.all(np.diff(scores) <= 1e-6)
    assert len(flat.asked) == 2 and flat.asked[1] < 1200, flat.asked
    # An IVF probing one list reaches fewer items than asked: asking for more finds nothing more, so one
    # search answers with what the index reached, instead of widening to the whole catalogue.
    ivf = VectorIndex.build(vectors, "IVF16,Flat")
    ivf.index.nprobe = 1
    counting = CountingIndex(ivf)
    positions, _ = search_index(counting, keys, query, allowed, 500)
    assert counting.asked == [625] and 0 < len(positions) < 500 and allowed[positions].all()


def test_empty_index_answers_empty() -> None:
    index = VectorIndex.build(np.zeros((0, 4), np.float32), "Flat")
    assert index.search(np.ones((1, 4), np.float32), 10)[0].positions.size == 0


def test_index_type_follows_catalogue_size() -> None:
    assert choose_index_type(1_000, 64) == "Flat"
    assert choose_index_type(100_000, 64) == "HNSW32"
    assert choose_index_type(10_000_000, 64).startswith("IVF")


def test_merge_dedupes_keeps_every_source_and_orders_by_fused_score() -> None:
    a = SourceResult("A", [1, 2, 3], [3.0, 2.0, 1.0])
    b = SourceResult("B", [3, 4], [10.0, 0.0])
    merged = merge([a, b], {"B": FusionWeight(2.0, Normalisation.SOFTMAX, 1.0)}, k=10)
    assert merged[0].item == 3, "item 3 is in both lists and B weighs double"
    assert {c.item for c in merged} == {1, 2, 3, 4}
    three = next(c for c in merged if c.item == 3)
    assert {s for s, _, _ in three.sources} == {"A", "B"}
    assert merge([a, b], {}, k=2) == merge([a, b], {}, k=10)[:2]


def test_rrf_rewards_agreement() -> None:
    fused = rrf({"LEXICAL_MATCH": [(1, 5.0), (2, 4.0)], "DENSE_MATCH": [(2, 0.9), (3, 0.8)]}, 3)
    assert fused[0][0] == 2


def test_co_visitation_is_cosine_normalised_and_recency_weighted() -> None:
    # 0 and 1 always together; 2 is a blockbuster seen with everything.
    sequences = [[0, 1, 2], [0, 1, 2], [3, 2], [4, 2], [5, 2]]
    table = build_co_visitation(sequences, 6, CoVisitationConfig(window=2))
    neighbours, _ = table.neighbours(0, 2)
    assert neighbours[0] == 1, "cosine normalisation puts the exclusive partner above the blockbuster"
    scores = table.score_history([3, 0])
    assert scores[1] > scores[3], "the most recent item weighs most"


def test_filters_stock_price_brand_category_and_exclusions() -> None:
    table = ItemTable(helpers.items(8, out_of_stock=(1,)), np.ones(8, np.float32))
    spec = ItemFilterSpec(category_prefixes=(("clothing",),), min_price_cents=200, brands=("BRAND0", "brand2"))
    mask = allowed_mask(table, spec, excluded=[6])
    assert np.flatnonzero(mask).tolist() == [2, 5], "clothing, >= $2, brands 0/2, in stock, 6 excluded"


def test_tokenizer_segments_chinese_and_drops_stopwords() -> None:
    tokens = tokenize("The navy 连衣裙 of summer")
    assert "连衣裙" in tokens and "navy" in tokens and "the" not in tokens
    index = LexicalIndex([tokenize("navy dress 连衣裙"), tokenize("black jeans")])
    assert index.scores("连衣裙")[0] > 0 and index.scores("连衣裙")[1] == 0


def test_registry_errors_and_cold_start(tmp_path: Path) -> None:
    registry = SnapshotRegistry(tmp_path, ["movielens"])
    with pytest.raises(Unavailable):
        registry.get("movielens")
    with pytest.raises(NotFound):
        registry.get("other")
    helpers.build(tmp_path, "1")
    assert [s.state for s in registry.refresh()] == ["SERVING"]
    assert registry.refresh() == [], "the same version is not reloaded"
    engine = RetrievalEngine(registry)
    result = engine.retrieve(CandidateQuery("movielens", user_id="nobody", k=7))
    assert result.cold_start and len(result.candidates) == 7
    with pytest.raises(InvalidArgument):
        engine.retrieve(CandidateQuery("movielens", k=0))


def test_missing_part_rejects_the_version_once(tmp_path: Path) -> None:
    helpers.build(tmp_path, "1")
    registry = SnapshotRegistry(tmp_path, ["movielens"])
    registry.refresh()
    folder = helpers.build(tmp_path, "2", promote_it=False)
    (folder / "lexical_index" / "tokens.json").unlink()
    helpers.promote(tmp_path, "movielens", "2")
    changed = registry.refresh()
    assert [s.state for s in changed] == ["REJECTED"] and "missing" in changed[0].reason
    assert registry.refresh() == [], "a rejected version is not retried until it changes"
    assert registry.get("movielens").version == "1"


def test_wire_encoded_candidates_parse_to_the_object_built_messages(tmp_path: Path) -> None:
    helpers.build(tmp_path, "1", n_items=300)
    registry = SnapshotRegistry(tmp_path, ["movielens"])
    registry.refresh()
    vector = UserVector(helpers.clustered_vectors(1, 8, 5)[0], helpers.LEARNED_SPACE, "1")
    query = CandidateQuery("movielens", recent_items=[(f"it-{i}", 100 - i) for i in (4, 9, 17, 30)],
                           purchased={"it-4": (2, 90)}, user_vector=vector, k=200)
    result = RetrievalEngine(registry).retrieve(query)
    assert result.packed is not None and len(result.packed) == 200
    assert {s for c in result.candidates for s, _, _ in c.sources} >= {"USER_VECTOR_ANN", "CO_VISITATION",
                                                                          "TEXT_NEIGHBOURS", "TRENDING"}
    assert any(len(c.sources) > 1 for c in result.candidates)
    assert all(c.learned_similarity is not None and c.text_similarity is not None for c in result.candidates)
    wire = pb.RetrieveCandidatesResponse()
    convert.add_candidates(wire, result)
    objects = pb.RetrieveCandidatesResponse()
    convert.add_candidates(objects, CandidateResult(result.candidates, []))
    assert len(wire.candidates) == 200
    assert wire == objects
    assert wire.SerializeToString() == objects.SerializeToString()
    # A long id (more than one varint byte of length) and unset similarities take the same path.
    packed = result.packed
    long_ids = [f"{'x' * 300}-{i}" for i in range(len(packed.item_ids))]
    encoded = [i.encode() for i in long_ids]
    packed = replace(packed, item_ids=long_ids, item_id_utf8=np.frombuffer(b"".join(encoded), dtype=np.uint8),
                     item_id_offsets=np.concatenate([[0], np.cumsum([len(e) for e in encoded])]),
                     longest_item_id=max(len(e) for e in encoded),
                     text_similarity=np.where(np.arange(200) % 2 == 0, np.nan, 0.5).astype(np.float32))
    wire, objects = pb.RetrieveCandidatesResponse(), pb.RetrieveCandidatesResponse()
    convert.add_candidates(wire, CandidateResult([], [], packed=packed))
    convert.add_candidates(objects, CandidateResult(packed.objects(), []))
    assert wire == objects and wire.candidates[0].item_id == long_ids[packed.merged.items[0]]
    assert not wire.candidates[0].HasField("text_similarity") and wire.candidates[1].text_similarity == 0.5
