"""Similar items and search: retrieval (item-to-item, or hybrid lexical + dense) -> personalised ranking."""

from __future__ import annotations

import re
from typing import Any

import grpc

from gateway.degradation import Degraded, PeerDown
from gateway.errors import relay
from gateway.feed import HomeFeed
from gateway.lists import ListOutcome
from shared.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from shopmesh.common.v1 import impression_pb2, item_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.retrieval.v1 import retrieval_service_pb2 as retrieval_pb

ITEM_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MAX_QUERY_CODE_POINTS = 256
SEARCH_LANGUAGES = ("", "en", "zh")


def check_item_id(item_id: str) -> None:
    """INVALID_ARGUMENT item_id REQUIRED / MALFORMED_ID."""
    if not item_id:
        raise InvalidArgument("item_id is required", [FieldViolation("item_id", "REQUIRED")], reason="REQUIRED",
                              domain="shopmesh.gateway")
    if not ITEM_ID_RE.match(item_id):
        raise InvalidArgument("item_id is malformed", [FieldViolation("item_id", "MALFORMED_ID")],
                              reason="MALFORMED_ID", domain="shopmesh.gateway")


def check_query(query: str, language_code: str) -> None:
    """INVALID_ARGUMENT query REQUIRED / TOO_LONG, language_code UNSUPPORTED."""
    violations = []
    if not query.strip():
        violations.append(FieldViolation("query", "REQUIRED"))
    elif len(query) > MAX_QUERY_CODE_POINTS:
        violations.append(FieldViolation("query", "TOO_LONG: at most 256 code points"))
    if language_code not in SEARCH_LANGUAGES:
        violations.append(FieldViolation("language_code", "UNSUPPORTED: en, zh or empty"))
    if violations:
        raise InvalidArgument("invalid search request", violations, domain="shopmesh.gateway")


class Discovery:
    """Similar items and search over the feed's building blocks (inputs, ranking, paging)."""

    def __init__(self, feed: HomeFeed):
        self.feed = feed

    async def similar(self, caller: Any, *, item_id: str, catalog_id: str, size: int, binding: str,
                      context: Any) -> ListOutcome:
        """A first page of items similar to `item_id`."""
        check_item_id(item_id)
        feed = self.feed
        assignment = feed.experiments.assign(caller.user_id, "similar_items")
        inputs = await feed.user_inputs(caller, catalog_id, context)
        request = retrieval_pb.SimilarItemsRequest(catalog_id=catalog_id, item_id=item_id,
                                                   k=min(feed.config.candidate_count, 500))
        try:
            response = await feed.clients.call("retrieval", "SimilarItems", request, share=0.45, context=context)
        except grpc.aio.AioRpcError as exc:
            raise relay(exc) from exc
        except PeerDown as down:
            raise Unavailable("similar items are unavailable right now; retry later",
                              reason="DEPENDENCY_UNAVAILABLE", domain="shopmesh.gateway",
                              metadata={"dependency": "retrieval"}) from down
        candidates = [c for c in response.candidates if c.item_id != item_id]
        prefetch = feed.prefetch(caller, catalog_id, candidates, inputs, anchor_item_id=item_id)
        entries, reasons = await feed.rank(caller, inputs, candidates, catalog_id=catalog_id, assignment=assignment,
                                           surface=impression_pb2.SURFACE_SIMILAR_ITEMS, context=context,
                                           anchor_item_id=item_id, prefetch=prefetch)
        return await feed.first_page(caller, surface=impression_pb2.SURFACE_SIMILAR_ITEMS, catalog_id=catalog_id,
                                     size=size, binding=binding, assignment=assignment, inputs=inputs,
                                     entries=entries, reasons=reasons, context=context, prefetch=prefetch)

    async def search(self, caller: Any, *, query: str, language_code: str, catalog_id: str,
                     item_filter: item_pb2.ItemFilter | None, size: int, binding: str,
                     context: Any) -> tuple[ListOutcome, str]:
        """A first page of search results and the language used."""
        check_query(query, language_code)
        feed = self.feed
        assignment = feed.experiments.assign(caller.user_id, "search")
        inputs = await feed.user_inputs(caller, catalog_id, context)
        request = retrieval_pb.SearchRequest(catalog_id=catalog_id, query=query, language_code=language_code,
                                             k=min(feed.config.candidate_count, 1000),
                                             mode=retrieval_pb.SEARCH_MODE_HYBRID)
        if item_filter is not None:
            request.filter.CopyFrom(item_filter)
        try:
            response = await feed.clients.call("retrieval", "Search", request, share=0.45, context=context)
        except grpc.aio.AioRpcError as exc:
            raise relay(exc) from exc
        except PeerDown as down:
            raise Unavailable("search is unavailable right now; retry later", reason="DEPENDENCY_UNAVAILABLE",
                              domain="shopmesh.gateway", metadata={"dependency": "retrieval"}) from down
        if response.mode_used == retrieval_pb.SEARCH_MODE_LEXICAL:
            # Retrieval embeds the query itself; lexical-only means its embedding call failed.
            inputs.degradations.append(Degraded("embedding", pb.DEGRADATION_CAUSE_UNAVAILABLE,
                                                pb.FALLBACK_LEXICAL_SEARCH,
                                                "search: lexical only (retrieval could not embed the query)"))
        candidates = list(response.candidates)
        prefetch = feed.prefetch(caller, catalog_id, candidates, inputs)
        entries, reasons = await feed.rank(caller, inputs, candidates, catalog_id=catalog_id,
                                           assignment=assignment, surface=impression_pb2.SURFACE_SEARCH,
                                           context=context, query=query, prefetch=prefetch)
        outcome = await feed.first_page(caller, surface=impression_pb2.SURFACE_SEARCH, catalog_id=catalog_id,
                                        size=size, binding=binding, assignment=assignment, inputs=inputs,
                                        entries=entries, reasons=reasons, context=context, prefetch=prefetch)
        return outcome, response.language_code or language_code


def unknown_item(item_id: str) -> NotFound:
    """NOT_FOUND UNKNOWN_ITEM."""
    return NotFound("no such item", reason="UNKNOWN_ITEM", domain="shopmesh.gateway", metadata={"item_id": item_id})
