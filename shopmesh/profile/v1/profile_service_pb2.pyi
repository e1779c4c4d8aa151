import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import account_pb2 as _account_pb2
from shopmesh.common.v1 import event_pb2 as _event_pb2
from shopmesh.common.v1 import features_pb2 as _features_pb2
from shopmesh.common.v1 import item_pb2 as _item_pb2
from shopmesh.common.v1 import money_pb2 as _money_pb2
from shopmesh.common.v1 import order_pb2 as _order_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_ORIGIN_UNSPECIFIED: _ClassVar[EventOrigin]
    EVENT_ORIGIN_APP: _ClassVar[EventOrigin]
    EVENT_ORIGIN_GATEWAY: _ClassVar[EventOrigin]
    EVENT_ORIGIN_DATASET_REPLAY: _ClassVar[EventOrigin]
    EVENT_ORIGIN_SYNTHETIC: _ClassVar[EventOrigin]

class PointsTransactionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POINTS_TRANSACTION_KIND_UNSPECIFIED: _ClassVar[PointsTransactionKind]
    POINTS_TRANSACTION_KIND_EARNED: _ClassVar[PointsTransactionKind]
    POINTS_TRANSACTION_KIND_REDEEMED: _ClassVar[PointsTransactionKind]
    POINTS_TRANSACTION_KIND_EXPIRED: _ClassVar[PointsTransactionKind]
    POINTS_TRANSACTION_KIND_REVERSED: _ClassVar[PointsTransactionKind]

class OutboxEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTBOX_ENTRY_KIND_UNSPECIFIED: _ClassVar[OutboxEntryKind]
    OUTBOX_ENTRY_KIND_CANCELLATION: _ClassVar[OutboxEntryKind]
    OUTBOX_ENTRY_KIND_ADDRESS_CHANGE: _ClassVar[OutboxEntryKind]
EVENT_ORIGIN_UNSPECIFIED: EventOrigin
EVENT_ORIGIN_APP: EventOrigin
EVENT_ORIGIN_GATEWAY: EventOrigin
EVENT_ORIGIN_DATASET_REPLAY: EventOrigin
EVENT_ORIGIN_SYNTHETIC: EventOrigin
POINTS_TRANSACTION_KIND_UNSPECIFIED: PointsTransactionKind
POINTS_TRANSACTION_KIND_EARNED: PointsTransactionKind
POINTS_TRANSACTION_KIND_REDEEMED: PointsTransactionKind
POINTS_TRANSACTION_KIND_EXPIRED: PointsTransactionKind
POINTS_TRANSACTION_KIND_REVERSED: PointsTransactionKind
OUTBOX_ENTRY_KIND_UNSPECIFIED: OutboxEntryKind
OUTBOX_ENTRY_KIND_CANCELLATION: OutboxEntryKind
OUTBOX_ENTRY_KIND_ADDRESS_CHANGE: OutboxEntryKind

class GetItemsRequest(_message.Message):
    __slots__ = ("catalog_id", "item_ids")
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_IDS_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    item_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, catalog_id: _Optional[str] = ..., item_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ItemResult(_message.Message):
    __slots__ = ("item_id", "missing", "item")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    missing: bool
    item: _item_pb2.Item
    def __init__(self, item_id: _Optional[str] = ..., missing: _Optional[bool] = ..., item: _Optional[_Union[_item_pb2.Item, _Mapping]] = ...) -> None: ...

class GetItemsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ItemResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ItemResult, _Mapping]]] = ...) -> None: ...

