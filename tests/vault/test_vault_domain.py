"""Unit tests of the vault's domain pieces without gRPC: normalisation and masks, the policy file, the audit
chain, envelope encryption, the key source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from services.vault import crypto
from services.vault.audit import GENESIS_HASH, AuditRecord, Decision, Operation, seal, verify_chain
from services.vault.keys import KeySourceError, add_kek_version, ensure_key_dir, load_key_dir
from services.vault.pii import InvalidValue, PiiType, mask, normalise
from services.vault.policy import DEFAULT_POLICY_FILE, Access, PolicyError, load_policy, parse_policy


@pytest.mark.parametrize(
    ("pii_type", "value", "normalised", "masked"),
    [
        (PiiType.EMAIL, " Li.Wei@Example.CN ", "li.wei@example.cn", "l***@e***.cn"),
        (PiiType.PHONE, "138-1234-8000", "+8613812348000", "+86 138****8000"),
        (PiiType.PHONE, "(415) 555-0123", "+14155550123", "+1 415***0123"),
        (PiiType.PHONE, "0044 20 7946 0958", "+442079460958", "+ 442*****0958"),
        (PiiType.NAME, "Li   Wei", "Li Wei", "L* W**"),
        (PiiType.PAYMENT_CARD, "4111 1111 1111 1111", "4111111111111111", "**** **** **** 1111"),
        (PiiType.NATIONAL_ID, "11010519491231002x", "11010519491231002X", "1101**********002X"),
        (PiiType.BANK_ACCOUNT, "de89 3704 0044 0532 0130 00", "DE89370400440532013000", "DE** **** **** **** **30 00"),
        (PiiType.IP_ADDRESS, "192.168.10.20", "192.168.10.20", "192.168.*.*"),
        (PiiType.IP_ADDRESS, "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::/48"),
        (PiiType.ADDRESS, '{"street": "1 Bund", "city": "Shanghai", "country": "CN"}',
         '{"street": "1 Bund", "city": "Shanghai", "country": "CN"}', "Shanghai, CN"),
        (PiiType.ADDRESS, "1 Bund, Shanghai", "1 Bund, Shanghai", "[ADDRESS]"),
        (PiiType.FREE_TEXT, "call me later", "call me later", "[TEXT, 13 chars]"),
    ],
)
def test_normalise_and_mask(pii_type: PiiType, value: str, normalised: str, masked: str) -> None:
    assert normalise(pii_type, value) == normalised
    assert mask(pii_type, normalised) == masked


@pytest.mark.parametrize(
    ("pii_type", "value", "reason"),
    [
        (PiiType.EMAIL, "", "EMPTY"),
        (PiiType.EMAIL, "   ", "EMPTY"),
        (PiiType.EMAIL, "no-at.example.com", "INVALID_FORMAT"),
        (PiiType.EMAIL, "a@nodot", "INVALID_FORMAT"),
        (PiiType.PHONE, "12345", "INVALID_FORMAT"),
        (PiiType.PHONE, "+0123456789", "INVALID_FORMAT"),
        (PiiType.PHONE, "call me", "INVALID_FORMAT"),
        (PiiType.PAYMENT_CARD, "4111 1111 1111 1112", "INVALID_FORMAT"),
        (PiiType.NATIONAL_ID, "110105194912310021", "INVALID_FORMAT"),
        (PiiType.BANK_ACCOUNT, "DE89370400440532013001", "INVALID_FORMAT"),
        (PiiType.IP_ADDRESS, "300.1.1.1", "INVALID_FORMAT"),
        (PiiType.NAME, "x" * 4097, "TOO_LONG"),
        (PiiType.FREE_TEXT, "x" * 65537, "TOO_LONG"),
    ],
)
def test_invalid_values_say_why(pii_type: PiiType, value: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        normalise(pii_type, value)
    assert raised.value.reason == reason


def test_the_shipped_policy_loads_and_denies_by_default() -> None:
    policy = load_policy(DEFAULT_POLICY_FILE)
    support = policy.rule("support", "support.answer_order_question", "detokenize")
    assert support is not None and support.access_for(PiiType.PHONE) is Access.MASKED
    assert support.access_for(PiiType.PAYMENT_CARD) is Access.DENY
    assert not support.any_subject
    reveal = policy.rule("console", "console.reveal_customer_value", "detokenize")
    assert reveal is not None and reveal.any_subject and reveal.agent_required
    assert policy.rule("retrieval", "support.answer_order_question", "detokenize") is None
    assert policy.rule(None, "profile.read_profile", "detokenize") is None
    assert policy.is_admin("ops") and not policy.is_admin("gateway")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"version": 2}, "version: 1"),
        ({"version": 1, "rules": [{"caller": "x", "purpose": "x.y", "operations": ["peek"], "types": {"*": "clear"}}]},
         "operations"),
        ({"version": 1, "rules": [{"caller": "x", "purpose": "Bad Purpose", "operations": ["tokenize"],
                                   "types": {"*": "clear"}}]}, "purpose"),
        ({"version": 1, "rules": [{"caller": "x", "purpose": "x.y", "operations": ["tokenize"],
                                   "types": {"EMAIL": "everything"}}]}, "clear or masked"),
        ({"version": 1, "rules": [{"caller": "x", "purpose": "x.y", "operations": ["tokenize"],
                                   "types": {"SHOE_SIZE": "clear"}}]}, "unknown PII type"),
        ({"version": 1, "rules": [{"caller": "x", "purpose": "x.y", "operations": ["tokenize"],
                                   "types": {"*": "clear"}, "subject": "any"}]}, "unknown keys"),
        ({"version": 1, "rules": [{"caller": "x", "purpose": "x.y", "operations": ["tokenize"],
                                   "types": {"*": "clear"}},
                                  {"caller": "x", "purpose": "x.y", "operations": ["tokenize"],
                                   "types": {"*": "masked"}}]}, "duplicate"),
    ],
)
def test_a_malformed_policy_is_refused(document: object, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(document)


def _chain(count: int) -> list:  # type: ignore[type-arg]
    entries, previous = [], GENESIS_HASH
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for i in range(1, count + 1):
        record = AuditRecord(caller="support", purpose="support.answer_order_question", operation=Operation.DETOKENIZE,
                             decision=Decision.MASKED, subject_id="u1", pii_types=(2, 4), value_count=2)
        entry = seal(i, start + dt.timedelta(seconds=i), record, previous)
        entries.append(entry)
        previous = entry.entry_hash
    return entries


def test_audit_chain_detects_modification_insertion_and_deletion() -> None:
    entries = _chain(5)
    head = entries[-1]
    ok = verify_chain(entries, expected_first_sequence=1, previous_hash=GENESIS_HASH, head_sequence=5,
                      head_hash=head.entry_hash)
    assert ok.intact and ok.checked == 5
    from dataclasses import replace

    modified = [*entries[:2], replace(entries[2], record=replace(entries[2].record, value_count=1)), *entries[3:]]
    report = verify_chain(modified, expected_first_sequence=1, previous_hash=GENESIS_HASH, head_sequence=5,
                          head_hash=b"")
    assert (report.intact, report.first_bad_sequence, report.problem) == (False, 3, "entry_hash mismatch")
    deleted = [*entries[:1], *entries[2:]]
    report = verify_chain(deleted, expected_first_sequence=1, previous_hash=GENESIS_HASH, head_sequence=5,
                          head_hash=b"")
    assert (report.first_bad_sequence, report.problem) == (2, "sequence gap 1 -> 3")
    resequenced = [*entries[:1], *[replace(e, sequence=e.sequence - 1) for e in entries[2:]]]
    report = verify_chain(resequenced, expected_first_sequence=1, previous_hash=GENESIS_HASH, head_sequence=4,
                          head_hash=b"")
    assert not report.intact and report.first_bad_sequence == 2


def test_envelope_binds_ciphertexts_to_subject_type_and_token() -> None:
    key = crypto.SubjectKey.from_data_key("u1", crypto.new_data_key())
    token = key.token(1, "a@b.cn")
    assert token == key.token(1, "a@b.cn") and token != key.token(2, "a@b.cn")
    assert crypto.well_formed_token(token) and not crypto.well_formed_token(token[:-1] + "!")
    blob = key.encrypt(1, token, "a@b.cn")
    assert b"a@b.cn" not in blob and key.decrypt(1, token, blob) == "a@b.cn"
    with pytest.raises(crypto.DecryptionError):
        key.decrypt(2, token, blob)  # another field type
    with pytest.raises(crypto.DecryptionError):
        key.decrypt(1, key.token(1, "c@d.cn"), blob)  # another row's token
    other = crypto.SubjectKey.from_data_key("u2", crypto.new_data_key())
    with pytest.raises(crypto.DecryptionError):
        other.decrypt(1, token, blob)  # another subject
    kek = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(kek, 1, "u1", b"k" * 32)
    assert crypto.unwrap_data_key(kek, 1, "u1", wrapped) == b"k" * 32
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap_data_key(kek, 1, "u2", wrapped)
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap_data_key(kek, 2, "u1", wrapped)


def test_key_source_directory(tmp_path: Path) -> None:
    with pytest.raises(KeySourceError, match="does not exist"):
        load_key_dir(tmp_path / "missing")
    assert ensure_key_dir(tmp_path / "keys")
    assert not ensure_key_dir(tmp_path / "keys")
    assert load_key_dir(tmp_path / "keys").newest_version == 1
    assert add_kek_version(tmp_path / "keys") == 2
    ring = load_key_dir(tmp_path / "keys")
    assert sorted(ring.keks) == [1, 2] and len(ring.index_key) == 32
    (tmp_path / "keys" / "kek-3").write_text("not base64!!")
    with pytest.raises(KeySourceError, match="not base64"):
        load_key_dir(tmp_path / "keys")
    assert oct((tmp_path / "keys" / "kek-1").stat().st_mode & 0o777) == "0o600"
