import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shopmesh.common.v1 import account_pb2 as _account_pb2
from shopmesh.common.v1 import conversation_pb2 as _conversation_pb2
from shopmesh.common.v1 import event_pb2 as _event_pb2
from shopmesh.common.v1 import impression_pb2 as _impression_pb2
from shopmesh.common.v1 import item_pb2 as _item_pb2
from shopmesh.common.v1 import order_pb2 as _order_pb2
from shopmesh.common.v1 import recommendation_pb2 as _recommendation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dependency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPENDENCY_UNSPECIFIED: _ClassVar[Dependency]
    DEPENDENCY_PROFILE: _ClassVar[Dependency]
    DEPENDENCY_EMBEDDING: _ClassVar[Dependency]
    DEPENDENCY_RETRIEVAL: _ClassVar[Dependency]
    DEPENDENCY_RANKING: _ClassVar[Dependency]
    DEPENDENCY_SUPPORT: _ClassVar[Dependency]
    DEPENDENCY_VAULT: _ClassVar[Dependency]

class DegradationCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEGRADATION_CAUSE_UNSPECIFIED: _ClassVar[DegradationCause]
    DEGRADATION_CAUSE_UNAVAILABLE: _ClassVar[DegradationCause]
    DEGRADATION_CAUSE_DEADLINE_EXCEEDED: _ClassVar[DegradationCause]
    DEGRADATION_CAUSE_CIRCUIT_OPEN: _ClassVar[DegradationCause]
    DEGRADATION_CAUSE_ERROR: _ClassVar[DegradationCause]
    DEGRADATION_CAUSE_PARTIAL_RESULT: _ClassVar[DegradationCause]

