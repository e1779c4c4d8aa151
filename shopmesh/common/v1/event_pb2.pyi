from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_IMPRESSION: _ClassVar[EventType]
    EVENT_TYPE_VIEW: _ClassVar[EventType]
    EVENT_TYPE_CLICK: _ClassVar[EventType]
    EVENT_TYPE_ADD_TO_CART: _ClassVar[EventType]
    EVENT_TYPE_PURCHASE: _ClassVar[EventType]
    EVENT_TYPE_SEARCH: _ClassVar[EventType]
    EVENT_TYPE_DWELL: _ClassVar[EventType]

class EventResultStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_RESULT_STATUS_UNSPECIFIED: _ClassVar[EventResultStatus]
    EVENT_RESULT_STATUS_ACCEPTED: _ClassVar[EventResultStatus]
    EVENT_RESULT_STATUS_DUPLICATE: _ClassVar[EventResultStatus]
    EVENT_RESULT_STATUS_REJECTED: _ClassVar[EventResultStatus]
    EVENT_RESULT_STATUS_DISCARDED_NO_CONSENT: _ClassVar[EventResultStatus]
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_IMPRESSION: EventType
EVENT_TYPE_VIEW: EventType
EVENT_TYPE_CLICK: EventType
EVENT_TYPE_ADD_TO_CART: EventType
EVENT_TYPE_PURCHASE: EventType
EVENT_TYPE_SEARCH: EventType
EVENT_TYPE_DWELL: EventType
EVENT_RESULT_STATUS_UNSPECIFIED: EventResultStatus
EVENT_RESULT_STATUS_ACCEPTED: EventResultStatus
EVENT_RESULT_STATUS_DUPLICATE: EventResultStatus
EVENT_RESULT_STATUS_REJECTED: EventResultStatus
EVENT_RESULT_STATUS_DISCARDED_NO_CONSENT: EventResultStatus

class FieldViolation(_message.Message):
    __slots__ = ("field", "reason", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    reason: str
    description: str
    def __init__(self, field: _Optional[str] = ..., reason: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class EventResult(_message.Message):
    __slots__ = ("event_id", "status", "violations")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    status: EventResultStatus
    violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    def __init__(self, event_id: _Optional[str] = ..., status: _Optional[_Union[EventResultStatus, str]] = ..., violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ...) -> None: ...
