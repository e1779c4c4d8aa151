"""GatewayServicer: protobuf in and out; auth, rate and size limits, budgets; the flows live in their modules."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc

from gateway.account import Account
from gateway.auth import Authenticator, Caller
from gateway.chat import ChatRelay
from gateway.clients import Downstreams, budget_end_var
from gateway.consent import ConsentCache
from gateway.cursors import CursorCodec
from gateway.events import EventsIntake
from gateway.feed import HomeFeed
from gateway.lists import ListOutcome, page_size
from gateway.observability import ListMetrics
from gateway.privacy_rpcs import PrivacyRpcs
from gateway.ratelimit import RateLimiter, rate_limited
from gateway.search import Discovery
from shared.errors import ResourceExhausted
from shopmesh.common.v1 import impression_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.gateway.v1 import gateway_service_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["GatewayService"].full_name


@dataclass(frozen=True)
class Limits:
    """Budgets and size limits."""

    default_budget_s: float
    max_budget_s: float
    max_request_bytes: int
    default_catalog: str


class GatewayServicer(PrivacyRpcs, pb_grpc.GatewayServiceServicer):
    """The public mobile API (shopmesh.gateway.v1.GatewayService)."""

    def __init__(self, *, auth: Authenticator, clients: Downstreams, consent: ConsentCache, limiter: RateLimiter,
                 feed: HomeFeed, discovery: Discovery, events: EventsIntake, account: Account, chat: ChatRelay,
                 codec: CursorCodec, limits: Limits, user_caches: list[Any], metrics: ListMetrics | None = None):
        self._auth = auth
        self.clients = clients
        self.consent = consent
        self.user_caches = user_caches
        self._limiter = limiter
        self._feed = feed
        self._discovery = discovery
        self._events = events
        self._account = account
        self._chat = chat
        self._codec = codec
        self._limits = limits
        self.metrics = metrics
        """Where served pages are counted (set once the host, which owns the registry, exists)."""

    def _served(self, surface: int, outcome: ListOutcome, started: float, first_page: bool) -> ListOutcome:
        if self.metrics is not None:
            self.metrics.record(surface, outcome, time.perf_counter() - started, first_page=first_page)
        return outcome

    async def authenticate(self, context: grpc.aio.ServicerContext) -> Caller:
        """The caller of this RPC from its bearer token (UNAUTHENTICATED otherwise)."""
        return await self._auth.authenticate(context)

    async def _admit(self, request: Any, context: grpc.aio.ServicerContext) -> Caller:
        """Authenticates, applies the size limit and the user's rate limit, and starts the request's budget."""
        left = context.time_remaining()
        budget = self._limits.default_budget_s if left is None else min(left, self._limits.max_budget_s)
        budget_end_var.set(time.monotonic() + budget)
        caller = await self.authenticate(context)
        if request is not None and request.ByteSize() > self._limits.max_request_bytes:
            raise ResourceExhausted(f"request over {self._limits.max_request_bytes} bytes",
                                    reason="REQUEST_TOO_LARGE", domain="shopmesh.gateway")
        wait = await self._limiter.acquire(caller.user_id)
        if wait > 0:
            raise rate_limited(wait)
        return caller

    def _catalog(self, catalog_id: str) -> str:
        return catalog_id or self._limits.default_catalog

    # --- discovery -------------------------------------------------------------------------------------------

    async def GetHomeFeed(self, request: pb.GetHomeFeedRequest,
                          context: grpc.aio.ServicerContext) -> pb.GetHomeFeedResponse:
        started = time.perf_counter()
        caller = await self._admit(request, context)
        size, catalog = page_size(request.page_size), self._catalog(request.catalog_id)
        binding = CursorCodec.binding(caller.user_id, "home_feed", catalog)
        if request.page_token:
            outcome = await self._feed.later_page(caller, request.page_token, binding,
                                                  surface=impression_pb2.SURFACE_HOME_FEED, catalog_id=catalog,
                                                  size=size)
        else:
            outcome = await self._feed.compute(caller, catalog, size, binding, context)
        self._served(impression_pb2.SURFACE_HOME_FEED, outcome, started, not request.page_token)
        return pb.GetHomeFeedResponse(**_list_fields(outcome))

    async def GetSimilarItems(self, request: pb.GetSimilarItemsRequest,
                              context: grpc.aio.ServicerContext) -> pb.GetSimilarItemsResponse:
        started = time.perf_counter()
        caller = await self._admit(request, context)
        size, catalog = page_size(request.page_size), self._catalog(request.catalog_id)
        binding = CursorCodec.binding(caller.user_id, "similar_items", f"{catalog}\x1f{request.item_id}")
        if request.page_token:
            outcome = await self._feed.later_page(caller, request.page_token, binding,
                                                  surface=impression_pb2.SURFACE_SIMILAR_ITEMS, catalog_id=catalog,
                                                  size=size)
        else:
            outcome = await self._discovery.similar(caller, item_id=request.item_id, catalog_id=catalog, size=size,
                                                    binding=binding, context=context)
        self._served(impression_pb2.SURFACE_SIMILAR_ITEMS, outcome, started, not request.page_token)
        return pb.GetSimilarItemsResponse(**_list_fields(outcome))

    async def SearchItems(self, request: pb.SearchItemsRequest,
                          context: grpc.aio.ServicerContext) -> pb.SearchItemsResponse:
        started = time.perf_counter()
        caller = await self._admit(request, context)
        size, catalog = page_size(request.page_size), self._catalog(request.catalog_id)
        item_filter = request.filter if request.HasField("filter") else None
        params = hashlib.sha256(request.filter.SerializeToString(deterministic=True)).hexdigest()
        binding = CursorCodec.binding(caller.user_id, "search",
                                      f"{catalog}\x1f{request.query}\x1f{request.language_code}\x1f{params}")
        if request.page_token:
            outcome = await self._feed.later_page(caller, request.page_token, binding,
                                                  surface=impression_pb2.SURFACE_SEARCH, catalog_id=catalog,
                                                  size=size)
            language = request.language_code
        else:
            outcome, language = await self._discovery.search(
                caller, query=request.query, language_code=request.language_code, catalog_id=catalog,
                item_filter=item_filter, size=size, binding=binding, context=context)
        self._served(impression_pb2.SURFACE_SEARCH, outcome, started, not request.page_token)
        return pb.SearchItemsResponse(language_code=language, **_list_fields(outcome))

    async def GetItem(self, request: pb.GetItemRequest, context: grpc.aio.ServicerContext) -> pb.GetItemResponse:
        caller = await self._admit(request, context)
        return await self._account.get_item(caller, request)

    # --- events, orders, profile -----------------------------------------------------------------------------

    async def SendEvents(self, request: pb.SendEventsRequest,
                         context: grpc.aio.ServicerContext) -> pb.SendEventsResponse:
        caller = await self._admit(request, context)
        return await self._events.send(caller, request)

    async def ListOrders(self, request: pb.ListOrdersRequest,
                         context: grpc.aio.ServicerContext) -> pb.ListOrdersResponse:
        caller = await self._admit(request, context)
        return await self._account.list_orders(caller, request, page_size(request.page_size))

    async def GetOrder(self, request: pb.GetOrderRequest, context: grpc.aio.ServicerContext) -> pb.GetOrderResponse:
        caller = await self._admit(request, context)
        return await self._account.get_order(caller, request)

    async def GetProfile(self, request: pb.GetProfileRequest,
                         context: grpc.aio.ServicerContext) -> pb.GetProfileResponse:
        caller = await self._admit(request, context)
        return await self._account.get_profile(caller)

    async def UpdateProfile(self, request: pb.UpdateProfileRequest,
                            context: grpc.aio.ServicerContext) -> pb.UpdateProfileResponse:
        caller = await self._admit(request, context)
        return await self._account.update_profile(caller, request)

    # --- support ---------------------------------------------------------------------------------------------

    async def Chat(self, request_iterator: AsyncIterator[pb.ChatRequest],
                   context: grpc.aio.ServicerContext) -> AsyncIterator[pb.ChatResponse]:
        caller = await self._admit(None, context)
        async for response in self._chat.relay(caller, request_iterator):
            yield response


def _list_fields(outcome: ListOutcome) -> dict[str, Any]:
    return {"items": outcome.cards, "next_page_token": outcome.next_page_token, "request_id": outcome.request_id,
            "experiment_id": outcome.experiment_id, "variant": outcome.variant,
            "personalization": outcome.personalization,
            "degradations": [d.to_proto() for d in outcome.degradations]}
