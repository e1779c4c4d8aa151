"""A synchronous client of the gateway as the app uses it: TLS to the gateway, `authorization: Bearer`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from gateway.auth import mint_token
from shared.tls import TlsFiles, channel_credentials
from shopmesh.certs import DEV_JWT_PRIVATE, ensure_certs
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.gateway.v1 import gateway_service_pb2_grpc as pb_grpc
from shopmesh.mesh import Supervisor

REPO = Path(__file__).resolve().parents[2]
APP_IDENTITY = "cli"
"""The client certificate the tests dial the gateway with (the gateway's port is mTLS like every service's)."""


class GatewayClient:
    """Stub + tokens for the mesh's gateway."""

    def __init__(self, address: str, certs: Path):
        ensure_certs(certs, (APP_IDENTITY,))
        credentials = channel_credentials(TlsFiles.in_dir(certs, APP_IDENTITY))
        self.certs = certs
        self.address = address
        self.channel = grpc.secure_channel(address, credentials,
                                           options=[("grpc.ssl_target_name_override", "gateway")])
        self.stub = pb_grpc.GatewayServiceStub(self.channel)

    @classmethod
    def for_mesh(cls, mesh: Supervisor) -> GatewayClient:
        """The client of a running mesh's gateway."""
        service = next(s for s in mesh.running if s.name == "gateway")
        return cls(f"127.0.0.1:{service.port}", mesh.certs_dir)

    def token(self, user_id: str, **kwargs: Any) -> str:
        """A development token for the user."""
        return mint_token(self.certs / DEV_JWT_PRIVATE, user_id, **kwargs)

    def md(self, user_id: str) -> tuple[tuple[str, str], ...]:
        """Call metadata with the user's bearer token."""
        return (("authorization", f"Bearer {self.token(user_id)}"),)

    def close(self) -> None:
        """Closes the channel."""
        self.channel.close()


def status_details(exc: grpc.RpcError) -> list[Any]:
    """The google.rpc details of a failed call, unpacked (ErrorInfo, BadRequest, RetryInfo)."""
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            out = []
            for any_ in status.details:
                for cls in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest, error_details_pb2.RetryInfo):
                    if any_.Is(cls.DESCRIPTOR):
                        msg = cls()
                        any_.Unpack(msg)
                        out.append(msg)
            return out
    return []


def reason_of(exc: grpc.RpcError) -> str:
    """ErrorInfo.reason of a failed call ('' when none)."""
    return next((d.reason for d in status_details(exc) if isinstance(d, error_details_pb2.ErrorInfo)), "")


def wait_until(check: Callable[[], bool], timeout_s: float, interval_s: float = 0.5) -> bool:
    """Polls `check` until it is true or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval_s)
    return check()


def feed(client: GatewayClient, user_id: str, **fields: Any) -> pb.GetHomeFeedResponse:
    """One GetHomeFeed call with a 2 s deadline."""
    response: pb.GetHomeFeedResponse = client.stub.GetHomeFeed(pb.GetHomeFeedRequest(**fields),
                                                               metadata=client.md(user_id), timeout=2.0)
    return response
