"""Reading the google.rpc details a failed call carries, for tests of any service."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """Field -> description of the google.rpc.BadRequest detail of a failed call ({} when it has none)."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                bad = error_details_pb2.BadRequest()
                if detail.Unpack(bad):
                    return {v.field: v.description for v in bad.field_violations}
    return {}