class Fallback(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FALLBACK_UNSPECIFIED: _ClassVar[Fallback]
    FALLBACK_RETRIEVAL_ORDER: _ClassVar[Fallback]
    FALLBACK_CACHED_TRENDING: _ClassVar[Fallback]
    FALLBACK_POPULAR_ITEMS: _ClassVar[Fallback]
    FALLBACK_ANONYMOUS_FEED: _ClassVar[Fallback]
    FALLBACK_NON_VECTOR_SOURCES: _ClassVar[Fallback]
    FALLBACK_LEXICAL_SEARCH: _ClassVar[Fallback]
    FALLBACK_FIELDS_OMITTED: _ClassVar[Fallback]
    FALLBACK_CONTACT_ROUTE: _ClassVar[Fallback]

class PersonalizationMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERSONALIZATION_MODE_UNSPECIFIED: _ClassVar[PersonalizationMode]
    PERSONALIZATION_MODE_PERSONALIZED: _ClassVar[PersonalizationMode]
    PERSONALIZATION_MODE_COLD_START: _ClassVar[PersonalizationMode]
    PERSONALIZATION_MODE_NO_CONSENT: _ClassVar[PersonalizationMode]
    PERSONALIZATION_MODE_DEGRADED: _ClassVar[PersonalizationMode]

class DeletionStepOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELETION_STEP_OUTCOME_UNSPECIFIED: _ClassVar[DeletionStepOutcome]
    DELETION_STEP_OUTCOME_DELETED: _ClassVar[DeletionStepOutcome]
    DELETION_STEP_OUTCOME_ALREADY_DELETED: _ClassVar[DeletionStepOutcome]
    DELETION_STEP_OUTCOME_NOTHING_HELD: _ClassVar[DeletionStepOutcome]
DEPENDENCY_UNSPECIFIED: Dependency
DEPENDENCY_PROFILE: Dependency
DEPENDENCY_EMBEDDING: Dependency
DEPENDENCY_RETRIEVAL: Dependency
DEPENDENCY_RANKING: Dependency
DEPENDENCY_SUPPORT: Dependency
DEPENDENCY_VAULT: Dependency
DEGRADATION_CAUSE_UNSPECIFIED: DegradationCause
DEGRADATION_CAUSE_UNAVAILABLE: DegradationCause
DEGRADATION_CAUSE_DEADLINE_EXCEEDED: DegradationCause
DEGRADATION_CAUSE_CIRCUIT_OPEN: DegradationCause
DEGRADATION_CAUSE_ERROR: DegradationCause
DEGRADATION_CAUSE_PARTIAL_RESULT: DegradationCause
FALLBACK_UNSPECIFIED: Fallback
FALLBACK_RETRIEVAL_ORDER: Fallback
FALLBACK_CACHED_TRENDING: Fallback
FALLBACK_POPULAR_ITEMS: Fallback
FALLBACK_ANONYMOUS_FEED: Fallback
FALLBACK_NON_VECTOR_SOURCES: Fallback
FALLBACK_LEXICAL_SEARCH: Fallback
FALLBACK_FIELDS_OMITTED: Fallback
FALLBACK_CONTACT_ROUTE: Fallback
PERSONALIZATION_MODE_UNSPECIFIED: PersonalizationMode
PERSONALIZATION_MODE_PERSONALIZED: PersonalizationMode
PERSONALIZATION_MODE_COLD_START: PersonalizationMode
PERSONALIZATION_MODE_NO_CONSENT: PersonalizationMode
PERSONALIZATION_MODE_DEGRADED: PersonalizationMode
DELETION_STEP_OUTCOME_UNSPECIFIED: DeletionStepOutcome
DELETION_STEP_OUTCOME_DELETED: DeletionStepOutcome
DELETION_STEP_OUTCOME_ALREADY_DELETED: DeletionStepOutcome
DELETION_STEP_OUTCOME_NOTHING_HELD: DeletionStepOutcome

class ClientContext(_message.Message):
    __slots__ = ("platform", "app_version", "language_code", "time_zone")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    APP_VERSION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    platform: str
    app_version: str
    language_code: str
    time_zone: str
    def __init__(self, platform: _Optional[str] = ..., app_version: _Optional[str] = ..., language_code: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class Degradation(_message.Message):
    __slots__ = ("dependency", "cause", "fallback", "detail")
    DEPENDENCY_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    dependency: Dependency
    cause: DegradationCause
    fallback: Fallback
    detail: str
    def __init__(self, dependency: _Optional[_Union[Dependency, str]] = ..., cause: _Optional[_Union[DegradationCause, str]] = ..., fallback: _Optional[_Union[Fallback, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class ItemCard(_message.Message):
    __slots__ = ("item", "impression", "reason")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    IMPRESSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    item: _item_pb2.Item
    impression: _impression_pb2.Impression
    reason: _recommendation_pb2.RecommendationReason
    def __init__(self, item: _Optional[_Union[_item_pb2.Item, _Mapping]] = ..., impression: _Optional[_Union[_impression_pb2.Impression, _Mapping]] = ..., reason: _Optional[_Union[_recommendation_pb2.RecommendationReason, _Mapping]] = ...) -> None: ...

class GetHomeFeedRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "catalog_id", "context")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    catalog_id: str
    context: ClientContext
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., catalog_id: _Optional[str] = ..., context: _Optional[_Union[ClientContext, _Mapping]] = ...) -> None: ...

class GetHomeFeedResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "request_id", "experiment_id", "variant", "personalization", "degradations")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    PERSONALIZATION_FIELD_NUMBER: _ClassVar[int]
    DEGRADATIONS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ItemCard]
    next_page_token: str
    request_id: str
    experiment_id: str
    variant: str
    personalization: PersonalizationMode
    degradations: _containers.RepeatedCompositeFieldContainer[Degradation]
    def __init__(self, items: _Optional[_Iterable[_Union[ItemCard, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., request_id: _Optional[str] = ..., experiment_id: _Optional[str] = ..., variant: _Optional[str] = ..., personalization: _Optional[_Union[PersonalizationMode, str]] = ..., degradations: _Optional[_Iterable[_Union[Degradation, _Mapping]]] = ...) -> None: ...

class GetSimilarItemsRequest(_message.Message):
    __slots__ = ("item_id", "catalog_id", "page_size", "page_token", "context")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    catalog_id: str
    page_size: int
    page_token: str
    context: ClientContext
    def __init__(self, item_id: _Optional[str] = ..., catalog_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., context: _Optional[_Union[ClientContext, _Mapping]] = ...) -> None: ...

class GetSimilarItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "request_id", "experiment_id", "variant", "personalization", "degradations")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    PERSONALIZATION_FIELD_NUMBER: _ClassVar[int]
    DEGRADATIONS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ItemCard]
    next_page_token: str
    request_id: str
    experiment_id: str
    variant: str
    personalization: PersonalizationMode
    degradations: _containers.RepeatedCompositeFieldContainer[Degradation]
    def __init__(self, items: _Optional[_Iterable[_Union[ItemCard, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., request_id: _Optional[str] = ..., experiment_id: _Optional[str] = ..., variant: _Optional[str] = ..., personalization: _Optional[_Union[PersonalizationMode, str]] = ..., degradations: _Optional[_Iterable[_Union[Degradation, _Mapping]]] = ...) -> None: ...

class SearchItemsRequest(_message.Message):
    __slots__ = ("query", "catalog_id", "filter", "page_size", "page_token", "language_code", "context")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    query: str
    catalog_id: str
    filter: _item_pb2.ItemFilter
    page_size: int
    page_token: str
    language_code: str
    context: ClientContext
    def __init__(self, query: _Optional[str] = ..., catalog_id: _Optional[str] = ..., filter: _Optional[_Union[_item_pb2.ItemFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., language_code: _Optional[str] = ..., context: _Optional[_Union[ClientContext, _Mapping]] = ...) -> None: ...

class SearchItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "request_id", "experiment_id", "variant", "personalization", "language_code", "degradations")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    PERSONALIZATION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CODE_FIELD_NUMBER: _ClassVar[int]
    DEGRADATIONS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ItemCard]
    next_page_token: str
    request_id: str
    experiment_id: str
    variant: str
    personalization: PersonalizationMode
    language_code: str
    degradations: _containers.RepeatedCompositeFieldContainer[Degradation]
    def __init__(self, items: _Optional[_Iterable[_Union[ItemCard, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., request_id: _Optional[str] = ..., experiment_id: _Optional[str] = ..., variant: _Optional[str] = ..., personalization: _Optional[_Union[PersonalizationMode, str]] = ..., language_code: _Optional[str] = ..., degradations: _Optional[_Iterable[_Union[Degradation, _Mapping]]] = ...) -> None: ...

class GetItemRequest(_message.Message):
    __slots__ = ("item_id", "catalog_id")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    catalog_id: str
    def __init__(self, item_id: _Optional[str] = ..., catalog_id: _Optional[str] = ...) -> None: ...

class GetItemResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: _item_pb2.Item
    def __init__(self, item: _Optional[_Union[_item_pb2.Item, _Mapping]] = ...) -> None: ...

class ClientEvent(_message.Message):
    __slots__ = ("client_event_id", "event_type", "event_time", "catalog_id", "item_id", "impression_id", "query", "dwell_ms", "quantity", "app_session_id")
    CLIENT_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    CATALOG_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    IMPRESSION_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    DWELL_MS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    APP_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    client_event_id: str
    event_type: _event_pb2.EventType
    event_time: _timestamp_pb2.Timestamp
    catalog_id: str
    item_id: str
    impression_id: str
    query: str
    dwell_ms: int
    quantity: int
    app_session_id: str
    def __init__(self, client_event_id: _Optional[str] = ..., event_type: _Optional[_Union[_event_pb2.EventType, str]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., catalog_id: _Optional[str] = ..., item_id: _Optional[str] = ..., impression_id: _Optional[str] = ..., query: _Optional[str] = ..., dwell_ms: _Optional[int] = ..., quantity: _Optional[int] = ..., app_session_id: _Optional[str] = ...) -> None: ...

class SendEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ClientEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[ClientEvent, _Mapping]]] = ...) -> None: ...

class SendEventsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_event_pb2.EventResult]
    def __init__(self, results: _Optional[_Iterable[_Union[_event_pb2.EventResult, _Mapping]]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_order_pb2.Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[_order_pb2.Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order", "shipping_address_masked")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_MASKED_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    shipping_address_masked: str
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., shipping_address_masked: _Optional[str] = ...) -> None: ...

class ChatRequest(_message.Message):
    __slots__ = ("input",)
    INPUT_FIELD_NUMBER: _ClassVar[int]
    input: _conversation_pb2.ConversationInput
    def __init__(self, input: _Optional[_Union[_conversation_pb2.ConversationInput, _Mapping]] = ...) -> None: ...

class SupportNotice(_message.Message):
    __slots__ = ("text", "contact_url", "contact_phone", "retry_after_seconds")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_URL_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    text: str
    contact_url: str
    contact_phone: str
    retry_after_seconds: int
    def __init__(self, text: _Optional[str] = ..., contact_url: _Optional[str] = ..., contact_phone: _Optional[str] = ..., retry_after_seconds: _Optional[int] = ...) -> None: ...

class ChatResponse(_message.Message):
    __slots__ = ("event", "notice", "degradations")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FIELD_NUMBER: _ClassVar[int]
    DEGRADATIONS_FIELD_NUMBER: _ClassVar[int]
    event: _conversation_pb2.ConversationEvent
    notice: SupportNotice
    degradations: _containers.RepeatedCompositeFieldContainer[Degradation]
    def __init__(self, event: _Optional[_Union[_conversation_pb2.ConversationEvent, _Mapping]] = ..., notice: _Optional[_Union[SupportNotice, _Mapping]] = ..., degradations: _Optional[_Iterable[_Union[Degradation, _Mapping]]] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("address_id", "label", "recipient_name", "recipient_phone", "address_lines", "city", "region", "postal_code", "country_code", "is_default")
    ADDRESS_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_PHONE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_LINES_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    address_id: str
    label: str
    recipient_name: str
    recipient_phone: str
    address_lines: _containers.RepeatedScalarFieldContainer[str]
    city: str
    region: str
    postal_code: str
    country_code: str
    is_default: bool
    def __init__(self, address_id: _Optional[str] = ..., label: _Optional[str] = ..., recipient_name: _Optional[str] = ..., recipient_phone: _Optional[str] = ..., address_lines: _Optional[_Iterable[str]] = ..., city: _Optional[str] = ..., region: _Optional[str] = ..., postal_code: _Optional[str] = ..., country_code: _Optional[str] = ..., is_default: _Optional[bool] = ...) -> None: ...

class UserProfile(_message.Message):
    __slots__ = ("display_name", "email", "phone", "addresses", "preferences", "consent", "create_time", "update_time")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    email: str
    phone: str
    addresses: _containers.RepeatedCompositeFieldContainer[Address]
    preferences: _account_pb2.UserPreferences
    consent: _account_pb2.Consent
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, display_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., addresses: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., preferences: _Optional[_Union[_account_pb2.UserPreferences, _Mapping]] = ..., consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetProfileRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetProfileResponse(_message.Message):
    __slots__ = ("profile", "degradations")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    DEGRADATIONS_FIELD_NUMBER: _ClassVar[int]
    profile: UserProfile
    degradations: _containers.RepeatedCompositeFieldContainer[Degradation]
    def __init__(self, profile: _Optional[_Union[UserProfile, _Mapping]] = ..., degradations: _Optional[_Iterable[_Union[Degradation, _Mapping]]] = ...) -> None: ...

class UpdateProfileRequest(_message.Message):
    __slots__ = ("profile", "update_mask")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    profile: UserProfile
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, profile: _Optional[_Union[UserProfile, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateProfileResponse(_message.Message):
    __slots__ = ("profile",)
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    profile: UserProfile
    def __init__(self, profile: _Optional[_Union[UserProfile, _Mapping]] = ...) -> None: ...

class GetConsentRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: _account_pb2.Consent
    def __init__(self, consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ...) -> None: ...

class UpdateConsentRequest(_message.Message):
    __slots__ = ("consent", "update_mask")
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    consent: _account_pb2.Consent
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: _account_pb2.Consent
    def __init__(self, consent: _Optional[_Union[_account_pb2.Consent, _Mapping]] = ...) -> None: ...

class ExportMyDataRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExportSummary(_message.Message):
    __slots__ = ("generate_time", "sections", "record_counts")
    class RecordCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    GENERATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNTS_FIELD_NUMBER: _ClassVar[int]
    generate_time: _timestamp_pb2.Timestamp
    sections: _containers.RepeatedScalarFieldContainer[str]
    record_counts: _containers.ScalarMap[str, int]
    def __init__(self, generate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sections: _Optional[_Iterable[str]] = ..., record_counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ExportMyDataResponse(_message.Message):
    __slots__ = ("export_id", "service", "section", "chunk_index", "last_chunk", "content_type", "content", "summary")
    EXPORT_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SECTION_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    LAST_CHUNK_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    export_id: str
    service: str
    section: str
    chunk_index: int
    last_chunk: bool
    content_type: str
    content: bytes
    summary: ExportSummary
    def __init__(self, export_id: _Optional[str] = ..., service: _Optional[str] = ..., section: _Optional[str] = ..., chunk_index: _Optional[int] = ..., last_chunk: _Optional[bool] = ..., content_type: _Optional[str] = ..., content: _Optional[bytes] = ..., summary: _Optional[_Union[ExportSummary, _Mapping]] = ...) -> None: ...

class DeleteMyDataRequest(_message.Message):
    __slots__ = ("confirm",)
    CONFIRM_FIELD_NUMBER: _ClassVar[int]
    confirm: bool
    def __init__(self, confirm: _Optional[bool] = ...) -> None: ...

class DeletionStep(_message.Message):
    __slots__ = ("service", "outcome", "deleted_counts", "complete_time")
    class DeletedCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNTS_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    service: str
    outcome: DeletionStepOutcome
    deleted_counts: _containers.ScalarMap[str, int]
    complete_time: _timestamp_pb2.Timestamp
    def __init__(self, service: _Optional[str] = ..., outcome: _Optional[_Union[DeletionStepOutcome, str]] = ..., deleted_counts: _Optional[_Mapping[str, int]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeletionReceipt(_message.Message):
    __slots__ = ("receipt_id", "request_time", "complete_time", "steps")
    RECEIPT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    receipt_id: str
    request_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    steps: _containers.RepeatedCompositeFieldContainer[DeletionStep]
    def __init__(self, receipt_id: _Optional[str] = ..., request_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[DeletionStep, _Mapping]]] = ...) -> None: ...

class DeleteMyDataResponse(_message.Message):
    __slots__ = ("receipt", "repeated")
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    REPEATED_FIELD_NUMBER: _ClassVar[int]
    receipt: DeletionReceipt
    repeated: bool
    def __init__(self, receipt: _Optional[_Union[DeletionReceipt, _Mapping]] = ..., repeated: _Optional[bool] = ...) -> None: ...
