import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_PLACED: _ClassVar[OrderStatus]
    ORDER_STATUS_PAID: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_SHIPPED: _ClassVar[OrderStatus]
    ORDER_STATUS_SHIPPED: _ClassVar[OrderStatus]
    ORDER_STATUS_DELIVERED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELLED: _ClassVar[OrderStatus]
    ORDER_STATUS_RETURN_REQUESTED: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_REFUNDED: _ClassVar[OrderStatus]
    ORDER_STATUS_REFUNDED: _ClassVar[OrderStatus]

class PaymentMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYMENT_METHOD_UNSPECIFIED: _ClassVar[PaymentMethod]
    PAYMENT_METHOD_CARD: _ClassVar[PaymentMethod]
    PAYMENT_METHOD_PAYPAL: _ClassVar[PaymentMethod]
    PAYMENT_METHOD_ALIPAY: _ClassVar[PaymentMethod]
    PAYMENT_METHOD_WECHAT_PAY: _ClassVar[PaymentMethod]
    PAYMENT_METHOD_OTHER: _ClassVar[PaymentMethod]

class RefundStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUND_STATUS_UNSPECIFIED: _ClassVar[RefundStatus]
    REFUND_STATUS_PENDING: _ClassVar[RefundStatus]
    REFUND_STATUS_ISSUED: _ClassVar[RefundStatus]
    REFUND_STATUS_REJECTED: _ClassVar[RefundStatus]

class OrderEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_EVENT_TYPE_UNSPECIFIED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_PLACED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_PAID: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_SHIPPED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_DELIVERED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_CANCELLED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_RETURN_REQUESTED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_REFUNDED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_POINTS_EARNED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_POINTS_REDEEMED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_ADDRESS_CHANGED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_CANCELLATION_REQUESTED: _ClassVar[OrderEventType]
    ORDER_EVENT_TYPE_ADDRESS_CHANGE_REQUESTED: _ClassVar[OrderEventType]
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_PLACED: OrderStatus
ORDER_STATUS_PAID: OrderStatus
ORDER_STATUS_PARTIALLY_SHIPPED: OrderStatus
ORDER_STATUS_SHIPPED: OrderStatus
ORDER_STATUS_DELIVERED: OrderStatus
ORDER_STATUS_CANCELLED: OrderStatus
ORDER_STATUS_RETURN_REQUESTED: OrderStatus
ORDER_STATUS_PARTIALLY_REFUNDED: OrderStatus
ORDER_STATUS_REFUNDED: OrderStatus
PAYMENT_METHOD_UNSPECIFIED: PaymentMethod
PAYMENT_METHOD_CARD: PaymentMethod
PAYMENT_METHOD_PAYPAL: PaymentMethod
PAYMENT_METHOD_ALIPAY: PaymentMethod
PAYMENT_METHOD_WECHAT_PAY: PaymentMethod
PAYMENT_METHOD_OTHER: PaymentMethod
REFUND_STATUS_UNSPECIFIED: RefundStatus
REFUND_STATUS_PENDING: RefundStatus
REFUND_STATUS_ISSUED: RefundStatus
REFUND_STATUS_REJECTED: RefundStatus
ORDER_EVENT_TYPE_UNSPECIFIED: OrderEventType
ORDER_EVENT_TYPE_PLACED: OrderEventType
ORDER_EVENT_TYPE_PAID: OrderEventType
ORDER_EVENT_TYPE_SHIPPED: OrderEventType
ORDER_EVENT_TYPE_DELIVERED: OrderEventType
ORDER_EVENT_TYPE_CANCELLED: OrderEventType
ORDER_EVENT_TYPE_RETURN_REQUESTED: OrderEventType
ORDER_EVENT_TYPE_REFUNDED: OrderEventType
ORDER_EVENT_TYPE_POINTS_EARNED: OrderEventType
ORDER_EVENT_TYPE_POINTS_REDEEMED: OrderEventType
ORDER_EVENT_TYPE_ADDRESS_CHANGED: OrderEventType
ORDER_EVENT_TYPE_CANCELLATION_REQUESTED: OrderEventType
ORDER_EVENT_TYPE_ADDRESS_CHANGE_REQUESTED: OrderEventType

