"""The home feed: profile features -> user vector -> candidates -> item features -> ranking -> page.

Every dependency degrades instead of failing: profile down -> anonymous feed; embedding down -> sources
that need no vector; retrieval down -> cached trending (then profile's popular items); ranking down ->
retrieval order. Independent calls run concurrently; each hop gets a share of the remaining budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import grpc

from gateway.clients import budget_end_var
from gateway.consent import UNKNOWN, ConsentCache, ConsentState
from gateway.cursors import CursorCodec, PageState, RankedEntry
from gateway.degradation import Degraded, PeerDown
from gateway.errors import relay
from gateway.experiments import Assignment, Experiments
from gateway.lists import ItemPrefetch, ListOutcome, Pager, new_request_id, reason_from_sources
from shared import context as rpc_context
from shopmesh.common.v1 import event_pb2, features_pb2, impression_pb2, recommendation_pb2, vector_pb2
from shopmesh.embedding.v1 import embedding_service_pb2 as embedding_pb
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2 as profile_pb
from shopmesh.ranking.v1 import ranking_service_pb2 as ranking_pb
from shopmesh.retrieval.v1 import retrieval_service_pb2 as retrieval_pb

MAX_CACHED_VECTORS = 20_000
BACKGROUND_BUDGET_S = 2.0


def detach_from_request() -> None:
    """In a background task: its own budget instead of the (finished) request's deadline."""
    rpc_context.deadline_var.set(None)
    budget_end_var.set(time.monotonic() + BACKGROUND_BUDGET_S)


@dataclass
class UserInputs:
    """What the feed knows about the user after the first hop."""

    consent: ConsentState
    features: features_pb2.UserFeatures | None
    mode: int
    degradations: list[Degraded]


