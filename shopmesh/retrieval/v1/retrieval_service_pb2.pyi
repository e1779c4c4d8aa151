import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import artifact_pb2 as _artifact_pb2
from shopmesh.common.v1 import features_pb2 as _features_pb2
from shopmesh.common.v1 import item_pb2 as _item_pb2
from shopmesh.common.v1 import recommendation_pb2 as _recommendation_pb2
from shopmesh.common.v1 import vector_pb2 as _vector_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PurchasedItemsPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PURCHASED_ITEMS_POLICY_UNSPECIFIED: _ClassVar[PurchasedItemsPolicy]
    PURCHASED_ITEMS_POLICY_EXCLUDE: _ClassVar[PurchasedItemsPolicy]
    PURCHASED_ITEMS_POLICY_INCLUDE: _ClassVar[PurchasedItemsPolicy]

class SourceOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOURCE_OUTCOME_UNSPECIFIED: _ClassVar[SourceOutcome]
    SOURCE_OUTCOME_OK: _ClassVar[SourceOutcome]
    SOURCE_OUTCOME_SKIPPED_NO_INPUT: _ClassVar[SourceOutcome]
    SOURCE_OUTCOME_SKIPPED_VECTOR_SPACE_MISMATCH: _ClassVar[SourceOutcome]
    SOURCE_OUTCOME_SKIPPED_DISABLED: _ClassVar[SourceOutcome]
    SOURCE_OUTCOME_FAILED: _ClassVar[SourceOutcome]

class SearchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEARCH_MODE_UNSPECIFIED: _ClassVar[SearchMode]
    SEARCH_MODE_LEXICAL: _ClassVar[SearchMode]
    SEARCH_MODE_DENSE: _ClassVar[SearchMode]
    SEARCH_MODE_HYBRID: _ClassVar[SearchMode]
PURCHASED_ITEMS_POLICY_UNSPECIFIED: PurchasedItemsPolicy
PURCHASED_ITEMS_POLICY_EXCLUDE: PurchasedItemsPolicy
PURCHASED_ITEMS_POLICY_INCLUDE: PurchasedItemsPolicy
SOURCE_OUTCOME_UNSPECIFIED: SourceOutcome
SOURCE_OUTCOME_OK: SourceOutcome
SOURCE_OUTCOME_SKIPPED_NO_INPUT: SourceOutcome
SOURCE_OUTCOME_SKIPPED_VECTOR_SPACE_MISMATCH: SourceOutcome
SOURCE_OUTCOME_SKIPPED_DISABLED: SourceOutcome
SOURCE_OUTCOME_FAILED: SourceOutcome
SEARCH_MODE_UNSPECIFIED: SearchMode
SEARCH_MODE_LEXICAL: SearchMode
SEARCH_MODE_DENSE: SearchMode
SEARCH_MODE_HYBRID: SearchMode

