"""Degradations: which dependency failed, how, and what was served instead (mirrors gateway.v1.Degradation)."""

from __future__ import annotations

from dataclasses import dataclass

from shopmesh.gateway.v1 import gateway_service_pb2 as pb

DEPENDENCIES = {
    "profile": pb.DEPENDENCY_PROFILE, "embedding": pb.DEPENDENCY_EMBEDDING, "retrieval": pb.DEPENDENCY_RETRIEVAL,
    "ranking": pb.DEPENDENCY_RANKING, "support": pb.DEPENDENCY_SUPPORT, "vault": pb.DEPENDENCY_VAULT,
}


class PeerDown(Exception):
    """A downstream call failed in a way the gateway degrades around (down, slow, circuit open, error)."""

    def __init__(self, peer: str, cause: int, detail: str):
        super().__init__(f"{peer}: {detail}")
        self.peer = peer
        self.cause = cause
        self.detail = detail


@dataclass(frozen=True)
class Degraded:
    """One degradation of a response."""

    peer: str
    cause: int
    fallback: int
    detail: str

    @classmethod
    def of(cls, down: PeerDown, fallback: int) -> Degraded:
        """The degradation for a failed peer and what replaced it."""
        return cls(down.peer, down.cause, fallback, down.detail)

    def to_proto(self) -> pb.Degradation:
        """As gateway.v1.Degradation."""
        return pb.Degradation(dependency=DEPENDENCIES.get(self.peer, pb.DEPENDENCY_UNSPECIFIED),
                              cause=pb.DegradationCause.ValueType(self.cause),
                              fallback=pb.Fallback.ValueType(self.fallback), detail=self.detail[:200])
