import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConsentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_STATE_UNSPECIFIED: _ClassVar[ConsentState]
    CONSENT_STATE_GRANTED: _ClassVar[ConsentState]
    CONSENT_STATE_DENIED: _ClassVar[ConsentState]
CONSENT_STATE_UNSPECIFIED: ConsentState
CONSENT_STATE_GRANTED: ConsentState
CONSENT_STATE_DENIED: ConsentState

class Consent(_message.Message):
    __slots__ = ("personalization", "marketing", "update_time")
    PERSONALIZATION_FIELD_NUMBER: _ClassVar[int]
    MARKETING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    personalization: ConsentState
    marketing: ConsentState
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, personalization: _Optional[_Union[ConsentState, str]] = ..., marketing: _Optional[_Union[ConsentState, str]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UserPreferences(_message.Message):
    __slots__ = ("language_code", "currency_code", "clothing_size", "shoe_size", "favourite_category_keys")
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    CLOTHING_SIZE_FIELD_NUMBER: _ClassVar[int]
    SHOE_SIZE_FIELD_NUMBER: _ClassVar[int]
    FAVOURITE_CATEGORY_KEYS_FIELD_NUMBER: _ClassVar[int]
    language_code: str
    currency_code: str
    clothing_size: str
    shoe_size: str
    favourite_category_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, language_code: _Optional[str] = ..., currency_code: _Optional[str] = ..., clothing_size: _Optional[str] = ..., shoe_size: _Optional[str] = ..., favourite_category_keys: _Optional[_Iterable[str]] = ...) -> None: ...
