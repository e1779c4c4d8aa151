import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import redaction_pb2 as _redaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PiiType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PII_TYPE_UNSPECIFIED: _ClassVar[PiiType]
    PII_TYPE_EMAIL: _ClassVar[PiiType]
    PII_TYPE_PHONE: _ClassVar[PiiType]
    PII_TYPE_NAME: _ClassVar[PiiType]
    PII_TYPE_ADDRESS: _ClassVar[PiiType]
    PII_TYPE_PAYMENT_CARD: _ClassVar[PiiType]
    PII_TYPE_NATIONAL_ID: _ClassVar[PiiType]
    PII_TYPE_BANK_ACCOUNT: _ClassVar[PiiType]
    PII_TYPE_IP_ADDRESS: _ClassVar[PiiType]
    PII_TYPE_FREE_TEXT: _ClassVar[PiiType]

class Disclosure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISCLOSURE_UNSPECIFIED: _ClassVar[Disclosure]
    DISCLOSURE_MASKED: _ClassVar[Disclosure]
    DISCLOSURE_CLEAR: _ClassVar[Disclosure]

class KekState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEK_STATE_UNSPECIFIED: _ClassVar[KekState]
    KEK_STATE_STAGED: _ClassVar[KekState]
    KEK_STATE_ACTIVE: _ClassVar[KekState]
    KEK_STATE_DECRYPT_ONLY: _ClassVar[KekState]
    KEK_STATE_UNUSED: _ClassVar[KekState]

class AuditOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_OPERATION_UNSPECIFIED: _ClassVar[AuditOperation]
    AUDIT_OPERATION_TOKENIZE: _ClassVar[AuditOperation]
    AUDIT_OPERATION_DETOKENIZE: _ClassVar[AuditOperation]
    AUDIT_OPERATION_LOOKUP: _ClassVar[AuditOperation]
    AUDIT_OPERATION_REDACT: _ClassVar[AuditOperation]
    AUDIT_OPERATION_EXPORT: _ClassVar[AuditOperation]
    AUDIT_OPERATION_FORGET: _ClassVar[AuditOperation]
    AUDIT_OPERATION_ROTATE_KEYS: _ClassVar[AuditOperation]

class AuditDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIT_DECISION_UNSPECIFIED: _ClassVar[AuditDecision]
    AUDIT_DECISION_ALLOWED: _ClassVar[AuditDecision]
    AUDIT_DECISION_MASKED: _ClassVar[AuditDecision]
    AUDIT_DECISION_DENIED: _ClassVar[AuditDecision]
PII_TYPE_UNSPECIFIED: PiiType
PII_TYPE_EMAIL: PiiType
PII_TYPE_PHONE: PiiType
PII_TYPE_NAME: PiiType
PII_TYPE_ADDRESS: PiiType
PII_TYPE_PAYMENT_CARD: PiiType
PII_TYPE_NATIONAL_ID: PiiType
PII_TYPE_BANK_ACCOUNT: PiiType
PII_TYPE_IP_ADDRESS: PiiType
PII_TYPE_FREE_TEXT: PiiType
DISCLOSURE_UNSPECIFIED: Disclosure
DISCLOSURE_MASKED: Disclosure
DISCLOSURE_CLEAR: Disclosure
KEK_STATE_UNSPECIFIED: KekState
KEK_STATE_STAGED: KekState
KEK_STATE_ACTIVE: KekState
KEK_STATE_DECRYPT_ONLY: KekState
KEK_STATE_UNUSED: KekState
AUDIT_OPERATION_UNSPECIFIED: AuditOperation
AUDIT_OPERATION_TOKENIZE: AuditOperation
AUDIT_OPERATION_DETOKENIZE: AuditOperation
AUDIT_OPERATION_LOOKUP: AuditOperation
AUDIT_OPERATION_REDACT: AuditOperation
AUDIT_OPERATION_EXPORT: AuditOperation
AUDIT_OPERATION_FORGET: AuditOperation
AUDIT_OPERATION_ROTATE_KEYS: AuditOperation
AUDIT_DECISION_UNSPECIFIED: AuditDecision
AUDIT_DECISION_ALLOWED: AuditDecision
AUDIT_DECISION_MASKED: AuditDecision
AUDIT_DECISION_DENIED: AuditDecision

