"""A peer's error that is the request's fault (NOT_FOUND, INVALID_ARGUMENT...) relayed to the app as is."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from grpc_status import rpc_status

from shared.errors import DomainError


class RelayedError(DomainError):
    """A downstream status passed on with its code, message and google.rpc details."""

    def __init__(self, code: grpc.StatusCode, message: str, details: list[any_pb2.Any]):
        super().__init__(message)
        self.code = code
        self._details = details

    def details(self) -> list[any_pb2.Any]:
        return list(self._details)


def relay(exc: grpc.aio.AioRpcError) -> DomainError:
    """The DomainError that answers the app with the peer's status."""
    status = rpc_status.from_call(exc)
    details = list(status.details) if status is not None else []
    return RelayedError(exc.code(), exc.details() or exc.code().name.lower(), details)
