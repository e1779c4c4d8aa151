"""Contract tests of the vault through its real gRPC service with mTLS, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from shopmesh.common.v1 import redaction_pb2
from shopmesh.vault.v1 import vault_service_pb2 as pb
from tests.vault.conftest import RunningVault

pytestmark = pytest.mark.integration

EMAIL, PHONE, NAME, ADDRESS = pb.PII_TYPE_EMAIL, pb.PII_TYPE_PHONE, pb.PII_TYPE_NAME, pb.PII_TYPE_ADDRESS
CLEAR, MASKED = pb.DISCLOSURE_CLEAR, pb.DISCLOSURE_MASKED


def details(error: grpc.aio.AioRpcError) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """(ErrorInfo reason, its metadata, BadRequest field violations) of a failed call."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    reason, metadata, violations = "", {}, []
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [(v.field, v.description.split(":", 1)[0]) for v in bad.field_violations]
    return reason, metadata, violations


async def tokenize_profile(vault: RunningVault, user: str, *values: tuple[int, str]) -> list[pb.TokenizedValue]:
    response = await vault.stub("profile").Tokenize(
        pb.TokenizeRequest(subject_id=user, purpose="profile.store_profile",
                           values=[pb.PiiValue(type=t, value=v) for t, v in values]),
        metadata=vault.as_user(user), timeout=5)
    return list(response.tokens)


async def test_tokenize_detokenize_round_trip_convergent_and_masked(vault: RunningVault) -> None:
    tokens = await tokenize_profile(vault, "u1", (EMAIL, "Li.Wei@Example.CN"), (PHONE, "138 1234 8000"),
                                    (NAME, "Li Wei"), (ADDRESS, '{"street": "1 Bund", "city": "Shanghai", '
                                                                '"country": "CN"}'))
    assert [t.masked_value for t in tokens] == ["l***@e***.cn", "+86 138****8000", "L* W**", "Shanghai, CN"]
    assert all(t.token.startswith("tok_") and len(t.token) <= 64 for t in tokens)
    again = await tokenize_profile(vault, "u1", (EMAIL, "li.wei@example.cn"))
    assert again[0].token == tokens[0].token  # convergent: a retry stores nothing new
    other = await tokenize_profile(vault, "u2", (EMAIL, "li.wei@example.cn"))
    assert other[0].token != tokens[0].token  # tokens are per subject: no cross-subject linkage

    response = await vault.stub("profile").Detokenize(
        pb.DetokenizeRequest(tokens=[t.token for t in tokens], purpose="profile.read_profile", max_disclosure=CLEAR),
        metadata=vault.as_user("u1"), timeout=5)
    assert [v.value for v in response.values] == [
        "li.wei@example.cn", "+8613812348000", "Li Wei", '{"street": "1 Bund", "city": "Shanghai", "country": "CN"}']
    assert {v.subject_id for v in response.values} == {"u1"}
    assert all(v.disclosure == CLEAR for v in response.values)

    masked = await vault.stub("profile").Detokenize(
        pb.DetokenizeRequest(tokens=[tokens[0].token], purpose="profile.read_profile"),
        metadata=vault.as_user("u1"), timeout=5)
    assert masked.values[0].value == "" and masked.values[0].disclosure == MASKED  # unspecified means masked


