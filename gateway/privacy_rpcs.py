"""The gateway's consent and privacy RPCs (GetConsent, UpdateConsent, ExportMyData, DeleteMyData) as a mixin.

GatewayServicer inherits PrivacyRpcs and provides `authenticate`, `clients`, `consent` and `user_caches` (see
docs/privacy.md); the orchestration itself is gateway/privacy.py, the peers' adapters gateway/privacy_peers.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.privacy import (
    ExportLimiter,
    GatewayCaches,
    Participant,
    PrivacyRequests,
    ReceiptStore,
    RedisReceiptStore,
    SqliteReceiptStore,
)
from gateway.privacy_peers import MissingPeer, ProfilePeer, SupportPeer, VaultPeer
from shared.errors import FieldViolation, InvalidArgument, Unavailable
from shopmesh import paths
from shopmesh.common.v1 import account_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as gpb
from shopmesh.profile.v1 import profile_service_pb2 as ppb

if TYPE_CHECKING:
    from gateway.auth import Caller

CONSENT_FIELDS = ("personalization", "marketing")
DECIDED = (account_pb2.CONSENT_STATE_GRANTED, account_pb2.CONSENT_STATE_DENIED)


class PrivacySettings(BaseSettings):
    """The privacy part of the gateway's settings (same env prefix, SHOPMESH_GATEWAY_)."""

    model_config = SettingsConfigDict(env_prefix="SHOPMESH_GATEWAY_", extra="ignore", frozen=True)

    receipts_file: Path | None = Field(default=None, description="SQLite file of deletion receipts (embedded default); "
                                       "unset: $SHOPMESH_HOME/gateway/privacy.sqlite. Ignored with redis_url.")
    redis_url: str | None = Field(default=None, description="Redis shared by replicas; receipts go there when set.")
    redis_prefix: str = Field(default="shopmesh:gateway:", description="Prefix of every Redis key the gateway writes.")
    export_interval_seconds: float = Field(default=3600.0, ge=0, description="One export per user per this long "
                                           "(0: no limit).")
    privacy_deadline_ms: int = Field(default=10_000, gt=0, description="Budget of one privacy request's "
                                     "calls to a peer (capped by the caller's deadline).")


def build_privacy(settings: PrivacySettings) -> PrivacyRequests:
    """The orchestration with its receipt store and export limit."""
    store: ReceiptStore
    if settings.redis_url:
        store = RedisReceiptStore(settings.redis_url, settings.redis_prefix + "receipt:")
    else:
        store = SqliteReceiptStore(settings.receipts_file or paths.home() / "gateway" / "privacy.sqlite")
    return PrivacyRequests(store, ExportLimiter(settings.export_interval_seconds))


def _bad(field: str, reason: str, description: str) -> InvalidArgument:
    return InvalidArgument("invalid request", [FieldViolation(field, f"{reason}: {description}")], reason=reason,
                           domain="shopmesh.gateway", metadata={field: reason})


def _profile_down(exc: grpc.aio.AioRpcError) -> Unavailable:
    return Unavailable(f"profile answered {exc.code().name}; retry later", reason="DEPENDENCY_UNAVAILABLE",
                       domain="shopmesh.gateway", metadata={"dependency": "profile"})