class ListItemsRequest(_message.Message):
    __slots__ = ("catalog_id", "page_size", "page_token")
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    page_size: int
    page_token: str
    def __init__(self, catalog_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "total_item_count")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_item_pb2.Item]
    next_page_token: str
    total_item_count: int
    def __init__(self, items: _Optional[_Iterable[_Union[_item_pb2.Item, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_item_count: _Optional[int] = ...) -> None: ...

class UpsertItemsRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_item_pb2.Item]
    def __init__(self, items: _Optional[_Iterable[_Union[_item_pb2.Item, _Mapping]]] = ...) -> None: ...

class UpsertItemsResponse(_message.Message):
    __slots__ = ("created_count", "updated_count")
    CREATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    created_count: int
    updated_count: int
    def __init__(self, created_count: _Optional[int] = ..., updated_count: _Optional[int] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("event_id", "user_id", "event_type", "event_time", "catalog_id", "item_id", "impression_id", "redacted_query", "dwell_ms", "quantity", "unit_price", "app_session_id", "origin", "ingest_time", "sequence")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    IMPRESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REDACTED_QUERY_FIELD_NUMBER: _ClassVar[int]
    DWELL_MS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    APP_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    INGEST_TIME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    user_id: str
    event_type: _event_pb2.EventType
    event_time: _timestamp_pb2.Timestamp
    catalog_id: str
    item_id: str
    impression_id: str
    redacted_query: str
    dwell_ms: int
    quantity: int
    unit_price: _money_pb2.Money
    app_session_id: str
    origin: EventOrigin
    ingest_time: _timestamp_pb2.Timestamp
    sequence: int
    def __init__(self, event_id: _Optional[str] = ..., user_id: _Optional[str] = ..., event_type: _Optional[_Union[_event_pb2.EventType, str]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., catalog_id: _Optional[str] = ..., item_id: _Optional[str] = ..., impression_id: _Optional[str] = ..., redacted_query: _Optional[str] = ..., dwell_ms: _Optional[int] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., app_session_id: _Optional[str] = ..., origin: _Optional[_Union[EventOrigin, str]] = ..., ingest_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class IngestEventsRequest(_message.Message):
    __slots__ = ("events", "all_or_nothing")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ALL_OR_NOTHING_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    all_or_nothing: bool
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., all_or_nothing: _Optional[bool] = ...) -> None: ...

class IngestEventsResponse(_message.Message):
    __slots__ = ("results", "accepted_count", "duplicate_count", "rejected_count", "discarded_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DISCARDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_event_pb2.EventResult]
    accepted_count: int
    duplicate_count: int
    rejected_count: int
    discarded_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[_event_pb2.EventResult, _Mapping]]] = ..., accepted_count: _Optional[int] = ..., duplicate_count: _Optional[int] = ..., rejected_count: _Optional[int] = ..., discarded_count: _Optional[int] = ...) -> None: ...

class ReadEventsRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "event_types", "catalog_id", "user_ids", "batch_size", "resume_token")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    USER_IDS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    event_types: _containers.RepeatedScalarFieldContainer[_event_pb2.EventType]
    catalog_id: str
    user_ids: _containers.RepeatedScalarFieldContainer[str]
    batch_size: int
    resume_token: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_types: _Optional[_Iterable[_Union[_event_pb2.EventType, str]]] = ..., catalog_id: _Optional[str] = ..., user_ids: _Optional[_Iterable[str]] = ..., batch_size: _Optional[int] = ..., resume_token: _Optional[str] = ...) -> None: ...