async def test_bad_input_gets_invalid_argument_with_field_violations(vault: RunningVault) -> None:
    stub = vault.stub("profile")
    meta = vault.as_user("u1")
    cases = [
        (pb.TokenizeRequest(purpose="profile.store_profile", values=[pb.PiiValue(type=EMAIL, value="a@b.cn")]),
         ("subject_id", "REQUIRED")),
        (pb.TokenizeRequest(subject_id="u1", purpose="profile.store_profile"), ("values", "EMPTY")),
        (pb.TokenizeRequest(subject_id="u1", purpose="profile.store_profile",
                            values=[pb.PiiValue(type=EMAIL, value="x@y.cn")] * 1001), ("values", "TOO_MANY")),
        (pb.TokenizeRequest(subject_id="u1", purpose="profile.store_profile", values=[pb.PiiValue(value="x")]),
         ("values[0].type", "UNSPECIFIED")),
        (pb.TokenizeRequest(subject_id="u1", purpose="profile.store_profile",
                            values=[pb.PiiValue(type=EMAIL, value="")]), ("values[0].value", "EMPTY")),
        (pb.TokenizeRequest(subject_id="u1", purpose="profile.store_profile",
                            values=[pb.PiiValue(type=EMAIL, value="no-at-sign")]),
         ("values[0].value", "INVALID_FORMAT")),
        (pb.TokenizeRequest(subject_id="u1", purpose="profile.store_profile",
                            values=[pb.PiiValue(type=NAME, value="x" * 5000)]), ("values[0].value", "TOO_LONG")),
        (pb.TokenizeRequest(subject_id="u1", purpose="Profile Store!", values=[pb.PiiValue(type=EMAIL,
                                                                                         value="a@b.cn")]),
         ("purpose", "MALFORMED_PURPOSE")),
        (pb.TokenizeRequest(subject_id="u1", purpose="profile.store_profile",
                            values=[pb.PiiValue(type=pb.PiiType.ValueType(99), value="a@b.cn")]),
         ("values[0].type", "UNSPECIFIED")),
    ]
    for request, expected in cases:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.Tokenize(request, metadata=meta, timeout=5)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, expected
        assert expected in details(raised.value)[2]

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Detokenize(pb.DetokenizeRequest(tokens=["not-a-token"], purpose="profile.read_profile"),
                              metadata=meta, timeout=5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ("tokens[0]", "MALFORMED_TOKEN") in details(raised.value)[2]

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Detokenize(pb.DetokenizeRequest(tokens=["tok_" + "A" * 24], purpose="profile.read_profile"),
                              metadata=meta, timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert details(raised.value)[:2] == ("UNKNOWN_TOKEN", {"token_index": "0"})

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.LookupByValue(pb.LookupByValueRequest(type=NAME, value="Li", purpose="profile.read_profile"),
                                 timeout=5)
    assert ("type", "UNSUPPORTED_FOR_LOOKUP") in details(raised.value)[2]

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await vault.stub("support").Redact(pb.RedactRequest(text="x" * 50_001), timeout=5)
    assert ("text", "TOO_LONG") in details(raised.value)[2]


async def test_policy_denials_are_permission_denied_and_audited(vault: RunningVault) -> None:
    tokens = await tokenize_profile(vault, "u1", (EMAIL, "a1@example.com"), (PHONE, "+14155550123"))
    token_ids = [t.token for t in tokens]

    with pytest.raises(grpc.aio.AioRpcError) as raised:  # a service the policy does not name
        await vault.stub("retrieval").Detokenize(
            pb.DetokenizeRequest(tokens=token_ids, purpose="profile.read_profile", max_disclosure=CLEAR),
            metadata=vault.as_user("u1"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    reason, metadata, _ = details(raised.value)
    assert reason == "POLICY_DENIED" and metadata == {"purpose": "profile.read_profile",
                                                      "pii_types": "EMAIL,PHONE"}

    with pytest.raises(grpc.aio.AioRpcError) as raised:  # user B's context cannot read user A's tokens
        await vault.stub("profile").Detokenize(
            pb.DetokenizeRequest(tokens=token_ids, purpose="profile.read_profile", max_disclosure=CLEAR),
            metadata=vault.as_user("u2"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert details(raised.value)[0] == "SUBJECT_MISMATCH"

    with pytest.raises(grpc.aio.AioRpcError) as raised:  # no end-user context at all
        await vault.stub("profile").Detokenize(
            pb.DetokenizeRequest(tokens=token_ids, purpose="profile.read_profile"), timeout=5)
    assert details(raised.value)[0] == "SUBJECT_MISMATCH"

    # Masked-only: support asks for CLEAR and still only ever gets the masked phone.
    masked = await vault.stub("support").Detokenize(
        pb.DetokenizeRequest(tokens=[token_ids[1]], purpose="support.answer_order_question", max_disclosure=CLEAR),
        metadata=vault.as_user("u1"), timeout=5)
    assert masked.values[0].value == "" and masked.values[0].disclosure == MASKED
    assert masked.values[0].masked_value == "+1 415***0123"
    assert "4155550123" not in str(masked)

    audit = await vault.stub("ops").ListAuditEntries(pb.ListAuditEntriesRequest(subject_id="u1"), timeout=5)
    denied = [(e.caller, e.acting_user_id, e.purpose) for e in audit.entries if e.decision == pb.AUDIT_DECISION_DENIED]
    assert ("retrieval", "u1", "profile.read_profile") in denied
    assert ("profile", "u2", "profile.read_profile") in denied
    assert ("profile", "", "profile.read_profile") in denied
    masked_entries = [e for e in audit.entries if e.decision == pb.AUDIT_DECISION_MASKED]
    assert [(e.caller, list(e.pii_types)) for e in masked_entries] == [("support", [PHONE])]

    with pytest.raises(grpc.aio.AioRpcError) as raised:  # admin RPCs are for admin identities only
        await vault.stub("profile").GetKeyStatus(pb.GetKeyStatusRequest(), timeout=5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_agent_reveal_requires_an_agent_and_is_audited_with_it(vault: RunningVault) -> None:
    tokens = await tokenize_profile(vault, "u7", (PHONE, "13812348000"))
    console = vault.stub("console")
    request = pb.DetokenizeRequest(tokens=[tokens[0].token], purpose="console.reveal_customer_value",
                                   max_disclosure=CLEAR)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await console.Detokenize(request, timeout=5)
    assert ("acting_agent_id", "REQUIRED") in details(raised.value)[2]
    request.acting_agent_id = "agent-3"
    revealed = await console.Detokenize(request, timeout=5)
    assert revealed.values[0].value == "+8613812348000"
    with pytest.raises(grpc.aio.AioRpcError) as raised:  # only agent purposes take an agent id
        await vault.stub("profile").Detokenize(
            pb.DetokenizeRequest(tokens=[tokens[0].token], purpose="profile.read_profile", acting_agent_id="agent-3"),
            metadata=vault.as_user("u7"), timeout=5)
    assert ("acting_agent_id", "NOT_ALLOWED_FOR_CALLER") in details(raised.value)[2]
    audit = await vault.stub("ops").ListAuditEntries(pb.ListAuditEntriesRequest(subject_id="u7"), timeout=5)
    assert [(e.caller, e.acting_agent_id, e.decision) for e in audit.entries
            if e.operation == pb.AUDIT_OPERATION_DETOKENIZE] == [("console", "agent-3", pb.AUDIT_DECISION_ALLOWED)]


async def test_lookup_by_value_finds_without_revealing(vault: RunningVault) -> None:
    tokens = await tokenize_profile(vault, "u3", (EMAIL, "Find.Me@Example.com"))
    console = vault.stub("console")
    hit = await console.LookupByValue(pb.LookupByValueRequest(type=EMAIL, value="  find.me@EXAMPLE.com ",
                                                              purpose="console.identify_customer"), timeout=5)
    assert (hit.found, hit.subject_id, hit.token) == (True, "u3", tokens[0].token)
    miss = await console.LookupByValue(pb.LookupByValueRequest(type=EMAIL, value="nobody@example.com",
                                                               purpose="console.identify_customer"), timeout=5)
    assert not miss.found and miss.subject_id == "" and miss.token == ""


async def test_redact_with_tokens_restorable_by_an_authorised_caller(vault: RunningVault) -> None:
    text = "我的手机13812348000，email li@example.cn，订单A10023，¥1,299.00"
    support = vault.stub("support")
    response = await support.Redact(pb.RedactRequest(text=text, tokenize_values=True, subject_id="u5",
                                                     purpose="support.store_transcript"),
                                    metadata=vault.as_user("u5"), timeout=5)
    assert response.redacted_text == "我的手机[PHONE]，email [EMAIL]，订单A10023，¥1,299.00"
    assert [(s.entity_type, text[s.start:s.end]) for s in response.spans] == [
        (redaction_pb2.PII_ENTITY_TYPE_PHONE, "13812348000"), (redaction_pb2.PII_ENTITY_TYPE_EMAIL, "li@example.cn")]
    for span in response.spans:
        assert response.redacted_text[span.redacted_start:span.redacted_end] in ("[PHONE]", "[EMAIL]")
    revealed = await vault.stub("console").Detokenize(
        pb.DetokenizeRequest(tokens=[s.token for s in response.spans], purpose="console.reveal_customer_value",
                             max_disclosure=CLEAR, acting_agent_id="agent-1"), timeout=5)
    assert [v.value for v in revealed.values] == ["+8613812348000", "li@example.cn"]
    plain = await support.Redact(pb.RedactRequest(text=text), timeout=5)
    assert plain.redacted_text == response.redacted_text and all(not s.token for s in plain.spans)
    with pytest.raises(grpc.aio.AioRpcError) as raised:  # tokens for another user than the context's
        await support.Redact(pb.RedactRequest(text=text, tokenize_values=True, subject_id="u6",
                                              purpose="support.store_transcript"),
                             metadata=vault.as_user("u5"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_export_returns_own_values_and_access_log_only(vault: RunningVault) -> None:
    await tokenize_profile(vault, "u8", (EMAIL, "eight@example.com"), (NAME, "Wang Fang"))
    gateway = vault.stub("gateway")
    exported = await gateway.ExportSubject(pb.ExportSubjectRequest(subject_id="u8", purpose="gateway.export_my_data"),
                                           metadata=vault.as_user("u8"), timeout=5)
    assert sorted(r.value for r in exported.records) == ["Wang Fang", "eight@example.com"]
    assert not exported.forgotten
    assert [e.operation for e in exported.access_log] == [pb.AUDIT_OPERATION_EXPORT]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await gateway.ExportSubject(pb.ExportSubjectRequest(subject_id="u8", purpose="gateway.export_my_data"),
                                    metadata=vault.as_user("u9"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_forget_shreds_idempotently(vault: RunningVault) -> None:
    tokens = await tokenize_profile(vault, "u4", (EMAIL, "gone@example.com"), (PHONE, "13900001111"))
    gateway = vault.stub("gateway")
    request = pb.ForgetSubjectRequest(subject_id="u4", purpose="gateway.delete_my_data")
    first = await gateway.ForgetSubject(request, metadata=vault.as_user("u4"), timeout=5)
    assert (first.already_forgotten, first.destroyed_data_key_count, first.deleted_value_count,
            first.deleted_index_entry_count) == (False, 1, 2, 2)
    second = await gateway.ForgetSubject(request, metadata=vault.as_user("u4"), timeout=5)
    assert second.already_forgotten and second.forget_time == first.forget_time
    assert second.destroyed_data_key_count == 0

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await vault.stub("profile").Detokenize(
            pb.DetokenizeRequest(tokens=[t.token for t in tokens], purpose="profile.read_profile"),
            metadata=vault.as_user("u4"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert details(raised.value)[0] == "SUBJECT_FORGOTTEN"
    miss = await vault.stub("console").LookupByValue(
        pb.LookupByValueRequest(type=EMAIL, value="gone@example.com", purpose="console.identify_customer"), timeout=5)
    assert not miss.found
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await tokenize_profile(vault, "u4", (EMAIL, "back@example.com"))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details(raised.value)[0] == "SUBJECT_FORGOTTEN"
    exported = await gateway.ExportSubject(pb.ExportSubjectRequest(subject_id="u4", purpose="gateway.export_my_data"),
                                           metadata=vault.as_user("u4"), timeout=5)
    assert exported.forgotten and not exported.records


async def test_audit_chain_is_intact_and_pageable(vault: RunningVault) -> None:
    tokens = await tokenize_profile(vault, "u10", (EMAIL, "ten@example.com"))
    for _ in range(7):
        await vault.stub("profile").Detokenize(
            pb.DetokenizeRequest(tokens=[tokens[0].token], purpose="profile.read_profile"),
            metadata=vault.as_user("u10"), timeout=5)
    ops = vault.stub("ops")
    report = await ops.VerifyAudit(pb.VerifyAuditRequest(), timeout=5)
    assert report.intact and report.checked_entry_count == report.head_sequence == 7
    first = await ops.ListAuditEntries(pb.ListAuditEntriesRequest(page_size=4), timeout=5)
    rest = await ops.ListAuditEntries(pb.ListAuditEntriesRequest(page_size=4, page_token=first.next_page_token),
                                      timeout=5)
    assert [e.sequence for e in first.entries] + [e.sequence for e in rest.entries] == list(range(1, 8))
    assert rest.next_page_token == ""
    assert first.entries[1].previous_hash == first.entries[0].entry_hash
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ops.ListAuditEntries(pb.ListAuditEntriesRequest(page_token="garbage!"), timeout=5)
    assert ("page_token", "INVALID_PAGE_TOKEN") in details(raised.value)[2]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ops.VerifyAudit(pb.VerifyAuditRequest(from_sequence=5, to_sequence=2), timeout=5)
    assert ("to_sequence", "BEFORE_FROM") in details(raised.value)[2]


@pytest.mark.parametrize("backend", ["postgres"])  # SQLite has no connection to lose
async def test_a_lost_database_connection_is_unavailable_then_recovers(vault: RunningVault) -> None:
    assert vault.pg is not None
    tokens = await tokenize_profile(vault, "u11", (EMAIL, "eleven@example.com"))
    import psycopg

    from tests.vault.conftest import PG_DSN

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        killed = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name "
                              "LIKE %s", (f"shopmesh-vault-{vault.pg.data}%",)).fetchone()
    assert killed is not None and killed[0] >= 1
    request = pb.DetokenizeRequest(tokens=[tokens[0].token], purpose="profile.read_profile", max_disclosure=CLEAR)
    codes = []
    for _ in range(3):
        try:
            response = await vault.stub("profile").Detokenize(request, metadata=vault.as_user("u11"), timeout=5)
            codes.append("OK")
            assert response.values[0].value == "eleven@example.com"
        except grpc.aio.AioRpcError as exc:
            codes.append(exc.code().name)
            assert details(exc)[0] == "STORE_UNAVAILABLE"
    assert codes[0] in ("UNAVAILABLE", "OK") and codes[-1] == "OK" and "INTERNAL" not in codes


async def test_huge_repeated_fields_are_refused_quickly(vault: RunningVault) -> None:
    """Found by fuzzing: a Redact with a million entity_types (2 MB on the wire) built a million field
    violations and ran past its 5 s deadline; now TOO_MANY at once, and no status carries over 100 violations."""
    support = vault.stub("support")
    for number in (1, 9999):
        entity_type = redaction_pb2.PiiEntityType.ValueType(number)
        started = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await support.Redact(pb.RedactRequest(text="mail a@b.cn", entity_types=[entity_type] * 1_000_000),
                                 timeout=5)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert details(raised.value)[2] == [("entity_types", "TOO_MANY")]
        assert time.monotonic() - started < 2.0
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await vault.stub("profile").Tokenize(pb.TokenizeRequest(
            subject_id="u1", purpose="profile.store_profile", values=[pb.PiiValue(value="x")] * 1000),
            metadata=vault.as_user("u1"), timeout=5)
    assert len(details(raised.value)[2]) == 100


async def test_audit_listing_refuses_out_of_range_times_and_sequences(vault: RunningVault) -> None:
    """Fuzzing's kind of input: a start_time past year 9999 (Timestamp.ToDatetime raises ValueError) and a page
    token naming a sequence past SQLite's 64-bit integers (OverflowError) were both INTERNAL; a negative sequence
    is no token the RPC returns either."""
    import base64

    from google.protobuf import timestamp_pb2

    ops = vault.stub("ops")
    for request, field in [
        (pb.ListAuditEntriesRequest(start_time=timestamp_pb2.Timestamp(seconds=10**15)), "start_time"),
        (pb.ListAuditEntriesRequest(start_time=timestamp_pb2.Timestamp(seconds=-(10**15))), "start_time"),
        (pb.ListAuditEntriesRequest(page_token=base64.urlsafe_b64encode(b"after:" + b"9" * 30).decode()),
         "page_token"),
        (pb.ListAuditEntriesRequest(page_token=base64.urlsafe_b64encode(b"after:-5").decode()), "page_token"),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await ops.ListAuditEntries(request, timeout=5)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert [f for f, _ in details(raised.value)[2]] == [field]


async def test_verify_audit_refuses_negative_sequences(vault: RunningVault) -> None:
    """Found by the full-length fuzzing run: from_sequence -2^63 became `from - 1` past SQLite's integers
    (OverflowError, INTERNAL)."""
    ops = vault.stub("ops")
    for request, field in ((pb.VerifyAuditRequest(from_sequence=-(2**63)), "from_sequence"),
                           (pb.VerifyAuditRequest(to_sequence=-1), "to_sequence")):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await ops.VerifyAudit(request, timeout=5)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in details(raised.value)[2]] == [field]
    assert (await ops.VerifyAudit(pb.VerifyAuditRequest(), timeout=5)).intact
