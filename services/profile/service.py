"""The profile service's domain facade: what each RPC does, in domain types, with no grpc or protobuf.

The servicer converts messages and calls these methods; errors are the kit's domain errors (shared.errors),
mapped to status codes by the kit's interceptor.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import ParamSpec, Protocol, TypeVar

from services.profile.catalogue import MAX_ITEMS_PER_CALL, Catalogue, validate_item
from services.profile.drift import DriftMonitor
from services.profile.engine import FeatureEngine
from services.profile.events import MAX_EVENTS_PER_BATCH, IngestRules, validate_event
from services.profile.features import ItemFeatureValues, UserFeatureValues
from services.profile.ingest_writer import Append, GroupWriter, Outcome
from services.profile.model import ID_RULE, US_PER_S, Event, EventResult, Item, ResultStatus, Violation, valid_id
from services.profile.privacy import PRIVACY_SWEEP_SECONDS, Tombstones, purge_expired
from services.profile.profiles import (
    CONSENT_FIELDS,
    READ_ONLY,
    UPDATABLE,
    ConsentState,
    Profile,
    apply_update,
    etag_of,
    profile_doc,
    profile_from_doc,
    validate_mask,
    validate_profile_values,
)
from services.profile.store import AsyncStore, EventQuery, StoreUnavailable
from shared.errors import Aborted, FieldViolation, InvalidArgument, NotFound, PermissionDenied, Unavailable

P = ParamSpec("P")
R = TypeVar("R")


MAX_FILTER_IDS = 1000
"""Most user ids (and event types) one ReadEvents filter may list."""
MAX_VIOLATIONS = 100
"""Field violations one INVALID_ARGUMENT carries at most (a batch of bad items must not make a huge status)."""


def invalid(violations: list[Violation], message: str = "invalid request") -> InvalidArgument:
    """INVALID_ARGUMENT with one BadRequest violation per field (the first 100); reasons also in ErrorInfo
    metadata."""
    violations = violations[:MAX_VIOLATIONS]
    return InvalidArgument(
        message, [FieldViolation(v.field, f"{v.reason}: {v.description}") for v in violations],
        reason=violations[0].reason, metadata={v.field: v.reason for v in violations})


def _count_violation(field: str, n: int, most: int) -> list[Violation]:
    if n == 0:
        return [Violation(field, "EMPTY", "send at least one")]
    if n > most:
        return [Violation(field, "TOO_MANY", f"at most {most:,}")]
    return []


@dataclass(frozen=True)
class DeleteReport:
    """What DeleteUser removed."""

    already_deleted: bool
    deleted_event_count: int
    deleted_profile: bool
    deleted_features: bool
    delete_time_us: int


class TokenVerifier(Protocol):
    """Checks that vault tokens belong to a subject and have the expected PII type."""

    async def verify(self, user_id: str, tokens: dict[str, tuple[str, str]]) -> list[Violation]:
        """Violations per field path of {path: (token, pii type name)}; raises Unavailable when it cannot tell."""
        ...


@dataclass(frozen=True)
class Policy:
    """Service-level rules from settings.

    Attributes:
        retention_us: oldest event age accepted (except dataset replays).
        personalization_default_granted: consent for users never asked.
        catalogue_writers: identities allowed to call UpsertItems (None: plaintext, anyone).
        log_readers: identities allowed to call ReadEvents.
        impression_loggers: identities allowed to send IMPRESSION events.
        privacy_callers: identities allowed ExportUser and DeleteUser (the gateway's privacy requests, ops'
            erasure requests); a user context, when present, must still name the user.
        account_writers: identities allowed to change a user's profile, consent or orders (UpdateProfile,
            UpdateConsent, RequestCancellation, RequestAddressChange); the same subject check applies.
    """

    retention_us: int
    personalization_default_granted: bool
    catalogue_writers: frozenset[str]
    log_readers: frozenset[str]
    impression_loggers: frozenset[str]
    privacy_callers: frozenset[str] = frozenset({"gateway", "ops"})
    account_writers: frozenset[str] = frozenset({"gateway", "support", "ops"})


def _allowed(caller_service: str | None, allowed: frozenset[str]) -> bool:
    # No identity only happens on an explicitly plaintext deployment (local development).
    return caller_service is None or caller_service in allowed


def check_subject(user_id: str, context_user: str | None) -> None:
    """A call made for an end user must name that same user."""
    if context_user is not None and context_user != user_id:
        raise PermissionDenied("the user context names another user", reason="SUBJECT_MISMATCH")


def check_user_id(user_id: str, field: str = "user_id") -> None:
    """REQUIRED / MALFORMED_ID for a user id field."""
    if not user_id:
        raise invalid([Violation(field, "REQUIRED", "name the user")])
    if not valid_id(user_id):
        raise invalid([Violation(field, "MALFORMED_ID", ID_RULE)])


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


class ProfileService:
    """Every operation of the profile service over its stores.

    Args:
        store: the SQL store (log, catalogue, consent, profiles).
        engine: the feature engine.
        catalogue: the in-memory catalogue (loaded by `start`).
        policy: settings-derived rules.
        verifier: vault token checks for profiles, or None to check token syntax only.
        wall_clock_us: the server clock (validation only, never features).
        drift: takes every committed group for the drift metrics (None: no drift metrics).
    """

    def __init__(self, store: AsyncStore, engine: FeatureEngine, catalogue: Catalogue, policy: Policy, *,
                 verifier: TokenVerifier | None = None, wall_clock_us: Callable[[], int] | None = None,
                 log_writers: list[Append] | None = None,
                 consent_reader: Callable[[str], Awaitable[tuple[int, int, int] | None]] | None = None,
                 drift: DriftMonitor | None = None):
        self.store = store
        self.engine = engine
        self.catalogue = catalogue
        self.policy = policy
        self.verifier = verifier
        self._wall = wall_clock_us or (lambda: int(time.time() * US_PER_S))
        self.closers: list[Callable[[], Awaitable[None]]] = []
        # One writer connection per log partition: a user's events always go through the same one, so each
        # partition's sequences commit in order while the partitions write in parallel.
        def on_store_thread(events: Sequence[Event], ingest_us: int, default: bool) -> Awaitable[Outcome]:
            return store.call(store.sync.append_consented, events, ingest_us, default)

        self.drift = drift

        def committed(events: list[Event]) -> None:
            engine.submit(events)
            if drift is not None:
                drift.update(events)

        self._writers = [GroupWriter(append, policy.personalization_default_granted, committed)
                         for append in (log_writers or [on_store_thread])]
        self.tombstones = Tombstones(store)
        # PostgreSQL reads consent on the event loop; otherwise through the store's thread.
        self._read_consent = consent_reader or (lambda user_id: store.call(store.sync.get_consent, user_id))
        self._privacy_sweep: asyncio.Task[None] | None = None

    async def _db(self, method: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await self.store.call(method, *args, **kwargs)
        except StoreUnavailable as exc:
            raise Unavailable("the profile database is unreachable; retry with backoff") from exc

    async def start(self) -> None:
        """Migrates the schema, loads the catalogue and brings the features up to date with the log."""
        await self._db(self.store.sync.migrate)
        self.catalogue.load(await self._db(self.store.sync.all_items))
        await self.enforce_privacy()
        if self.drift is not None and not self.drift.reference_complete:  # the log's first events
            first = await self._db(self.store.sync.read_events, EventQuery(start_us=self.drift.reference_start_us),
                                   None, self.drift.window_events)
            self.drift.load_reference(first)
        await self.engine.start()
        self._privacy_sweep = asyncio.get_running_loop().create_task(self._sweep_every(PRIVACY_SWEEP_SECONDS))

    async def healthy(self) -> bool:
        """Whether the log and the feature store answer (health follows it: SERVING only then)."""
        try:
            return await self.store.call(self.store.sync.ping) and await self.engine.features.ping()
        except Exception:
            return False

    async def close(self) -> None:
        """Applies queued events, then closes the feature store and every log connection."""
        if self._privacy_sweep is not None:
            self._privacy_sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._privacy_sweep
        await self.engine.stop()
        await self.engine.features.close()
        await self.store.close()
        for close in self.closers:
            await close()

    # --- catalogue ------------------------------------------------------------------------------------------

    def _catalog(self, catalog_id: str) -> str:
        catalog = self.catalogue.resolve(catalog_id)
        if not self.catalogue.known_catalog(catalog):
            raise NotFound("no such catalogue", reason="UNKNOWN_CATALOG", metadata={"catalog_id": catalog[:64]})
        return catalog

    def _check_ids(self, ids: list[str], field: str) -> None:
        # A million ids (found by fuzzing) took GetItemFeatures 4.5 s in checks and violations: count first.
        violations = _count_violation(field, len(ids), MAX_ITEMS_PER_CALL) or [
            Violation(f"{field}[{i}]", "MALFORMED_ID", ID_RULE) for i, x in enumerate(ids) if not valid_id(x)]
        if violations:
            raise invalid(violations)

    def get_items(self, catalog_id: str, item_ids: list[str]) -> list[Item | None]:
        """Items in request order; None for unknown ids."""
        self._check_ids(item_ids, "item_ids")
        catalog = self._catalog(catalog_id)
        return [self.catalogue.get(catalog, i) for i in item_ids]

    def list_items(self, catalog_id: str, page_size: int, page_token: str) -> tuple[list[Item], str, int]:
        """(items, next_page_token, total) in item id order."""
        if page_size < 0 or page_size > 1000:
            raise invalid([Violation("page_size", "OUT_OF_RANGE", "1 to 1,000; 0 means 500")])
        catalog = self._catalog(catalog_id)
        after = ""
        if page_token:
            try:
                after = _unb64(page_token)
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise invalid([Violation("page_token", "INVALID_PAGE_TOKEN", "pass a next_page_token back")]) from None
        size = page_size or 500
        items = self.catalogue.page(catalog, after, size + 1)
        next_token = _b64(items[size - 1].item_id) if len(items) > size else ""
        return items[:size], next_token, len(self.catalogue.items_of(catalog))

    async def upsert_items(self, items: list[Item], caller_service: str | None) -> tuple[int, int]:
        """Creates or replaces items; returns (created, updated)."""
        if not _allowed(caller_service, self.policy.catalogue_writers):
            raise PermissionDenied("this identity may not write the catalogue", reason="CALLER_NOT_ALLOWED")
        violations = _count_violation("items", len(items), MAX_ITEMS_PER_CALL)
        for i, item in enumerate(items):
            violations += validate_item(item, i)
        if violations:
            raise invalid(violations)
        result = await self._db(self.store.sync.upsert_items, items, self._wall())
        self.catalogue.load(items)
        self.engine.items_changed(items)
        return result

    # --- event log ------------------------------------------------------------------------------------------

    async def ingest(self, events: list[Event], all_or_nothing: bool, caller_service: str | None,
                     context_user: str | None) -> list[EventResult]:
        """Validates, deduplicates, drops events without consent, commits the rest, then acknowledges.

        Every ACCEPTED result is durable when this returns; features follow within a second.
        """
        violations = _count_violation("events", len(events), MAX_EVENTS_PER_BATCH)
        if violations:
            raise invalid(violations)
        if context_user is not None and any(e.user_id != context_user for e in events):
            raise PermissionDenied("the user context names another user", reason="SUBJECT_MISMATCH")
        now = self._wall()
        rules = IngestRules(now, self.policy.retention_us, _allowed(caller_service, self.policy.impression_loggers))
        for e in events:
            if not e.catalog_id:
                e.catalog_id = self.catalogue.default_catalog
        per_event = [validate_event(e, i, rules, self.catalogue) for i, e in enumerate(events)]
        if all_or_nothing and any(per_event):
            raise invalid([v for vs in per_event for v in vs], "the batch has invalid events; nothing was written")
        await self.tombstones.refresh_if_stale()
        erased = {i for i, e in enumerate(events) if self.tombstones.covers(e.user_id, e.event_time_us)}
        seen: set[tuple[str, str]] = set()
        candidates: list[int] = []
        for i, (event, bad) in enumerate(zip(events, per_event, strict=True)):
            key = (event.user_id, event.event_id)
            if not bad and key not in seen and i not in erased:
                seen.add(key)
                candidates.append(i)
        by_partition: dict[int, list[Event]] = {}
        for i in candidates:
            e = events[i]
            e.log_partition = zlib.crc32(e.user_id.encode()) % len(self._writers)
            by_partition.setdefault(e.log_partition, []).append(e)
        await self.engine.admit()  # a fold process far behind: wait rather than let features lag by seconds
        try:
            outcomes = await asyncio.gather(*(self._writers[p].write(batch, now) for p, batch in by_partition.items()))
        except StoreUnavailable as exc:
            raise Unavailable("the event log cannot be written; nothing was acknowledged, retry") from exc
        denied = {u for d, _ in outcomes for u in d}
        written = {k: v for _, w in outcomes for k, v in w.items()}
        first = set(candidates)
        results = []
        for i, (event, bad) in enumerate(zip(events, per_event, strict=True)):
            key = (event.user_id, event.event_id)
            if bad:
                results.append(EventResult(event.event_id, ResultStatus.REJECTED, tuple(bad)))
            elif event.user_id in denied or i in erased:  # no consent, or a deleted user's past (tombstone)
                results.append(EventResult(event.event_id, ResultStatus.DISCARDED_NO_CONSENT))
            elif i in first and key in written:
                results.append(EventResult(event.event_id, ResultStatus.ACCEPTED))
            else:  # already in the log, or a repeat of an earlier event of this batch
                results.append(EventResult(event.event_id, ResultStatus.DUPLICATE))
        return results

    async def read_events(self, query: EventQuery, batch_size: int, resume_token: str,
                          caller_service: str | None) -> AsyncIterator[tuple[list[Event], str]]:
        """Batches of (events, resume_token) in (event_time, sequence) order from a snapshot."""
        if not _allowed(caller_service, self.policy.log_readers):
            raise PermissionDenied("this identity may not read the event log", reason="CALLER_NOT_ALLOWED")
        violations = []
        if query.start_us is not None and query.end_us is not None and query.end_us < query.start_us:
            violations.append(Violation("end_time", "BEFORE_START", "end_time must not be before start_time"))
        if batch_size < 0 or batch_size > 5000:
            violations.append(Violation("batch_size", "OUT_OF_RANGE", "1 to 5,000; 0 means 1,000"))
        # Counted first: a million user ids (found by fuzzing) were checked and turned into violations on the
        # event loop, long enough for the service's health checks to time out.
        if len(query.user_ids) > MAX_FILTER_IDS:
            violations.append(Violation("user_ids", "TOO_MANY", f"at most {MAX_FILTER_IDS:,}"))
        else:
            violations += [Violation(f"user_ids[{i}]", "MALFORMED_ID", ID_RULE)
                           for i, u in enumerate(query.user_ids) if not valid_id(u)]
        if len(query.event_types) > MAX_FILTER_IDS:
            violations.append(Violation("event_types", "TOO_MANY", f"at most {MAX_FILTER_IDS:,}"))
        after: tuple[int, int] | None = None
        snapshot: int | None = None
        if resume_token:
            try:
                t, seq, snap = (int(x) for x in _unb64(resume_token).split(":"))
                if not (-(2**63) <= t < 2**63 and 0 <= seq < 2**63 and 0 <= snap < 2**63):
                    raise ValueError("out of the stores' 64-bit range")  # SQLite raises OverflowError past it
                after, snapshot = (t, seq), snap
            except (ValueError, binascii.Error, UnicodeDecodeError):
                violations.append(Violation("resume_token", "INVALID_RESUME_TOKEN", "pass a resume_token back"))
        if violations:
            raise invalid(violations)
        if snapshot is None:
            snapshot = await self._db(self.store.sync.max_sequence)
        query = replace(query, max_sequence=snapshot)
        size = batch_size or 1000
        await self.tombstones.refresh()  # a restored log may still hold deleted users' events: never return them
        while True:
            batch: list[Event] = await self._db(self.store.sync.read_events, query, after, size)
            if not batch:
                return
            after = (batch[-1].event_time_us, batch[-1].sequence)
            kept = self.tombstones.keep(batch)
            if kept:
                yield kept, _b64(f"{after[0]}:{after[1]}:{snapshot}")
            if len(batch) < size:
                return

    # --- features -------------------------------------------------------------------------------------------

    def _as_of(self, as_of_us: int | None) -> int | None:
        if as_of_us is not None and as_of_us > self._wall():
            raise invalid([Violation("as_of_time", "IN_FUTURE", "features exist only up to now")])
        return as_of_us

    async def user_features(self, user_id: str, catalog_id: str, as_of_us: int | None,
                            context_user: str | None) -> tuple[int, UserFeatureValues | None]:
        """(as_of, features or None when the user has no events)."""
        check_user_id(user_id)
        check_subject(user_id, context_user)
        as_of = self._as_of(as_of_us)
        catalog = self._catalog(catalog_id)
        try:
            return await self.engine.user_features(catalog, user_id, as_of)
        except StoreUnavailable as exc:
            raise Unavailable("the profile database is unreachable; retry with backoff") from exc

    async def item_features(self, catalog_id: str, item_ids: list[str], as_of_us: int | None
                            ) -> tuple[str, int, list[tuple[Item | None, ItemFeatureValues | None]]]:
        """(catalog, as_of, [(item or None when unknown, features)]) in request order."""
        self._check_ids(item_ids, "item_ids")
        as_of = self._as_of(as_of_us)
        catalog = self._catalog(catalog_id)
        items = [self.catalogue.get(catalog, i) for i in item_ids]
        known = [i for i, item in zip(item_ids, items, strict=True) if item is not None]
        try:
            now, values = await self.engine.item_features(catalog, known, as_of) if known else (as_of or 0, [])
        except StoreUnavailable as exc:
            raise Unavailable("the profile database is unreachable; retry with backoff") from exc
        by_id = dict(zip(known, values, strict=True))
        return catalog, now, [(item, by_id.get(i)) for i, item in zip(item_ids, items, strict=True)]

    async def served_user_features(self, user_id: str, catalog_id: str,
                                   context_user: str | None) -> tuple[str, int, bytes | None]:
        """The serving read of `user_features` at "now": (catalog, as_of, UserFeatures wire bytes or None)."""
        check_user_id(user_id)
        check_subject(user_id, context_user)
        catalog = self._catalog(catalog_id)
        try:
            now, encoded = await self.engine.served_user(catalog, user_id)
        except StoreUnavailable as exc:
            raise Unavailable("the profile database is unreachable; retry with backoff") from exc
        return catalog, now, encoded

    async def served_item_features(self, catalog_id: str, item_ids: list[str]
                                   ) -> tuple[str, int, list[Item | None], list[bytes | None]]:
        """The serving read of `item_features` at "now": (catalog, as_of, items in request order (None when
        unknown), their serving records (None for unknown items))."""
        self._check_ids(item_ids, "item_ids")
        catalog = self._catalog(catalog_id)
        get = self.catalogue.items_of(catalog).get
        items = [get(i) for i in item_ids]
        known = [i for i, item in zip(item_ids, items, strict=True) if item is not None]
        try:
            now, records = await self.engine.served_items(catalog, known) if known else (0, [])
        except StoreUnavailable as exc:
            raise Unavailable("the profile database is unreachable; retry with backoff") from exc
        if len(known) == len(item_ids):
            return catalog, now, items, list(records)
        found = iter(records)
        return catalog, now, items, [None if item is None else next(found) for item in items]

    async def popular_items(self, catalog_id: str, category_prefix: str, limit: int,
                            include_out_of_stock: bool) -> tuple[int, list[tuple[str, float]]]:
        """(as_of, [(item_id, popularity)])."""
        if limit < 0 or limit > 500:
            raise invalid([Violation("limit", "OUT_OF_RANGE", "1 to 500; 0 means 100")])
        catalog = self._catalog(catalog_id)
        try:
            return await self.engine.popular(catalog, category_prefix.strip("/"), limit or 100, include_out_of_stock)
        except StoreUnavailable as exc:
            raise Unavailable("the feature store is unreachable; retry with backoff") from exc

    # --- consent and profiles -------------------------------------------------------------------------------

    async def get_consent(self, user_id: str, context_user: str | None) -> tuple[int, int, int]:
        """(personalization, marketing, update_time_us); UNSPECIFIED for a user never asked."""
        check_user_id(user_id)
        check_subject(user_id, context_user)
        found = await self._db_call(self._read_consent(user_id))
        return found or (ConsentState.UNSPECIFIED, ConsentState.UNSPECIFIED, 0)

    async def update_consent(self, user_id: str, personalization: int, marketing: int, paths: list[str],
                             context_user: str | None) -> tuple[int, int, int]:
        """Sets the masked decisions; returns the decisions after the update."""
        check_user_id(user_id)
        check_subject(user_id, context_user)
        violations = validate_mask(paths, CONSENT_FIELDS, frozenset())
        for name, value in (("personalization", personalization), ("marketing", marketing)):
            if name in paths and value not in (ConsentState.GRANTED, ConsentState.DENIED):
                violations.append(Violation(f"consent.{name}", "UNSPECIFIED", "a decision is GRANTED or DENIED"))
        if violations:
            raise invalid(violations)
        current = await self.get_consent(user_id, context_user)
        new_p = personalization if "personalization" in paths else current[0]
        new_m = marketing if "marketing" in paths else current[1]
        now = self._wall()
        await self._db(self.store.sync.put_consent, user_id, new_p, new_m, now)
        return new_p, new_m, now

    async def get_profile(self, user_id: str, context_user: str | None) -> Profile:
        """The stored profile; NotFound when the user never saved one."""
        check_user_id(user_id)
        check_subject(user_id, context_user)
        row = await self._db(self.store.sync.get_profile, user_id)
        if row is None:
            raise NotFound("no profile for this user", reason="PROFILE_NOT_FOUND")
        return profile_from_doc(user_id, *row)

    async def update_profile(self, new: Profile, paths: list[str], allow_missing: bool, expected_etag: str,
                             context_user: str | None) -> Profile:
        """Replaces the masked fields; tokens are checked (syntax, and with the vault when configured)."""
        check_user_id(new.user_id)
        check_subject(new.user_id, context_user)
        violations = validate_mask(paths, UPDATABLE, READ_ONLY) or validate_profile_values(new, paths)
        if violations:
            raise invalid(violations)
        if self.verifier is not None:
            types = {"display_name_token": "NAME", "email_token": "EMAIL", "phone_token": "PHONE"}
            wanted = {f"profile.{k}": (v, types.get(k, "ADDRESS")) for k, v in new.tokens().items()
                      if k.split("[")[0] in paths}
            if wanted:
                violations = await self.verifier.verify(new.user_id, wanted)
                if violations:
                    raise invalid(violations)
        row = await self._db(self.store.sync.get_profile, new.user_id)
        if row is None and not allow_missing:
            raise NotFound("no profile for this user", reason="PROFILE_NOT_FOUND")
        current = profile_from_doc(new.user_id, *row) if row else Profile(new.user_id)
        if expected_etag and expected_etag != current.etag:
            raise Aborted("the profile changed since it was read", reason="ETAG_MISMATCH")
        updated = apply_update(current, new, paths)
        doc = profile_doc(updated)
        etag = etag_of(doc)
        if etag != current.etag or row is None:
            ok = await self._db(self.store.sync.put_profile, new.user_id, doc, etag,
                                current.etag if row else None, self._wall())
            if not ok:
                raise Aborted("the profile changed concurrently", reason="ETAG_MISMATCH")
        return await self.get_profile(new.user_id, context_user)

    # --- privacy --------------------------------------------------------------------------------------------

    def check_privacy_caller(self, caller_service: str | None) -> None:
        """ExportUser and DeleteUser are for the privacy callers only: any other mesh identity (a ranker, an
        indexer) must not bulk-read or erase a user's data."""
        if not _allowed(caller_service, self.policy.privacy_callers):
            raise PermissionDenied("this identity may not export or delete a user's data", reason="CALLER_NOT_ALLOWED")

    def check_account_writer(self, caller_service: str | None) -> None:
        """A user's profile, consent and order requests change only through the account writers: a compute
        service (ranking, retrieval, embedding) must not withdraw a consent or redirect a delivery."""
        if not _allowed(caller_service, self.policy.account_writers):
            raise PermissionDenied("this identity may not change a user's account", reason="CALLER_NOT_ALLOWED")

    async def delete_user(self, user_id: str, context_user: str | None) -> DeleteReport:
        """Deletes events, features, profile and consent for real; idempotent."""
        check_user_id(user_id)
        check_subject(user_id, context_user)
        # The tombstone first: from now on no replay or restored backup brings the user's past events back.
        await self._db_call(self.tombstones.add(user_id, self._wall()))
        await self.engine.drain()  # queued events of the user must not re-create features after the delete
        touched = await self._db(self.store.sync.user_item_keys, user_id)
        events, had_profile, had_consent = await self._db(self.store.sync.delete_user, user_id)
        try:
            features = await self.engine.features.delete_user(user_id)
        except StoreUnavailable as exc:  # the log rows are gone already; a retry finishes the job
            raise Unavailable("the feature store is unreachable; retry the deletion") from exc
        self.engine.forget(user_id)
        # Item features are aggregates: recompute the user's items from what remains, as a rebuild would.
        await self.engine.recompute_items(sorted(touched))
        already = not (events or had_profile or had_consent or features)
        return DeleteReport(already, events, had_profile, features, self._wall())

    async def _db_call(self, work: Awaitable[R]) -> R:
        try:
            return await work
        except StoreUnavailable as exc:
            raise Unavailable("the profile database is unreachable; retry with backoff") from exc

    async def enforce_privacy(self) -> tuple[int, int]:
        """Purges deleted users' events a restored log still holds and events past the retention limit (by
        event time); returns (tombstoned, expired) events deleted. Runs at start and every hour."""
        tombstoned, users = await self._db_call(self.tombstones.purge_log())
        for user_id in users:
            await self._db_call(self.engine.features.delete_user(user_id))
            self.engine.forget(user_id)
        expired, _ = await self._db_call(purge_expired(self.store, self.policy.retention_us))
        return tombstoned, expired

    async def _sweep_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            with contextlib.suppress(Unavailable):  # the database is down: the next sweep catches up
                await self.enforce_privacy()

    async def scrub_storage(self) -> None:
        """After a user's deletion (profile, events, orders): no old copy of the deleted rows stays in the
        store's files (SQLite's write-ahead log; see SqlStore.scrub)."""
        await self._db(self.store.sync.scrub)

    async def export_events(self, user_id: str) -> AsyncIterator[list[Event]]:
        """The user's events in batches of up to 1,000, by event time."""
        query = EventQuery(user_ids=(user_id,))
        async for batch, _ in self.read_events(query, 1000, "", None):
            yield batch
