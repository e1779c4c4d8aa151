"""Validation of behaviour events: one rule per documented rejection reason, judged event by event."""

from __future__ import annotations

from dataclasses import dataclass

from services.profile.catalogue import Catalogue
from services.profile.model import ID_RULE, US_PER_S, Event, EventOrigin, EventType, Violation, valid_id

MAX_EVENTS_PER_BATCH = 1000
MAX_FUTURE_US = 5 * 60 * US_PER_S
"""Clients' clocks may run ahead by this much; beyond it the event is EVENT_TIME_IN_FUTURE."""
MAX_QUERY_CHARS = 512


@dataclass(frozen=True)
class IngestRules:
    """What an event must satisfy.

    Attributes:
        now_us: the server's wall clock (only to catch clocks far ahead or events older than retention).
        retention_us: oldest event age accepted, except from DATASET_REPLAY.
        caller_may_log_impressions: whether the calling identity is the gateway.
    """

    now_us: int
    retention_us: int
    caller_may_log_impressions: bool


def validate_event(event: Event, index: int, rules: IngestRules, catalogue: Catalogue) -> list[Violation]:
    """Field violations of the event at `events[index]` (empty: valid)."""
    p = f"events[{index}]"
    out: list[Violation] = []
    if not event.event_id:
        out.append(Violation(f"{p}.event_id", "REQUIRED", "every event needs a client event id"))
    elif not valid_id(event.event_id):
        out.append(Violation(f"{p}.event_id", "MALFORMED_ID", ID_RULE))
    if not valid_id(event.user_id):
        out.append(Violation(f"{p}.user_id", "MALFORMED_ID", ID_RULE))
    if event.event_type == EventType.UNSPECIFIED:
        out.append(Violation(f"{p}.event_type", "UNSPECIFIED", "set an event type"))
    elif event.event_type == EventType.IMPRESSION and not rules.caller_may_log_impressions:
        out.append(Violation(f"{p}.event_type", "SERVER_ONLY", "impressions are logged by the gateway only"))
    if event.event_time_us == 0:
        out.append(Violation(f"{p}.event_time", "REQUIRED", "set the event time"))
    elif event.event_time_us > rules.now_us + MAX_FUTURE_US:
        out.append(Violation(f"{p}.event_time", "EVENT_TIME_IN_FUTURE",
                             "more than 5 minutes ahead of the server's clock"))
    elif event.origin != EventOrigin.DATASET_REPLAY and event.event_time_us < rules.now_us - rules.retention_us:
        out.append(Violation(f"{p}.event_time", "EVENT_TIME_TOO_OLD", "older than the log's retention"))
    if event.catalog_id and not valid_id(event.catalog_id):
        out.append(Violation(f"{p}.catalog_id", "MALFORMED_ID", ID_RULE))
    if event.event_type == EventType.SEARCH:
        if not event.redacted_query.strip():
            out.append(Violation(f"{p}.redacted_query", "REQUIRED", "a search event carries its redacted query"))
        elif len(event.redacted_query) > MAX_QUERY_CHARS:
            out.append(Violation(f"{p}.redacted_query", "TOO_LONG", f"at most {MAX_QUERY_CHARS} characters"))
        if event.item_id and not valid_id(event.item_id):
            out.append(Violation(f"{p}.item_id", "MALFORMED_ID", ID_RULE))
    elif event.event_type != EventType.UNSPECIFIED:
        if not event.item_id:
            out.append(Violation(f"{p}.item_id", "REQUIRED", "every event type but SEARCH names an item"))
        elif not valid_id(event.item_id):
            out.append(Violation(f"{p}.item_id", "MALFORMED_ID", ID_RULE))
        elif catalogue.get(event.catalog_id, event.item_id) is None:
            out.append(Violation(f"{p}.item_id", "UNKNOWN_ITEM", "no such item in the event's catalogue"))
    if event.dwell_ms < 0:
        out.append(Violation(f"{p}.dwell_ms", "NEGATIVE", "dwell time cannot be negative"))
    if event.quantity < 0:
        out.append(Violation(f"{p}.quantity", "NEGATIVE", "quantity cannot be negative"))
    if event.impression_id and len(event.impression_id) > 128:
        out.append(Violation(f"{p}.impression_id", "TOO_LONG", "at most 128 characters"))
    for name, value in (("app_session_id", event.app_session_id),):
        if value and not valid_id(value):
            out.append(Violation(f"{p}.{name}", "MALFORMED_ID", ID_RULE))
    return out
