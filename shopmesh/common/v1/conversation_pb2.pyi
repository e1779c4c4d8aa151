import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConversationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONVERSATION_STATE_UNSPECIFIED: _ClassVar[ConversationState]
    CONVERSATION_STATE_ACTIVE: _ClassVar[ConversationState]
    CONVERSATION_STATE_HANDED_OFF: _ClassVar[ConversationState]
    CONVERSATION_STATE_ENDED: _ClassVar[ConversationState]

class Sentiment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENTIMENT_UNSPECIFIED: _ClassVar[Sentiment]
    SENTIMENT_NEGATIVE: _ClassVar[Sentiment]
    SENTIMENT_NEUTRAL: _ClassVar[Sentiment]
    SENTIMENT_POSITIVE: _ClassVar[Sentiment]

class AnswerSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANSWER_SOURCE_UNSPECIFIED: _ClassVar[AnswerSource]
    ANSWER_SOURCE_FAQ: _ClassVar[AnswerSource]
    ANSWER_SOURCE_USER_DATA: _ClassVar[AnswerSource]
    ANSWER_SOURCE_CLARIFICATION: _ClassVar[AnswerSource]
    ANSWER_SOURCE_OUT_OF_SCOPE: _ClassVar[AnswerSource]
    ANSWER_SOURCE_CHITCHAT: _ClassVar[AnswerSource]
    ANSWER_SOURCE_HANDOFF: _ClassVar[AnswerSource]

class HandoffReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDOFF_REASON_UNSPECIFIED: _ClassVar[HandoffReason]
    HANDOFF_REASON_LOW_CONFIDENCE: _ClassVar[HandoffReason]
    HANDOFF_REASON_REPEATED_FAILURE: _ClassVar[HandoffReason]
    HANDOFF_REASON_NEGATIVE_SENTIMENT: _ClassVar[HandoffReason]
    HANDOFF_REASON_USER_REQUESTED: _ClassVar[HandoffReason]
    HANDOFF_REASON_POLICY: _ClassVar[HandoffReason]
    HANDOFF_REASON_DATA_UNAVAILABLE: _ClassVar[HandoffReason]

class HandoffState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDOFF_STATE_UNSPECIFIED: _ClassVar[HandoffState]
    HANDOFF_STATE_WAITING: _ClassVar[HandoffState]
    HANDOFF_STATE_ASSIGNED: _ClassVar[HandoffState]
    HANDOFF_STATE_CLOSED: _ClassVar[HandoffState]
    HANDOFF_STATE_WITHDRAWN: _ClassVar[HandoffState]

class TurnRejectionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TURN_REJECTION_REASON_UNSPECIFIED: _ClassVar[TurnRejectionReason]
    TURN_REJECTION_REASON_EMPTY: _ClassVar[TurnRejectionReason]
    TURN_REJECTION_REASON_TOO_LONG: _ClassVar[TurnRejectionReason]
    TURN_REJECTION_REASON_RATE_LIMITED: _ClassVar[TurnRejectionReason]
    TURN_REJECTION_REASON_SESSION_ENDED: _ClassVar[TurnRejectionReason]

class ConversationEndReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONVERSATION_END_REASON_UNSPECIFIED: _ClassVar[ConversationEndReason]
    CONVERSATION_END_REASON_USER_ENDED: _ClassVar[ConversationEndReason]
    CONVERSATION_END_REASON_EXPIRED: _ClassVar[ConversationEndReason]
    CONVERSATION_END_REASON_AGENT_CLOSED: _ClassVar[ConversationEndReason]
    CONVERSATION_END_REASON_USER_DELETED: _ClassVar[ConversationEndReason]
