"""What every list surface shares: page sizes, ranked entries to cards, impressions, reasons and cursors."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from gateway.cursors import CursorCodec, PageState, RankedEntry
from gateway.degradation import Degraded, PeerDown
from gateway.errors import relay
from gateway.impressions import ImpressionRef, ImpressionSigner
from shared.errors import FieldViolation, InvalidArgument
from shopmesh.common.v1 import impression_pb2, item_pb2, recommendation_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2 as profile_pb

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
R = recommendation_pb2


def page_size(value: int) -> int:
    """The effective page size; INVALID_ARGUMENT page_size OUT_OF_RANGE outside 0..50."""
    if value < 0 or value > MAX_PAGE_SIZE:
        raise InvalidArgument("page_size must be 0 to 50", [FieldViolation("page_size", "OUT_OF_RANGE: 0 to 50")],
                              reason="OUT_OF_RANGE", domain="shopmesh.gateway")
    return value or DEFAULT_PAGE_SIZE


def new_request_id() -> str:
    """A list's request id (hex, no separators: it is embedded in impression ids)."""
    return uuid.uuid4().hex


_SOURCE_REASON = {
    R.CANDIDATE_SOURCE_USER_VECTOR_ANN: R.REASON_KIND_FOR_YOU,
    R.CANDIDATE_SOURCE_CO_VISITATION: R.REASON_KIND_SIMILAR_TO_RECENT,
    R.CANDIDATE_SOURCE_TEXT_NEIGHBOURS: R.REASON_KIND_SIMILAR_TO_RECENT,
    R.CANDIDATE_SOURCE_RECENT_TEXT_VECTORS: R.REASON_KIND_SIMILAR_TO_RECENT,
    R.CANDIDATE_SOURCE_REPURCHASE: R.REASON_KIND_BUY_AGAIN,
    R.CANDIDATE_SOURCE_TRENDING: R.REASON_KIND_TRENDING,
    R.CANDIDATE_SOURCE_CATEGORY_AFFINITY: R.REASON_KIND_POPULAR_IN_CATEGORY,
    R.CANDIDATE_SOURCE_COLD_START: R.REASON_KIND_POPULAR_WITH_NEW_USERS,
    R.CANDIDATE_SOURCE_LEXICAL_MATCH: R.REASON_KIND_MATCHES_QUERY,
    R.CANDIDATE_SOURCE_DENSE_MATCH: R.REASON_KIND_MATCHES_QUERY,
}


def reason_from_sources(sources: Iterable[Any], anchor_item_id: str = "") -> RankedEntry | None:
    """Reason kind of an unranked candidate: its strongest source's (retrieval order)."""
    best = min(sources, key=lambda s: s.rank, default=None)
    if best is None:
        return None
    kind = _SOURCE_REASON.get(best.source, R.REASON_KIND_FOR_YOU)
    anchor = anchor_item_id if kind in (R.REASON_KIND_SIMILAR_TO_RECENT, R.REASON_KIND_SIMILAR_TO_ITEM) else ""
    return RankedEntry("", kind, anchor, "")


def reason_text(kind: int, anchor_title: str, category: str) -> str:
    """The line shown under a card, from the reason kind (English; the app localises by kind)."""
    if kind == R.REASON_KIND_SIMILAR_TO_RECENT:
        return f"Because you viewed {anchor_title}" if anchor_title else "Similar to items you viewed"
    if kind == R.REASON_KIND_SIMILAR_TO_ITEM:
        return f"Similar to {anchor_title}" if anchor_title else "Similar to this item"
    if kind == R.REASON_KIND_POPULAR_IN_CATEGORY:
        return f"Popular in {category}" if category else "Popular in a category you like"
    return {
        R.REASON_KIND_TRENDING: "Trending now", R.REASON_KIND_BUY_AGAIN: "Buy it again",
        R.REASON_KIND_FOR_YOU: "Picked for you", R.REASON_KIND_MATCHES_QUERY: "Matches your search",
        R.REASON_KIND_POPULAR_WITH_NEW_USERS: "Popular with new shoppers",
    }.get(R.ReasonKind.ValueType(kind), "")


def list_item(item: item_pb2.Item) -> item_pb2.Item:
    """The item as lists show it: without description and attributes."""
    card = item_pb2.Item()
    card.CopyFrom(item)
    card.description = ""
    card.attributes.clear()
    return card


@dataclass
class ListOutcome:
    """A computed page, before conversion to the surface's response message."""

    cards: list[pb.ItemCard]
    next_page_token: str
    request_id: str
    experiment_id: str
    variant: str
    personalization: int
    degradations: list[Degraded] = field(default_factory=list)


MAX_PREFETCHED_ITEMS = 1000
"""GetItems' limit: a longer candidate list prefetches its head, the rest is read after ranking if ranked."""


