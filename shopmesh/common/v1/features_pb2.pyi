import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import event_pb2 as _event_pb2
from shopmesh.common.v1 import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecentInteraction(_message.Message):
    __slots__ = ("item_id", "event_type", "event_time")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    event_type: _event_pb2.EventType
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, item_id: _Optional[str] = ..., event_type: _Optional[_Union[_event_pb2.EventType, str]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EventTypeCounts(_message.Message):
    __slots__ = ("event_type", "count_1h", "count_24h", "count_7d")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_1H_FIELD_NUMBER: _ClassVar[int]
    COUNT_24H_FIELD_NUMBER: _ClassVar[int]
    COUNT_7D_FIELD_NUMBER: _ClassVar[int]
    event_type: _event_pb2.EventType
    count_1h: int
    count_24h: int
    count_7d: int
    def __init__(self, event_type: _Optional[_Union[_event_pb2.EventType, str]] = ..., count_1h: _Optional[int] = ..., count_24h: _Optional[int] = ..., count_7d: _Optional[int] = ...) -> None: ...

class PurchasedItem(_message.Message):
    __slots__ = ("item_id", "purchase_count", "last_purchase_time")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_PURCHASE_TIME_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    purchase_count: int
    last_purchase_time: _timestamp_pb2.Timestamp
    def __init__(self, item_id: _Optional[str] = ..., purchase_count: _Optional[int] = ..., last_purchase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UserFeatures(_message.Message):
    __slots__ = ("user_id", "catalog_id", "as_of_time", "recent_items", "category_affinities", "brand_affinities", "event_counts", "last_active_time", "purchased_items", "total_event_count")
    class CategoryAffinitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class BrandAffinitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    RECENT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_AFFINITIES_FIELD_NUMBER: _ClassVar[int]
    BRAND_AFFINITIES_FIELD_NUMBER: _ClassVar[int]
    EVENT_COUNTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    PURCHASED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EVENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    catalog_id: str
    as_of_time: _timestamp_pb2.Timestamp
    recent_items: _containers.RepeatedCompositeFieldContainer[RecentInteraction]
    category_affinities: _containers.ScalarMap[str, float]
    brand_affinities: _containers.ScalarMap[str, float]
    event_counts: _containers.RepeatedCompositeFieldContainer[EventTypeCounts]
    last_active_time: _timestamp_pb2.Timestamp
    purchased_items: _containers.RepeatedCompositeFieldContainer[PurchasedItem]
    total_event_count: int
    def __init__(self, user_id: _Optional[str] = ..., catalog_id: _Optional[str] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recent_items: _Optional[_Iterable[_Union[RecentInteraction, _Mapping]]] = ..., category_affinities: _Optional[_Mapping[str, float]] = ..., brand_affinities: _Optional[_Mapping[str, float]] = ..., event_counts: _Optional[_Iterable[_Union[EventTypeCounts, _Mapping]]] = ..., last_active_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., purchased_items: _Optional[_Iterable[_Union[PurchasedItem, _Mapping]]] = ..., total_event_count: _Optional[int] = ...) -> None: ...

class ItemFeatures(_message.Message):
    __slots__ = ("item_id", "catalog_id", "as_of_time", "category_path", "brand", "price", "stock_quantity", "popularity", "event_counts", "view_to_click_rate", "click_to_purchase_rate", "trend", "first_event_time")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_PATH_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    STOCK_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    POPULARITY_FIELD_NUMBER: _ClassVar[int]
    EVENT_COUNTS_FIELD_NUMBER: _ClassVar[int]
    VIEW_TO_CLICK_RATE_FIELD_NUMBER: _ClassVar[int]
    CLICK_TO_PURCHASE_RATE_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    FIRST_EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    catalog_id: str
    as_of_time: _timestamp_pb2.Timestamp
    category_path: _containers.RepeatedScalarFieldContainer[str]
    brand: str
    price: _money_pb2.Money
    stock_quantity: int
    popularity: float
    event_counts: _containers.RepeatedCompositeFieldContainer[EventTypeCounts]
    view_to_click_rate: float
    click_to_purchase_rate: float
    trend: float
    first_event_time: _timestamp_pb2.Timestamp
    def __init__(self, item_id: _Optional[str] = ..., catalog_id: _Optional[str] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., category_path: _Optional[_Iterable[str]] = ..., brand: _Optional[str] = ..., price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., stock_quantity: _Optional[int] = ..., popularity: _Optional[float] = ..., event_counts: _Optional[_Iterable[_Union[EventTypeCounts, _Mapping]]] = ..., view_to_click_rate: _Optional[float] = ..., click_to_purchase_rate: _Optional[float] = ..., trend: _Optional[float] = ..., first_event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
