from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class PiiEntityType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PII_ENTITY_TYPE_UNSPECIFIED: _ClassVar[PiiEntityType]
    PII_ENTITY_TYPE_EMAIL: _ClassVar[PiiEntityType]
    PII_ENTITY_TYPE_PHONE: _ClassVar[PiiEntityType]
    PII_ENTITY_TYPE_CREDIT_CARD: _ClassVar[PiiEntityType]
    PII_ENTITY_TYPE_CN_ID: _ClassVar[PiiEntityType]
    PII_ENTITY_TYPE_IBAN: _ClassVar[PiiEntityType]
    PII_ENTITY_TYPE_IP_ADDRESS: _ClassVar[PiiEntityType]
PII_ENTITY_TYPE_UNSPECIFIED: PiiEntityType
PII_ENTITY_TYPE_EMAIL: PiiEntityType
PII_ENTITY_TYPE_PHONE: PiiEntityType
PII_ENTITY_TYPE_CREDIT_CARD: PiiEntityType
PII_ENTITY_TYPE_CN_ID: PiiEntityType
PII_ENTITY_TYPE_IBAN: PiiEntityType
PII_ENTITY_TYPE_IP_ADDRESS: PiiEntityType
