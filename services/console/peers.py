"""The console's peers over the mesh (mTLS as `console`): support (the hand-off queue), profile (the
customer's orders) and the vault (masked context and audited reveals). Calls are turned into plain views
and `ConsoleError`s here, so the desk and the web layer never see gRPC.

Declared purposes (granted to caller `console` in services/vault/policy.yaml, each needing the agent):
- `console.view_customer`: masked forms of the redacted values of a conversation the agent holds.
- `console.reveal_to_verify_identity`, `console.reveal_to_contact_customer`,
  `console.reveal_to_fix_delivery`: one value in clear, on the agent's click, for the reason they chose.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from services.console.views import (
    ConsoleError,
    Entry,
    Handoff,
    OrderLine,
    OrderSummary,
    QueueEvent,
    Revealed,
    Span,
)
from shared.channels import ChannelFactory
from shared.errors import error_info
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.common.v1 import order_pb2, redaction_pb2
from shopmesh.profile.v1 import profile_service_pb2 as ppb
from shopmesh.profile.v1 import profile_service_pb2_grpc as ppb_grpc
from shopmesh.support.v1 import support_service_pb2 as spb
from shopmesh.support.v1 import support_service_pb2_grpc as spb_grpc
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc

ORDERS_PURPOSE = "console.view_orders"
_DOWN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
         grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)


def _as_console_error(exc: grpc.aio.AioRpcError, peer: str) -> ConsoleError:
    """What a failed peer call means to the agent (the peer's message is safe: services never put PII in it)."""
    code, info = exc.code(), error_info(exc)
    if code in _DOWN:
        return ConsoleError(503, "peer_unavailable", peer=peer)
    if code == grpc.StatusCode.NOT_FOUND:
        return ConsoleError(404, "not_found")
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return ConsoleError(403, "forbidden")
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        if info.reason == "ALREADY_TAKEN":
            return ConsoleError(409, "already_taken", taken_by=info.metadata.get("agent_display_name", ""))
        if info.reason == "NOT_ASSIGNED_TO_AGENT":
            return ConsoleError(409, "not_yours")
        if info.reason in ("HANDOFF_CLOSED", "HANDOFF_WITHDRAWN", "ALREADY_CLOSED_DIFFERENTLY"):
            return ConsoleError(409, info.reason.lower())
        return ConsoleError(409, "conflict")
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return ConsoleError(400, "invalid", detail=exc.details() or "")
    return ConsoleError(502, "peer_error", peer=peer)


T = TypeVar("T")


async def _ask(peer: str, call: Awaitable[T]) -> T:
    """The answer of one peer call, or the ConsoleError its failure means."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise _as_console_error(exc, peer) from None


def _time(ts: Timestamp) -> float | None:
    return ts.seconds + ts.nanos / 1e9 if ts.seconds or ts.nanos else None


def _handoff(h: spb.Handoff) -> Handoff:
    return Handoff(
        handoff_id=h.handoff_id, session_id=h.session_id, user_id=h.user_id,
        state=cpb.HandoffState.Name(h.state).removeprefix("HANDOFF_STATE_").lower(),
        reason=cpb.HandoffReason.Name(h.reason.reason).removeprefix("HANDOFF_REASON_").lower(),
        reason_text=h.reason.text, language=h.language_code, intent=h.intent_id,
        sentiment=cpb.Sentiment.Name(h.sentiment).removeprefix("SENTIMENT_").lower(),
        summary=h.summary, created_at=_time(h.create_time) or 0.0, agent_id=h.agent_id,
        assigned_at=_time(h.assign_time), closed_at=_time(h.close_time),
        resolution=spb.Resolution.Name(h.resolution).removeprefix("RESOLUTION_").lower(),
        last_user_message=h.last_user_message)


def _entry(e: spb.TranscriptEntry) -> Entry:
    return Entry(
        sequence=e.sequence, speaker=spb.Speaker.Name(e.speaker).removeprefix("SPEAKER_").lower(), text=e.text,
        spans=tuple(Span(redaction_pb2.PiiEntityType.Name(s.entity_type).removeprefix("PII_ENTITY_TYPE_"),
                         s.start, s.end, s.token) for s in e.spans),
        created_at=_time(e.create_time) or 0.0, agent_id=e.agent_id,
        intent=e.understanding.intent_id if e.HasField("understanding") else "")


def _money(m: object) -> str:
    amount = getattr(m, "amount_micros", 0) / 1e6
    currency = getattr(m, "currency_code", "")
    return f"{amount:,.2f} {currency}".strip()


def _order(o: order_pb2.Order) -> OrderSummary:
    return OrderSummary(
        order_id=o.order_id, status=order_pb2.OrderStatus.Name(o.status).removeprefix("ORDER_STATUS_").lower(),
        placed_at=_time(o.place_time) or 0.0, total=_money(o.total),
        lines=tuple(OrderLine(line.title or line.item_id, line.quantity) for line in o.lines),
        refunds=len(o.refunds))


RESOLUTIONS = {"resolved": spb.RESOLUTION_RESOLVED, "follow_up": spb.RESOLUTION_FOLLOW_UP,
               "customer_unresponsive": spb.RESOLUTION_CUSTOMER_UNRESPONSIVE, "invalid": spb.RESOLUTION_INVALID}
_EVENT_KINDS = {spb.HANDOFF_EVENT_KIND_SNAPSHOT: "snapshot", spb.HANDOFF_EVENT_KIND_SNAPSHOT_END: "snapshot_end",
                spb.HANDOFF_EVENT_KIND_CREATED: "created", spb.HANDOFF_EVENT_KIND_TAKEN: "taken",
                spb.HANDOFF_EVENT_KIND_USER_MESSAGE: "user_message",
                spb.HANDOFF_EVENT_KIND_AGENT_MESSAGE: "agent_message", spb.HANDOFF_EVENT_KIND_CLOSED: "closed",
                spb.HANDOFF_EVENT_KIND_WITHDRAWN: "withdrawn"}


@dataclass
class Peers:
    """Stubs of support, profile and the vault on the console's mesh channels."""

    support: spb_grpc.SupportServiceStub
    profile: ppb_grpc.ProfileServiceStub
    vault: vpb_grpc.VaultServiceStub
    timeout_s: float

    @classmethod
    def connect(cls, factory: ChannelFactory, support_address: str, profile_address: str, vault_address: str,
                timeout_ms: int) -> Peers:
        support = factory.channel(support_address, "support", [spb.DESCRIPTOR.services_by_name["SupportService"]])
        profile = factory.channel(profile_address, "profile", [ppb.DESCRIPTOR.services_by_name["ProfileService"]])
        vault = factory.channel(vault_address, "vault", [vpb.DESCRIPTOR.services_by_name["VaultService"]])
        return cls(spb_grpc.SupportServiceStub(support), ppb_grpc.ProfileServiceStub(profile),
                   vpb_grpc.VaultServiceStub(vault), timeout_ms / 1000)

    async def list_queue(self, agent_id: str = "") -> list[Handoff]:
        """Waiting and assigned hand-offs, longest waiting first (every page)."""
        handoffs: list[Handoff] = []
        token = ""
        try:
            while True:
                page = await self.support.ListHandoffs(spb.ListHandoffsRequest(
                    agent_id=agent_id, page_size=200, page_token=token), timeout=self.timeout_s)
                handoffs.extend(_handoff(h) for h in page.handoffs)
                token = page.next_page_token
                if not token or len(handoffs) >= 1000:
                    return handoffs
        except grpc.aio.AioRpcError as exc:
            raise _as_console_error(exc, "support") from None

    async def get_handoff(self, handoff_id: str) -> tuple[Handoff, list[Entry]]:
        """A hand-off and its redacted transcript."""
        got = await _ask("support", self.support.GetHandoff(spb.GetHandoffRequest(handoff_id=handoff_id),
                                                             timeout=self.timeout_s))
        return _handoff(got.handoff), [_entry(e) for e in got.transcript]

    async def take(self, handoff_id: str, agent_id: str, display_name: str) -> Handoff:
        got = await _ask("support", self.support.TakeHandoff(spb.TakeHandoffRequest(
            handoff_id=handoff_id, agent_id=agent_id, agent_display_name=display_name), timeout=self.timeout_s))
        return _handoff(got.handoff)

    async def reply(self, handoff_id: str, agent_id: str, text: str, client_message_id: str) -> tuple[Entry, bool]:
        got = await _ask("support", self.support.AgentReply(spb.AgentReplyRequest(
            handoff_id=handoff_id, agent_id=agent_id, text=text, client_message_id=client_message_id),
            timeout=self.timeout_s))
        return _entry(got.entry), got.delivered_live

    async def close(self, handoff_id: str, agent_id: str, resolution: str, note: str) -> Handoff:
        got = await _ask("support", self.support.CloseHandoff(spb.CloseHandoffRequest(
            handoff_id=handoff_id, agent_id=agent_id, resolution=RESOLUTIONS[resolution], note=note),
            timeout=self.timeout_s))
        return _handoff(got.handoff)

    async def watch(self, agent_id: str) -> AsyncIterator[QueueEvent]:
        """The queue's live events (snapshot first), with the messages of hand-offs the agent holds."""
        call = self.support.WatchHandoffs(spb.WatchHandoffsRequest(agent_id=agent_id))
        try:
            async for event in call:
                yield QueueEvent(_EVENT_KINDS.get(event.kind, "unknown"),
                                 event.handoff.handoff_id if event.HasField("handoff") else "",
                                 _entry(event.entry) if event.HasField("entry") else None)
        except grpc.aio.AioRpcError as exc:
            raise _as_console_error(exc, "support") from None
        finally:
            call.cancel()

    async def recent_orders(self, user_id: str, agent_id: str, count: int) -> list[OrderSummary]:
        """The customer's newest orders, asked for on the agent's behalf."""
        if count == 0:
            return []
        got = await _ask("profile", self.profile.ListOrders(ppb.ListOrdersRequest(
            user_id=user_id, page_size=count, acting_agent_id=agent_id, purpose=ORDERS_PURPOSE),
            timeout=self.timeout_s))
        return [_order(o) for o in got.orders]

    async def detokenize(self, tokens: list[str], agent_id: str, purpose: str, clear: bool) -> list[Revealed]:
        """The vault's answer for tokens: masked always, clear only when asked and the policy allows it."""
        if not tokens:
            return []
        disclosure = vpb.DISCLOSURE_CLEAR if clear else vpb.DISCLOSURE_MASKED
        got = await _ask("vault", self.vault.Detokenize(vpb.DetokenizeRequest(
            tokens=tokens, purpose=purpose, max_disclosure=disclosure, acting_agent_id=agent_id),
            timeout=self.timeout_s))
        return [Revealed(v.token, v.masked_value, v.value if v.disclosure == vpb.DISCLOSURE_CLEAR else "")
                for v in got.values]