class ReadEventsResponse(_message.Message):
    __slots__ = ("events", "resume_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    resume_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class GetUserFeaturesRequest(_message.Message):
    __slots__ = ("user_id", "catalog_id", "as_of_time", "include_consent")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CONSENT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    catalog_id: str
    as_of_time: _timestamp_pb2.Timestamp
    include_consent: bool
    def __init__(self, user_id: _Optional[str] = ..., catalog_id: _Optional[str] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., include_consent: _Optional[bool] = ...) -> None: ...

class GetUserFeaturesResponse(_message.Message):
    __slots__ = ("missing", "features", "consent")
    MISSING_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    missing: bool
    features: _features_pb2.UserFeatures
    consent: _account_pb2.Consent
    def __init__(self, missing: _Optional[bool] = ..., features: _Optional[_Union[_features_pb2.UserFeatures, _Mapping]] = ..., consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ...) -> None: ...

class GetItemFeaturesRequest(_message.Message):
    __slots__ = ("catalog_id", "item_ids", "as_of_time")
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_IDS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    item_ids: _containers.RepeatedScalarFieldContainer[str]
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, catalog_id: _Optional[str] = ..., item_ids: _Optional[_Iterable[str]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ItemFeaturesResult(_message.Message):
    __slots__ = ("item_id", "missing", "features")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    missing: bool
    features: _features_pb2.ItemFeatures
    def __init__(self, item_id: _Optional[str] = ..., missing: _Optional[bool] = ..., features: _Optional[_Union[_features_pb2.ItemFeatures, _Mapping]] = ...) -> None: ...

class GetItemFeaturesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ItemFeaturesResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ItemFeaturesResult, _Mapping]]] = ...) -> None: ...

class ListPopularItemsRequest(_message.Message):
    __slots__ = ("catalog_id", "category_prefix", "limit", "include_out_of_stock")
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_OUT_OF_STOCK_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    category_prefix: str
    limit: int
    include_out_of_stock: bool
    def __init__(self, catalog_id: _Optional[str] = ..., category_prefix: _Optional[str] = ..., limit: _Optional[int] = ..., include_out_of_stock: _Optional[bool] = ...) -> None: ...

class PopularItem(_message.Message):
    __slots__ = ("item_id", "popularity")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    POPULARITY_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    popularity: float
    def __init__(self, item_id: _Optional[str] = ..., popularity: _Optional[float] = ...) -> None: ...

class ListPopularItemsResponse(_message.Message):
    __slots__ = ("items", "as_of_time")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[PopularItem]
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, items: _Optional[_Iterable[_Union[PopularItem, _Mapping]]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderPlaced(_message.Message):
    __slots__ = ("catalog_id", "lines", "subtotal", "shipping_fee", "discount", "total", "coupon_code", "destination_country_code", "shipping_address_token")
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderLine]
    subtotal: _money_pb2.Money
    shipping_fee: _money_pb2.Money
    discount: _money_pb2.Money
    total: _money_pb2.Money
    coupon_code: str
    destination_country_code: str
    shipping_address_token: str
    def __init__(self, catalog_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_order_pb2.OrderLine, _Mapping]]] = ..., subtotal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., shipping_fee: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., coupon_code: _Optional[str] = ..., destination_country_code: _Optional[str] = ..., shipping_address_token: _Optional[str] = ...) -> None: ...