CONVERSATION_STATE_UNSPECIFIED: ConversationState
CONVERSATION_STATE_ACTIVE: ConversationState
CONVERSATION_STATE_HANDED_OFF: ConversationState
CONVERSATION_STATE_ENDED: ConversationState
SENTIMENT_UNSPECIFIED: Sentiment
SENTIMENT_NEGATIVE: Sentiment
SENTIMENT_NEUTRAL: Sentiment
SENTIMENT_POSITIVE: Sentiment
ANSWER_SOURCE_UNSPECIFIED: AnswerSource
ANSWER_SOURCE_FAQ: AnswerSource
ANSWER_SOURCE_USER_DATA: AnswerSource
ANSWER_SOURCE_CLARIFICATION: AnswerSource
ANSWER_SOURCE_OUT_OF_SCOPE: AnswerSource
ANSWER_SOURCE_CHITCHAT: AnswerSource
ANSWER_SOURCE_HANDOFF: AnswerSource
HANDOFF_REASON_UNSPECIFIED: HandoffReason
HANDOFF_REASON_LOW_CONFIDENCE: HandoffReason
HANDOFF_REASON_REPEATED_FAILURE: HandoffReason
HANDOFF_REASON_NEGATIVE_SENTIMENT: HandoffReason
HANDOFF_REASON_USER_REQUESTED: HandoffReason
HANDOFF_REASON_POLICY: HandoffReason
HANDOFF_REASON_DATA_UNAVAILABLE: HandoffReason
HANDOFF_STATE_UNSPECIFIED: HandoffState
HANDOFF_STATE_WAITING: HandoffState
HANDOFF_STATE_ASSIGNED: HandoffState
HANDOFF_STATE_CLOSED: HandoffState
HANDOFF_STATE_WITHDRAWN: HandoffState
TURN_REJECTION_REASON_UNSPECIFIED: TurnRejectionReason
TURN_REJECTION_REASON_EMPTY: TurnRejectionReason
TURN_REJECTION_REASON_TOO_LONG: TurnRejectionReason
TURN_REJECTION_REASON_RATE_LIMITED: TurnRejectionReason
TURN_REJECTION_REASON_SESSION_ENDED: TurnRejectionReason
CONVERSATION_END_REASON_UNSPECIFIED: ConversationEndReason
CONVERSATION_END_REASON_USER_ENDED: ConversationEndReason
CONVERSATION_END_REASON_EXPIRED: ConversationEndReason
CONVERSATION_END_REASON_AGENT_CLOSED: ConversationEndReason
CONVERSATION_END_REASON_USER_DELETED: ConversationEndReason

class ConversationInput(_message.Message):
    __slots__ = ("open", "user_message", "end")
    OPEN_FIELD_NUMBER: _ClassVar[int]
    USER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    open: OpenConversation
    user_message: UserMessage
    end: EndConversation
    def __init__(self, open: _Optional[_Union[OpenConversation, _Mapping]] = ..., user_message: _Optional[_Union[UserMessage, _Mapping]] = ..., end: _Optional[_Union[EndConversation, _Mapping]] = ...) -> None: ...

class OpenConversation(_message.Message):
    __slots__ = ("session_id", "resume_after_sequence", "language_code")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    resume_after_sequence: int
    language_code: str
    def __init__(self, session_id: _Optional[str] = ..., resume_after_sequence: _Optional[int] = ..., language_code: _Optional[str] = ...) -> None: ...

