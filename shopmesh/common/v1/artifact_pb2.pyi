import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ArtifactKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARTIFACT_KIND_UNSPECIFIED: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_TEXT_ENCODER: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_USER_TOWER: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_TEXT_INDEX: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_LEARNED_INDEX: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_CO_VISITATION: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_LEXICAL_INDEX: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_RANKER: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_INTENT_CLASSIFIER: _ClassVar[ArtifactKind]
    ARTIFACT_KIND_SENTIMENT_MODEL: _ClassVar[ArtifactKind]

class ArtifactState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARTIFACT_STATE_UNSPECIFIED: _ClassVar[ArtifactState]
    ARTIFACT_STATE_LOADING: _ClassVar[ArtifactState]
    ARTIFACT_STATE_SERVING: _ClassVar[ArtifactState]
    ARTIFACT_STATE_REJECTED: _ClassVar[ArtifactState]
    ARTIFACT_STATE_RETIRED: _ClassVar[ArtifactState]
ARTIFACT_KIND_UNSPECIFIED: ArtifactKind
ARTIFACT_KIND_TEXT_ENCODER: ArtifactKind
ARTIFACT_KIND_USER_TOWER: ArtifactKind
ARTIFACT_KIND_TEXT_INDEX: ArtifactKind
ARTIFACT_KIND_LEARNED_INDEX: ArtifactKind
ARTIFACT_KIND_CO_VISITATION: ArtifactKind
ARTIFACT_KIND_LEXICAL_INDEX: ArtifactKind
ARTIFACT_KIND_RANKER: ArtifactKind
ARTIFACT_KIND_INTENT_CLASSIFIER: ArtifactKind
ARTIFACT_KIND_SENTIMENT_MODEL: ArtifactKind
ARTIFACT_STATE_UNSPECIFIED: ArtifactState
ARTIFACT_STATE_LOADING: ArtifactState
ARTIFACT_STATE_SERVING: ArtifactState
ARTIFACT_STATE_REJECTED: ArtifactState
ARTIFACT_STATE_RETIRED: ArtifactState

class ArtifactManifest(_message.Message):
    __slots__ = ("name", "version", "kind", "catalog_id", "vector_space", "vector_space_version", "dimension", "schema_id", "metrics", "training_data_start_time", "training_data_end_time", "code_version", "sha256", "create_time")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SPACE_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SPACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_ID_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DATA_START_TIME_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DATA_END_TIME_FIELD_NUMBER: _ClassVar[int]
    CODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    kind: ArtifactKind
    catalog_id: str
    vector_space: str
    vector_space_version: str
    dimension: int
    schema_id: str
    metrics: _containers.ScalarMap[str, float]
    training_data_start_time: _timestamp_pb2.Timestamp
    training_data_end_time: _timestamp_pb2.Timestamp
    code_version: str
    sha256: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., kind: _Optional[_Union[ArtifactKind, str]] = ..., catalog_id: _Optional[str] = ..., vector_space: _Optional[str] = ..., vector_space_version: _Optional[str] = ..., dimension: _Optional[int] = ..., schema_id: _Optional[str] = ..., metrics: _Optional[_Mapping[str, float]] = ..., training_data_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., training_data_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., code_version: _Optional[str] = ..., sha256: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