class ItemPrefetch:
    """A first page's display items, read from profile while ranking runs instead of after it.

    Items for the ranked entries were a profile call after Rank returned: one more sequential hop on every
    first page. Asked beside Rank for every candidate (and the anchors the reasons may name), the read
    overlaps ranking's wait; anything the ranked list needs that was not asked is read after, as before.
    """

    def __init__(self, pager: Pager, catalog_id: str, item_ids: Iterable[str],
                 metadata: tuple[tuple[str, str], ...]):
        self._pager = pager
        self._catalog_id = catalog_id
        self._metadata = metadata
        self.asked = list(dict.fromkeys(i for i in item_ids if i))[:MAX_PREFETCHED_ITEMS]
        self._task: asyncio.Task[dict[str, item_pb2.Item]] | None = None

    def start(self) -> None:
        """Sends the read now (once); its outcome waits for `items`."""
        if self._task is None:
            self._task = asyncio.ensure_future(
                self._pager.fetch_items(self._catalog_id, self.asked, self._metadata, share=0.8))
            # A request that fails before its first page never collects the outcome: retrieve it anyway.
            self._task.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def items(self, wanted: Sequence[str]) -> dict[str, item_pb2.Item]:
        """Items of `wanted` that profile knows (PeerDown when it is down, as Pager.fetch_items)."""
        self.start()
        assert self._task is not None
        items = await self._task
        asked = set(self.asked)
        missing = [i for i in wanted if i not in asked]
        if missing:
            items = {**items, **await self._pager.fetch_items(self._catalog_id, missing, self._metadata, share=0.8)}
        return items


class Pager:
    """Turns a ranked list into pages of cards and cursors; fetches the page's items from profile."""

    def __init__(self, clients: Any, codec: CursorCodec, impressions: ImpressionSigner):
        self._clients = clients
        self._codec = codec
        self._impressions = impressions

    async def fetch_items(self, catalog_id: str, item_ids: Sequence[str], metadata: tuple[tuple[str, str], ...],
                          share: float = 0.5) -> dict[str, item_pb2.Item]:
        """Items by id (unknown ones absent); PeerDown when profile is down, relayed errors otherwise."""
        ids = list(dict.fromkeys(i for i in item_ids if i))
        if not ids:
            return {}
        try:
            response = await self._clients.call("profile", "GetItems",
                                                profile_pb.GetItemsRequest(catalog_id=catalog_id, item_ids=ids),
                                                metadata, share=share)
        except grpc.aio.AioRpcError as exc:
            raise relay(exc) from exc
        return {r.item_id: r.item for r in response.results if not r.missing}

    async def page(self, *, user_id: str, binding: str, surface: int, catalog_id: str, size: int,
                   state: PageState, metadata: tuple[tuple[str, str], ...],
                   items: dict[str, item_pb2.Item] | None = None,
                   reasons: dict[str, recommendation_pb2.RecommendationReason] | None = None,
                   degradations: list[Degraded] | None = None) -> ListOutcome:
        """The page at `state.offset` of `state.entries` and the cursor of the next one.

        First pages pass `items` for every entry (the list holds only items profile knows); later pages
        fetch their window. With profile down the cards carry item ids only (FIELDS_OMITTED).
        """
        degradations = list(degradations or [])
        window = list(state.entries[state.offset:state.offset + size])
        anchors = [e.anchor_item_id for e in window if e.anchor_item_id]
        if items is None or any(e.item_id not in items for e in window) or any(a not in items for a in anchors):
            try:
                fetched = await self.fetch_items(catalog_id, [e.item_id for e in window] + anchors, metadata)
            except PeerDown as down:
                degradations.append(Degraded.of(down, pb.FALLBACK_FIELDS_OMITTED))
                fetched = {e.item_id: item_pb2.Item(item_id=e.item_id, catalog_id=catalog_id) for e in window}
            items = {**(items or {}), **fetched}
        serve_time = time.time()
        cards = []
        for position, entry in enumerate(window, start=state.offset):
            item = items.get(entry.item_id)
            if item is None:
                continue
            ref = ImpressionRef(state.request_id, surface, position, state.experiment_id, state.variant)
            impression = impression_pb2.Impression(
                impression_id=self._impressions.make(ref, user_id, entry.item_id), request_id=state.request_id,
                surface=impression_pb2.Surface.ValueType(surface), position=position,
                experiment_id=state.experiment_id, variant=state.variant)
            impression.serve_time.FromNanoseconds(int(serve_time * 1e9))
            reason = (reasons or {}).get(entry.item_id)
            if reason is None or not reason.text:
                anchor = items.get(entry.anchor_item_id)
                reason = recommendation_pb2.RecommendationReason(
                    kind=R.ReasonKind.ValueType(entry.reason_kind), anchor_item_id=entry.anchor_item_id,
                    category_key=entry.category_key,
                    text=reason_text(entry.reason_kind, anchor.title if anchor else "", entry.category_key))
            cards.append(pb.ItemCard(item=list_item(item), impression=impression, reason=reason))
        next_offset = state.offset + size
        token = ""
        if next_offset < len(state.entries):
            token = self._codec.encode(PageState(state.request_id, next_offset, state.entries, state.experiment_id,
                                                 state.variant, state.personalization, state.expires_at), binding)
        distinct = list({(d.peer, d.fallback): d for d in degradations}.values())
        return ListOutcome(cards, token, state.request_id, state.experiment_id, state.variant, state.personalization,
                           distinct)
