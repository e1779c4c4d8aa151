import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Surface(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SURFACE_UNSPECIFIED: _ClassVar[Surface]
    SURFACE_HOME_FEED: _ClassVar[Surface]
    SURFACE_SIMILAR_ITEMS: _ClassVar[Surface]
    SURFACE_SEARCH: _ClassVar[Surface]
SURFACE_UNSPECIFIED: Surface
SURFACE_HOME_FEED: Surface
SURFACE_SIMILAR_ITEMS: Surface
SURFACE_SEARCH: Surface

class Impression(_message.Message):
    __slots__ = ("impression_id", "request_id", "surface", "position", "experiment_id", "variant", "serve_time")
    IMPRESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SURFACE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    SERVE_TIME_FIELD_NUMBER: _ClassVar[int]
    impression_id: str
    request_id: str
    surface: Surface
    position: int
    experiment_id: str
    variant: str
    serve_time: _timestamp_pb2.Timestamp
    def __init__(self, impression_id: _Optional[str] = ..., request_id: _Optional[str] = ..., surface: _Optional[_Union[Surface, str]] = ..., position: _Optional[int] = ..., experiment_id: _Optional[str] = ..., variant: _Optional[str] = ..., serve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
