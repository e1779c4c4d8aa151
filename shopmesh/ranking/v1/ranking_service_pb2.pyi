import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import artifact_pb2 as _artifact_pb2
from shopmesh.common.v1 import features_pb2 as _features_pb2
from shopmesh.common.v1 import impression_pb2 as _impression_pb2
from shopmesh.common.v1 import recommendation_pb2 as _recommendation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RuleEffect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RULE_EFFECT_UNSPECIFIED: _ClassVar[RuleEffect]
    RULE_EFFECT_BOOSTED: _ClassVar[RuleEffect]
    RULE_EFFECT_BURIED: _ClassVar[RuleEffect]
    RULE_EFFECT_CATEGORY_CAPPED: _ClassVar[RuleEffect]
    RULE_EFFECT_PINNED: _ClassVar[RuleEffect]
RULE_EFFECT_UNSPECIFIED: RuleEffect
RULE_EFFECT_BOOSTED: RuleEffect
RULE_EFFECT_BURIED: RuleEffect
RULE_EFFECT_CATEGORY_CAPPED: RuleEffect
RULE_EFFECT_PINNED: RuleEffect

class RankingContext(_message.Message):
    __slots__ = ("surface", "request_time", "time_zone", "language_code", "platform", "anchor_item_id", "query", "experiment_variant")
    SURFACE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_VARIANT_FIELD_NUMBER: _ClassVar[int]
    surface: _impression_pb2.Surface
    request_time: _timestamp_pb2.Timestamp
    time_zone: str
    language_code: str
    platform: str
    anchor_item_id: str
    query: str
    experiment_variant: str
    def __init__(self, surface: _Optional[_Union[_impression_pb2.Surface, str]] = ..., request_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., language_code: _Optional[str] = ..., platform: _Optional[str] = ..., anchor_item_id: _Optional[str] = ..., query: _Optional[str] = ..., experiment_variant: _Optional[str] = ...) -> None: ...

class RankCandidate(_message.Message):
    __slots__ = ("item_id", "item_features", "sources", "retrieval_score", "text_similarity", "learned_similarity")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_FEATURES_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    RETRIEVAL_SCORE_FIELD_NUMBER: _ClassVar[int]
    TEXT_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    LEARNED_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    item_features: _features_pb2.ItemFeatures
    sources: _containers.RepeatedCompositeFieldContainer[_recommendation_pb2.SourceScore]
    retrieval_score: float
    text_similarity: float
    learned_similarity: float
    def __init__(self, item_id: _Optional[str] = ..., item_features: _Optional[_Union[_features_pb2.ItemFeatures, _Mapping]] = ..., sources: _Optional[_Iterable[_Union[_recommendation_pb2.SourceScore, _Mapping]]] = ..., retrieval_score: _Optional[float] = ..., text_similarity: _Optional[float] = ..., learned_similarity: _Optional[float] = ...) -> None: ...

class RankRequest(_message.Message):
    __slots__ = ("user_id", "catalog_id", "user_features", "candidates", "context", "diversity_lambda", "business_rules_id", "limit", "model_version")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    USER_FEATURES_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    DIVERSITY_LAMBDA_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_RULES_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    catalog_id: str
    user_features: _features_pb2.UserFeatures
    candidates: _containers.RepeatedCompositeFieldContainer[RankCandidate]
    context: RankingContext
    diversity_lambda: float
    business_rules_id: str
    limit: int
    model_version: str
    def __init__(self, user_id: _Optional[str] = ..., catalog_id: _Optional[str] = ..., user_features: _Optional[_Union[_features_pb2.UserFeatures, _Mapping]] = ..., candidates: _Optional[_Iterable[_Union[RankCandidate, _Mapping]]] = ..., context: _Optional[_Union[RankingContext, _Mapping]] = ..., diversity_lambda: _Optional[float] = ..., business_rules_id: _Optional[str] = ..., limit: _Optional[int] = ..., model_version: _Optional[str] = ...) -> None: ...

class AppliedRule(_message.Message):
    __slots__ = ("rule_id", "effect")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECT_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    effect: RuleEffect
    def __init__(self, rule_id: _Optional[str] = ..., effect: _Optional[_Union[RuleEffect, str]] = ...) -> None: ...

class RankedItem(_message.Message):
    __slots__ = ("item_id", "position", "score", "reason", "applied_rules")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    APPLIED_RULES_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    position: int
    score: float
    reason: _recommendation_pb2.RecommendationReason
    applied_rules: _containers.RepeatedCompositeFieldContainer[AppliedRule]
    def __init__(self, item_id: _Optional[str] = ..., position: _Optional[int] = ..., score: _Optional[float] = ..., reason: _Optional[_Union[_recommendation_pb2.RecommendationReason, _Mapping]] = ..., applied_rules: _Optional[_Iterable[_Union[AppliedRule, _Mapping]]] = ...) -> None: ...

class RankResponse(_message.Message):
    __slots__ = ("items", "model_name", "model_version", "diversity_lambda", "business_rules_id", "duplicate_count", "imputed_feature_count")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DIVERSITY_LAMBDA_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_RULES_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    IMPUTED_FEATURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RankedItem]
    model_name: str
    model_version: str
    diversity_lambda: float
    business_rules_id: str
    duplicate_count: int
    imputed_feature_count: int
    def __init__(self, items: _Optional[_Iterable[_Union[RankedItem, _Mapping]]] = ..., model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., diversity_lambda: _Optional[float] = ..., business_rules_id: _Optional[str] = ..., duplicate_count: _Optional[int] = ..., imputed_feature_count: _Optional[int] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ("catalog_id",)
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    catalog_id: str
    def __init__(self, catalog_id: _Optional[str] = ...) -> None: ...

class GetModelInfoResponse(_message.Message):
    __slots__ = ("manifest", "state", "feature_names", "max_candidates", "default_diversity_lambda", "business_rules_ids", "other_versions")
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    MAX_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_DIVERSITY_LAMBDA_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_RULES_IDS_FIELD_NUMBER: _ClassVar[int]
    OTHER_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    manifest: _artifact_pb2.ArtifactManifest
    state: _artifact_pb2.ArtifactState
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    max_candidates: int
    default_diversity_lambda: float
    business_rules_ids: _containers.RepeatedScalarFieldContainer[str]
    other_versions: _containers.RepeatedCompositeFieldContainer[ModelVersionStatus]
    def __init__(self, manifest: _Optional[_Union[_artifact_pb2.ArtifactManifest, _Mapping]] = ..., state: _Optional[_Union[_artifact_pb2.ArtifactState, str]] = ..., feature_names: _Optional[_Iterable[str]] = ..., max_candidates: _Optional[int] = ..., default_diversity_lambda: _Optional[float] = ..., business_rules_ids: _Optional[_Iterable[str]] = ..., other_versions: _Optional[_Iterable[_Union[ModelVersionStatus, _Mapping]]] = ...) -> None: ...

class ModelVersionStatus(_message.Message):
    __slots__ = ("manifest", "state", "state_reason")
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    manifest: _artifact_pb2.ArtifactManifest
    state: _artifact_pb2.ArtifactState
    state_reason: str
    def __init__(self, manifest: _Optional[_Union[_artifact_pb2.ArtifactManifest, _Mapping]] = ..., state: _Optional[_Union[_artifact_pb2.ArtifactState, str]] = ..., state_reason: _Optional[str] = ...) -> None: ...