class VectorCache:
    """User vectors by (user, digest of recent items): EmbedUser runs again only when the history moved."""

    def __init__(self, max_entries: int = MAX_CACHED_VECTORS):
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[str, vector_pb2.Vector]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def digest(features: features_pb2.UserFeatures) -> str:
        """A digest of the recent items the vector is computed from."""
        text = "|".join(f"{r.item_id}:{r.event_type}:{r.event_time.seconds}" for r in features.recent_items)
        return hashlib.sha256(f"{features.catalog_id}|{text}".encode()).hexdigest()

    def get(self, user_id: str, digest: str) -> vector_pb2.Vector | None:
        """The cached vector for this history, if any."""
        hit = self._entries.get(user_id)
        if hit is not None and hit[0] == digest:
            self.hits += 1
            return hit[1]
        self.misses += 1
        return None

    def put(self, user_id: str, digest: str, vector: vector_pb2.Vector) -> None:
        """Stores the user's latest vector."""
        self._entries[user_id] = (digest, vector)
        self._entries.move_to_end(user_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def forget_user(self, user_id: str) -> int:
        """user_caches protocol: drops the user's vector."""
        return 1 if self._entries.pop(user_id, None) is not None else 0


class TrendingCache:
    """The last anonymous candidate list per catalogue (trending and cold-start picks), for retrieval outages."""

    def __init__(self, clients: Any, ttl_seconds: float, k: int):
        self._clients = clients
        self._ttl = ttl_seconds
        self._k = k
        self._lists: dict[str, tuple[float, list[retrieval_pb.Candidate]]] = {}
        self._refreshing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, catalog_id: str) -> list[retrieval_pb.Candidate] | None:
        """The cached list, however old (an outage is when an old list is still better than none)."""
        hit = self._lists.get(catalog_id)
        return None if hit is None else hit[1]

    async def refresh(self, catalog_id: str) -> None:
        """Reads the anonymous list from retrieval now (failures keep the old list)."""
        detach_from_request()
        try:
            response = await self._clients.call(
                "retrieval", "RetrieveCandidates",
                retrieval_pb.RetrieveCandidatesRequest(catalog_id=catalog_id, k=self._k), share=1.0)
        except (PeerDown, grpc.aio.AioRpcError):
            return
        finally:
            self._refreshing.discard(catalog_id)
        self._lists[catalog_id] = (time.monotonic(), list(response.candidates))

    def maybe_refresh(self, catalog_id: str) -> None:
        """Refreshes in the background when the list is older than the TTL."""
        hit = self._lists.get(catalog_id)
        if catalog_id in self._refreshing or (hit is not None and time.monotonic() - hit[0] < self._ttl):
            return
        self._refreshing.add(catalog_id)
        task = asyncio.create_task(self.refresh(catalog_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@dataclass(frozen=True)
class FeedConfig:
    """Sizes of a feed."""

    default_catalog: str
    feed_depth: int
    candidate_count: int
    log_impressions: bool


class HomeFeed:
    """Computes first pages and continues later ones from their cursor."""

    def __init__(self, clients: Any, consent: ConsentCache, experiments: Experiments, pager: Pager, *,
                 codec: CursorCodec, vectors: VectorCache, trending: TrendingCache, config: FeedConfig):
        self.clients = clients
        self.consent = consent
        self.experiments = experiments
        self.pager = pager
        self.codec = codec
        self.vectors = vectors
        self.trending = trending
        self.config = config
        self._background: set[asyncio.Task[None]] = set()

    async def user_inputs(self, caller: Any, catalog_id: str, context: Any) -> UserInputs:
        """Features, with consent in the same profile call unless it is cached; features are dropped without
        personalisation consent."""
        consent = self.consent.cached(caller.user_id)
        request = profile_pb.GetUserFeaturesRequest(user_id=caller.user_id, catalog_id=catalog_id,
                                                    include_consent=consent is None)
        try:
            features = await self.clients.call("profile", "GetUserFeatures", request, caller.metadata, share=0.25,
                                               context=context)
        except grpc.aio.AioRpcError as exc:
            raise relay(exc) from exc
        except PeerDown as down:
            return UserInputs(UNKNOWN, None, pb.PERSONALIZATION_MODE_DEGRADED,
                              [Degraded.of(down, pb.FALLBACK_ANONYMOUS_FEED)])
        if consent is None:  # a profile older than include_consent answers none: ask it apart
            consent = (self.consent.remember(caller.user_id, features.consent) if features.HasField("consent")
                       else await self.consent.fetch(caller))
        if not consent.personalization:
            return UserInputs(consent, None, pb.PERSONALIZATION_MODE_NO_CONSENT, [])
        if features.missing or not features.features.total_event_count:
            return UserInputs(consent, features.features if not features.missing else None,
                              pb.PERSONALIZATION_MODE_COLD_START, [])
        return UserInputs(consent, features.features, pb.PERSONALIZATION_MODE_PERSONALIZED, [])

    async def user_vector(self, caller: Any, inputs: UserInputs, catalog_id: str,
                          context: Any) -> vector_pb2.Vector | None:
        """The user vector (cached per history); None without history or with embedding down."""
        features = inputs.features
        if features is None or not features.recent_items:
            return None
        digest = VectorCache.digest(features)
        cached = self.vectors.get(caller.user_id, digest)
        if cached is not None:
            return cached
        try:
            response = await self.clients.call(
                "embedding", "EmbedUser",
                embedding_pb.EmbedUserRequest(recent_items=list(features.recent_items), catalog_id=catalog_id),
                caller.metadata, share=0.2, context=context)
        except PeerDown as down:
            inputs.degradations.append(Degraded.of(down, pb.FALLBACK_NON_VECTOR_SOURCES))
            return None
        except grpc.aio.AioRpcError:
            return None
        if not response.HasField("user_vector"):
            return None
        self.vectors.put(caller.user_id, digest, response.user_vector)
        return response.user_vector

    async def candidates(self, caller: Any, inputs: UserInputs, vector: vector_pb2.Vector | None,
                         catalog_id: str, context: Any) -> list[retrieval_pb.Candidate]:
        """Retrieval's merged candidates, or the cached trending list, or profile's popular items."""
        personal = inputs.features is not None
        request = retrieval_pb.RetrieveCandidatesRequest(
            user_id=caller.user_id if personal else "", catalog_id=catalog_id, k=self.config.candidate_count)
        if personal:
            request.user_features.CopyFrom(inputs.features)
        if vector is not None:
            request.user_vector.CopyFrom(vector)
        try:
            response = await self.clients.call("retrieval", "RetrieveCandidates", request,
                                               caller.metadata if personal else (), share=0.45, context=context)
        except grpc.aio.AioRpcError as exc:
            raise relay(exc) from exc
        except PeerDown as down:
            cached = self.trending.get(catalog_id)
            if cached:
                inputs.degradations.append(Degraded.of(down, pb.FALLBACK_CACHED_TRENDING))
                return cached
            inputs.degradations.append(Degraded.of(down, pb.FALLBACK_POPULAR_ITEMS))
            return await self.popular(catalog_id, inputs, context)
        if not personal:
            self.trending.maybe_refresh(catalog_id)
        if response.cold_start and inputs.mode == pb.PERSONALIZATION_MODE_PERSONALIZED:
            inputs.mode = pb.PERSONALIZATION_MODE_COLD_START
        return list(response.candidates)

    async def popular(self, catalog_id: str, inputs: UserInputs, context: Any) -> list[retrieval_pb.Candidate]:
        """Profile's popular items as trending candidates (retrieval down, nothing cached)."""
        try:
            response = await self.clients.call(
                "profile", "ListPopularItems",
                profile_pb.ListPopularItemsRequest(catalog_id=catalog_id, limit=self.config.feed_depth),
                share=0.5, context=context)
        except (PeerDown, grpc.aio.AioRpcError):
            return []
        source = recommendation_pb2.SourceScore(source=recommendation_pb2.CANDIDATE_SOURCE_TRENDING)
        out = []
        for rank, item in enumerate(response.items):
            source.rank, source.score = rank, float(item.popularity)
            out.append(retrieval_pb.Candidate(item_id=item.item_id, score=float(item.popularity), sources=[source]))
        return out

    async def rank(self, caller: Any, inputs: UserInputs, candidates: list[retrieval_pb.Candidate], *,
                   catalog_id: str, assignment: Assignment, surface: int, context: Any, anchor_item_id: str = "",
                   query: str = "", prefetch: ItemPrefetch | None = None
                   ) -> tuple[list[RankedEntry], dict[str, recommendation_pb2.RecommendationReason]]:
        """The ranked list (or retrieval order when the variant or a ranking outage says so); `prefetch`, the
        page's items, is sent beside the Rank call."""
        def retrieval_order() -> list[RankedEntry]:  # the fallback, built only when it is served
            anchor = anchor_item_id or self._latest_item(inputs.features)
            return [self._unranked(c, anchor, surface) for c in candidates[:self.config.feed_depth]]

        if not candidates or not assignment.ranker:
            return retrieval_order(), {}
        if not self.clients.configured("ranking"):
            inputs.degradations.append(Degraded("ranking", pb.DEGRADATION_CAUSE_UNAVAILABLE,
                                                pb.FALLBACK_RETRIEVAL_ORDER, "ranking: not configured"))
            return retrieval_order(), {}
        wait = self.clients.breakers["ranking"].open_for()
        if wait > 0:
            # No item-features read for a ranker that would not be called anyway.
            inputs.degradations.append(Degraded("ranking", pb.DEGRADATION_CAUSE_CIRCUIT_OPEN,
                                                pb.FALLBACK_RETRIEVAL_ORDER, f"ranking: circuit open for {wait:.1f} s"))
            return retrieval_order(), {}
        features = await self._item_features(caller, catalog_id, [c.item_id for c in candidates], inputs, context)
        rank_context = ranking_pb.RankingContext(surface=impression_pb2.Surface.ValueType(surface),
                                                 anchor_item_id=anchor_item_id, query=query,
                                                 experiment_variant=assignment.variant)
        if inputs.features is not None and inputs.features.HasField("as_of_time"):
            rank_context.request_time.CopyFrom(inputs.features.as_of_time)
        request = ranking_pb.RankRequest(
            user_id=caller.user_id if inputs.features is not None else "", catalog_id=catalog_id,
            context=rank_context, limit=self.config.feed_depth)
        add = request.candidates.add  # built in place: a list of messages would be copied into the field again
        for c in candidates:
            out = add(item_id=c.item_id, sources=c.sources, retrieval_score=c.score)
            item = features.get(c.item_id)
            if item is not None:
                out.item_features.CopyFrom(item)
            if c.HasField("text_similarity"):
                out.text_similarity = c.text_similarity
            if c.HasField("learned_similarity"):
                out.learned_similarity = c.learned_similarity
        if inputs.features is not None:
            request.user_features.CopyFrom(inputs.features)
        if assignment.diversity_lambda is not None:
            request.diversity_lambda = assignment.diversity_lambda
        if prefetch is not None:
            prefetch.start()
        try:
            response = await self.clients.call("ranking", "Rank", request,
                                               caller.metadata if inputs.features is not None else (),
                                               share=0.8, context=context)
        except PeerDown as down:
            inputs.degradations.append(Degraded.of(down, pb.FALLBACK_RETRIEVAL_ORDER))
            return retrieval_order(), {}
        except grpc.aio.AioRpcError as exc:
            inputs.degradations.append(Degraded("ranking", pb.DEGRADATION_CAUSE_ERROR, pb.FALLBACK_RETRIEVAL_ORDER,
                                                f"ranking.Rank: {exc.code().name.lower()}"))
            return retrieval_order(), {}
        entries = [RankedEntry(r.item_id, r.reason.kind, r.reason.anchor_item_id, r.reason.category_key)
                   for r in response.items]
        return entries[:self.config.feed_depth], {r.item_id: r.reason for r in response.items}

    async def _item_features(self, caller: Any, catalog_id: str, item_ids: list[str], inputs: UserInputs,
                             context: Any) -> dict[str, Any]:
        try:
            response = await self.clients.call(
                "profile", "GetItemFeatures", profile_pb.GetItemFeaturesRequest(catalog_id=catalog_id,
                                                                                item_ids=item_ids),
                share=0.3, context=context)
        except (PeerDown, grpc.aio.AioRpcError):
            return {}
        return {r.item_id: r.features for r in response.results if not r.missing}

    @staticmethod
    def _latest_item(features: features_pb2.UserFeatures | None) -> str:
        if features is None or not features.recent_items:
            return ""
        return max(features.recent_items, key=lambda r: r.event_time.ToNanoseconds()).item_id

    @staticmethod
    def _unranked(candidate: retrieval_pb.Candidate, anchor: str, surface: int) -> RankedEntry:
        reason = reason_from_sources(candidate.sources, anchor)
        kind = reason.reason_kind if reason else recommendation_pb2.REASON_KIND_FOR_YOU
        if surface == impression_pb2.SURFACE_SIMILAR_ITEMS:
            kind = recommendation_pb2.REASON_KIND_SIMILAR_TO_ITEM
        elif surface == impression_pb2.SURFACE_SEARCH:
            kind = recommendation_pb2.REASON_KIND_MATCHES_QUERY
        keeps_anchor = kind in (recommendation_pb2.REASON_KIND_SIMILAR_TO_RECENT,
                                recommendation_pb2.REASON_KIND_SIMILAR_TO_ITEM)
        return RankedEntry(candidate.item_id, kind, anchor if keeps_anchor else "", "")

    async def first_page(self, caller: Any, *, surface: int, catalog_id: str, size: int, binding: str,
                         assignment: Assignment, inputs: UserInputs, entries: list[RankedEntry],
                         reasons: dict[str, recommendation_pb2.RecommendationReason],
                         context: Any, prefetch: ItemPrefetch | None = None) -> ListOutcome:
        """Drops entries profile does not know, then serves the first page and logs its impressions.

        `prefetch` (read while ranking ran) answers the items it asked for; others are read now."""
        unique: dict[str, RankedEntry] = {}
        for entry in entries:  # one card per item, whatever a source or the ranker repeated
            unique.setdefault(entry.item_id, entry)
        entries = list(unique.values())
        anchors = [e.anchor_item_id for e in entries if e.anchor_item_id]
        degradations = inputs.degradations
        wanted = [e.item_id for e in entries] + anchors
        try:
            items = (await prefetch.items(wanted) if prefetch is not None
                     else await self.pager.fetch_items(catalog_id, wanted, caller.metadata, share=0.8))
            entries = [e for e in entries if e.item_id in items]
        except PeerDown as down:
            items = None
            degradations = [*degradations, Degraded.of(down, pb.FALLBACK_FIELDS_OMITTED)]
        state = PageState(new_request_id(), 0, tuple(entries), assignment.experiment_id, assignment.variant,
                          inputs.mode, 0.0)
        outcome = await self.pager.page(user_id=caller.user_id, binding=binding, surface=surface,
                                        catalog_id=catalog_id, size=size, state=state, metadata=caller.metadata,
                                        items=items, reasons=reasons, degradations=degradations)
        self.log_impressions(caller, inputs.consent, catalog_id, outcome)
        return outcome

    async def compute(self, caller: Any, catalog_id: str, size: int, binding: str, context: Any) -> ListOutcome:
        """A first page of the home feed."""
        assignment = self.experiments.assign(caller.user_id, "home_feed")
        inputs = await self.user_inputs(caller, catalog_id, context)
        vector = await self.user_vector(caller, inputs, catalog_id, context)
        candidates = await self.candidates(caller, inputs, vector, catalog_id, context)
        prefetch = self.prefetch(caller, catalog_id, candidates, inputs)
        entries, reasons = await self.rank(caller, inputs, candidates, catalog_id=catalog_id,
                                           assignment=assignment, surface=impression_pb2.SURFACE_HOME_FEED,
                                           context=context, prefetch=prefetch)
        return await self.first_page(caller, surface=impression_pb2.SURFACE_HOME_FEED, catalog_id=catalog_id,
                                     size=size, binding=binding, assignment=assignment, inputs=inputs,
                                     entries=entries, reasons=reasons, context=context, prefetch=prefetch)

    def prefetch(self, caller: Any, catalog_id: str, candidates: list[retrieval_pb.Candidate], inputs: UserInputs,
                 anchor_item_id: str = "") -> ItemPrefetch:
        """The display items a first page of these candidates may show: the candidates, the anchor and the
        user's recent items (the anchors reasons name)."""
        recent = [r.item_id for r in inputs.features.recent_items] if inputs.features is not None else []
        return ItemPrefetch(self.pager, catalog_id, [*(c.item_id for c in candidates), anchor_item_id, *recent],
                            caller.metadata)

    async def later_page(self, caller: Any, token: str, binding: str, *, surface: int, catalog_id: str,
                         size: int) -> ListOutcome:
        """A later page, continuing the list its cursor carries."""
        state = self.codec.decode(token, binding)
        return await self.pager.page(user_id=caller.user_id, binding=binding, surface=surface,
                                     catalog_id=catalog_id, size=size, state=state, metadata=caller.metadata)

    def log_impressions(self, caller: Any, consent: ConsentState, catalog_id: str, outcome: ListOutcome) -> None:
        """Logs the served impressions to profile in the background (consented users only)."""
        if not self.config.log_impressions or not consent.personalization or not outcome.cards:
            return
        events = []
        for card in outcome.cards:
            event = profile_pb.Event(
                event_id="imp-" + hashlib.sha256(card.impression.impression_id.encode()).hexdigest()[:40],
                user_id=caller.user_id, event_type=event_pb2.EVENT_TYPE_IMPRESSION, catalog_id=catalog_id,
                item_id=card.item.item_id,
                impression_id=card.impression.impression_id, origin=profile_pb.EVENT_ORIGIN_GATEWAY)
            event.event_time.CopyFrom(card.impression.serve_time)
            events.append(event)

        async def send() -> None:
            detach_from_request()
            try:
                await self.clients.call("profile", "IngestEvents", profile_pb.IngestEventsRequest(events=events),
                                        caller.metadata, share=1.0)
            except (PeerDown, grpc.aio.AioRpcError):
                return

        task = asyncio.create_task(send())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