class PrivacyRpcs:
    """GetConsent, UpdateConsent, ExportMyData and DeleteMyData over profile, support, the vault and the
    gateway's own caches (grpc.aio signatures of GatewayServiceServicer)."""

    if TYPE_CHECKING:
        clients: Any
        consent: Any
        user_caches: list[Any]

        async def authenticate(self, context: grpc.aio.ServicerContext) -> Caller: ...

    _privacy_settings: PrivacySettings | None = None
    _privacy_requests: PrivacyRequests | None = None

    # --- plumbing --------------------------------------------------------------------------------------------

    @property
    def privacy(self) -> PrivacyRequests:
        """The orchestration (built on first use from PrivacySettings unless the host set one)."""
        if self._privacy_requests is None:
            self._privacy_requests = build_privacy(self._privacy_config)
        return self._privacy_requests

    @property
    def _privacy_config(self) -> PrivacySettings:
        if self._privacy_settings is None:
            self._privacy_settings = PrivacySettings()
        return self._privacy_settings

    def _hop_s(self, context: grpc.aio.ServicerContext) -> float:
        budget = self._privacy_config.privacy_deadline_ms / 1000
        left = context.time_remaining()
        return max(min(budget, left) if left is not None else budget, 0.01)

    def _participants(self, caller: Caller, context: grpc.aio.ServicerContext) -> list[Participant]:
        """Every holder of user data in deletion order: the vault first, the gateway's caches last."""
        hop = self._hop_s(context)
        peers: list[Participant] = []
        for name, kind in (("vault", VaultPeer), ("profile", ProfilePeer), ("support", SupportPeer)):
            stub = getattr(self.clients, name, None)
            peers.append(MissingPeer(name) if stub is None else kind(stub, caller.metadata, hop))
        peers.append(GatewayCaches([*self.user_caches, self.privacy.limiter]))
        return peers

    def _profile(self) -> Any:
        stub = self.clients.profile
        if stub is None:
            raise Unavailable("profile is not configured", reason="DEPENDENCY_UNAVAILABLE",
                              domain="shopmesh.gateway", metadata={"dependency": "profile"})
        return stub

    async def _forget_personal_caches(self, user_id: str) -> None:
        """Drops what a withdrawal of consent makes stale; the rate-limit state stays (toggling consent must
        not refill a user's bucket)."""
        self.consent.invalidate(user_id)
        rate_limiter = getattr(self, "_limiter", None)
        for cache in self.user_caches:
            if cache is not rate_limiter:
                await cache.forget_user(user_id)

    # --- consent ---------------------------------------------------------------------------------------------

    async def GetConsent(self, request: gpb.GetConsentRequest,
                         context: grpc.aio.ServicerContext) -> gpb.GetConsentResponse:
        """The user's consent decisions, from profile."""
        caller = await self.authenticate(context)
        try:
            reply = await self._profile().GetConsent(ppb.GetConsentRequest(user_id=caller.user_id),
                                                     metadata=caller.metadata, timeout=self._hop_s(context))
        except grpc.aio.AioRpcError as exc:
            raise _profile_down(exc) from exc
        return gpb.GetConsentResponse(consent=reply.consent)

    async def UpdateConsent(self, request: gpb.UpdateConsentRequest,
                            context: grpc.aio.ServicerContext) -> gpb.UpdateConsentResponse:
        """Sets the masked decisions in profile; withdrawing personalisation also drops the user's caches."""
        caller = await self.authenticate(context)
        paths_ = list(request.update_mask.paths)
        if not paths_:
            raise _bad("update_mask", "REQUIRED", "name the decisions to change: personalization, marketing")
        unknown = [p for p in paths_ if p not in CONSENT_FIELDS]
        if unknown:
            raise _bad("update_mask", "UNKNOWN_FIELD", f"unknown: {', '.join(sorted(unknown))[:200]}")
        for name in CONSENT_FIELDS:
            if name in paths_ and getattr(request.consent, name) not in DECIDED:
                raise _bad(f"consent.{name}", "UNSPECIFIED", "a decision is GRANTED or DENIED")
        try:
            reply = await self._profile().UpdateConsent(
                ppb.UpdateConsentRequest(user_id=caller.user_id, consent=request.consent,
                                         update_mask=request.update_mask),
                metadata=caller.metadata, timeout=self._hop_s(context))
        except grpc.aio.AioRpcError as exc:
            raise _profile_down(exc) from exc
        if reply.consent.personalization != account_pb2.CONSENT_STATE_GRANTED:
            await self._forget_personal_caches(caller.user_id)  # no personalised feed may outlive the withdrawal
        else:
            self.consent.invalidate(caller.user_id)
        return gpb.UpdateConsentResponse(consent=reply.consent)

    # --- privacy requests ------------------------------------------------------------------------------------

    async def ExportMyData(self, request: gpb.ExportMyDataRequest,
                           context: grpc.aio.ServicerContext) -> AsyncIterator[gpb.ExportMyDataResponse]:
        """Every service's data about the user, assembled completely before the first message is sent."""
        caller = await self.authenticate(context)
        export_id, chunks, summary = await self.privacy.export(caller.user_id, self._participants(caller, context))
        for n, chunk in enumerate(chunks):
            message = gpb.ExportMyDataResponse(
                export_id=export_id, service=chunk.service, section=chunk.section, chunk_index=chunk.chunk_index,
                last_chunk=chunk.last_chunk, content_type="application/json", content=chunk.content)
            if n == len(chunks) - 1:
                message.summary.generate_time.FromMicroseconds(summary.generate_us)
                message.summary.sections.extend(summary.sections)
                message.summary.record_counts.update(summary.record_counts)
            yield message

    async def DeleteMyData(self, request: gpb.DeleteMyDataRequest,
                           context: grpc.aio.ServicerContext) -> gpb.DeleteMyDataResponse:
        """Deletes the user's data in every service and the gateway's caches; returns the receipt."""
        caller = await self.authenticate(context)
        if not request.confirm:
            raise _bad("confirm", "REQUIRED", "must be true: the user confirmed that everything is deleted")
        try:
            receipt, repeated = await self.privacy.delete(caller.user_id, self._participants(caller, context))
        finally:
            self.consent.invalidate(caller.user_id)
        reply = gpb.DeleteMyDataResponse(repeated=repeated)
        reply.receipt.receipt_id = receipt.receipt_id
        reply.receipt.request_time.FromMicroseconds(receipt.request_us)
        reply.receipt.complete_time.FromMicroseconds(receipt.complete_us)
        for step in receipt.steps:
            done = reply.receipt.steps.add(service=step.service, outcome=int(step.outcome))
            done.deleted_counts.update(step.counts)
            done.complete_time.FromMicroseconds(step.complete_us)
        return reply
