"""The order RPCs in domain terms: the mirror fed by order events, reads, and the outbox of user requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from services.profile import orders_store as sql
from services.profile.model import EventResult, ResultStatus, Violation
from services.profile.orders import (
    CANCELLED,
    NOT_SHIPPED,
    REFUND_ISSUED,
    REFUND_PENDING,
    OrderEventIn,
    Points,
    Rejected,
    apply_event,
    normalise_order_id,
    tier_of,
    validate_order_event,
)
from services.profile.privacy import Tombstones, subject_hash
from services.profile.profiles import TOKEN_PATTERN, TOKEN_RULE
from services.profile.service import check_subject, check_user_id, invalid
from services.profile.store import AsyncStore, StoreUnavailable
from shared.errors import FailedPrecondition, NotFound, PermissionDenied, Unavailable
from shared.logging import get_logger

P = ParamSpec("P")
R = TypeVar("R")
CANCELLATION, ADDRESS_CHANGE = 1, 2
MAX_ORDER_EVENTS = 1000
MAX_OFFSET = 2**31
"""Largest list offset a page token may carry (a token past it came from no reply)."""
CONSOLE_CALLERS = frozenset({"console"})
"""Mesh identities of the agent console: they must name the agent they act for."""
CONSOLE_ORDERS_PURPOSE = "console.view_orders"
_log = get_logger(__name__)


@dataclass(frozen=True)
class OutboxEntry:
    """One user request for the shop's order system."""

    sequence: int
    request_id: str
    kind: int
    user_id: str
    order_id: str
    doc: dict[str, Any]
    create_time_us: int
    ack_time_us: int | None


def _entry(row: tuple[Any, ...]) -> OutboxEntry:
    import orjson

    return OutboxEntry(int(row[0]), row[1], int(row[2]), row[3], row[4], orjson.loads(row[5]), int(row[6]),
                       None if row[7] is None else int(row[7]))


def fold_order_events(events: list[OrderEventIn], seen: set[str], orders: dict[str, dict[str, Any]],
                      points: dict[str, Points]) -> tuple[list[Any], list[OrderEventIn], set[str], set[str]]:
    """Applies events in request order; each is judged on its own (see ApplyOrderEvents)."""
    results: list[EventResult] = []
    applied: list[OrderEventIn] = []
    changed_orders: set[str] = set()
    changed_users: set[str] = set()
    for i, e in enumerate(events):
        violations = validate_order_event(e, i)
        if violations:
            results.append(EventResult(e.order_event_id, ResultStatus.REJECTED, tuple(violations)))
            continue
        if e.order_event_id in seen:
            results.append(EventResult(e.order_event_id, ResultStatus.DUPLICATE))
            continue
        user_points = points.setdefault(e.user_id, Points())
        try:
            orders[e.order_id] = apply_event(e, orders.get(e.order_id), user_points, i)
        except Rejected as rejected:
            results.append(EventResult(e.order_event_id, ResultStatus.REJECTED, (rejected.violation,)))
            continue
        seen.add(e.order_event_id)
        applied.append(e)
        changed_orders.add(e.order_id)
        if e.kind.startswith("points_"):
            changed_users.add(e.user_id)
        results.append(EventResult(e.order_event_id, ResultStatus.ACCEPTED))
    return results, applied, changed_orders, changed_users


def _allowed(caller: str | None, allowed: frozenset[str]) -> bool:
    return caller is None or caller in allowed


