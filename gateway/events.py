"""SendEvents: the gateway's checks (impression signatures, server-only types, sizes), consent, vault
redaction of search queries, then one profile.IngestEvents call."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc

from gateway.consent import ConsentCache
from gateway.degradation import PeerDown
from gateway.errors import relay
from gateway.impressions import ImpressionSigner
from shared.errors import FieldViolation, InvalidArgument, Unavailable
from shopmesh.common.v1 import event_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.profile.v1 import profile_service_pb2 as profile_pb
from shopmesh.vault.v1 import vault_service_pb2 as vault_pb

E = event_pb2
MAX_FUTURE_S = 300
MAX_AGE_S = 7 * 86400
MAX_QUERY_CODE_POINTS = 256


def _violation(field: str, reason: str, description: str) -> event_pb2.FieldViolation:
    return event_pb2.FieldViolation(field=field, reason=reason, description=description)


class EventsIntake:
    """Validates, filters and forwards the app's event batches."""

    def __init__(self, clients: Any, consent: ConsentCache, impressions: ImpressionSigner, default_catalog: str,
                 max_events: int = 100):
        self._clients = clients
        self._consent = consent
        self._impressions = impressions
        self._default_catalog = default_catalog
        self._max_events = max_events

    def _check(self, index: int, event: pb.ClientEvent, user_id: str, now: float) -> list[E.FieldViolation]:
        p = f"events[{index}]"
        out = []
        if not event.client_event_id:
            out.append(_violation(f"{p}.client_event_id", "REQUIRED", "a client-generated UUID"))
        if event.event_type == E.EVENT_TYPE_UNSPECIFIED:
            out.append(_violation(f"{p}.event_type", "UNSPECIFIED", "set the event type"))
        elif event.event_type == E.EVENT_TYPE_IMPRESSION:
            out.append(_violation(f"{p}.event_type", "SERVER_ONLY", "impressions are logged by the gateway"))
        if not event.HasField("event_time"):
            out.append(_violation(f"{p}.event_time", "REQUIRED", "when it happened"))
        elif not 0 <= event.event_time.nanos < 1_000_000_000:
            out.append(_violation(f"{p}.event_time", "INVALID_TIMESTAMP", "nanos must be in [0, 999999999]"))
        else:
            # Plain arithmetic: ToNanoseconds() raises on a time outside years 1-9999, which a client may send.
            at = event.event_time.seconds + event.event_time.nanos / 1e9
            if at > now + MAX_FUTURE_S:
                out.append(_violation(f"{p}.event_time", "EVENT_TIME_IN_FUTURE", "over 5 minutes ahead"))
            elif at < now - MAX_AGE_S:
                out.append(_violation(f"{p}.event_time", "EVENT_TIME_TOO_OLD", "over 7 days old"))
        if event.event_type == E.EVENT_TYPE_SEARCH:
            if not event.query.strip():
                out.append(_violation(f"{p}.query", "REQUIRED", "the query of a SEARCH event"))
            elif len(event.query) > MAX_QUERY_CODE_POINTS:
                out.append(_violation(f"{p}.query", "TOO_LONG", "at most 256 code points"))
        elif not event.item_id:
            out.append(_violation(f"{p}.item_id", "REQUIRED", "the item (all types but SEARCH)"))
        if event.impression_id and self._impressions.check(event.impression_id, user_id, event.item_id) is None:
            out.append(_violation(f"{p}.impression_id", "INVALID_IMPRESSION", "signature check failed"))
        if event.dwell_ms < 0:
            out.append(_violation(f"{p}.dwell_ms", "NEGATIVE", "dwell time cannot be negative"))
        return out

    async def _redact(self, caller: Any, queries: list[str]) -> list[str]:
        """The queries redacted by the vault (nothing stored there); UNAVAILABLE when it is down."""
        async def one(text: str) -> str:
            response = await self._clients.call("vault", "Redact", vault_pb.RedactRequest(text=text),
                                                caller.metadata, share=0.4)
            return str(response.redacted_text)

        try:
            return list(await asyncio.gather(*(one(q) for q in queries)))
        except PeerDown as down:
            raise Unavailable("the vault is unavailable; nothing was kept, resend the batch",
                              reason="DEPENDENCY_UNAVAILABLE", domain="shopmesh.gateway",
                              metadata={"dependency": "vault"}) from down
        except grpc.aio.AioRpcError as exc:
            raise relay(exc) from exc

    async def send(self, caller: Any, request: pb.SendEventsRequest) -> pb.SendEventsResponse:
        """One result per event, in request order."""
        count = len(request.events)
        if count == 0:
            raise InvalidArgument("events is empty", [FieldViolation("events", "EMPTY")], reason="EMPTY",
                                  domain="shopmesh.gateway")
        if count > self._max_events:
            raise InvalidArgument(f"at most {self._max_events} events per batch",
                                  [FieldViolation("events", f"TOO_MANY: at most {self._max_events}")],
                                  reason="TOO_MANY", domain="shopmesh.gateway")
        now = time.time()
        results: list[E.EventResult | None] = [None] * count
        valid: list[int] = []
        for index, event in enumerate(request.events):
            violations = self._check(index, event, caller.user_id, now)
            if violations:
                results[index] = E.EventResult(event_id=event.client_event_id, status=E.EVENT_RESULT_STATUS_REJECTED,
                                               violations=violations)
            else:
                valid.append(index)
        consent = await self._consent.get(caller)
        if not consent.known:
            raise Unavailable("profile is unavailable; nothing was kept, resend the batch",
                              reason="DEPENDENCY_UNAVAILABLE", domain="shopmesh.gateway",
                              metadata={"dependency": "profile"})
        if not consent.personalization:
            for index in valid:
                results[index] = E.EventResult(event_id=request.events[index].client_event_id,
                                               status=E.EVENT_RESULT_STATUS_DISCARDED_NO_CONSENT)
            valid = []
        searches = [i for i in valid if request.events[i].event_type == E.EVENT_TYPE_SEARCH]
        redacted = dict(zip(searches, await self._redact(caller, [request.events[i].query for i in searches]),
                            strict=True)) if searches else {}
        if valid:
            events = [self._to_profile(request.events[i], caller.user_id, redacted.get(i, "")) for i in valid]
            try:
                response = await self._clients.call("profile", "IngestEvents",
                                                    profile_pb.IngestEventsRequest(events=events),
                                                    caller.metadata, share=0.8)
            except PeerDown as down:
                raise Unavailable("profile is unavailable; resend the batch", reason="DEPENDENCY_UNAVAILABLE",
                                  domain="shopmesh.gateway", metadata={"dependency": "profile"}) from down
            except grpc.aio.AioRpcError as exc:
                raise relay(exc) from exc
            for index, result in zip(valid, response.results, strict=True):
                fixed = E.EventResult()
                fixed.CopyFrom(result)
                for violation in fixed.violations:
                    # Profile numbers the events it was sent; the app numbers its own batch.
                    violation.field = violation.field.replace(f"events[{valid.index(index)}]", f"events[{index}]", 1)
                results[index] = fixed
        return pb.SendEventsResponse(results=[r for r in results if r is not None])

    def _to_profile(self, event: pb.ClientEvent, user_id: str, redacted_query: str) -> profile_pb.Event:
        out = profile_pb.Event(
            event_id=event.client_event_id, user_id=user_id, event_type=event.event_type,
            catalog_id=event.catalog_id or self._default_catalog, item_id=event.item_id,
            impression_id=event.impression_id, redacted_query=redacted_query, dwell_ms=event.dwell_ms,
            quantity=event.quantity, app_session_id=event.app_session_id, origin=profile_pb.EVENT_ORIGIN_APP)
        out.event_time.CopyFrom(event.event_time)
        return out