class UserMessage(_message.Message):
    __slots__ = ("client_message_id", "text")
    CLIENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    client_message_id: str
    text: str
    def __init__(self, client_message_id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class EndConversation(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ConversationEvent(_message.Message):
    __slots__ = ("session_id", "sequence", "create_time", "opened", "bot_reply", "agent_message", "handoff_update", "turn_rejected", "ended")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    BOT_REPLY_FIELD_NUMBER: _ClassVar[int]
    AGENT_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_UPDATE_FIELD_NUMBER: _ClassVar[int]
    TURN_REJECTED_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    sequence: int
    create_time: _timestamp_pb2.Timestamp
    opened: ConversationOpened
    bot_reply: BotReply
    agent_message: AgentMessage
    handoff_update: HandoffUpdate
    turn_rejected: TurnRejected
    ended: ConversationEnded
    def __init__(self, session_id: _Optional[str] = ..., sequence: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., opened: _Optional[_Union[ConversationOpened, _Mapping]] = ..., bot_reply: _Optional[_Union[BotReply, _Mapping]] = ..., agent_message: _Optional[_Union[AgentMessage, _Mapping]] = ..., handoff_update: _Optional[_Union[HandoffUpdate, _Mapping]] = ..., turn_rejected: _Optional[_Union[TurnRejected, _Mapping]] = ..., ended: _Optional[_Union[ConversationEnded, _Mapping]] = ...) -> None: ...

class ConversationOpened(_message.Message):
    __slots__ = ("resumed", "state", "language_code", "slots", "expire_time", "handoff_id")
    RESUMED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    resumed: bool
    state: ConversationState
    language_code: str
    slots: _containers.RepeatedCompositeFieldContainer[Slot]
    expire_time: _timestamp_pb2.Timestamp
    handoff_id: str
    def __init__(self, resumed: _Optional[bool] = ..., state: _Optional[_Union[ConversationState, str]] = ..., language_code: _Optional[str] = ..., slots: _Optional[_Iterable[_Union[Slot, _Mapping]]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., handoff_id: _Optional[str] = ...) -> None: ...

class ReplyUnderstanding(_message.Message):
    __slots__ = ("intent_id", "confidence", "out_of_scope", "slots", "language_code", "sentiment", "sentiment_score", "frustration_detected")
    INTENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_SCOPE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    FRUSTRATION_DETECTED_FIELD_NUMBER: _ClassVar[int]
    intent_id: str
    confidence: float
    out_of_scope: bool
    slots: _containers.RepeatedCompositeFieldContainer[Slot]
    language_code: str
    sentiment: Sentiment
    sentiment_score: float
    frustration_detected: bool
    def __init__(self, intent_id: _Optional[str] = ..., confidence: _Optional[float] = ..., out_of_scope: _Optional[bool] = ..., slots: _Optional[_Iterable[_Union[Slot, _Mapping]]] = ..., language_code: _Optional[str] = ..., sentiment: _Optional[_Union[Sentiment, str]] = ..., sentiment_score: _Optional[float] = ..., frustration_detected: _Optional[bool] = ...) -> None: ...

class Slot(_message.Message):
    __slots__ = ("name", "value", "turn_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    turn_id: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ..., turn_id: _Optional[str] = ...) -> None: ...

class FaqCitation(_message.Message):
    __slots__ = ("faq_id", "title", "language_code", "score")
    FAQ_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    faq_id: str
    title: str
    language_code: str
    score: float
    def __init__(self, faq_id: _Optional[str] = ..., title: _Optional[str] = ..., language_code: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class HandoffNotice(_message.Message):
    __slots__ = ("reason", "text")
    REASON_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    reason: HandoffReason
    text: str
    def __init__(self, reason: _Optional[_Union[HandoffReason, str]] = ..., text: _Optional[str] = ...) -> None: ...

class BotReply(_message.Message):
    __slots__ = ("turn_id", "client_message_id", "chunk_index", "text", "final", "understanding", "answer_source", "citations", "handoff")
    TURN_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    UNDERSTANDING_FIELD_NUMBER: _ClassVar[int]
    ANSWER_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    turn_id: str
    client_message_id: str
    chunk_index: int
    text: str
    final: bool
    understanding: ReplyUnderstanding
    answer_source: AnswerSource
    citations: _containers.RepeatedCompositeFieldContainer[FaqCitation]
    handoff: HandoffNotice
    def __init__(self, turn_id: _Optional[str] = ..., client_message_id: _Optional[str] = ..., chunk_index: _Optional[int] = ..., text: _Optional[str] = ..., final: _Optional[bool] = ..., understanding: _Optional[_Union[ReplyUnderstanding, _Mapping]] = ..., answer_source: _Optional[_Union[AnswerSource, str]] = ..., citations: _Optional[_Iterable[_Union[FaqCitation, _Mapping]]] = ..., handoff: _Optional[_Union[HandoffNotice, _Mapping]] = ...) -> None: ...

class AgentMessage(_message.Message):
    __slots__ = ("handoff_id", "agent_display_name", "text", "client_message_id")
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    agent_display_name: str
    text: str
    client_message_id: str
    def __init__(self, handoff_id: _Optional[str] = ..., agent_display_name: _Optional[str] = ..., text: _Optional[str] = ..., client_message_id: _Optional[str] = ...) -> None: ...

class HandoffUpdate(_message.Message):
    __slots__ = ("handoff_id", "state", "reason", "queue_position", "agent_display_name")
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    AGENT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    state: HandoffState
    reason: HandoffNotice
    queue_position: int
    agent_display_name: str
    def __init__(self, handoff_id: _Optional[str] = ..., state: _Optional[_Union[HandoffState, str]] = ..., reason: _Optional[_Union[HandoffNotice, _Mapping]] = ..., queue_position: _Optional[int] = ..., agent_display_name: _Optional[str] = ...) -> None: ...

class TurnRejected(_message.Message):
    __slots__ = ("client_message_id", "reason", "text")
    CLIENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    client_message_id: str
    reason: TurnRejectionReason
    text: str
    def __init__(self, client_message_id: _Optional[str] = ..., reason: _Optional[_Union[TurnRejectionReason, str]] = ..., text: _Optional[str] = ...) -> None: ...

class ConversationEnded(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: ConversationEndReason
    def __init__(self, reason: _Optional[_Union[ConversationEndReason, str]] = ...) -> None: ...