class OrderService:
    """The order mirror over the profile store.

    Args:
        store: the SQL store.
        order_feeds: identities allowed ApplyOrderEvents.
        order_systems: identities allowed to drain the outbox.
        wall_clock_us: the server clock (create and ack times of outbox entries).
    """

    def __init__(self, store: AsyncStore, order_feeds: frozenset[str], order_systems: frozenset[str],
                 wall_clock_us: Callable[[], int] | None = None, tombstones: Tombstones | None = None):
        self.store = store
        self.tombstones = tombstones
        self._feeds = order_feeds
        self._systems = order_systems
        self._wall = wall_clock_us or (lambda: int(time.time() * 1e6))

    async def _db(self, method: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await self.store.call(method, *args, **kwargs)
        except StoreUnavailable as exc:
            raise Unavailable("the profile database is unreachable; retry with backoff") from exc

    async def apply(self, events: list[OrderEventIn], caller: str | None) -> list[EventResult]:
        """ApplyOrderEvents: one result per event, in request order."""
        if not _allowed(caller, self._feeds):
            raise PermissionDenied("this identity may not feed orders", reason="CALLER_NOT_ALLOWED")
        if not events or len(events) > MAX_ORDER_EVENTS:
            reason = "EMPTY" if not events else "TOO_MANY"
            raise invalid([Violation("events", reason, "1 to 1,000 events")])
        for e in events:
            e.order_id = normalise_order_id(e.order_id) or e.order_id
        erased = await self._erased(events)
        kept = [e for e, gone in zip(events, erased, strict=True) if not gone]
        applied = iter(await self._db(sql.apply_order_events, self.store.sync, kept, fold_order_events)
                       if kept else [])
        # A deleted user's past orders (a replayed feed) are not mirrored again.
        return [EventResult(e.order_event_id, ResultStatus.DISCARDED_NO_CONSENT) if gone else next(applied)
                for e, gone in zip(events, erased, strict=True)]

    async def _erased(self, events: list[OrderEventIn]) -> list[bool]:
        if self.tombstones is None:
            return [False] * len(events)
        await self.tombstones.refresh_if_stale()
        return [self.tombstones.covers(e.user_id, e.event_time_us) for e in events]

    async def _order(self, user_id: str, raw_order_id: str, context_user: str | None) -> dict[str, Any]:
        check_user_id(user_id)
        check_subject(user_id, context_user)
        order_id = normalise_order_id(raw_order_id)
        if order_id is None:
            raise invalid([Violation("order_id", "MALFORMED_ORDER_ID", '"A" followed by five digits')])
        order = await self._db(sql.get_order, self.store.sync, order_id)
        if order is None or order["user_id"] != user_id:  # another user's order does not exist for this one
            raise NotFound("no such order for this user", reason="ORDER_NOT_FOUND")
        return order

    async def list_orders(self, user_id: str, statuses: list[int], page_size: int, page_token: str,
                          context_user: str | None, *, caller: str = "", acting_agent_id: str = "",
                          purpose: str = "") -> tuple[list[dict[str, Any]], str]:
        """A page of the user's orders, newest first, and the next page token.

        The agent console must name the agent it acts for and the purpose CONSOLE_ORDERS_PURPOSE; no other
        caller may name an agent. The console's reads are logged with agent and purpose and the customer as the
        hash tombstones use (no PII, and no user id that would outlive a deletion in the logs).
        """
        check_user_id(user_id)
        check_subject(user_id, context_user)
        if caller in CONSOLE_CALLERS:
            if not acting_agent_id:
                raise invalid([Violation("acting_agent_id", "REQUIRED", "name the agent the console acts for")])
            if purpose != CONSOLE_ORDERS_PURPOSE:
                raise invalid([Violation("purpose", "UNKNOWN_PURPOSE", f"the console reads orders for "
                                         f"{CONSOLE_ORDERS_PURPOSE}")])
            _log.info("orders.read_for_agent", caller=caller, acting_agent_id=acting_agent_id[:64],
                      purpose=purpose, subject_hash=subject_hash(user_id))
        elif acting_agent_id:
            raise invalid([Violation("acting_agent_id", "NOT_ALLOWED_FOR_CALLER", "only the agent console acts "
                                     "for an agent")])
        if page_size < 0 or page_size > 100:
            raise invalid([Violation("page_size", "OUT_OF_RANGE", "1 to 100; 0 means 20")])
        try:
            offset = int(page_token) if page_token else 0
            if not 0 <= offset <= MAX_OFFSET:  # an OFFSET the stores take (SQLite: 64-bit; PostgreSQL: not < 0)
                raise ValueError(offset)
        except ValueError:
            raise invalid([Violation("page_token", "INVALID_PAGE_TOKEN", "pass a next_page_token back")]) from None
        size = page_size or 20
        rows = await self._db(sql.list_orders, self.store.sync, user_id, statuses, size + 1, offset)
        return rows[:size], str(offset + size) if len(rows) > size else ""

    async def get_order(self, user_id: str, order_id: str, context_user: str | None) -> dict[str, Any]:
        """One order with its timeline, including the user's requests recorded in the outbox."""
        order = await self._order(user_id, order_id, context_user)
        rows = await self._db(sql.list_outbox, self.store.sync, 0, 1000, True, user_id)
        for entry in (_entry(r) for r in rows):
            if entry.order_id == order["order_id"]:
                order["timeline"].append({
                    "type": 11 if entry.kind == CANCELLATION else 12, "event_time": entry.create_time_us,
                    "summary": "Cancellation requested" if entry.kind == CANCELLATION else "Address change requested",
                    "source_event_id": entry.request_id})
        order["timeline"].sort(key=lambda t: t["event_time"])
        return order

    async def refunds(self, user_id: str, order_id: str, context_user: str | None) -> list[dict[str, Any]]:
        """Refunds of one order, or the user's refunds still under way; newest first."""
        if order_id:
            found = (await self._order(user_id, order_id, context_user))["refunds"]
        else:
            check_user_id(user_id)
            check_subject(user_id, context_user)
            now = self._wall()
            orders = await self._db(sql.list_orders, self.store.sync, user_id, [], 10_000, 0)
            found = [r for o in orders for r in o["refunds"] if r["status"] == REFUND_PENDING or
                     (r["status"] == REFUND_ISSUED and r.get("expected_complete_time", 0) > now)]
        return sorted(found, key=lambda r: r.get("issue_time") or r.get("request_time", 0), reverse=True)

    async def points(self, user_id: str, context_user: str | None) -> tuple[Points, str, int]:
        """(points, tier, points to the next tier)."""
        check_user_id(user_id)
        check_subject(user_id, context_user)
        points = await self._db(sql.get_points, self.store.sync, user_id)
        tier, to_next = tier_of(points.earned)
        return points, tier, to_next

    async def request(self, kind: int, user_id: str, order_id: str, *, request_id: str, doc: dict[str, Any],
                      context_user: str | None) -> tuple[OutboxEntry, bool]:
        """RequestCancellation / RequestAddressChange: validated, then recorded once per request_id."""
        if not request_id:
            raise invalid([Violation("request_id", "REQUIRED", "an idempotency key (UUID)")])
        order = await self._order(user_id, order_id, context_user)
        if kind == CANCELLATION:
            known = {line["line_id"] for line in order["lines"]}
            bad = [Violation(f"line_ids[{i}]", "UNKNOWN_LINE", "the order has no such line")
                   for i, line in enumerate(doc["line_ids"]) if line not in known]
            if bad:
                raise invalid(bad)
        elif not doc["shipping_address_token"]:
            raise invalid([Violation("shipping_address_token", "REQUIRED", "the new address as a vault token")])
        elif not TOKEN_PATTERN.fullmatch(doc["shipping_address_token"]):
            raise invalid([Violation("shipping_address_token", "MALFORMED_TOKEN", TOKEN_RULE)])
        earlier = await self._db(sql.find_outbox, self.store.sync, request_id)
        if earlier is None:
            if order["status"] not in NOT_SHIPPED:
                reason = "ORDER_ALREADY_CANCELLED" if order["status"] == CANCELLED else "ORDER_ALREADY_SHIPPED"
                raise FailedPrecondition("the order can no longer be changed", reason=reason)
            duplicate, row = await self._db(sql.put_outbox, self.store.sync, request_id=request_id, kind=kind,
                                            user_id=user_id, order_id=order["order_id"], doc=doc,
                                            now_us=self._wall())
        else:  # a retry gets the first call's entry back, even after the order moved on
            duplicate, row = True, earlier
        entry = _entry(row)
        if duplicate and (entry.kind, entry.user_id, entry.order_id, entry.doc) != (kind, user_id, order["order_id"],
                                                                                    doc):
            raise FailedPrecondition("request_id was used for another request", reason="REQUEST_ID_REUSED")
        return entry, duplicate

    async def list_outbox(self, after: int, page_size: int, include_acked: bool,
                          caller: str | None) -> list[OutboxEntry]:
        """Entries after a sequence, oldest first."""
        if not _allowed(caller, self._systems):
            raise PermissionDenied("this identity may not read the outbox", reason="CALLER_NOT_ALLOWED")
        if page_size < 0 or page_size > 1000:
            raise invalid([Violation("page_size", "OUT_OF_RANGE", "1 to 1,000; 0 means 100")])
        rows = await self._db(sql.list_outbox, self.store.sync, after, page_size or 100, include_acked)
        return [_entry(r) for r in rows]

    async def ack_outbox(self, sequences: list[int], caller: str | None) -> int:
        """Marks entries delivered; returns how many were newly acknowledged."""
        if not _allowed(caller, self._systems):
            raise PermissionDenied("this identity may not ack the outbox", reason="CALLER_NOT_ALLOWED")
        if not sequences or len(sequences) > 1000:
            raise invalid([Violation("sequences", "EMPTY" if not sequences else "TOO_MANY", "1 to 1,000")])
        return await self._db(sql.ack_outbox, self.store.sync, sequences, self._wall())

    async def user_outbox(self, user_id: str) -> list[OutboxEntry]:
        """Every outbox entry of a user (exports)."""
        rows = await self._db(sql.list_outbox, self.store.sync, 0, 1_000_000, True, user_id)
        return [_entry(r) for r in rows]

    async def delete_user(self, user_id: str) -> tuple[int, int]:
        """Deletes the user's orders, order events, points and outbox entries: (orders, outbox entries)."""
        return await self._db(sql.delete_user_orders, self.store.sync, user_id)
