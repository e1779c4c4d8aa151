"""The vault's gRPC servicer: protobuf ↔ domain only; the domain objects decide, the envelope maps errors."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import timestamp_pb2

from services.vault.admin import KeyAdmin
from services.vault.audit import AuditEntry
from services.vault.policy import Access
from services.vault.store import StoreUnavailable
from services.vault.vault import ENTITY_NUMBER, Vault
from shared.context import current_caller
from shared.errors import FieldViolation, InvalidArgument, Unavailable
from shopmesh.vault.v1 import vault_service_pb2 as pb
from shopmesh.vault.v1 import vault_service_pb2_grpc

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def _enum(number: int) -> Any:
    """A protobuf enum field's value from our IntEnums (equal numbers; the stubs type enums nominally)."""
    return int(number)


def _ts(moment: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _store_errors(handler: Handler) -> Handler:
    """A database that is down or busy is UNAVAILABLE (retry with backoff), not INTERNAL."""

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await handler(*args, **kwargs)
        except StoreUnavailable as exc:
            raise Unavailable("the vault's store is unavailable", reason="STORE_UNAVAILABLE",
                              domain="shopmesh.vault") from exc

    return wrapper  # type: ignore[return-value]


def _start_time(stamp: timestamp_pb2.Timestamp) -> dt.datetime:
    """A request's timestamp as a datetime; outside years 1-9999 (ToDatetime raises) it is INVALID_ARGUMENT."""
    try:
        return stamp.ToDatetime(dt.UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument("start_time is out of range", [FieldViolation(
            "start_time", "OUT_OF_RANGE: a time between years 1 and 9999")], reason="OUT_OF_RANGE",
            domain="shopmesh.vault") from None


def audit_entry_pb(entry: AuditEntry) -> pb.AuditEntry:
    """An audit entry as protobuf."""
    record = entry.record
    return pb.AuditEntry(
        sequence=entry.sequence, event_time=_ts(entry.event_time), caller=record.caller,
        acting_user_id=record.acting_user_id, acting_agent_id=record.acting_agent_id, purpose=record.purpose,
        subject_id=record.subject_id, operation=_enum(record.operation), decision=_enum(record.decision),
        pii_types=[_enum(t) for t in record.pii_types], value_count=record.value_count,
        previous_hash=entry.previous_hash, entry_hash=entry.entry_hash,
    )


class VaultServicer(vault_service_pb2_grpc.VaultServiceServicer):
    """Serves shopmesh.vault.v1.VaultService over a domain Vault and its KeyAdmin."""

    def __init__(self, vault: Vault, admin: KeyAdmin):
        self.vault = vault
        self.admin = admin

    @_store_errors
    async def Tokenize(self, request: pb.TokenizeRequest, context: grpc.aio.ServicerContext) -> pb.TokenizeResponse:
        issued = self.vault.tokenize(current_caller(), request.subject_id, request.purpose,
                                     [(v.type, v.value) for v in request.values])
        return pb.TokenizeResponse(tokens=[
            pb.TokenizedValue(token=t.token, type=_enum(t.pii_type), masked_value=t.masked) for t in issued
        ])

    @_store_errors
    async def Detokenize(self, request: pb.DetokenizeRequest,
                         context: grpc.aio.ServicerContext) -> pb.DetokenizeResponse:
        wanted = Access(request.max_disclosure) if request.max_disclosure in (1, 2) else Access.MASKED
        values = self.vault.detokenize(current_caller(), list(request.tokens), request.purpose, wanted,
                                       request.acting_agent_id)
        return pb.DetokenizeResponse(values=[
            pb.DetokenizedValue(token=v.token, type=_enum(v.pii_type), subject_id=v.subject_id,
                                disclosure=_enum(v.disclosure), value=v.value, masked_value=v.masked)
            for v in values
        ])

    @_store_errors
    async def LookupByValue(self, request: pb.LookupByValueRequest,
                            context: grpc.aio.ServicerContext) -> pb.LookupByValueResponse:
        found = self.vault.lookup(current_caller(), request.type, request.value, request.purpose)
        return pb.LookupByValueResponse(found=found.found, subject_id=found.subject_id, token=found.token)

    @_store_errors
    async def Redact(self, request: pb.RedactRequest, context: grpc.aio.ServicerContext) -> pb.RedactResponse:
        result = self.vault.redact(current_caller(), request.text, language_code=request.language_code,
                                   entity_types=list(request.entity_types), tokenize_values=request.tokenize_values,
                                   subject_id=request.subject_id, purpose=request.purpose)
        spans, shift = [], 0
        for span in result.spans:
            start = span.start + shift
            placeholder = len(span.entity_type.placeholder)
            spans.append(pb.RedactionSpan(
                entity_type=_enum(ENTITY_NUMBER[span.entity_type]), start=span.start,
                end=span.end, redacted_start=start, redacted_end=start + placeholder, token=span.token or "",
            ))
            shift += placeholder - (span.end - span.start)
        return pb.RedactResponse(redacted_text=result.text, spans=spans)

    @_store_errors
    async def ExportSubject(self, request: pb.ExportSubjectRequest,
                            context: grpc.aio.ServicerContext) -> pb.ExportSubjectResponse:
        forgotten, values, log = self.vault.export(current_caller(), request.subject_id, request.purpose)
        return pb.ExportSubjectResponse(
            subject_id=request.subject_id, forgotten=forgotten,
            records=[pb.SubjectRecord(token=v.token, type=_enum(v.pii_type), value=v.value,
                                      create_time=_ts(v.create_time)) for v in values],
            access_log=[audit_entry_pb(entry) for entry in log],
        )

    @_store_errors
    async def ForgetSubject(self, request: pb.ForgetSubjectRequest,
                            context: grpc.aio.ServicerContext) -> pb.ForgetSubjectResponse:
        done = self.vault.forget(current_caller(), request.subject_id, request.purpose)
        return pb.ForgetSubjectResponse(
            already_forgotten=done.already, forget_time=_ts(done.forget_time),
            destroyed_data_key_count=done.destroyed_keys, deleted_value_count=done.deleted_values,
            deleted_index_entry_count=done.deleted_index_entries,
        )

    @_store_errors
    async def RotateKeys(self, request: pb.RotateKeysRequest,
                         context: grpc.aio.ServicerContext) -> pb.RotateKeysResponse:
        active, previous, pending = self.admin.rotate(current_caller(), request.target_kek_version, request.purpose)
        return pb.RotateKeysResponse(active_kek_version=active, previous_kek_version=previous,
                                     data_keys_to_rewrap=pending)

    @_store_errors
    async def GetKeyStatus(self, request: pb.GetKeyStatusRequest,
                           context: grpc.aio.ServicerContext) -> pb.GetKeyStatusResponse:
        status = self.admin.status(current_caller())
        rewrap = status.rewrap
        return pb.GetKeyStatusResponse(
            active_kek_version=status.active_version,
            keks=[pb.KekStatus(version=k.version, state=_enum(k.state), wrapped_data_key_count=k.wrapped_count)
                  for k in status.keks],
            rewrap=pb.RewrapProgress(running=rewrap.running, total_data_keys=rewrap.total,
                                     remaining_data_keys=rewrap.remaining, start_time=_ts(rewrap.start_time),
                                     finish_time=_ts(rewrap.finish_time)),
            subject_count=status.subject_count, forgotten_subject_count=status.forgotten_count,
        )

    @_store_errors
    async def ListAuditEntries(self, request: pb.ListAuditEntriesRequest,
                               context: grpc.aio.ServicerContext) -> pb.ListAuditEntriesResponse:
        start = _start_time(request.start_time) if request.HasField("start_time") else None
        entries, token = self.admin.list_audit(current_caller(), request.subject_id, start, request.page_size,
                                               request.page_token)
        return pb.ListAuditEntriesResponse(entries=[audit_entry_pb(e) for e in entries], next_page_token=token)

    @_store_errors
    async def VerifyAudit(self, request: pb.VerifyAuditRequest,
                          context: grpc.aio.ServicerContext) -> pb.VerifyAuditResponse:
        report = self.admin.verify(current_caller(), request.from_sequence, request.to_sequence)
        return pb.VerifyAuditResponse(intact=report.intact, checked_entry_count=report.checked,
                                      first_bad_sequence=report.first_bad_sequence, problem=report.problem,
                                      head_sequence=report.head_sequence, head_hash=report.head_hash)
