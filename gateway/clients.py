"""The gateway's downstream stubs, each behind a circuit breaker and given a share of the request's budget."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Mapping
from typing import Any

import grpc

from gateway.breaker import CircuitBreaker
from gateway.degradation import PeerDown
from gateway.settings import GatewaySettings
from shared.channels import ChannelFactory
from shopmesh.embedding.v1 import embedding_service_pb2 as embedding_pb
from shopmesh.embedding.v1 import embedding_service_pb2_grpc as embedding_grpc
from shopmesh.gateway.v1 import gateway_service_pb2 as gw_pb
from shopmesh.profile.v1 import profile_service_pb2 as profile_pb
from shopmesh.profile.v1 import profile_service_pb2_grpc as profile_grpc
from shopmesh.ranking.v1 import ranking_service_pb2 as ranking_pb
from shopmesh.ranking.v1 import ranking_service_pb2_grpc as ranking_grpc
from shopmesh.retrieval.v1 import retrieval_service_pb2 as retrieval_pb
from shopmesh.retrieval.v1 import retrieval_service_pb2_grpc as retrieval_grpc
from shopmesh.support.v1 import support_service_pb2 as support_pb
from shopmesh.support.v1 import support_service_pb2_grpc as support_grpc
from shopmesh.vault.v1 import vault_service_pb2 as vault_pb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vault_grpc

budget_end_var: contextvars.ContextVar[float | None] = contextvars.ContextVar("gateway_budget_end", default=None)
"""Monotonic time the current request's budget ends (set by the servicer per RPC)."""

MIN_HOP_S = 0.005
_PEERS: Mapping[str, tuple[Any, Any]] = {
    "profile": (profile_grpc.ProfileServiceStub, profile_pb.DESCRIPTOR.services_by_name["ProfileService"]),
    "retrieval": (retrieval_grpc.RetrievalServiceStub, retrieval_pb.DESCRIPTOR.services_by_name["RetrievalService"]),
    "ranking": (ranking_grpc.RankingServiceStub, ranking_pb.DESCRIPTOR.services_by_name["RankingService"]),
    "support": (support_grpc.SupportServiceStub, support_pb.DESCRIPTOR.services_by_name["SupportService"]),
    "vault": (vault_grpc.VaultServiceStub, vault_pb.DESCRIPTOR.services_by_name["VaultService"]),
    "embedding": (embedding_grpc.EmbeddingServiceStub, embedding_pb.DESCRIPTOR.services_by_name["EmbeddingService"]),
}
# Codes that say the peer (not the request) is at fault: they count against its circuit and degrade.
_PEER_FAULTS = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
                grpc.StatusCode.UNKNOWN, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNIMPLEMENTED,
                grpc.StatusCode.CANCELLED, grpc.StatusCode.DATA_LOSS}


def _cause(code: grpc.StatusCode) -> int:
    if code == grpc.StatusCode.UNAVAILABLE:
        return gw_pb.DEGRADATION_CAUSE_UNAVAILABLE
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return gw_pb.DEGRADATION_CAUSE_DEADLINE_EXCEEDED
    return gw_pb.DEGRADATION_CAUSE_ERROR


class Downstreams:
    """Stubs of every configured peer (None when a peer's address is not configured) and their breakers.

    `call` is the one way the gateway's orchestration reaches a peer: it checks the breaker, gives the hop its
    share of the remaining budget, attaches the caller's signed user context and turns peer faults into
    PeerDown. Retries come from the kit's channel service config, for idempotent methods only.
    """

    def __init__(self, channels: ChannelFactory, settings: GatewaySettings):
        self._channels = channels
        self._default_budget_s = settings.feed_deadline_ms / 1000
        self.breakers: dict[str, CircuitBreaker] = {}
        self._stubs: dict[str, Any] = {}
        for peer, (stub_cls, service) in _PEERS.items():
            address = getattr(settings, f"{peer}_address")
            if address:
                self._stubs[peer] = stub_cls(channels.channel(address, peer, [service]))
                self.breakers[peer] = CircuitBreaker(settings.breaker_failures, settings.breaker_open_seconds)
        self.profile = self._stubs.get("profile")
        self.retrieval = self._stubs.get("retrieval")
        self.ranking = self._stubs.get("ranking")
        self.support = self._stubs.get("support")
        self.vault = self._stubs.get("vault")
        self.embedding = self._stubs.get("embedding")

    def remaining(self) -> float:
        """Seconds left of the current request's budget."""
        end = budget_end_var.get()
        if end is None:
            return self._default_budget_s
        return max(end - time.monotonic(), 0.0)

    def timeout(self, context: Any, share: float) -> float:
        """A hop's share of the request's remaining budget (also capped by the caller's own deadline)."""
        remaining = self.remaining()
        if context is not None:
            caller_left = context.time_remaining()
            if caller_left is not None:
                remaining = min(remaining, caller_left)
        return max(remaining * share, MIN_HOP_S)

    def configured(self, peer: str) -> bool:
        """Whether the peer has an address."""
        return peer in self._stubs

    def _usable(self, peer: str) -> tuple[Any, CircuitBreaker]:
        """(stub, breaker) of a configured peer whose circuit lets a call through; PeerDown otherwise."""
        stub = self._stubs.get(peer)
        if stub is None:
            raise PeerDown(peer, gw_pb.DEGRADATION_CAUSE_UNAVAILABLE, f"{peer}: not configured")
        breaker = self.breakers[peer]
        if not breaker.allow():
            raise PeerDown(peer, gw_pb.DEGRADATION_CAUSE_CIRCUIT_OPEN,
                           f"{peer}: circuit open for {breaker.open_for():.1f} s")
        return stub, breaker

    async def call(self, peer: str, method: str, request: Any, metadata: tuple[tuple[str, str], ...] = (),
                   *, share: float = 0.5, context: Any = None) -> Any:
        """Calls `peer.method(request)`; raises PeerDown for a missing, open, failing or slow peer.

        Errors that are the request's fault (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED...) are
        re-raised as grpc.aio.AioRpcError for the caller to map.
        """
        stub, breaker = self._usable(peer)
        timeout = self.timeout(context, share)
        try:
            response = await getattr(stub, method)(request, timeout=timeout, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _PEER_FAULTS:
                breaker.record(False)
                raise PeerDown(peer, _cause(exc.code()), f"{peer}.{method}: {exc.code().name.lower()}") from exc
            breaker.record(True)
            raise
        except TimeoutError as exc:
            breaker.record(False)
            raise PeerDown(peer, gw_pb.DEGRADATION_CAUSE_DEADLINE_EXCEEDED, f"{peer}.{method}: timeout") from exc
        breaker.record(True)
        return response

    def stream(self, peer: str, method: str, metadata: tuple[tuple[str, str], ...] = ()) -> Any:
        """Opens a streaming call (no deadline: conversations are long-lived); PeerDown when unusable."""
        stub, _ = self._usable(peer)
        return getattr(stub, method)(metadata=metadata)

    async def close(self) -> None:
        """Closes the channels."""
        await self._channels.close()
