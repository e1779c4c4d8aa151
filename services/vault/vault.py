"""The vault's domain logic: tokenize, detokenize, lookup, redact, export and forget, under the policy.

Pure domain code (no gRPC): callers pass the calling identity as a `shared.context.Caller`; failures are the
kit's domain errors, which the RPC envelope maps to status codes. Every access decision that concerns a
subject's data is written to the hash-chained audit log before the answer leaves.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from services.vault import crypto
from services.vault.audit import AuditEntry, AuditRecord, Decision, Operation
from services.vault.keys import KeyRing, load_key_dir
from services.vault.pii import LOOKUP_TYPES, InvalidValue, PiiType, mask, normalise
from services.vault.policy import Access, Policy, Rule
from services.vault.redaction import EntityType, InputTooLongError, RedactionResult, redact
from services.vault.store import DataStore, IndexEntry, KeyStore, StoredValue, StoreUnavailable, WrappedKey
from services.vault.validation import Violations, check_count, check_purpose, check_subject
from shared.context import Caller
from shared.errors import (
    DataLoss,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)

ERROR_DOMAIN = "shopmesh.vault"
ENTITY_PII_TYPES: dict[EntityType, PiiType] = {
    EntityType.EMAIL: PiiType.EMAIL,
    EntityType.PHONE: PiiType.PHONE,
    EntityType.CREDIT_CARD: PiiType.PAYMENT_CARD,
    EntityType.CN_ID: PiiType.NATIONAL_ID,
    EntityType.IBAN: PiiType.BANK_ACCOUNT,
    EntityType.IP_ADDRESS: PiiType.IP_ADDRESS,
}
ENTITY_BY_NUMBER: dict[int, EntityType] = {i + 1: e for i, e in enumerate(EntityType)}
"""`shopmesh.common.v1.PiiEntityType` numbers of the redaction engine's entity types (same order)."""
ENTITY_NUMBER: dict[EntityType, int] = {e: n for n, e in ENTITY_BY_NUMBER.items()}
LANGUAGES = frozenset({"", "en", "zh"})
MAX_ENTITY_TYPES = 64
"""Most entries a Redact request's entity_types may have (there are fewer types; repeats are harmless)."""
ACTIVE_VERSION_TTL_S = 5.0


