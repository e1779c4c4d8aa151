from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CandidateSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDIDATE_SOURCE_UNSPECIFIED: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_USER_VECTOR_ANN: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_CO_VISITATION: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_TEXT_NEIGHBOURS: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_RECENT_TEXT_VECTORS: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_REPURCHASE: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_TRENDING: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_CATEGORY_AFFINITY: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_COLD_START: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_LEXICAL_MATCH: _ClassVar[CandidateSource]
    CANDIDATE_SOURCE_DENSE_MATCH: _ClassVar[CandidateSource]

class ReasonKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_KIND_UNSPECIFIED: _ClassVar[ReasonKind]
    REASON_KIND_SIMILAR_TO_RECENT: _ClassVar[ReasonKind]
    REASON_KIND_POPULAR_IN_CATEGORY: _ClassVar[ReasonKind]
    REASON_KIND_TRENDING: _ClassVar[ReasonKind]
    REASON_KIND_BUY_AGAIN: _ClassVar[ReasonKind]
    REASON_KIND_FOR_YOU: _ClassVar[ReasonKind]
    REASON_KIND_MATCHES_QUERY: _ClassVar[ReasonKind]
    REASON_KIND_SIMILAR_TO_ITEM: _ClassVar[ReasonKind]
    REASON_KIND_POPULAR_WITH_NEW_USERS: _ClassVar[ReasonKind]
CANDIDATE_SOURCE_UNSPECIFIED: CandidateSource
CANDIDATE_SOURCE_USER_VECTOR_ANN: CandidateSource
CANDIDATE_SOURCE_CO_VISITATION: CandidateSource
CANDIDATE_SOURCE_TEXT_NEIGHBOURS: CandidateSource
CANDIDATE_SOURCE_RECENT_TEXT_VECTORS: CandidateSource
CANDIDATE_SOURCE_REPURCHASE: CandidateSource
CANDIDATE_SOURCE_TRENDING: CandidateSource
CANDIDATE_SOURCE_CATEGORY_AFFINITY: CandidateSource
CANDIDATE_SOURCE_COLD_START: CandidateSource
CANDIDATE_SOURCE_LEXICAL_MATCH: CandidateSource
CANDIDATE_SOURCE_DENSE_MATCH: CandidateSource
REASON_KIND_UNSPECIFIED: ReasonKind
REASON_KIND_SIMILAR_TO_RECENT: ReasonKind
REASON_KIND_POPULAR_IN_CATEGORY: ReasonKind
REASON_KIND_TRENDING: ReasonKind
REASON_KIND_BUY_AGAIN: ReasonKind
REASON_KIND_FOR_YOU: ReasonKind
REASON_KIND_MATCHES_QUERY: ReasonKind
REASON_KIND_SIMILAR_TO_ITEM: ReasonKind
REASON_KIND_POPULAR_WITH_NEW_USERS: ReasonKind

class SourceScore(_message.Message):
    __slots__ = ("source", "score", "rank")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    source: CandidateSource
    score: float
    rank: int
    def __init__(self, source: _Optional[_Union[CandidateSource, str]] = ..., score: _Optional[float] = ..., rank: _Optional[int] = ...) -> None: ...

class RecommendationReason(_message.Message):
    __slots__ = ("kind", "text", "anchor_item_id", "category_key")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_KEY_FIELD_NUMBER: _ClassVar[int]
    kind: ReasonKind
    text: str
    anchor_item_id: str
    category_key: str
    def __init__(self, kind: _Optional[_Union[ReasonKind, str]] = ..., text: _Optional[str] = ..., anchor_item_id: _Optional[str] = ..., category_key: _Optional[str] = ...) -> None: ...
