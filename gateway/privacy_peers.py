"""The real services as privacy participants: protobuf <-> gateway.privacy types over grpc.aio stubs.

Each adapter is made per request: it carries the caller's signed user context (the services check the
subject against it) and the hop's share of the request's deadline.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from gateway.privacy import Erasure, Section
from shared.errors import Unavailable
from shopmesh.profile.v1 import profile_service_pb2 as ppb
from shopmesh.support.v1 import support_service_pb2 as spb
from shopmesh.vault.v1 import vault_service_pb2 as vpb

Metadata = tuple[tuple[str, str], ...]
EXPORT_PURPOSE = "gateway.export_my_data"
DELETE_PURPOSE = "gateway.delete_my_data"


def to_json(message: Message) -> dict[str, Any]:
    """A message in the protobuf JSON mapping (field names as in the proto, unset fields shown with their
    defaults: an export says "CONSENT_STATE_UNSPECIFIED" rather than leaving the user to guess)."""
    doc: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True,
                                                    always_print_fields_with_no_presence=True)
    return doc


def _unavailable(service: str, exc: grpc.aio.AioRpcError) -> Unavailable:
    # The status code only: peers' messages are theirs to word, and never travel to the app.
    return Unavailable(f"{service} answered {exc.code().name}", reason="DEPENDENCY_UNAVAILABLE",
                       domain="shopmesh.gateway", metadata={"dependency": service})


class VaultPeer:
    """The vault: its values in clear and its access log (export); crypto-shredding (delete)."""

    name = "vault"

    def __init__(self, stub: Any, metadata: Metadata, timeout_s: float):
        self.stub, self.metadata, self.timeout_s = stub, metadata, timeout_s

    async def export(self, user_id: str) -> list[Section]:
        """See gateway.privacy.Participant."""
        try:
            reply = await self.stub.ExportSubject(vpb.ExportSubjectRequest(subject_id=user_id,
                                                                           purpose=EXPORT_PURPOSE),
                                                  metadata=self.metadata, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(self.name, exc) from exc
        return [Section("vault", "values", [to_json(r) for r in reply.records]),
                Section("vault", "access_log", [to_json(e) for e in reply.access_log])]

    async def erase(self, user_id: str) -> Erasure:
        """See gateway.privacy.Participant."""
        try:
            reply = await self.stub.ForgetSubject(vpb.ForgetSubjectRequest(subject_id=user_id,
                                                                           purpose=DELETE_PURPOSE),
                                                  metadata=self.metadata, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(self.name, exc) from exc
        return Erasure({"data_keys": reply.destroyed_data_key_count, "values": reply.deleted_value_count,
                        "index_entries": reply.deleted_index_entry_count}, reply.already_forgotten)


class ProfilePeer:
    """Profile: profile, consent, features, orders, events and outbox entries."""

    name = "profile"

    def __init__(self, stub: Any, metadata: Metadata, timeout_s: float):
        self.stub, self.metadata, self.timeout_s = stub, metadata, timeout_s

    async def export(self, user_id: str) -> list[Section]:
        """See gateway.privacy.Participant."""
        profile: list[dict[str, Any]] = []
        consent: list[dict[str, Any]] = []
        features: list[dict[str, Any]] = []
        orders: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        try:
            async for reply in self.stub.ExportUser(ppb.ExportUserRequest(user_id=user_id), metadata=self.metadata,
                                                    timeout=self.timeout_s):
                if reply.HasField("profile"):
                    profile.append(to_json(reply.profile))
                if reply.HasField("consent"):
                    consent.append(to_json(reply.consent))
                if reply.HasField("features"):
                    features.append(to_json(reply.features))
                orders += [to_json(o) for o in reply.orders]
                events += [to_json(e) for e in reply.events]
                outbox += [to_json(e) for e in reply.outbox_entries]
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(self.name, exc) from exc
        return [Section("profile", "profile", profile, single=True),
                Section("profile", "consent", consent, single=True),
                Section("profile", "features", features, single=True),
                Section("profile", "orders", orders), Section("profile", "events", events),
                Section("profile", "outbox_entries", outbox)]

    async def erase(self, user_id: str) -> Erasure:
        """See gateway.privacy.Participant."""
        try:
            reply = await self.stub.DeleteUser(ppb.DeleteUserRequest(user_id=user_id), metadata=self.metadata,
                                               timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(self.name, exc) from exc
        return Erasure({"events": reply.deleted_event_count, "orders": reply.deleted_order_count,
                        "outbox_entries": reply.deleted_outbox_entry_count,
                        "profile": int(reply.deleted_profile), "features": int(reply.deleted_features)},
                       reply.already_deleted)


class SupportPeer:
    """Support: sessions with their redacted transcripts, and hand-offs."""

    name = "support"

    def __init__(self, stub: Any, metadata: Metadata, timeout_s: float):
        self.stub, self.metadata, self.timeout_s = stub, metadata, timeout_s

    async def export(self, user_id: str) -> list[Section]:
        """See gateway.privacy.Participant."""
        try:
            reply = await self.stub.ExportUserSessions(spb.ExportUserSessionsRequest(user_id=user_id),
                                                       metadata=self.metadata, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(self.name, exc) from exc
        return [Section("support", "sessions", [to_json(s) for s in reply.sessions]),
                Section("support", "handoffs", [to_json(h) for h in reply.handoffs])]

    async def erase(self, user_id: str) -> Erasure:
        """See gateway.privacy.Participant."""
        try:
            reply = await self.stub.DeleteUserSessions(spb.DeleteUserSessionsRequest(user_id=user_id),
                                                       metadata=self.metadata, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(self.name, exc) from exc
        return Erasure({"sessions": reply.deleted_session_count, "handoffs": reply.deleted_handoff_count},
                       reply.already_deleted)


class MissingPeer:
    """A service the gateway is not configured to reach: it cannot contribute, so requests stay incomplete."""

    def __init__(self, name: str):
        self.name = name

    async def export(self, user_id: str) -> list[Section]:
        """Always Unavailable: an export without this service would not be complete."""
        raise Unavailable(f"{self.name} is not configured", reason="DEPENDENCY_UNAVAILABLE",
                          domain="shopmesh.gateway", metadata={"dependency": self.name})

    async def erase(self, user_id: str) -> Erasure:
        """Always Unavailable: the deletion cannot be complete without this service."""
        raise Unavailable(f"{self.name} is not configured", reason="DEPENDENCY_UNAVAILABLE",
                          domain="shopmesh.gateway", metadata={"dependency": self.name})
