"""Domain exceptions every service raises, and their mapping to gRPC status codes with google.rpc details.

Domain code raises these without importing grpc; the kit's server interceptor turns them into statuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request: the field path (e.g. `events[3].event_time`) and why."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every error a service means to show its caller; the message is safe to return (no PII)."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    reason: str = ""
    domain: str = "shopmesh"

    def __init__(self, message: str, *, reason: str | None = None, metadata: Mapping[str, str] | None = None,
                 domain: str | None = None):
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        if domain is not None:
            self.domain = domain
        self.metadata = dict(metadata or {})

    def details(self) -> list[any_pb2.Any]:
        """google.rpc detail messages attached to the status; subclasses add their own."""
        if not self.reason:
            return []
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=self.domain, metadata=self.metadata)
        packed = any_pb2.Any()
        packed.Pack(info)
        return [packed]

    def to_status(self) -> status_pb2.Status:
        """The google.rpc.Status carried in the grpc-status-details-bin trailer."""
        code_value = self.code.value[0]
        return status_pb2.Status(code=code_value, message=self.message, details=self.details())


class InvalidArgument(DomainError):
    """The request is malformed; carries google.rpc.BadRequest field violations."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, message: str, violations: Iterable[FieldViolation] = (), **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.violations = list(violations)

    def details(self) -> list[any_pb2.Any]:
        details = super().details()
        if self.violations:
            bad = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in self.violations
                ]
            )
            packed = any_pb2.Any()
            packed.Pack(bad)
            details.append(packed)
        return details


class NotFound(DomainError):
    """The named entity does not exist (or no longer exists)."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    """The entity to create exists already."""

    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    """The system is not in a state for this operation (e.g. cancelling a shipped order)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(DomainError):
    """A concurrency conflict: someone else won (e.g. two agents take the same conversation)."""

    code = grpc.StatusCode.ABORTED


class PermissionDenied(DomainError):
    """The caller is known but not allowed this (service identity × purpose × subject)."""

    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(DomainError):
    """The caller's credentials (JWT, user context, certificate) are missing or invalid."""

    code = grpc.StatusCode.UNAUTHENTICATED


class ResourceExhausted(DomainError):
    """A rate or size limit was hit; carries google.rpc.RetryInfo when retrying later can help."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, retry_after_seconds: float | None = None, **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after_seconds = retry_after_seconds

    def details(self) -> list[any_pb2.Any]:
        details = super().details()
        if self.retry_after_seconds is not None:
            delay = duration_pb2.Duration()
            delay.FromMilliseconds(int(self.retry_after_seconds * 1000))
            packed = any_pb2.Any()
            packed.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
            details.append(packed)
        return details


class Unavailable(DomainError):
    """A dependency is down; the caller may retry or degrade."""

    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(DomainError):
    """Stored data failed its integrity check (e.g. a ciphertext moved to another row); never retried."""

    code = grpc.StatusCode.DATA_LOSS


class DeadlineExceeded(DomainError):
    """The request's deadline budget ran out."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


INTERNAL_MESSAGE = "internal error"
"""The only text an unexpected exception ever shows a caller; details stay in the server log."""

_ = code_pb2  # google.rpc.Code values equal grpc.StatusCode values; imported for readers of this module.


def error_info(exc: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    """The google.rpc.ErrorInfo a failed call carries (reason, metadata), or an empty one."""
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info
    return error_details_pb2.ErrorInfo()
