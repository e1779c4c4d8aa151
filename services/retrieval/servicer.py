"""RetrievalService: protobuf <-> domain only; the engine, search and registry do the work."""

from __future__ import annotations

import asyncio

import grpc

from services.retrieval import convert
from services.retrieval.engine import RetrievalEngine
from services.retrieval.observability import RetrievalMetrics
from services.retrieval.query_embedder import QueryEmbedder
from services.retrieval.search import MAX_QUERY_CHARS, MAX_SEARCH_K, SearchQuery, search
from services.retrieval.types import CandidateQuery, CandidateResult
from shared.errors import FieldViolation
from shopmesh.retrieval.v1 import retrieval_service_pb2 as pb
from shopmesh.retrieval.v1 import retrieval_service_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RetrievalService"].full_name
_POLICY = {pb.PURCHASED_ITEMS_POLICY_EXCLUDE: True, pb.PURCHASED_ITEMS_POLICY_INCLUDE: False}
_MODES = {pb.SEARCH_MODE_UNSPECIFIED: "HYBRID", pb.SEARCH_MODE_HYBRID: "HYBRID", pb.SEARCH_MODE_LEXICAL: "LEXICAL",
          pb.SEARCH_MODE_DENSE: "DENSE"}


class RetrievalServicer(pb_grpc.RetrievalServiceServicer):
    """Converts requests, runs the engine off the event loop (FAISS and numpy release the GIL), converts back."""

    def __init__(self, engine: RetrievalEngine, default_catalog: str, shard: tuple[int, int] = (0, 1),
                 embedder: QueryEmbedder | None = None) -> None:
        self.engine = engine
        self.default_catalog = default_catalog
        self.shard = shard
        self.embedder = embedder
        self.metrics: RetrievalMetrics | None = None
        """Where answers are counted (set by the app once the host, which owns the registry, exists)."""

    def _observe(self, surface: str, result: CandidateResult) -> None:
        if self.metrics is not None:
            self.metrics.record(surface, result)

    def _catalog(self, value: str) -> str:
        return value or self.default_catalog

    async def RetrieveCandidates(self, request: pb.RetrieveCandidatesRequest,
                                 context: grpc.aio.ServicerContext) -> pb.RetrieveCandidatesResponse:
        violations: list[FieldViolation] = []
        spec = convert.item_filter(request.filter, violations)
        vector = convert.user_vector(request.user_vector, violations, "user_vector")
        convert.raise_if(violations, "RetrieveCandidates")
        features = request.user_features
        query = CandidateQuery(
            catalog_id=self._catalog(request.catalog_id), user_id=request.user_id,
            recent_items=[(r.item_id, r.event_time.seconds) for r in features.recent_items],
            purchased={p.item_id: (p.purchase_count, p.last_purchase_time.seconds) for p in features.purchased_items},
            category_affinities=dict(features.category_affinities), user_vector=vector, k=request.k,
            filter=spec, exclude_item_ids=list(request.exclude_item_ids),
            exclude_purchased=_POLICY.get(request.purchased_items_policy))
        result = await asyncio.to_thread(self.engine.retrieve, query, convert.quotas(request.source_quotas))
        self._observe("home_feed", result)
        response = pb.RetrieveCandidatesResponse(source_reports=convert.reports(result.reports),
                                                 cold_start=result.cold_start, snapshots=convert.served(result))
        convert.add_candidates(response, result)
        return response

    async def SimilarItems(self, request: pb.SimilarItemsRequest,
                           context: grpc.aio.ServicerContext) -> pb.SimilarItemsResponse:
        violations: list[FieldViolation] = []
        spec = convert.item_filter(request.filter, violations)
        convert.raise_if(violations, "SimilarItems")
        result = await asyncio.to_thread(
            self.engine.similar, self._catalog(request.catalog_id), request.item_id, request.k, spec=spec,
            excluded=list(request.exclude_item_ids), raw_quotas=convert.quotas(request.source_quotas))
        self._observe("similar_items", result)
        response = pb.SimilarItemsResponse(source_reports=convert.reports(result.reports),
                                           snapshots=convert.served(result))
        convert.add_candidates(response, result)
        return response

    async def Search(self, request: pb.SearchRequest, context: grpc.aio.ServicerContext) -> pb.SearchResponse:
        violations: list[FieldViolation] = []
        if not request.query.strip():
            violations.append(FieldViolation("query", "EMPTY"))
        elif len(request.query) > MAX_QUERY_CHARS:
            violations.append(FieldViolation("query", f"TOO_LONG: over {MAX_QUERY_CHARS} code points"))
        if not 1 <= request.k <= MAX_SEARCH_K:
            violations.append(FieldViolation("k", f"OUT_OF_RANGE: 1 to {MAX_SEARCH_K}, got {request.k}"))
        if request.language_code not in ("", "en", "zh"):
            violations.append(FieldViolation("language_code", "UNSUPPORTED: only en, zh or empty"))
        spec = convert.item_filter(request.filter, violations)
        convert.raise_if(violations, "Search")
        snapshot = self.engine.registry.get(self._catalog(request.catalog_id))
        space, version = snapshot.text_space
        vector = None
        if request.HasField("query_vector"):
            given = convert.user_vector(request.query_vector, violations, "query_vector")
            if given is not None and (given.space, given.space_version) != (space, version):
                violations.append(FieldViolation("query_vector.vector_space",
                                                 f"WRONG_SPACE: the text index is {space}@{version}"))
            convert.raise_if(violations, "Search")
            vector = given.values if given is not None else None
        mode = _MODES.get(request.mode, "HYBRID")
        if vector is None and mode != "LEXICAL" and self.embedder is not None and space:
            encoder = snapshot.manifests["text_index"].extra.get("encoder", "")
            vector = await self.embedder.embed(request.query, encoder, space)
        query = SearchQuery(request.query, request.k, request.language_code, mode, spec, vector)
        result = await asyncio.to_thread(search, snapshot, query)
        response = pb.SearchResponse(mode_used=pb.SearchMode.Value(f"SEARCH_MODE_{result.mode_used}"),
                                     language_code=result.language_code,
                                     source_reports=convert.reports(result.reports), snapshots=convert.served(result))
        convert.add_candidates(response, result)
        return response

    async def GetIndexInfo(self, request: pb.GetIndexInfoRequest,
                           context: grpc.aio.ServicerContext) -> pb.GetIndexInfoResponse:
        if request.catalog_id:
            self.engine.registry.get(request.catalog_id)
        statuses = self.engine.registry.statuses(request.catalog_id)
        return pb.GetIndexInfoResponse(snapshots=convert.index_snapshots(statuses),
                                       shard=pb.ShardInfo(shard_index=self.shard[0], shard_count=self.shard[1]))


def add_to_server(servicer: RetrievalServicer, server: grpc.aio.Server) -> None:
    """Registers the servicer."""
    pb_grpc.add_RetrievalServiceServicer_to_server(servicer, server)