class SourceQuota(_message.Message):
    __slots__ = ("source", "max_candidates")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    MAX_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    source: _recommendation_pb2.CandidateSource
    max_candidates: int
    def __init__(self, source: _Optional[_Union[_recommendation_pb2.CandidateSource, str]] = ..., max_candidates: _Optional[int] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("item_id", "score", "sources", "text_similarity", "learned_similarity")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    TEXT_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    LEARNED_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    score: float
    sources: _containers.RepeatedCompositeFieldContainer[_recommendation_pb2.SourceScore]
    text_similarity: float
    learned_similarity: float
    def __init__(self, item_id: _Optional[str] = ..., score: _Optional[float] = ..., sources: _Optional[_Iterable[_Union[_recommendation_pb2.SourceScore, _Mapping]]] = ..., text_similarity: _Optional[float] = ..., learned_similarity: _Optional[float] = ...) -> None: ...

class SourceReport(_message.Message):
    __slots__ = ("source", "outcome", "requested_count", "returned_count", "contributed_count", "latency_us", "detail")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    RETURNED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATENCY_US_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    source: _recommendation_pb2.CandidateSource
    outcome: SourceOutcome
    requested_count: int
    returned_count: int
    contributed_count: int
    latency_us: int
    detail: str
    def __init__(self, source: _Optional[_Union[_recommendation_pb2.CandidateSource, str]] = ..., outcome: _Optional[_Union[SourceOutcome, str]] = ..., requested_count: _Optional[int] = ..., returned_count: _Optional[int] = ..., contributed_count: _Optional[int] = ..., latency_us: _Optional[int] = ..., detail: _Optional[str] = ...) -> None: ...

class RetrieveCandidatesRequest(_message.Message):
    __slots__ = ("user_id", "catalog_id", "user_features", "user_vector", "k", "source_quotas", "filter", "exclude_item_ids", "purchased_items_policy")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    USER_FEATURES_FIELD_NUMBER: _ClassVar[int]
    USER_VECTOR_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    SOURCE_QUOTAS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_ITEM_IDS_FIELD_NUMBER: _ClassVar[int]
    PURCHASED_ITEMS_POLICY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    catalog_id: str
    user_features: _features_pb2.UserFeatures
    user_vector: _vector_pb2.Vector
    k: int
    source_quotas: _containers.RepeatedCompositeFieldContainer[SourceQuota]
    filter: _item_pb2.ItemFilter
    exclude_item_ids: _containers.RepeatedScalarFieldContainer[str]
    purchased_items_policy: PurchasedItemsPolicy
    def __init__(self, user_id: _Optional[str] = ..., catalog_id: _Optional[str] = ..., user_features: _Optional[_Union[_features_pb2.UserFeatures, _Mapping]] = ..., user_vector: _Optional[_Union[_vector_pb2.Vector, _Mapping]] = ..., k: _Optional[int] = ..., source_quotas: _Optional[_Iterable[_Union[SourceQuota, _Mapping]]] = ..., filter: _Optional[_Union[_item_pb2.ItemFilter, _Mapping]] = ..., exclude_item_ids: _Optional[_Iterable[str]] = ..., purchased_items_policy: _Optional[_Union[PurchasedItemsPolicy, str]] = ...) -> None: ...

class ServedSnapshots(_message.Message):
    __slots__ = ("text_index_version", "learned_index_version", "co_visitation_version", "lexical_index_version")
    TEXT_INDEX_VERSION_FIELD_NUMBER: _ClassVar[int]
    LEARNED_INDEX_VERSION_FIELD_NUMBER: _ClassVar[int]
    CO_VISITATION_VERSION_FIELD_NUMBER: _ClassVar[int]
    LEXICAL_INDEX_VERSION_FIELD_NUMBER: _ClassVar[int]
    text_index_version: str
    learned_index_version: str
    co_visitation_version: str
    lexical_index_version: str
    def __init__(self, text_index_version: _Optional[str] = ..., learned_index_version: _Optional[str] = ..., co_visitation_version: _Optional[str] = ..., lexical_index_version: _Optional[str] = ...) -> None: ...

class RetrieveCandidatesResponse(_message.Message):
    __slots__ = ("candidates", "source_reports", "cold_start", "snapshots")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REPORTS_FIELD_NUMBER: _ClassVar[int]
    COLD_START_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    source_reports: _containers.RepeatedCompositeFieldContainer[SourceReport]
    cold_start: bool
    snapshots: ServedSnapshots
    def __init__(self, candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., source_reports: _Optional[_Iterable[_Union[SourceReport, _Mapping]]] = ..., cold_start: _Optional[bool] = ..., snapshots: _Optional[_Union[ServedSnapshots, _Mapping]] = ...) -> None: ...

class SimilarItemsRequest(_message.Message):
    __slots__ = ("catalog_id", "item_id", "k", "source_quotas", "filter", "exclude_item_ids")
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    SOURCE_QUOTAS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_ITEM_IDS_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    item_id: str
    k: int
    source_quotas: _containers.RepeatedCompositeFieldContainer[SourceQuota]
    filter: _item_pb2.ItemFilter
    exclude_item_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, catalog_id: _Optional[str] = ..., item_id: _Optional[str] = ..., k: _Optional[int] = ..., source_quotas: _Optional[_Iterable[_Union[SourceQuota, _Mapping]]] = ..., filter: _Optional[_Union[_item_pb2.ItemFilter, _Mapping]] = ..., exclude_item_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SimilarItemsResponse(_message.Message):
    __slots__ = ("candidates", "source_reports", "snapshots")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REPORTS_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    source_reports: _containers.RepeatedCompositeFieldContainer[SourceReport]
    snapshots: ServedSnapshots
    def __init__(self, candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., source_reports: _Optional[_Iterable[_Union[SourceReport, _Mapping]]] = ..., snapshots: _Optional[_Union[ServedSnapshots, _Mapping]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("catalog_id", "query", "language_code", "k", "filter", "mode", "query_vector")
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    QUERY_VECTOR_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    query: str
    language_code: str
    k: int
    filter: _item_pb2.ItemFilter
    mode: SearchMode
    query_vector: _vector_pb2.Vector
    def __init__(self, catalog_id: _Optional[str] = ..., query: _Optional[str] = ..., language_code: _Optional[str] = ..., k: _Optional[int] = ..., filter: _Optional[_Union[_item_pb2.ItemFilter, _Mapping]] = ..., mode: _Optional[_Union[SearchMode, str]] = ..., query_vector: _Optional[_Union[_vector_pb2.Vector, _Mapping]] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("candidates", "mode_used", "language_code", "source_reports", "snapshots")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    MODE_USED_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REPORTS_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    mode_used: SearchMode
    language_code: str
    source_reports: _containers.RepeatedCompositeFieldContainer[SourceReport]
    snapshots: ServedSnapshots
    def __init__(self, candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., mode_used: _Optional[_Union[SearchMode, str]] = ..., language_code: _Optional[str] = ..., source_reports: _Optional[_Iterable[_Union[SourceReport, _Mapping]]] = ..., snapshots: _Optional[_Union[ServedSnapshots, _Mapping]] = ...) -> None: ...

class GetIndexInfoRequest(_message.Message):
    __slots__ = ("catalog_id",)
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    def __init__(self, catalog_id: _Optional[str] = ...) -> None: ...

class IndexSnapshot(_message.Message):
    __slots__ = ("manifest", "state", "state_reason", "index_type", "item_count", "load_time", "paired_user_tower_version")
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    INDEX_TYPE_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    LOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    PAIRED_USER_TOWER_VERSION_FIELD_NUMBER: _ClassVar[int]
    manifest: _artifact_pb2.ArtifactManifest
    state: _artifact_pb2.ArtifactState
    state_reason: str
    index_type: str
    item_count: int
    load_time: _timestamp_pb2.Timestamp
    paired_user_tower_version: str
    def __init__(self, manifest: _Optional[_Union[_artifact_pb2.ArtifactManifest, _Mapping]] = ..., state: _Optional[_Union[_artifact_pb2.ArtifactState, str]] = ..., state_reason: _Optional[str] = ..., index_type: _Optional[str] = ..., item_count: _Optional[int] = ..., load_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paired_user_tower_version: _Optional[str] = ...) -> None: ...

class ShardInfo(_message.Message):
    __slots__ = ("shard_index", "shard_count")
    SHARD_INDEX_FIELD_NUMBER: _ClassVar[int]
    SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    shard_index: int
    shard_count: int
    def __init__(self, shard_index: _Optional[int] = ..., shard_count: _Optional[int] = ...) -> None: ...

class GetIndexInfoResponse(_message.Message):
    __slots__ = ("snapshots", "shard")
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    snapshots: _containers.RepeatedCompositeFieldContainer[IndexSnapshot]
    shard: ShardInfo
    def __init__(self, snapshots: _Optional[_Iterable[_Union[IndexSnapshot, _Mapping]]] = ..., shard: _Optional[_Union[ShardInfo, _Mapping]] = ...) -> None: ...