class PiiValue(_message.Message):
    __slots__ = ("type", "value")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    type: PiiType
    value: str
    def __init__(self, type: _Optional[_Union[PiiType, str]] = ..., value: _Optional[str] = ...) -> None: ...

class TokenizeRequest(_message.Message):
    __slots__ = ("subject_id", "purpose", "values")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    purpose: str
    values: _containers.RepeatedCompositeFieldContainer[PiiValue]
    def __init__(self, subject_id: _Optional[str] = ..., purpose: _Optional[str] = ..., values: _Optional[_Iterable[_Union[PiiValue, _Mapping]]] = ...) -> None: ...

class TokenizedValue(_message.Message):
    __slots__ = ("token", "type", "masked_value")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MASKED_VALUE_FIELD_NUMBER: _ClassVar[int]
    token: str
    type: PiiType
    masked_value: str
    def __init__(self, token: _Optional[str] = ..., type: _Optional[_Union[PiiType, str]] = ..., masked_value: _Optional[str] = ...) -> None: ...

class TokenizeResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[TokenizedValue]
    def __init__(self, tokens: _Optional[_Iterable[_Union[TokenizedValue, _Mapping]]] = ...) -> None: ...

class DetokenizeRequest(_message.Message):
    __slots__ = ("tokens", "purpose", "max_disclosure", "acting_agent_id")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    MAX_DISCLOSURE_FIELD_NUMBER: _ClassVar[int]
    ACTING_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedScalarFieldContainer[str]
    purpose: str
    max_disclosure: Disclosure
    acting_agent_id: str
    def __init__(self, tokens: _Optional[_Iterable[str]] = ..., purpose: _Optional[str] = ..., max_disclosure: _Optional[_Union[Disclosure, str]] = ..., acting_agent_id: _Optional[str] = ...) -> None: ...

class DetokenizedValue(_message.Message):
    __slots__ = ("token", "type", "subject_id", "disclosure", "value", "masked_value")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DISCLOSURE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    MASKED_VALUE_FIELD_NUMBER: _ClassVar[int]
    token: str
    type: PiiType
    subject_id: str
    disclosure: Disclosure
    value: str
    masked_value: str
    def __init__(self, token: _Optional[str] = ..., type: _Optional[_Union[PiiType, str]] = ..., subject_id: _Optional[str] = ..., disclosure: _Optional[_Union[Disclosure, str]] = ..., value: _Optional[str] = ..., masked_value: _Optional[str] = ...) -> None: ...

