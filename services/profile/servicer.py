"""ProfileService's gRPC servicer: converts protobuf <-> domain and delegates to services.profile.service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from grpc.aio import ServicerContext as Ctx

from services.profile import convert
from services.profile.convert import opt_ts, us_to_ts
from services.profile.convert_orders import order_event_from_pb, order_to_pb, outbox_to_pb, points_to_pb, refund_to_pb
from services.profile.model import Item, Violation
from services.profile.order_service import ADDRESS_CHANGE, CANCELLATION, OrderService
from services.profile.profiles import MAX_ADDRESSES
from services.profile.served import ItemEntries, delimited
from services.profile.service import ProfileService, invalid
from services.profile.store import EventQuery
from shared.context import current_caller
from shared.errors import DomainError
from shopmesh.common.v1 import account_pb2, features_pb2
from shopmesh.profile.v1 import profile_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ProfileService"].full_name
_RESULTS = 0x0A
"""The wire tag of GetItemsResponse.results (field 1, length-delimited)."""
ITEM_RESULT_CACHE = 200_000
"""Encoded GetItems entries kept (one per item); the cache starts over when it is full."""
_WIRE_REPLIES = frozenset({"GetUserFeatures", "GetItemFeatures", "GetItems", "IngestEvents"})
"""Methods that may return the reply already as wire bytes (joined from pre-encoded records, or hand-encoded
per-event results)."""


def _wire_or_message(serialize: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    def serializer(reply: Any) -> bytes:
        return reply if isinstance(reply, bytes) else serialize(reply)
    return serializer


def add_to_server(servicer: ProfileServicer, server: grpc.aio.Server) -> None:
    """Registers the servicer like the generated `add_ProfileServiceServicer_to_server`, except that the
    feature reads and ingest may return their reply as wire bytes, which the server then sends as they are
    (no parse into a message and serialisation again of up to 1,000 items or results)."""
    handlers = {}
    for method in pb.DESCRIPTOR.services_by_name["ProfileService"].methods:
        if method.client_streaming:  # none today; the handlers below would be wrong for one
            raise TypeError(f"{method.name}: client streaming is not registered here")
        request = message_factory.GetMessageClass(method.input_type)
        response = message_factory.GetMessageClass(method.output_type)
        serialize = response.SerializeToString
        make = grpc.unary_stream_rpc_method_handler if method.server_streaming else grpc.unary_unary_rpc_method_handler
        handlers[method.name] = make(getattr(servicer, method.name), request_deserializer=request.FromString,
                                     response_serializer=_wire_or_message(serialize) if method.name in _WIRE_REPLIES
                                     else serialize)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)


def _context_user() -> str | None:
    return current_caller().user_id


class ProfileServicer(pb_grpc.ProfileServiceServicer):
    """Thin protobuf adapter over a ProfileService."""

    def __init__(self, service: ProfileService, orders: OrderService):
        self.service = service
        self.orders = orders
        self._templates: dict[tuple[str, str], tuple[int, features_pb2.ItemFeatures]] = {}
        self._encoded_templates: dict[tuple[str, str], tuple[int, bytes]] = {}
        self._item_entries = ItemEntries(service.engine.item_reader, self._encoded_template)
        self._item_results: dict[tuple[str, str], tuple[Item, bytes]] = {}

    def _item_result(self, item_id: str, item: Item | None) -> bytes:
        """One GetItemsResponse entry as wire bytes, encoded once per catalogue object.

        An upsert loads new Item objects into the catalogue, so the entry is keyed on the object itself (an
        upserted item may carry the update time it was read with)."""
        if item is None:
            return delimited(_RESULTS, pb.ItemResult(item_id=item_id, missing=True).SerializeToString())
        key = (item.catalog_id, item.item_id)
        cached = self._item_results.get(key)
        if cached is None or cached[0] is not item:
            if len(self._item_results) >= ITEM_RESULT_CACHE:
                self._item_results.clear()
            body = pb.ItemResult(item_id=item_id, item=convert.item_to_pb(item)).SerializeToString()
            cached = self._item_results[key] = (item, delimited(_RESULTS, body))
        return cached[1]

    def _template(self, item: Item) -> features_pb2.ItemFeatures:
        key = (item.catalog_id, item.item_id)
        cached = self._templates.get(key)
        if cached is None or cached[0] != item.update_time_us:
            cached = self._templates[key] = (item.update_time_us, convert.item_features_template(item))
        return cached[1]

    def _encoded_template(self, item: Item) -> bytes:
        """The catalogue fields of an item's ItemFeatures as wire bytes, encoded once per item version."""
        key = (item.catalog_id, item.item_id)
        cached = self._encoded_templates.get(key)
        if cached is None or cached[0] != item.update_time_us:
            encoded = convert.item_features_template(item).SerializeToString()
            cached = self._encoded_templates[key] = (item.update_time_us, encoded)
        return cached[1]

    # --- catalogue ------------------------------------------------------------------------------------------

    async def GetItems(self, request: pb.GetItemsRequest, context: Ctx) -> pb.GetItemsResponse:
        ids = list(request.item_ids)
        items = self.service.get_items(request.catalog_id, ids)
        # The reply's wire bytes, joined from entries cached per item version (the server sends them as they are).
        return b"".join([self._item_result(i, item) for i, item in zip(ids, items, strict=True)])  # type: ignore[return-value]

    async def ListItems(self, request: pb.ListItemsRequest, context: Ctx) -> pb.ListItemsResponse:
        items, token, total = self.service.list_items(request.catalog_id, request.page_size, request.page_token)
        return pb.ListItemsResponse(items=[convert.item_to_pb(i) for i in items], next_page_token=token,
                                    total_item_count=total)

    async def UpsertItems(self, request: pb.UpsertItemsRequest, context: Ctx) -> pb.UpsertItemsResponse:
        created, updated = await self.service.upsert_items([convert.item_from_pb(i) for i in request.items],
                                                           current_caller().service)
        return pb.UpsertItemsResponse(created_count=created, updated_count=updated)

    # --- events ---------------------------------------------------------------------------------------------

    async def IngestEvents(self, request: pb.IngestEventsRequest, context: Ctx) -> pb.IngestEventsResponse:
        caller = current_caller()
        results = await self.service.ingest([convert.event_from_pb(e) for e in request.events],
                                            request.all_or_nothing, caller.service, caller.user_id)
        return convert.ingest_reply(results)  # type: ignore[return-value]  # wire bytes, sent as they are

    async def ReadEvents(self, request: pb.ReadEventsRequest, context: Ctx) -> AsyncIterator[pb.ReadEventsResponse]:
        query = EventQuery(start_us=opt_ts(request, "start_time"), end_us=opt_ts(request, "end_time"),
                           event_types=tuple(request.event_types), catalog_id=request.catalog_id,
                           user_ids=tuple(request.user_ids))
        async for events, token in self.service.read_events(query, request.batch_size, request.resume_token,
                                                            current_caller().service):
            yield pb.ReadEventsResponse(events=[convert.event_to_pb(e) for e in events], resume_token=token)

    # --- features -------------------------------------------------------------------------------------------

    async def GetUserFeatures(self, request: pb.GetUserFeaturesRequest, context: Ctx) -> pb.GetUserFeaturesResponse:
        user = _context_user()
        if not request.HasField("as_of_time"):  # the serving read: features pre-encoded, merged as bytes
            served = self.service.served_user_features(request.user_id, request.catalog_id, user)
            if request.include_consent:  # the feature store and the consent table read concurrently
                (catalog, now, encoded), consent = await asyncio.gather(served, self._consent_pb(request.user_id))
            else:
                (catalog, now, encoded), consent = await served, None
            if encoded is None:
                return pb.GetUserFeaturesResponse(
                    missing=True, features=convert.user_features_to_pb(request.user_id, catalog, now, None),
                    consent=consent)
            wire = delimited(0x12, encoded)  # the reply's wire bytes (field 2, then field 3)
            return (wire if consent is None else  # type: ignore[return-value]
                    wire + delimited(0x1A, consent.SerializeToString()))
        as_of, values = await self.service.user_features(request.user_id, request.catalog_id,
                                                         opt_ts(request, "as_of_time"), user)
        catalog = self.service.catalogue.resolve(request.catalog_id)
        return pb.GetUserFeaturesResponse(
            missing=values is None, features=convert.user_features_to_pb(request.user_id, catalog, as_of, values),
            consent=await self._consent_pb(request.user_id) if request.include_consent else None)

    async def GetItemFeatures(self, request: pb.GetItemFeaturesRequest, context: Ctx) -> pb.GetItemFeaturesResponse:
        if not request.HasField("as_of_time"):  # the serving read: the reply's wire bytes, joined from cache
            ids = list(request.item_ids)
            catalog, now, items, records = await self.service.served_item_features(request.catalog_id, ids)
            return self._item_entries.response(catalog, ids, items, records, now)  # type: ignore[return-value]
        _, as_of, rows = await self.service.item_features(request.catalog_id, list(request.item_ids),
                                                          opt_ts(request, "as_of_time"))
        reply = pb.GetItemFeaturesResponse()
        for item_id, (item, values) in zip(request.item_ids, rows, strict=True):
            result = reply.results.add(item_id=item_id)
            if item is None or values is None:
                result.missing = True
            else:
                convert.fill_item_features(result.features, self._template(item), values, as_of)
        return reply

    async def ListPopularItems(self, request: pb.ListPopularItemsRequest,
                               context: Ctx) -> pb.ListPopularItemsResponse:
        as_of, items = await self.service.popular_items(request.catalog_id, request.category_prefix, request.limit,
                                                        request.include_out_of_stock)
        return pb.ListPopularItemsResponse(items=[pb.PopularItem(item_id=i, popularity=p) for i, p in items],
                                           as_of_time=us_to_ts(as_of))

    # --- orders ---------------------------------------------------------------------------------------------

    async def ApplyOrderEvents(self, request: pb.ApplyOrderEventsRequest,
                               context: Ctx) -> pb.ApplyOrderEventsResponse:
        results = await self.orders.apply([order_event_from_pb(e) for e in request.events],
                                          current_caller().service)
        return pb.ApplyOrderEventsResponse(results=[convert.result_to_pb(r) for r in results])

    async def ListOrders(self, request: pb.ListOrdersRequest, context: Ctx) -> pb.ListOrdersResponse:
        orders, token = await self.orders.list_orders(request.user_id, list(request.statuses), request.page_size,
                                                      request.page_token, _context_user(),
                                                      caller=current_caller().service or "",
                                                      acting_agent_id=request.acting_agent_id,
                                                      purpose=request.purpose)
        return pb.ListOrdersResponse(orders=[order_to_pb(o) for o in orders], next_page_token=token)

    async def GetOrder(self, request: pb.GetOrderRequest, context: Ctx) -> pb.GetOrderResponse:
        order = await self.orders.get_order(request.user_id, request.order_id, _context_user())
        return pb.GetOrderResponse(order=order_to_pb(order),
                                   shipping_address_token=order.get("shipping_address_token", ""))

    async def GetRefundStatus(self, request: pb.GetRefundStatusRequest, context: Ctx) -> pb.GetRefundStatusResponse:
        refunds = await self.orders.refunds(request.user_id, request.order_id, _context_user())
        return pb.GetRefundStatusResponse(refunds=[refund_to_pb(r) for r in refunds])

    async def GetPointsBalance(self, request: pb.GetPointsBalanceRequest,
                               context: Ctx) -> pb.GetPointsBalanceResponse:
        return points_to_pb(*await self.orders.points(request.user_id, _context_user()))

    async def RequestCancellation(self, request: pb.RequestCancellationRequest,
                                  context: Ctx) -> pb.RequestCancellationResponse:
        self.service.check_account_writer(current_caller().service)
        entry, duplicate = await self.orders.request(
            CANCELLATION, request.user_id, request.order_id, request_id=request.request_id,
            doc={"line_ids": list(request.line_ids), "reason": request.reason}, context_user=_context_user())
        return pb.RequestCancellationResponse(entry=outbox_to_pb(entry), duplicate=duplicate)

    async def RequestAddressChange(self, request: pb.RequestAddressChangeRequest,
                                   context: Ctx) -> pb.RequestAddressChangeResponse:
        self.service.check_account_writer(current_caller().service)
        entry, duplicate = await self.orders.request(
            ADDRESS_CHANGE, request.user_id, request.order_id, request_id=request.request_id,
            doc={"shipping_address_token": request.shipping_address_token,
                 "destination_country_code": request.destination_country_code}, context_user=_context_user())
        return pb.RequestAddressChangeResponse(entry=outbox_to_pb(entry), duplicate=duplicate)

    async def ListOutboxEntries(self, request: pb.ListOutboxEntriesRequest,
                                context: Ctx) -> pb.ListOutboxEntriesResponse:
        entries = await self.orders.list_outbox(request.after_sequence, request.page_size, request.include_acked,
                                                current_caller().service)
        return pb.ListOutboxEntriesResponse(entries=[outbox_to_pb(e) for e in entries])

    async def AckOutboxEntries(self, request: pb.AckOutboxEntriesRequest,
                               context: Ctx) -> pb.AckOutboxEntriesResponse:
        count = await self.orders.ack_outbox(list(request.sequences), current_caller().service)
        return pb.AckOutboxEntriesResponse(acked_count=count)

    # --- profiles and consent -------------------------------------------------------------------------------

    async def _consent_pb(self, user_id: str) -> account_pb2.Consent:
        return convert.consent_to_pb(*await self.service.get_consent(user_id, _context_user()))

    async def GetProfile(self, request: pb.GetProfileRequest, context: Ctx) -> pb.GetProfileResponse:
        profile = await self.service.get_profile(request.user_id, _context_user())
        return pb.GetProfileResponse(profile=convert.profile_to_pb(profile, await self._consent_pb(request.user_id)))

    async def UpdateProfile(self, request: pb.UpdateProfileRequest, context: Ctx) -> pb.UpdateProfileResponse:
        self.service.check_account_writer(current_caller().service)
        if len(request.profile.addresses) > MAX_ADDRESSES:
            # Counted before converting: a million addresses (found by fuzzing) ran past the 5 s deadline.
            raise invalid([Violation("profile.addresses", "TOO_MANY", f"at most {MAX_ADDRESSES}")])
        new = convert.profile_from_pb(request.user_id, request.profile)
        profile = await self.service.update_profile(new, list(request.update_mask.paths), request.allow_missing,
                                                    request.profile.etag, _context_user())
        return pb.UpdateProfileResponse(profile=convert.profile_to_pb(profile,
                                                                      await self._consent_pb(request.user_id)))

    async def GetConsent(self, request: pb.GetConsentRequest, context: Ctx) -> pb.GetConsentResponse:
        return pb.GetConsentResponse(consent=await self._consent_pb(request.user_id))

    async def UpdateConsent(self, request: pb.UpdateConsentRequest, context: Ctx) -> pb.UpdateConsentResponse:
        self.service.check_account_writer(current_caller().service)
        decided = await self.service.update_consent(request.user_id, request.consent.personalization,
                                                    request.consent.marketing, list(request.update_mask.paths),
                                                    _context_user())
        return pb.UpdateConsentResponse(consent=convert.consent_to_pb(*decided))

    # --- privacy --------------------------------------------------------------------------------------------

    async def ExportUser(self, request: pb.ExportUserRequest, context: Ctx) -> AsyncIterator[pb.ExportUserResponse]:
        self.service.check_privacy_caller(current_caller().service)
        user = _context_user()
        consent = await self._consent_pb(request.user_id)
        first = pb.ExportUserResponse(consent=consent)
        try:
            first.profile.CopyFrom(convert.profile_to_pb(await self.service.get_profile(request.user_id, user),
                                                         consent))
        except DomainError as exc:
            if exc.code != grpc.StatusCode.NOT_FOUND:
                raise
        try:  # the features as the serving read gives them now (the records every fold window rewrites)
            _, _, encoded = await self.service.served_user_features(request.user_id, "", user)
        except DomainError as exc:  # no default catalogue loaded yet: no features to export
            if exc.code != grpc.StatusCode.NOT_FOUND:
                raise
            encoded = None
        if encoded is not None:
            first.features.MergeFromString(encoded)
        yield first
        orders, token = await self.orders.list_orders(request.user_id, [], 100, "", user)
        while orders:
            yield pb.ExportUserResponse(orders=[order_to_pb(o) for o in orders])
            if not token:
                break
            orders, token = await self.orders.list_orders(request.user_id, [], 100, token, user)
        async for events in self.service.export_events(request.user_id):
            yield pb.ExportUserResponse(events=[convert.event_to_pb(e) for e in events])
        entries = await self.orders.user_outbox(request.user_id)
        for start in range(0, len(entries), 1000):
            yield pb.ExportUserResponse(outbox_entries=[outbox_to_pb(e) for e in entries[start:start + 1000]])

    async def DeleteUser(self, request: pb.DeleteUserRequest, context: Ctx) -> pb.DeleteUserResponse:
        self.service.check_privacy_caller(current_caller().service)
        done = await self.service.delete_user(request.user_id, _context_user())
        orders, outbox = await self.orders.delete_user(request.user_id)
        await self.service.scrub_storage()
        return pb.DeleteUserResponse(
            already_deleted=done.already_deleted and not (orders or outbox), deleted_order_count=orders,
            deleted_outbox_entry_count=outbox, deleted_event_count=done.deleted_event_count,
            deleted_profile=done.deleted_profile, deleted_features=done.deleted_features,
            delete_time=us_to_ts(done.delete_time_us))
