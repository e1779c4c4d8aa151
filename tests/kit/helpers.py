"""Small helpers for the kit's tests: stubs over the mesh channel factory."""

from __future__ import annotations

import grpc
from kittest.v1 import echo_pb2, echo_pb2_grpc

from shared.channels import ChannelFactory
from shared.tls import TlsFiles

ECHO_SERVICE = echo_pb2.DESCRIPTOR.services_by_name["EchoService"]


def echo_stub(factory: ChannelFactory, port: int) -> echo_pb2_grpc.EchoServiceStub:
    """A stub to an echo server on 127.0.0.1:port that must present identity `kittest`."""
    return echo_pb2_grpc.EchoServiceStub(factory.channel(f"127.0.0.1:{port}", "kittest", [ECHO_SERVICE]))


def raw_channel(port: int, tls: TlsFiles | None) -> grpc.aio.Channel:
    """A channel without the mesh's interceptors or retries (to probe the server itself)."""
    if tls is None:
        return grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    ca, chain, key = tls.read()
    creds = grpc.ssl_channel_credentials(ca, key, chain)
    return grpc.aio.secure_channel(f"127.0.0.1:{port}", creds, options=[("grpc.ssl_target_name_override", "kittest")])