class DetokenizeResponse(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[DetokenizedValue]
    def __init__(self, values: _Optional[_Iterable[_Union[DetokenizedValue, _Mapping]]] = ...) -> None: ...

class LookupByValueRequest(_message.Message):
    __slots__ = ("type", "value", "purpose")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    type: PiiType
    value: str
    purpose: str
    def __init__(self, type: _Optional[_Union[PiiType, str]] = ..., value: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class LookupByValueResponse(_message.Message):
    __slots__ = ("found", "subject_id", "token")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    found: bool
    subject_id: str
    token: str
    def __init__(self, found: _Optional[bool] = ..., subject_id: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class RedactRequest(_message.Message):
    __slots__ = ("text", "language_code", "entity_types", "tokenize_values", "subject_id", "purpose")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    ENTITY_TYPES_FIELD_NUMBER: _ClassVar[int]
    TOKENIZE_VALUES_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    text: str
    language_code: str
    entity_types: _containers.RepeatedScalarFieldContainer[_redaction_pb2.PiiEntityType]
    tokenize_values: bool
    subject_id: str
    purpose: str
    def __init__(self, text: _Optional[str] = ..., language_code: _Optional[str] = ..., entity_types: _Optional[_Iterable[_Union[_redaction_pb2.PiiEntityType, str]]] = ..., tokenize_values: _Optional[bool] = ..., subject_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class RedactionSpan(_message.Message):
    __slots__ = ("entity_type", "start", "end", "redacted_start", "redacted_end", "token")
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    REDACTED_START_FIELD_NUMBER: _ClassVar[int]
    REDACTED_END_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    entity_type: _redaction_pb2.PiiEntityType
    start: int
    end: int
    redacted_start: int
    redacted_end: int
    token: str
    def __init__(self, entity_type: _Optional[_Union[_redaction_pb2.PiiEntityType, str]] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., redacted_start: _Optional[int] = ..., redacted_end: _Optional[int] = ..., token: _Optional[str] = ...) -> None: ...

class RedactResponse(_message.Message):
    __slots__ = ("redacted_text", "spans")
    REDACTED_TEXT_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    redacted_text: str
    spans: _containers.RepeatedCompositeFieldContainer[RedactionSpan]
    def __init__(self, redacted_text: _Optional[str] = ..., spans: _Optional[_Iterable[_Union[RedactionSpan, _Mapping]]] = ...) -> None: ...

class ExportSubjectRequest(_message.Message):
    __slots__ = ("subject_id", "purpose")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    purpose: str
    def __init__(self, subject_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class SubjectRecord(_message.Message):
    __slots__ = ("token", "type", "value", "create_time")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    token: str
    type: PiiType
    value: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, token: _Optional[str] = ..., type: _Optional[_Union[PiiType, str]] = ..., value: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportSubjectResponse(_message.Message):
    __slots__ = ("subject_id", "forgotten", "records", "access_log")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FORGOTTEN_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    ACCESS_LOG_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    forgotten: bool
    records: _containers.RepeatedCompositeFieldContainer[SubjectRecord]
    access_log: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    def __init__(self, subject_id: _Optional[str] = ..., forgotten: _Optional[bool] = ..., records: _Optional[_Iterable[_Union[SubjectRecord, _Mapping]]] = ..., access_log: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ...) -> None: ...

class ForgetSubjectRequest(_message.Message):
    __slots__ = ("subject_id", "purpose")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    purpose: str
    def __init__(self, subject_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class ForgetSubjectResponse(_message.Message):
    __slots__ = ("already_forgotten", "forget_time", "destroyed_data_key_count", "deleted_value_count", "deleted_index_entry_count")
    ALREADY_FORGOTTEN_FIELD_NUMBER: _ClassVar[int]
    FORGET_TIME_FIELD_NUMBER: _ClassVar[int]
    DESTROYED_DATA_KEY_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_VALUE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_INDEX_ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    already_forgotten: bool
    forget_time: _timestamp_pb2.Timestamp
    destroyed_data_key_count: int
    deleted_value_count: int
    deleted_index_entry_count: int
    def __init__(self, already_forgotten: _Optional[bool] = ..., forget_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., destroyed_data_key_count: _Optional[int] = ..., deleted_value_count: _Optional[int] = ..., deleted_index_entry_count: _Optional[int] = ...) -> None: ...

class RotateKeysRequest(_message.Message):
    __slots__ = ("target_kek_version", "purpose")
    TARGET_KEK_VERSION_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    target_kek_version: int
    purpose: str
    def __init__(self, target_kek_version: _Optional[int] = ..., purpose: _Optional[str] = ...) -> None: ...

class RotateKeysResponse(_message.Message):
    __slots__ = ("active_kek_version", "previous_kek_version", "data_keys_to_rewrap")
    ACTIVE_KEK_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_KEK_VERSION_FIELD_NUMBER: _ClassVar[int]
    DATA_KEYS_TO_REWRAP_FIELD_NUMBER: _ClassVar[int]
    active_kek_version: int
    previous_kek_version: int
    data_keys_to_rewrap: int
    def __init__(self, active_kek_version: _Optional[int] = ..., previous_kek_version: _Optional[int] = ..., data_keys_to_rewrap: _Optional[int] = ...) -> None: ...

class GetKeyStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class KekStatus(_message.Message):
    __slots__ = ("version", "state", "wrapped_data_key_count")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    WRAPPED_DATA_KEY_COUNT_FIELD_NUMBER: _ClassVar[int]
    version: int
    state: KekState
    wrapped_data_key_count: int
    def __init__(self, version: _Optional[int] = ..., state: _Optional[_Union[KekState, str]] = ..., wrapped_data_key_count: _Optional[int] = ...) -> None: ...

class RewrapProgress(_message.Message):
    __slots__ = ("running", "total_data_keys", "remaining_data_keys", "start_time", "finish_time")
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DATA_KEYS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_DATA_KEYS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    running: bool
    total_data_keys: int
    remaining_data_keys: int
    start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    def __init__(self, running: _Optional[bool] = ..., total_data_keys: _Optional[int] = ..., remaining_data_keys: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetKeyStatusResponse(_message.Message):
    __slots__ = ("active_kek_version", "keks", "rewrap", "subject_count", "forgotten_subject_count")
    ACTIVE_KEK_VERSION_FIELD_NUMBER: _ClassVar[int]
    KEKS_FIELD_NUMBER: _ClassVar[int]
    REWRAP_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    FORGOTTEN_SUBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    active_kek_version: int
    keks: _containers.RepeatedCompositeFieldContainer[KekStatus]
    rewrap: RewrapProgress
    subject_count: int
    forgotten_subject_count: int
    def __init__(self, active_kek_version: _Optional[int] = ..., keks: _Optional[_Iterable[_Union[KekStatus, _Mapping]]] = ..., rewrap: _Optional[_Union[RewrapProgress, _Mapping]] = ..., subject_count: _Optional[int] = ..., forgotten_subject_count: _Optional[int] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("sequence", "event_time", "caller", "acting_user_id", "acting_agent_id", "purpose", "subject_id", "operation", "decision", "pii_types", "value_count", "previous_hash", "entry_hash")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    ACTING_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTING_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    PII_TYPES_FIELD_NUMBER: _ClassVar[int]
    VALUE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    event_time: _timestamp_pb2.Timestamp
    caller: str
    acting_user_id: str
    acting_agent_id: str
    purpose: str
    subject_id: str
    operation: AuditOperation
    decision: AuditDecision
    pii_types: _containers.RepeatedScalarFieldContainer[PiiType]
    value_count: int
    previous_hash: bytes
    entry_hash: bytes
    def __init__(self, sequence: _Optional[int] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., caller: _Optional[str] = ..., acting_user_id: _Optional[str] = ..., acting_agent_id: _Optional[str] = ..., purpose: _Optional[str] = ..., subject_id: _Optional[str] = ..., operation: _Optional[_Union[AuditOperation, str]] = ..., decision: _Optional[_Union[AuditDecision, str]] = ..., pii_types: _Optional[_Iterable[_Union[PiiType, str]]] = ..., value_count: _Optional[int] = ..., previous_hash: _Optional[bytes] = ..., entry_hash: _Optional[bytes] = ...) -> None: ...

class ListAuditEntriesRequest(_message.Message):
    __slots__ = ("subject_id", "start_time", "page_size", "page_token")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    start_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, subject_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAuditEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyAuditRequest(_message.Message):
    __slots__ = ("from_sequence", "to_sequence")
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    from_sequence: int
    to_sequence: int
    def __init__(self, from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class VerifyAuditResponse(_message.Message):
    __slots__ = ("intact", "checked_entry_count", "first_bad_sequence", "problem", "head_sequence", "head_hash")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    CHECKED_ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HEAD_HASH_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    checked_entry_count: int
    first_bad_sequence: int
    problem: str
    head_sequence: int
    head_hash: bytes
    def __init__(self, intact: _Optional[bool] = ..., checked_entry_count: _Optional[int] = ..., first_bad_sequence: _Optional[int] = ..., problem: _Optional[str] = ..., head_sequence: _Optional[int] = ..., head_hash: _Optional[bytes] = ...) -> None: ...
