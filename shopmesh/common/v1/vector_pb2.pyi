from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Vector(_message.Message):
    __slots__ = ("vector_space", "vector_space_version", "dimension", "values_f32le")
    VECTOR_SPACE_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SPACE_VERSION_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    VALUES_F32LE_FIELD_NUMBER: _ClassVar[int]
    vector_space: str
    vector_space_version: str
    dimension: int
    values_f32le: bytes
    def __init__(self, vector_space: _Optional[str] = ..., vector_space_version: _Optional[str] = ..., dimension: _Optional[int] = ..., values_f32le: _Optional[bytes] = ...) -> None: ...
