import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Item(_message.Message):
    __slots__ = ("item_id", "catalog_id", "title", "description", "category_path", "brand", "price", "stock_quantity", "image_url", "language_code", "attributes", "synthetic_fields", "create_time", "update_time")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_PATH_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    STOCK_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELDS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    catalog_id: str
    title: str
    description: str
    category_path: _containers.RepeatedScalarFieldContainer[str]
    brand: str
    price: _money_pb2.Money
    stock_quantity: int
    image_url: str
    language_code: str
    attributes: _containers.ScalarMap[str, str]
    synthetic_fields: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, item_id: _Optional[str] = ..., catalog_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., category_path: _Optional[_Iterable[str]] = ..., brand: _Optional[str] = ..., price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., stock_quantity: _Optional[int] = ..., image_url: _Optional[str] = ..., language_code: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., synthetic_fields: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ItemFilter(_message.Message):
    __slots__ = ("category_prefixes", "brands", "min_price", "max_price", "include_out_of_stock")
    CATEGORY_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    BRANDS_FIELD_NUMBER: _ClassVar[int]
    MIN_PRICE_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_OUT_OF_STOCK_FIELD_NUMBER: _ClassVar[int]
    category_prefixes: _containers.RepeatedScalarFieldContainer[str]
    brands: _containers.RepeatedScalarFieldContainer[str]
    min_price: _money_pb2.Money
    max_price: _money_pb2.Money
    include_out_of_stock: bool
    def __init__(self, category_prefixes: _Optional[_Iterable[str]] = ..., brands: _Optional[_Iterable[str]] = ..., min_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., max_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., include_out_of_stock: _Optional[bool] = ...) -> None: ...
