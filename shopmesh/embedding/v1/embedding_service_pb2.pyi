from shopmesh.common.v1 import artifact_pb2 as _artifact_pb2
from shopmesh.common.v1 import features_pb2 as _features_pb2
from shopmesh.common.v1 import vector_pb2 as _vector_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EmbeddingKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EMBEDDING_KIND_UNSPECIFIED: _ClassVar[EmbeddingKind]
    EMBEDDING_KIND_QUERY: _ClassVar[EmbeddingKind]
    EMBEDDING_KIND_PASSAGE: _ClassVar[EmbeddingKind]
EMBEDDING_KIND_UNSPECIFIED: EmbeddingKind
EMBEDDING_KIND_QUERY: EmbeddingKind
EMBEDDING_KIND_PASSAGE: EmbeddingKind

class EmbedRequest(_message.Message):
    __slots__ = ("texts", "model_name", "kind")
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedScalarFieldContainer[str]
    model_name: str
    kind: EmbeddingKind
    def __init__(self, texts: _Optional[_Iterable[str]] = ..., model_name: _Optional[str] = ..., kind: _Optional[_Union[EmbeddingKind, str]] = ...) -> None: ...

class EmbedResponse(_message.Message):
    __slots__ = ("model_name", "model_version", "vector_space", "vector_space_version", "dimension", "count", "vectors_f32le", "truncated", "cache_hit_count")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SPACE_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SPACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    VECTORS_F32LE_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: str
    vector_space: str
    vector_space_version: str
    dimension: int
    count: int
    vectors_f32le: bytes
    truncated: _containers.RepeatedScalarFieldContainer[bool]
    cache_hit_count: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., vector_space: _Optional[str] = ..., vector_space_version: _Optional[str] = ..., dimension: _Optional[int] = ..., count: _Optional[int] = ..., vectors_f32le: _Optional[bytes] = ..., truncated: _Optional[_Iterable[bool]] = ..., cache_hit_count: _Optional[int] = ...) -> None: ...

class EmbedUserRequest(_message.Message):
    __slots__ = ("recent_items", "catalog_id", "model_name", "vector_space_version")
    RECENT_ITEMS_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SPACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    recent_items: _containers.RepeatedCompositeFieldContainer[_features_pb2.RecentInteraction]
    catalog_id: str
    model_name: str
    vector_space_version: str
    def __init__(self, recent_items: _Optional[_Iterable[_Union[_features_pb2.RecentInteraction, _Mapping]]] = ..., catalog_id: _Optional[str] = ..., model_name: _Optional[str] = ..., vector_space_version: _Optional[str] = ...) -> None: ...

class EmbedUserResponse(_message.Message):
    __slots__ = ("user_vector", "known_item_count", "unknown_item_count", "model_name", "model_version")
    USER_VECTOR_FIELD_NUMBER: _ClassVar[int]
    KNOWN_ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    user_vector: _vector_pb2.Vector
    known_item_count: int
    unknown_item_count: int
    model_name: str
    model_version: str
    def __init__(self, user_vector: _Optional[_Union[_vector_pb2.Vector, _Mapping]] = ..., known_item_count: _Optional[int] = ..., unknown_item_count: _Optional[int] = ..., model_name: _Optional[str] = ..., model_version: _Optional[str] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ModelStatus(_message.Message):
    __slots__ = ("manifest", "state", "state_reason", "kinds", "max_sequence_tokens", "max_batch_size", "is_default", "backend")
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    MAX_SEQUENCE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    manifest: _artifact_pb2.ArtifactManifest
    state: _artifact_pb2.ArtifactState
    state_reason: str
    kinds: _containers.RepeatedScalarFieldContainer[EmbeddingKind]
    max_sequence_tokens: int
    max_batch_size: int
    is_default: bool
    backend: str
    def __init__(self, manifest: _Optional[_Union[_artifact_pb2.ArtifactManifest, _Mapping]] = ..., state: _Optional[_Union[_artifact_pb2.ArtifactState, str]] = ..., state_reason: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[EmbeddingKind, str]]] = ..., max_sequence_tokens: _Optional[int] = ..., max_batch_size: _Optional[int] = ..., is_default: _Optional[bool] = ..., backend: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelStatus]
    def __init__(self, models: _Optional[_Iterable[_Union[ModelStatus, _Mapping]]] = ...) -> None: ...
