import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import conversation_pb2 as _conversation_pb2
from shopmesh.common.v1 import redaction_pb2 as _redaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Speaker(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPEAKER_UNSPECIFIED: _ClassVar[Speaker]
    SPEAKER_USER: _ClassVar[Speaker]
    SPEAKER_BOT: _ClassVar[Speaker]
    SPEAKER_AGENT: _ClassVar[Speaker]
    SPEAKER_SYSTEM: _ClassVar[Speaker]

class Resolution(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOLUTION_UNSPECIFIED: _ClassVar[Resolution]
    RESOLUTION_RESOLVED: _ClassVar[Resolution]
    RESOLUTION_FOLLOW_UP: _ClassVar[Resolution]
    RESOLUTION_CUSTOMER_UNRESPONSIVE: _ClassVar[Resolution]
    RESOLUTION_INVALID: _ClassVar[Resolution]

class HandoffEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDOFF_EVENT_KIND_UNSPECIFIED: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_SNAPSHOT: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_SNAPSHOT_END: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_CREATED: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_TAKEN: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_USER_MESSAGE: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_AGENT_MESSAGE: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_CLOSED: _ClassVar[HandoffEventKind]
    HANDOFF_EVENT_KIND_WITHDRAWN: _ClassVar[HandoffEventKind]
SPEAKER_UNSPECIFIED: Speaker
SPEAKER_USER: Speaker
SPEAKER_BOT: Speaker
SPEAKER_AGENT: Speaker
SPEAKER_SYSTEM: Speaker
RESOLUTION_UNSPECIFIED: Resolution
RESOLUTION_RESOLVED: Resolution
RESOLUTION_FOLLOW_UP: Resolution
RESOLUTION_CUSTOMER_UNRESPONSIVE: Resolution
RESOLUTION_INVALID: Resolution
HANDOFF_EVENT_KIND_UNSPECIFIED: HandoffEventKind
HANDOFF_EVENT_KIND_SNAPSHOT: HandoffEventKind
HANDOFF_EVENT_KIND_SNAPSHOT_END: HandoffEventKind
HANDOFF_EVENT_KIND_CREATED: HandoffEventKind
HANDOFF_EVENT_KIND_TAKEN: HandoffEventKind
HANDOFF_EVENT_KIND_USER_MESSAGE: HandoffEventKind
HANDOFF_EVENT_KIND_AGENT_MESSAGE: HandoffEventKind
HANDOFF_EVENT_KIND_CLOSED: HandoffEventKind
HANDOFF_EVENT_KIND_WITHDRAWN: HandoffEventKind

class ConverseRequest(_message.Message):
    __slots__ = ("input",)
    INPUT_FIELD_NUMBER: _ClassVar[int]
    input: _conversation_pb2.ConversationInput
    def __init__(self, input: _Optional[_Union[_conversation_pb2.ConversationInput, _Mapping]] = ...) -> None: ...

class ConverseResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _conversation_pb2.ConversationEvent
    def __init__(self, event: _Optional[_Union[_conversation_pb2.ConversationEvent, _Mapping]] = ...) -> None: ...

class TranscriptSpan(_message.Message):
    __slots__ = ("entity_type", "start", "end", "token")
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    entity_type: _redaction_pb2.PiiEntityType
    start: int
    end: int
    token: str
    def __init__(self, entity_type: _Optional[_Union[_redaction_pb2.PiiEntityType, str]] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., token: _Optional[str] = ...) -> None: ...

class TranscriptEntry(_message.Message):
    __slots__ = ("sequence", "speaker", "text", "spans", "create_time", "understanding", "citations", "agent_id")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UNDERSTANDING_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    speaker: Speaker
    text: str
    spans: _containers.RepeatedCompositeFieldContainer[TranscriptSpan]
    create_time: _timestamp_pb2.Timestamp
    understanding: _conversation_pb2.ReplyUnderstanding
    citations: _containers.RepeatedCompositeFieldContainer[_conversation_pb2.FaqCitation]
    agent_id: str
    def __init__(self, sequence: _Optional[int] = ..., speaker: _Optional[_Union[Speaker, str]] = ..., text: _Optional[str] = ..., spans: _Optional[_Iterable[_Union[TranscriptSpan, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., understanding: _Optional[_Union[_conversation_pb2.ReplyUnderstanding, _Mapping]] = ..., citations: _Optional[_Iterable[_Union[_conversation_pb2.FaqCitation, _Mapping]]] = ..., agent_id: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "user_id", "state", "language_code", "slots", "transcript", "handoff_id", "create_time", "update_time", "expire_time")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    user_id: str
    state: _conversation_pb2.ConversationState
    language_code: str
    slots: _containers.RepeatedCompositeFieldContainer[_conversation_pb2.Slot]
    transcript: _containers.RepeatedCompositeFieldContainer[TranscriptEntry]
    handoff_id: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., state: _Optional[_Union[_conversation_pb2.ConversationState, str]] = ..., language_code: _Optional[str] = ..., slots: _Optional[_Iterable[_Union[_conversation_pb2.Slot, _Mapping]]] = ..., transcript: _Optional[_Iterable[_Union[TranscriptEntry, _Mapping]]] = ..., handoff_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class Handoff(_message.Message):
    __slots__ = ("handoff_id", "session_id", "user_id", "state", "reason", "language_code", "intent_id", "sentiment", "summary", "create_time", "agent_id", "assign_time", "close_time", "resolution", "resolution_note", "last_user_message")
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    INTENT_ID_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGN_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_NOTE_FIELD_NUMBER: _ClassVar[int]
    LAST_USER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    session_id: str
    user_id: str
    state: _conversation_pb2.HandoffState
    reason: _conversation_pb2.HandoffNotice
    language_code: str
    intent_id: str
    sentiment: _conversation_pb2.Sentiment
    summary: str
    create_time: _timestamp_pb2.Timestamp
    agent_id: str
    assign_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    resolution: Resolution
    resolution_note: str
    last_user_message: str
    def __init__(self, handoff_id: _Optional[str] = ..., session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., state: _Optional[_Union[_conversation_pb2.HandoffState, str]] = ..., reason: _Optional[_Union[_conversation_pb2.HandoffNotice, _Mapping]] = ..., language_code: _Optional[str] = ..., intent_id: _Optional[str] = ..., sentiment: _Optional[_Union[_conversation_pb2.Sentiment, str]] = ..., summary: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_id: _Optional[str] = ..., assign_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution: _Optional[_Union[Resolution, str]] = ..., resolution_note: _Optional[str] = ..., last_user_message: _Optional[str] = ...) -> None: ...

class ListHandoffsRequest(_message.Message):
    __slots__ = ("states", "agent_id", "language_code", "page_size", "page_token")
    STATES_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[_conversation_pb2.HandoffState]
    agent_id: str
    language_code: str
    page_size: int
    page_token: str
    def __init__(self, states: _Optional[_Iterable[_Union[_conversation_pb2.HandoffState, str]]] = ..., agent_id: _Optional[str] = ..., language_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHandoffsResponse(_message.Message):
    __slots__ = ("handoffs", "next_page_token")
    HANDOFFS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    handoffs: _containers.RepeatedCompositeFieldContainer[Handoff]
    next_page_token: str
    def __init__(self, handoffs: _Optional[_Iterable[_Union[Handoff, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetHandoffRequest(_message.Message):
    __slots__ = ("handoff_id",)
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    def __init__(self, handoff_id: _Optional[str] = ...) -> None: ...

class GetHandoffResponse(_message.Message):
    __slots__ = ("handoff", "transcript")
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    handoff: Handoff
    transcript: _containers.RepeatedCompositeFieldContainer[TranscriptEntry]
    def __init__(self, handoff: _Optional[_Union[Handoff, _Mapping]] = ..., transcript: _Optional[_Iterable[_Union[TranscriptEntry, _Mapping]]] = ...) -> None: ...

class TakeHandoffRequest(_message.Message):
    __slots__ = ("handoff_id", "agent_id", "agent_display_name")
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    agent_id: str
    agent_display_name: str
    def __init__(self, handoff_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., agent_display_name: _Optional[str] = ...) -> None: ...

class TakeHandoffResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: Handoff
    def __init__(self, handoff: _Optional[_Union[Handoff, _Mapping]] = ...) -> None: ...

class AgentReplyRequest(_message.Message):
    __slots__ = ("handoff_id", "agent_id", "text", "client_message_id")
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    agent_id: str
    text: str
    client_message_id: str
    def __init__(self, handoff_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., text: _Optional[str] = ..., client_message_id: _Optional[str] = ...) -> None: ...

class AgentReplyResponse(_message.Message):
    __slots__ = ("entry", "delivered_live")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_LIVE_FIELD_NUMBER: _ClassVar[int]
    entry: TranscriptEntry
    delivered_live: bool
    def __init__(self, entry: _Optional[_Union[TranscriptEntry, _Mapping]] = ..., delivered_live: _Optional[bool] = ...) -> None: ...

class CloseHandoffRequest(_message.Message):
    __slots__ = ("handoff_id", "agent_id", "resolution", "note")
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    agent_id: str
    resolution: Resolution
    note: str
    def __init__(self, handoff_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., resolution: _Optional[_Union[Resolution, str]] = ..., note: _Optional[str] = ...) -> None: ...

class CloseHandoffResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: Handoff
    def __init__(self, handoff: _Optional[_Union[Handoff, _Mapping]] = ...) -> None: ...

class WatchHandoffsRequest(_message.Message):
    __slots__ = ("states", "language_code", "agent_id")
    STATES_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[_conversation_pb2.HandoffState]
    language_code: str
    agent_id: str
    def __init__(self, states: _Optional[_Iterable[_Union[_conversation_pb2.HandoffState, str]]] = ..., language_code: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class WatchHandoffsResponse(_message.Message):
    __slots__ = ("kind", "handoff", "entry")
    KIND_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    kind: HandoffEventKind
    handoff: Handoff
    entry: TranscriptEntry
    def __init__(self, kind: _Optional[_Union[HandoffEventKind, str]] = ..., handoff: _Optional[_Union[Handoff, _Mapping]] = ..., entry: _Optional[_Union[TranscriptEntry, _Mapping]] = ...) -> None: ...

class DeleteUserSessionsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class DeleteUserSessionsResponse(_message.Message):
    __slots__ = ("deleted_session_count", "deleted_handoff_count", "already_deleted")
    DELETED_SESSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_HANDOFF_COUNT_FIELD_NUMBER: _ClassVar[int]
    ALREADY_DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted_session_count: int
    deleted_handoff_count: int
    already_deleted: bool
    def __init__(self, deleted_session_count: _Optional[int] = ..., deleted_handoff_count: _Optional[int] = ..., already_deleted: _Optional[bool] = ...) -> None: ...

class ExportUserSessionsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ExportUserSessionsResponse(_message.Message):
    __slots__ = ("sessions", "handoffs")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    HANDOFFS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    handoffs: _containers.RepeatedCompositeFieldContainer[Handoff]
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., handoffs: _Optional[_Iterable[_Union[Handoff, _Mapping]]] = ...) -> None: ...
