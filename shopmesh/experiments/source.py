"""Where the report's events come from: the profile service's event log, or a JSON Lines export."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

from shopmesh.experiments.report import CLICK, IMPRESSION, PURCHASE, LoggedEvent, Tally

PAGE_EVENTS = 10_000
_TYPE_NAMES = {"impression": IMPRESSION, "click": CLICK, "purchase": PURCHASE,
               "event_type_impression": IMPRESSION, "event_type_click": CLICK, "event_type_purchase": PURCHASE}


async def tally_store(start_us: int | None, end_us: int | None) -> Tally:
    """Impressions, clicks and purchases of the log in [start, end) event time, from the profile store.

    The store is the one the SHOPMESH_PROFILE_* settings name (PostgreSQL when a DSN is set, else the
    embedded SQLite under $SHOPMESH_HOME/profile), read in pages of event-time order; nothing is written.
    """
    from services.profile.app import open_log_store
    from services.profile.settings import ProfileDataSettings
    from services.profile.store import EventQuery

    stores = ProfileDataSettings().stores()
    sqlite_file = stores.sqlite_dir() / "profile.sqlite"
    if not stores.postgres_dsn and not sqlite_file.exists():  # opening it would create an empty store
        raise FileNotFoundError(f"no profile event log at {sqlite_file} (set SHOPMESH_PROFILE_DATA_DIR or "
                                "SHOPMESH_PROFILE_POSTGRES_DSN)")
    store = open_log_store(stores)
    query = EventQuery(start_us=start_us, end_us=end_us, event_types=(IMPRESSION, CLICK, PURCHASE))
    tally = Tally()
    try:
        after: tuple[int, int] | None = None
        while True:
            page = await store.call(store.sync.read_events, query, after, PAGE_EVENTS)
            for e in page:
                tally.add(LoggedEvent(e.user_id, int(e.event_type), e.impression_id))
            if len(page) < PAGE_EVENTS:
                return tally
            after = (page[-1].event_time_us, page[-1].sequence)
    finally:
        await store.close()


def read_jsonl(path: Path) -> Iterator[LoggedEvent]:
    """Events of a JSON Lines file: one object per line with user_id, event_type and impression_id.

    event_type is the EventType number or its name ("impression", "click", "purchase", any case, with or
    without the EVENT_TYPE_ prefix); other types and blank lines are skipped.

    Raises:
        ValueError: a line is not such an object (the message names the line).
    """
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                kind = row["event_type"]
                event_type = int(kind) if isinstance(kind, int) else _TYPE_NAMES.get(str(kind).lower(), 0)
                yield LoggedEvent(str(row["user_id"]), event_type, str(row.get("impression_id") or ""))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: not an event object ({exc})") from exc


def tally_file(path: Path) -> Tally:
    """The tally of a JSON Lines export."""
    return Tally().add_all(read_jsonl(path))


def tally_store_sync(start_us: int | None, end_us: int | None) -> Tally:
    """`tally_store` for callers without an event loop."""
    return asyncio.run(tally_store(start_us, end_us))