def utc_now() -> dt.datetime:
    """Wall-clock time for audit entries (access time, not event time)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Tokenized:
    """An issued token."""

    token: str
    pii_type: PiiType
    masked: str


@dataclass(frozen=True)
class Detokenized:
    """A resolved token; `value` is empty unless `disclosure` is CLEAR."""

    token: str
    pii_type: PiiType
    subject_id: str
    disclosure: Access
    value: str
    masked: str


@dataclass(frozen=True)
class Lookup:
    """The outcome of a lookup by value."""

    found: bool
    subject_id: str = ""
    token: str = ""


@dataclass(frozen=True)
class ExportedValue:
    """One value held about a subject, in clear, for their own export."""

    token: str
    pii_type: PiiType
    value: str
    create_time: dt.datetime


@dataclass(frozen=True)
class Forgotten:
    """What ForgetSubject did."""

    already: bool
    forget_time: dt.datetime
    destroyed_keys: int
    deleted_values: int
    deleted_index_entries: int


class Vault:
    """Tokenization, envelope encryption, policy and audit over a data store and a separate keystore.

    Args:
        data: the data store (ciphertexts, blind index, audit).
        keys: the keystore (wrapped data keys).
        key_dir: the key source directory (KEKs and the blind-index key).
        policy: the access policy.
        clock: the time audit entries get.
        cache_size: unwrapped data keys kept in memory (LRU).
    """

    def __init__(self, data: DataStore, keys: KeyStore, key_dir: Path, policy: Policy, *,
                 clock: Callable[[], dt.datetime] = utc_now, cache_size: int = 10_000):
        self.data, self.keys, self.key_dir, self.policy, self.clock = data, keys, key_dir, policy, clock
        self.ring: KeyRing = load_key_dir(key_dir)
        self._cache: OrderedDict[str, crypto.SubjectKey] = OrderedDict()
        self._cache_size = cache_size
        self._active: tuple[int, float] | None = None  # (version, monotonic time read)

    def start(self) -> None:
        """Migrates both stores and fixes the active KEK version (the newest loaded, on first start)."""
        self.data.migrate()
        self.keys.migrate()
        active = self.keys.active_kek_version()
        if active is None:
            self.keys.set_active_kek_version(self.ring.newest_version)
        elif active not in self.ring.keks:
            raise RuntimeError(f"the active KEK version {active} is not in the key source {self.key_dir}")

    # --- keys -------------------------------------------------------------------------------------------------

    def reload_keys(self) -> KeyRing:
        """Re-reads the key source (a Secret volume updates in place)."""
        self.ring = load_key_dir(self.key_dir)
        return self.ring

    def _kek(self, version: int) -> bytes:
        try:
            return self.ring.kek(version)
        except KeyError:
            self.reload_keys()
            if version not in self.ring.keks:
                raise Unavailable(f"KEK version {version} is not loaded", reason="KEK_VERSION_NOT_LOADED") from None
            return self.ring.kek(version)

    def _unwrap(self, wrapped: WrappedKey) -> crypto.SubjectKey:
        kek = self._kek(wrapped.kek_version)
        try:
            data_key = crypto.unwrap_data_key(kek, wrapped.kek_version, wrapped.subject_id, wrapped.wrapped)
        except crypto.DecryptionError as exc:
            raise DataLoss("a data key failed authentication", reason="DATA_KEY_CORRUPT") from exc
        return crypto.SubjectKey.from_data_key(wrapped.subject_id, data_key)

    def subject_key(self, subject_id: str, *, create: bool) -> crypto.SubjectKey | None:
        """The subject's unwrapped data key (cached); created on first use when `create`.

        Raises:
            FailedPrecondition: `create` for a subject that was forgotten.
        """
        cached = self._cache.get(subject_id)
        if cached is not None:
            self._cache.move_to_end(subject_id)
            return cached
        wrapped = self.keys.get_key(subject_id)
        if wrapped is None:
            if not create:
                return None
            if self.keys.shred_time(subject_id) is not None:
                raise FailedPrecondition("the subject was forgotten; new data for it is refused",
                                         reason="SUBJECT_FORGOTTEN", domain=ERROR_DOMAIN)
            active = self.active_kek_version()
            data_key = crypto.new_data_key()
            wrapped = self.keys.insert_key(WrappedKey(
                subject_id, active, crypto.wrap_data_key(self._kek(active), active, subject_id, data_key),
                self.clock()))
        key = self._unwrap(wrapped)
        self._cache[subject_id] = key
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return key

    def active_kek_version(self) -> int:
        """The KEK version new data keys get, re-read from the keystore every few seconds.

        Another replica may rotate; within ACTIVE_VERSION_TTL_S this one notices, and its rewrap (or the
        rotating replica's) moves whatever it wrapped under the older version meanwhile.
        """
        now = time.monotonic()
        if self._active is None or now - self._active[1] > ACTIVE_VERSION_TTL_S:
            self._active = (self.keys.active_kek_version() or self.ring.newest_version, now)
        return self._active[0]

    def note_active_kek_version(self, version: int) -> None:
        """Records a rotation this replica made."""
        self._active = (version, time.monotonic())

    def forget_cached_key(self, subject_id: str) -> None:
        """Drops a subject's data key from memory."""
        self._cache.pop(subject_id, None)

    # --- policy and audit -------------------------------------------------------------------------------------

    def audit(self, caller: Caller, purpose: str, operation: Operation, decision: Decision, *, subject_id: str = "",
              pii_types: Iterable[int] = (), value_count: int = 0, acting_agent_id: str = "") -> None:
        """Appends one audit entry (types and counts only, never values)."""
        self.data.append_audit(AuditRecord(
            caller=caller.service or "", purpose=purpose, operation=operation, decision=decision,
            subject_id=subject_id, acting_user_id=caller.user_id or "", acting_agent_id=acting_agent_id,
            pii_types=tuple(sorted({int(t) for t in pii_types})), value_count=value_count,
        ), self.clock())

    def _deny(self, caller: Caller, purpose: str, operation: Operation, *, reason: str, message: str,
              subjects: Iterable[str], pii_types: Iterable[int], count: int, agent: str = "") -> PermissionDenied:
        types = sorted({int(t) for t in pii_types})
        for subject in sorted(set(subjects)) or [""]:
            self.audit(caller, purpose, operation, Decision.DENIED, subject_id=subject, pii_types=types,
                       value_count=count, acting_agent_id=agent)
        names = ",".join(PiiType(t).name for t in types)
        return PermissionDenied(message, reason=reason, domain=ERROR_DOMAIN,
                                metadata={"purpose": purpose, "pii_types": names})

    def authorize(self, caller: Caller, purpose: str, operation: Operation, *, subjects: set[str],
                  pii_types: Iterable[PiiType], count: int, acting_agent_id: str = "") -> Rule:
        """The rule allowing this access; raises PermissionDenied (audited) or InvalidArgument for agent misuse.

        Every listed type must be granted, and unless the rule reaches any subject, the call must carry the end
        user's context for exactly the subjects concerned.
        """
        types = list(pii_types)
        op_name = operation.name.lower()
        rule = self.policy.rule(caller.service, purpose, op_name)
        if acting_agent_id and (rule is None or not rule.agent_required):
            raise InvalidArgument("acting_agent_id is only for agent purposes of the console", [FieldViolation(
                "acting_agent_id", "NOT_ALLOWED_FOR_CALLER: only the console acts for an agent")],
                reason="NOT_ALLOWED_FOR_CALLER")
        if rule is not None and rule.agent_required and not acting_agent_id:
            raise InvalidArgument("this purpose acts for a signed-in agent", [FieldViolation(
                "acting_agent_id", "REQUIRED: name the signed-in agent")], reason="REQUIRED")
        if rule is None or any(rule.access_for(t) is Access.DENY for t in types):
            raise self._deny(caller, purpose, operation, reason="POLICY_DENIED",
                             message=f"the policy does not allow {caller.service or 'this caller'} to {op_name} "
                             f"for {purpose}", subjects=subjects, pii_types=types, count=count, agent=acting_agent_id)
        if not rule.any_subject and (caller.user_id is None or subjects - {caller.user_id}):
            raise self._deny(caller, purpose, operation, reason="SUBJECT_MISMATCH",
                             message="the end-user context does not name the data subject", subjects=subjects,
                             pii_types=types, count=count, agent=acting_agent_id)
        return rule

    # --- operations -------------------------------------------------------------------------------------------

    def tokenize(self, caller: Caller, subject_id: str, purpose: str,
                 values: list[tuple[int, str]]) -> list[Tokenized]:
        """Convergent tokens for typed values of one subject; stores their ciphertexts and blind-index rows."""
        violations = Violations()
        check_subject(violations, subject_id)
        check_purpose(violations, purpose)
        check_count(violations, "values", len(values))
        parsed = _parse_values(violations, values)
        violations.raise_if_any()
        self.authorize(caller, purpose, Operation.TOKENIZE, subjects={subject_id},
                       pii_types=[t for t, _ in parsed], count=len(parsed))
        return self.store_values(subject_id, parsed)

    def store_values(self, subject_id: str, parsed: list[tuple[PiiType, str]]) -> list[Tokenized]:
        """Encrypts and stores normalised values for a subject (authorisation already done)."""
        key = self.subject_key(subject_id, create=True)
        assert key is not None
        now = self.clock()
        rows: dict[str, StoredValue] = {}
        index: list[IndexEntry] = []
        issued = []
        for pii_type, norm in parsed:
            token = key.token(pii_type, norm)
            issued.append(Tokenized(token, pii_type, mask(pii_type, norm)))
            if token in rows:
                continue
            rows[token] = StoredValue(token, subject_id, int(pii_type), key.encrypt(pii_type, token, norm), now)
            if pii_type in LOOKUP_TYPES:
                index.append(IndexEntry(crypto.blind_index(self.ring.index_key, pii_type, norm), subject_id, token))
        self.data.put_values(list(rows.values()), index)
        return issued

    def detokenize(self, caller: Caller, tokens: list[str], purpose: str, max_disclosure: Access,
                   acting_agent_id: str = "") -> list[Detokenized]:
        """Clear or masked values of tokens, all or nothing, as the policy and `max_disclosure` allow."""
        violations = Violations()
        check_count(violations, "tokens", len(tokens))
        check_purpose(violations, purpose)
        for i, token in enumerate(tokens[:1000]):
            if not crypto.well_formed_token(token):
                violations.add(f"tokens[{i}]", "MALFORMED_TOKEN", "not a vault token")
        if len(acting_agent_id) > 128:
            violations.add("acting_agent_id", "TOO_LONG", "at most 128 characters")
        violations.raise_if_any()
        rows = self.data.get_values(tokens)
        self._raise_missing(caller, purpose, tokens, rows, acting_agent_id)
        subjects = {row.subject_id for row in rows.values()}
        types = [PiiType(row.pii_type) for row in rows.values()]
        rule = self.authorize(caller, purpose, Operation.DETOKENIZE, subjects=subjects, pii_types=types,
                              count=len(tokens), acting_agent_id=acting_agent_id)
        wanted = Access.MASKED if max_disclosure is Access.DENY else max_disclosure
        results = []
        for index, token in enumerate(tokens):
            row = rows[token]
            key = self.subject_key(row.subject_id, create=False)
            if key is None:
                self.audit(caller, purpose, Operation.DETOKENIZE, Decision.DENIED, subject_id=row.subject_id,
                           pii_types=[row.pii_type], value_count=1, acting_agent_id=acting_agent_id)
                raise NotFound("the token's subject was forgotten", reason="SUBJECT_FORGOTTEN", domain=ERROR_DOMAIN,
                               metadata={"token_index": str(index)})
            clear = self._decrypt(key, row, index)
            pii_type = PiiType(row.pii_type)
            disclosure = min(wanted, rule.access_for(pii_type))
            results.append(Detokenized(token, pii_type, row.subject_id, disclosure,
                                       clear if disclosure is Access.CLEAR else "", mask(pii_type, clear)))
        for subject in sorted(subjects):
            mine = [r for r in results if r.subject_id == subject]
            decision = Decision.ALLOWED if any(r.disclosure is Access.CLEAR for r in mine) else Decision.MASKED
            self.audit(caller, purpose, Operation.DETOKENIZE, decision, subject_id=subject,
                       pii_types=[r.pii_type for r in mine], value_count=len(mine), acting_agent_id=acting_agent_id)
        return results

    def _decrypt(self, key: crypto.SubjectKey, row: StoredValue, index: int) -> str:
        try:
            return key.decrypt(row.pii_type, row.token, row.ciphertext)
        except crypto.DecryptionError as exc:
            raise DataLoss("a stored value failed authentication (altered or moved)", reason="CIPHERTEXT_INVALID",
                           domain=ERROR_DOMAIN, metadata={"token_index": str(index)}) from exc

    def _raise_missing(self, caller: Caller, purpose: str, tokens: list[str], rows: dict[str, StoredValue],
                       agent: str) -> None:
        missing = [t for t in tokens if t not in rows]
        if not missing:
            return
        forgotten = self.data.forgotten_tokens(missing)
        for subject in sorted(set(forgotten.values())):
            self.audit(caller, purpose, Operation.DETOKENIZE, Decision.DENIED, subject_id=subject,
                       value_count=sum(1 for s in forgotten.values() if s == subject), acting_agent_id=agent)
        unknown = [t for t in missing if t not in forgotten]
        if unknown:
            self.audit(caller, purpose, Operation.DETOKENIZE, Decision.DENIED, value_count=len(unknown),
                       acting_agent_id=agent)
        first = missing[0]
        reason = "SUBJECT_FORGOTTEN" if first in forgotten else "UNKNOWN_TOKEN"
        raise NotFound("token not found" if reason == "UNKNOWN_TOKEN" else "the token's subject was forgotten",
                       reason=reason, domain=ERROR_DOMAIN, metadata={"token_index": str(tokens.index(first))})

    def lookup(self, caller: Caller, pii_type: int, value: str, purpose: str) -> Lookup:
        """The subject and token holding a value (blind index); a miss is not an error. Audited."""
        violations = Violations()
        check_purpose(violations, purpose)
        norm = ""
        if pii_type not in {int(t) for t in LOOKUP_TYPES}:
            violations.add("type", "UNSUPPORTED_FOR_LOOKUP", "only EMAIL and PHONE have a blind index")
        else:
            try:
                norm = normalise(PiiType(pii_type), value)
            except InvalidValue as exc:
                violations.add("value", exc.reason, exc.description)
        violations.raise_if_any()
        kind = PiiType(pii_type)
        subjects = {caller.user_id} if caller.user_id else set()
        rule = self.authorize(caller, purpose, Operation.LOOKUP, subjects=subjects, pii_types=[kind], count=1)
        entry = self.data.lookup(crypto.blind_index(self.ring.index_key, kind, norm))
        visible = entry is not None and (rule.any_subject or entry.subject_id == caller.user_id)
        # An index row of a shredded subject (a restored backup) must miss too.
        if entry is not None and visible and self.subject_key(entry.subject_id, create=False) is None:
            visible = False
        self.audit(caller, purpose, Operation.LOOKUP, Decision.ALLOWED,
                   subject_id=entry.subject_id if entry is not None and visible else "", pii_types=[kind],
                   value_count=1)
        if entry is None or not visible:
            return Lookup(found=False)
        return Lookup(found=True, subject_id=entry.subject_id, token=entry.token)

    def redact(self, caller: Caller, text: str, *, language_code: str, entity_types: list[int],
               tokenize_values: bool, subject_id: str, purpose: str) -> RedactionResult:
        """Redacted text and typed spans; with `tokenize_values`, each found value is tokenized for the subject."""
        violations = Violations()
        if purpose or tokenize_values:
            check_purpose(violations, purpose)
        if tokenize_values:
            check_subject(violations, subject_id)
        if language_code not in LANGUAGES:
            violations.add("language_code", "UNSUPPORTED_LANGUAGE", "en, zh or empty (both rule sets)")
        wanted: set[EntityType] = set()
        if len(entity_types) > MAX_ENTITY_TYPES:
            # A million entries (2 MB on the wire) made a million violations: past the deadline (found by fuzzing).
            violations.add("entity_types", "TOO_MANY", f"at most {MAX_ENTITY_TYPES} entity types")
            entity_types = []
        for i, number in enumerate(entity_types):
            if number not in ENTITY_BY_NUMBER:
                violations.add(f"entity_types[{i}]", "UNSPECIFIED", "set a known entity type")
            else:
                wanted.add(ENTITY_BY_NUMBER[number])
        try:
            result = redact(text, types=frozenset(wanted) if entity_types else None)
        except InputTooLongError:
            violations.add("text", "TOO_LONG", "at most 50,000 code points")
            result = RedactionResult(text="", spans=())
        violations.raise_if_any()
        if not tokenize_values:
            return result
        types = [ENTITY_PII_TYPES[span.entity_type] for span in result.spans]
        self.authorize(caller, purpose, Operation.REDACT, subjects={subject_id},
                       pii_types=types or [ENTITY_PII_TYPES[e] for e in (wanted or set(EntityType))], count=len(types))
        parsed = []
        for span in result.spans:
            pii_type = ENTITY_PII_TYPES[span.entity_type]
            try:
                parsed.append((pii_type, normalise(pii_type, span.value)))
            except InvalidValue:
                parsed.append((PiiType.FREE_TEXT, span.value))  # found by a looser rule than Tokenize's
        issued = iter(self.store_values(subject_id, parsed)) if parsed else iter(())
        return result.with_tokens(lambda _type, _value: next(issued).token)

    def export(self, caller: Caller, subject_id: str,
               purpose: str) -> tuple[bool, list[ExportedValue], list[AuditEntry]]:
        """(forgotten, every value in clear, every audit entry about the subject) for their own export. Audited."""
        violations = Violations()
        check_subject(violations, subject_id)
        check_purpose(violations, purpose)
        violations.raise_if_any()
        rows = self.data.subject_values(subject_id)
        types = {PiiType(row.pii_type) for row in rows}
        self.authorize(caller, purpose, Operation.EXPORT, subjects={subject_id}, pii_types=types, count=len(rows))
        key = self.subject_key(subject_id, create=False)
        forgotten = self.keys.shred_time(subject_id) is not None
        values = [] if key is None else [
            ExportedValue(row.token, PiiType(row.pii_type), self._decrypt(key, row, i), row.create_time)
            for i, row in enumerate(rows)
        ]
        self.audit(caller, purpose, Operation.EXPORT, Decision.ALLOWED, subject_id=subject_id,
                   pii_types=[v.pii_type for v in values], value_count=len(values))
        log: list[AuditEntry] = []
        while True:
            page = self.data.audit_page(subject_id, None, log[-1].sequence if log else 0, 1000)
            log.extend(page)
            if len(page) < 1000:
                return forgotten, values, log

    def forget(self, caller: Caller, subject_id: str, purpose: str) -> Forgotten:
        """Crypto-shreds a subject: data key destroyed first, then ciphertexts and index rows deleted. Idempotent."""
        violations = Violations()
        check_subject(violations, subject_id)
        check_purpose(violations, purpose)
        violations.raise_if_any()
        self.authorize(caller, purpose, Operation.FORGET, subjects={subject_id}, pii_types=[], count=0)
        shred = self.keys.shred(subject_id, self.clock())
        self.forget_cached_key(subject_id)
        values, index = self.data.delete_subject(subject_id, shred.forget_time)
        self.audit(caller, purpose, Operation.FORGET, Decision.ALLOWED, subject_id=subject_id, value_count=values)
        return Forgotten(shred.already, shred.forget_time, 0 if shred.already else shred.destroyed_keys, values, index)


def _parse_values(violations: Violations, values: list[tuple[int, str]]) -> list[tuple[PiiType, str]]:
    parsed: list[tuple[PiiType, str]] = []
    known = {int(t) for t in PiiType}
    for i, (number, value) in enumerate(values[:1000]):
        if number not in known:
            violations.add(f"values[{i}].type", "UNSPECIFIED", "set a known PII type")
            continue
        try:
            parsed.append((PiiType(number), normalise(PiiType(number), value)))
        except InvalidValue as exc:
            violations.add(f"values[{i}].value", exc.reason, exc.description)
    return parsed


__all__ = ["ERROR_DOMAIN", "Detokenized", "ExportedValue", "Forgotten", "Lookup", "StoreUnavailable", "Tokenized",
           "Vault"]