class OrderPaid(_message.Message):
    __slots__ = ("payment_method", "amount")
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    payment_method: _order_pb2.PaymentMethod
    amount: _money_pb2.Money
    def __init__(self, payment_method: _Optional[_Union[_order_pb2.PaymentMethod, str]] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class OrderShipped(_message.Message):
    __slots__ = ("shipment_id", "carrier", "tracking_number", "tracking_url", "line_ids", "estimated_delivery_time")
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_URL_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_DELIVERY_TIME_FIELD_NUMBER: _ClassVar[int]
    shipment_id: str
    carrier: str
    tracking_number: str
    tracking_url: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    estimated_delivery_time: _timestamp_pb2.Timestamp
    def __init__(self, shipment_id: _Optional[str] = ..., carrier: _Optional[str] = ..., tracking_number: _Optional[str] = ..., tracking_url: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., estimated_delivery_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderDelivered(_message.Message):
    __slots__ = ("shipment_id",)
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    shipment_id: str
    def __init__(self, shipment_id: _Optional[str] = ...) -> None: ...

class OrderCancelled(_message.Message):
    __slots__ = ("line_ids", "reason", "request_id")
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    request_id: str
    def __init__(self, line_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReturnRequested(_message.Message):
    __slots__ = ("return_id", "line_ids", "reason")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, return_id: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class Refunded(_message.Message):
    __slots__ = ("refund_id", "amount", "line_ids", "expected_complete_time")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    amount: _money_pb2.Money
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    expected_complete_time: _timestamp_pb2.Timestamp
    def __init__(self, refund_id: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., line_ids: _Optional[_Iterable[str]] = ..., expected_complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PointsEarned(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: int
    def __init__(self, points: _Optional[int] = ...) -> None: ...

class PointsRedeemed(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: int
    def __init__(self, points: _Optional[int] = ...) -> None: ...

class AddressChanged(_message.Message):
    __slots__ = ("shipping_address_token", "destination_country_code", "request_id")
    SHIPPING_ADDRESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    shipping_address_token: str
    destination_country_code: str
    request_id: str
    def __init__(self, shipping_address_token: _Optional[str] = ..., destination_country_code: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class OrderEvent(_message.Message):
    __slots__ = ("order_event_id", "order_id", "user_id", "event_time", "synthetic", "placed", "paid", "shipped", "delivered", "cancelled", "return_requested", "refunded", "points_earned", "points_redeemed", "address_changed")
    ORDER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELD_NUMBER: _ClassVar[int]
    PLACED_FIELD_NUMBER: _ClassVar[int]
    PAID_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    RETURN_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    order_event_id: str
    order_id: str
    user_id: str
    event_time: _timestamp_pb2.Timestamp
    synthetic: bool
    placed: OrderPlaced
    paid: OrderPaid
    shipped: OrderShipped
    delivered: OrderDelivered
    cancelled: OrderCancelled
    return_requested: ReturnRequested
    refunded: Refunded
    points_earned: PointsEarned
    points_redeemed: PointsRedeemed
    address_changed: AddressChanged
    def __init__(self, order_event_id: _Optional[str] = ..., order_id: _Optional[str] = ..., user_id: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., synthetic: _Optional[bool] = ..., placed: _Optional[_Union[OrderPlaced, _Mapping]] = ..., paid: _Optional[_Union[OrderPaid, _Mapping]] = ..., shipped: _Optional[_Union[OrderShipped, _Mapping]] = ..., delivered: _Optional[_Union[OrderDelivered, _Mapping]] = ..., cancelled: _Optional[_Union[OrderCancelled, _Mapping]] = ..., return_requested: _Optional[_Union[ReturnRequested, _Mapping]] = ..., refunded: _Optional[_Union[Refunded, _Mapping]] = ..., points_earned: _Optional[_Union[PointsEarned, _Mapping]] = ..., points_redeemed: _Optional[_Union[PointsRedeemed, _Mapping]] = ..., address_changed: _Optional[_Union[AddressChanged, _Mapping]] = ...) -> None: ...

class ApplyOrderEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[OrderEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[OrderEvent, _Mapping]]] = ...) -> None: ...

class ApplyOrderEventsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_event_pb2.EventResult]
    def __init__(self, results: _Optional[_Iterable[_Union[_event_pb2.EventResult, _Mapping]]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("user_id", "statuses", "page_size", "page_token", "acting_agent_id", "purpose")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTING_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    statuses: _containers.RepeatedScalarFieldContainer[_order_pb2.OrderStatus]
    page_size: int
    page_token: str
    acting_agent_id: str
    purpose: str
    def __init__(self, user_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_order_pb2.OrderStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., acting_agent_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_order_pb2.Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[_order_pb2.Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("user_id", "order_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    order_id: str
    def __init__(self, user_id: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order", "shipping_address_token")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    shipping_address_token: str
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., shipping_address_token: _Optional[str] = ...) -> None: ...

class GetRefundStatusRequest(_message.Message):
    __slots__ = ("user_id", "order_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    order_id: str
    def __init__(self, user_id: _Optional[str] = ..., order_id: _Optional[str] = ...) -> None: ...

class GetRefundStatusResponse(_message.Message):
    __slots__ = ("refunds",)
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    refunds: _containers.RepeatedCompositeFieldContainer[_order_pb2.Refund]
    def __init__(self, refunds: _Optional[_Iterable[_Union[_order_pb2.Refund, _Mapping]]] = ...) -> None: ...

class GetPointsBalanceRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class PointsTransaction(_message.Message):
    __slots__ = ("kind", "points_delta", "order_id", "event_time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    kind: PointsTransactionKind
    points_delta: int
    order_id: str
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[PointsTransactionKind, str]] = ..., points_delta: _Optional[int] = ..., order_id: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetPointsBalanceResponse(_message.Message):
    __slots__ = ("balance_points", "tier", "points_to_next_tier", "expiring_points", "next_expiry_time", "recent_transactions")
    BALANCE_POINTS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    POINTS_TO_NEXT_TIER_FIELD_NUMBER: _ClassVar[int]
    EXPIRING_POINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_EXPIRY_TIME_FIELD_NUMBER: _ClassVar[int]
    RECENT_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    balance_points: int
    tier: str
    points_to_next_tier: int
    expiring_points: int
    next_expiry_time: _timestamp_pb2.Timestamp
    recent_transactions: _containers.RepeatedCompositeFieldContainer[PointsTransaction]
    def __init__(self, balance_points: _Optional[int] = ..., tier: _Optional[str] = ..., points_to_next_tier: _Optional[int] = ..., expiring_points: _Optional[int] = ..., next_expiry_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recent_transactions: _Optional[_Iterable[_Union[PointsTransaction, _Mapping]]] = ...) -> None: ...

class OutboxEntry(_message.Message):
    __slots__ = ("sequence", "request_id", "kind", "user_id", "order_id", "line_ids", "reason", "shipping_address_token", "create_time", "ack_time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACK_TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    request_id: str
    kind: OutboxEntryKind
    user_id: str
    order_id: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    shipping_address_token: str
    create_time: _timestamp_pb2.Timestamp
    ack_time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., request_id: _Optional[str] = ..., kind: _Optional[_Union[OutboxEntryKind, str]] = ..., user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., shipping_address_token: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ack_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RequestCancellationRequest(_message.Message):
    __slots__ = ("user_id", "order_id", "line_ids", "reason", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    order_id: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RequestCancellationResponse(_message.Message):
    __slots__ = ("entry", "duplicate")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    entry: OutboxEntry
    duplicate: bool
    def __init__(self, entry: _Optional[_Union[OutboxEntry, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class RequestAddressChangeRequest(_message.Message):
    __slots__ = ("user_id", "order_id", "shipping_address_token", "destination_country_code", "request_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    order_id: str
    shipping_address_token: str
    destination_country_code: str
    request_id: str
    def __init__(self, user_id: _Optional[str] = ..., order_id: _Optional[str] = ..., shipping_address_token: _Optional[str] = ..., destination_country_code: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RequestAddressChangeResponse(_message.Message):
    __slots__ = ("entry", "duplicate")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    entry: OutboxEntry
    duplicate: bool
    def __init__(self, entry: _Optional[_Union[OutboxEntry, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class ListOutboxEntriesRequest(_message.Message):
    __slots__ = ("after_sequence", "page_size", "include_acked")
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ACKED_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    page_size: int
    include_acked: bool
    def __init__(self, after_sequence: _Optional[int] = ..., page_size: _Optional[int] = ..., include_acked: _Optional[bool] = ...) -> None: ...

class ListOutboxEntriesResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[OutboxEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[OutboxEntry, _Mapping]]] = ...) -> None: ...

class AckOutboxEntriesRequest(_message.Message):
    __slots__ = ("sequences",)
    SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    sequences: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, sequences: _Optional[_Iterable[int]] = ...) -> None: ...

class AckOutboxEntriesResponse(_message.Message):
    __slots__ = ("acked_count",)
    ACKED_COUNT_FIELD_NUMBER: _ClassVar[int]
    acked_count: int
    def __init__(self, acked_count: _Optional[int] = ...) -> None: ...

class SavedAddress(_message.Message):
    __slots__ = ("address_id", "label", "address_token", "country_code", "is_default")
    ADDRESS_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    address_id: str
    label: str
    address_token: str
    country_code: str
    is_default: bool
    def __init__(self, address_id: _Optional[str] = ..., label: _Optional[str] = ..., address_token: _Optional[str] = ..., country_code: _Optional[str] = ..., is_default: _Optional[bool] = ...) -> None: ...

class Profile(_message.Message):
    __slots__ = ("user_id", "display_name_token", "email_token", "phone_token", "addresses", "preferences", "consent", "create_time", "update_time", "etag")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EMAIL_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PHONE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    display_name_token: str
    email_token: str
    phone_token: str
    addresses: _containers.RepeatedCompositeFieldContainer[SavedAddress]
    preferences: _account_pb2.UserPreferences
    consent: _account_pb2.Consent
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, user_id: _Optional[str] = ..., display_name_token: _Optional[str] = ..., email_token: _Optional[str] = ..., phone_token: _Optional[str] = ..., addresses: _Optional[_Iterable[_Union[SavedAddress, _Mapping]]] = ..., preferences: _Optional[_Union[_account_pb2.UserPreferences, _Mapping]] = ..., consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class GetProfileRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ...) -> None: ...

class UpdateProfileRequest(_message.Message):
    __slots__ = ("user_id", "profile", "update_mask", "allow_missing")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    profile: Profile
    update_mask: _field_mask_pb2.FieldMask
    allow_missing: bool
    def __init__(self, user_id: _Optional[str] = ..., profile: _Optional[_Union[Profile, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: _Optional[bool] = ...) -> None: ...

class UpdateProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ...) -> None: ...

class GetConsentRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: _account_pb2.Consent
    def __init__(self, consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ...) -> None: ...

class UpdateConsentRequest(_message.Message):
    __slots__ = ("user_id", "consent", "update_mask")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    consent: _account_pb2.Consent
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, user_id: _Optional[str] = ..., consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: _account_pb2.Consent
    def __init__(self, consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ...) -> None: ...

class ExportUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ExportUserResponse(_message.Message):
    __slots__ = ("profile", "consent", "features", "orders", "events", "outbox_entries")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    profile: Profile
    consent: _account_pb2.Consent
    features: _features_pb2.UserFeatures
    orders: _containers.RepeatedCompositeFieldContainer[_order_pb2.Order]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    outbox_entries: _containers.RepeatedCompositeFieldContainer[OutboxEntry]
    def __init__(self, profile: _Optional[_Union[Profile, _Mapping]] = ..., consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ..., features: _Optional[_Union[_features_pb2.UserFeatures, _Mapping]] = ..., orders: _Optional[_Iterable[_Union[_order_pb2.Order, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., outbox_entries: _Optional[_Iterable[_Union[OutboxEntry, _Mapping]]] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ("already_deleted", "deleted_event_count", "deleted_order_count", "deleted_outbox_entry_count", "deleted_profile", "deleted_features", "delete_time")
    ALREADY_DELETED_FIELD_NUMBER: _ClassVar[int]
    DELETED_EVENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_OUTBOX_ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_PROFILE_FIELD_NUMBER: _ClassVar[int]
    DELETED_FEATURES_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    already_deleted: bool
    deleted_event_count: int
    deleted_order_count: int
    deleted_outbox_entry_count: int
    deleted_profile: bool
    deleted_features: bool
    delete_time: _timestamp_pb2.Timestamp
    def __init__(self, already_deleted: _Optional[bool] = ..., deleted_event_count: _Optional[int] = ..., deleted_order_count: _Optional[int] = ..., deleted_outbox_entry_count: _Optional[int] = ..., deleted_profile: _Optional[bool] = ..., deleted_features: _Optional[bool] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
