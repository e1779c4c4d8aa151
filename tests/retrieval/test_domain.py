"""Unit tests of retrieval's domain logic (no gRPC): FAISS edges, merge, co-visitation, filters, registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.retrieval.catalogue import ItemTable
from services.retrieval.engine import RetrievalEngine
from services.retrieval.filters import allowed_mask
from services.retrieval.lexical import LexicalIndex, tokenize
from services.retrieval.registry import SnapshotRegistry
from services.retrieval.search import rrf
from services.retrieval.types import CandidateQuery, ItemFilterSpec
from services.retrieval.vector_index import VectorIndex, choose_index_type
from shared.errors import InvalidArgument, NotFound, Unavailable
from shopmesh.recsys.covisit import CoVisitationConfig, build_co_visitation
from shopmesh.recsys.merge import FusionWeight, Normalisation, SourceResult, merge
from tests.retrieval import helpers


def test_search_never_returns_faiss_padding_when_k_exceeds_the_index() -> None:
    vectors = helpers.clustered_vectors(5, 8, 0)
    for kind in ("Flat", "HNSW32"):
        index = VectorIndex.build(vectors, kind)
        result = index.search(vectors[:2], 50)
        assert [len(r.positions) for r in result] == [5, 5]
        assert all((r.positions >= 0).all() for r in result)
        assert result[0].positions[0] == 0


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