class OrderLine(_message.Message):
    __slots__ = ("line_id", "item_id", "title", "quantity", "unit_price", "size", "cancelled")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    item_id: str
    title: str
    quantity: int
    unit_price: _money_pb2.Money
    size: str
    cancelled: bool
    def __init__(self, line_id: _Optional[str] = ..., item_id: _Optional[str] = ..., title: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., size: _Optional[str] = ..., cancelled: _Optional[bool] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("shipment_id", "carrier", "tracking_number", "tracking_url", "line_ids", "ship_time", "estimated_delivery_time", "deliver_time")
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_URL_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    SHIP_TIME_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_DELIVERY_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    shipment_id: str
    carrier: str
    tracking_number: str
    tracking_url: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    ship_time: _timestamp_pb2.Timestamp
    estimated_delivery_time: _timestamp_pb2.Timestamp
    deliver_time: _timestamp_pb2.Timestamp
    def __init__(self, shipment_id: _Optional[str] = ..., carrier: _Optional[str] = ..., tracking_number: _Optional[str] = ..., tracking_url: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., ship_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., estimated_delivery_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Refund(_message.Message):
    __slots__ = ("refund_id", "order_id", "status", "amount", "payment_method", "line_ids", "request_time", "issue_time", "expected_complete_time", "reason")
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TIME_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    refund_id: str
    order_id: str
    status: RefundStatus
    amount: _money_pb2.Money
    payment_method: PaymentMethod
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    request_time: _timestamp_pb2.Timestamp
    issue_time: _timestamp_pb2.Timestamp
    expected_complete_time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, refund_id: _Optional[str] = ..., order_id: _Optional[str] = ..., status: _Optional[_Union[RefundStatus, str]] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., payment_method: _Optional[_Union[PaymentMethod, str]] = ..., line_ids: _Optional[_Iterable[str]] = ..., request_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderTimelineEntry(_message.Message):
    __slots__ = ("type", "event_time", "summary", "source_event_id")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    type: OrderEventType
    event_time: _timestamp_pb2.Timestamp
    summary: str
    source_event_id: str
    def __init__(self, type: _Optional[_Union[OrderEventType, str]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[str] = ..., source_event_id: _Optional[str] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "status", "catalog_id", "place_time", "update_time", "lines", "subtotal", "shipping_fee", "discount", "total", "coupon_code", "payment_method", "pay_time", "destination_country_code", "shipments", "refunds", "points_earned", "points_redeemed", "timeline", "synthetic")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_FEE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    SHIPMENTS_FIELD_NUMBER: _ClassVar[int]
    REFUNDS_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    status: OrderStatus
    catalog_id: str
    place_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    subtotal: _money_pb2.Money
    shipping_fee: _money_pb2.Money
    discount: _money_pb2.Money
    total: _money_pb2.Money
    coupon_code: str
    payment_method: PaymentMethod
    pay_time: _timestamp_pb2.Timestamp
    destination_country_code: str
    shipments: _containers.RepeatedCompositeFieldContainer[Shipment]
    refunds: _containers.RepeatedCompositeFieldContainer[Refund]
    points_earned: int
    points_redeemed: int
    timeline: _containers.RepeatedCompositeFieldContainer[OrderTimelineEntry]
    synthetic: bool
    def __init__(self, order_id: _Optional[str] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., catalog_id: _Optional[str] = ..., place_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., subtotal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., shipping_fee: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., discount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., coupon_code: _Optional[str] = ..., payment_method: _Optional[_Union[PaymentMethod, str]] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., destination_country_code: _Optional[str] = ..., shipments: _Optional[_Iterable[_Union[Shipment, _Mapping]]] = ..., refunds: _Optional[_Iterable[_Union[Refund, _Mapping]]] = ..., points_earned: _Optional[int] = ..., points_redeemed: _Optional[int] = ..., timeline: _Optional[_Iterable[_Union[OrderTimelineEntry, _Mapping]]] = ..., synthetic: _Optional[bool] = ...) -> None: ...
