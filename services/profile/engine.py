"""The feature engine: folds committed events into the feature store, serves reads, rebuilds from the log.

Write path: IngestEvents commits events to the log, then hands them to `submit`; a background task applies
them in log order, in batches, and records the applied log sequence in the same atomic store write. After a
crash, `catch_up` applies whatever the log holds beyond that sequence, so every committed event is counted
exactly once. A rebuild folds the whole log in (event time, sequence) order, the same fold.

"Now" for online reads is injectable: the event-time watermark of the catalogue (the latest event time
applied; replaying 1998 data serves 1998 windows) or a clock function.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from services.profile.catalogue import Catalogue
from services.profile.feature_store import EntityKey, FeatureStore, ItemRow, StateFields, UserRow
from services.profile.features import (
    FeatureConfig,
    ItemFeatureValues,
    ItemState,
    UserFeatureValues,
    UserState,
    read_item,
    read_item_dump,
    read_user,
)
from services.profile.model import Event, Item
from services.profile.served import ItemReader, item_record, user_features, user_record
from services.profile.store import AsyncStore, EventQuery
from shared.logging import get_logger

if TYPE_CHECKING:
    from services.profile.fold_process import FoldProcess

log = get_logger(__name__)
S = TypeVar("S", UserState, ItemState)
REBUILDING = -1
"""The partition key that, set to 1, marks a half-written rebuild: the next start rebuilds instead."""
_APPLY_BATCH = 20_000
_COALESCE_S = 0.2
"""How long the fold waits for more events before applying, at least; well inside the one-second visibility."""
_COALESCE_MAX_S = 0.45
"""The longest wait: under heavy ingest the wait grows with the last apply's duration (twice it), so the fold
takes at most about a third of a core and a touched entity is encoded once per window, while an event still
waits at most this plus one apply (well under a second) before it is visible."""
_REBUILD_WRITE_CHUNK = 2000
FULL_WINDOW = 8_000
"""Queued events that end the coalescing wait early: a window this large already amortises the per-window
re-encoding, and under sustained ingest a fixed wait is idle time in which the backlog bound holds acks back
(the fold then spends its core folding instead of sleeping between windows)."""
STATE_EVERY_S = 5.0
"""With a store that serves reads from records kept apart from the states (Redis): how often the fold saves
the states (JSON, read back only by the fold itself after a restart). In between, a window writes the touched
entities' records and the records' applied sequences only; the states' applied sequences stay at the last
save, so a restart's catch-up refolds the events since then from the log onto those states (each counted
once), and a window rewrites their records with the same values. Saves are about 40% of a window's encoding
and most of its bytes to Redis. A window that would evict a state not yet saved saves them all first."""
MAX_FOLD_BACKLOG = 10_000
"""With a fold process: committed events it may have outstanding before ingest waits (`admit`). It folds
about as fast as the ack path commits, but on busy cores it can fall behind; this bounds how far (about half a
second of its own throughput), so features stay visible within a second and ingest slows down instead.
The window being applied counts, so acks wait during most applies under sustained load. 20,000 was measured
(profile_bench.py, docs/benchmarks.md): ingest rose from about 15,600 to 19,400-20,900 events/s, and the
probes' median visibility rose from 0.69 to 0.90 s. It was not kept, because visibility within a second is
the promise and the throughput target is not met either way."""


@dataclass
class FoldResult:
    """States touched by a fold, ready for one store write."""

    users: dict[EntityKey, UserState]
    items: dict[EntityKey, ItemState]


def fold(events: Iterable[Event], config: FeatureConfig, catalogue: Catalogue,
         users: dict[EntityKey, UserState], items: dict[EntityKey, ItemState]) -> FoldResult:
    """Applies events (already in the order to apply) to the given states, creating missing ones."""
    for event in events:
        item = catalogue.get(event.catalog_id, event.item_id) if event.item_id else None
        ukey = (event.catalog_id, event.user_id)
        user = users.get(ukey)
        if user is None:
            user = users[ukey] = UserState.empty(config)
        user.apply(event, item.category_path if item else (), item.brand if item else "")
        if event.item_id:
            ikey = (event.catalog_id, event.item_id)
            state = items.get(ikey)
            if state is None:
                state = items[ikey] = ItemState.empty(config)
            state.apply(event)
    for user in users.values():
        user.finish()
    for state in items.values():
        state.finish()
    return FoldResult(users, items)


def _ordered(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.event_time_us, e.sequence))


def user_rows(users: Iterable[tuple[EntityKey, UserState]]) -> dict[EntityKey, UserRow]:
    """What the store keeps per user: the state and its serving record."""
    return {k: (s.dump(), user_record(s)) for k, s in users}


def item_rows(items: Iterable[tuple[EntityKey, ItemState]]) -> dict[EntityKey, ItemRow]:
    """What the store keeps per item: the state, its popularity anchor and its serving record."""
    return {k: (s.dump(), s.popularity_anchor(), item_record(s)) for k, s in items}


class FeatureEngine:
    """Keeps the feature store in step with the log and answers feature reads.

    Args:
        log_store: the event log.
        features: the feature store (Redis or SQLite).
        catalogue: the in-memory catalogue (category paths, brands).
        config: feature definitions.
        clock: None for the event-time watermark, else a function returning "now" in microseconds.
        cache_size: users and items whose latest state the fold keeps in memory (each).
        fold_process: run the write path in this child process (fold_process.py) instead of on this event
            loop: `submit` sends it the committed events, `drain` and the watermarks follow its reports.
    """

    def __init__(self, log_store: AsyncStore, features: FeatureStore, catalogue: Catalogue, config: FeatureConfig,
                 *, clock: Callable[[], int] | None = None, cache_size: int = 100_000,
                 fold_process: FoldProcess | None = None):
        self._log = log_store
        self.features = features
        self._catalogue = catalogue
        self.config = config
        self._clock = clock
        self._queue: asyncio.Queue[list[Event]] = asyncio.Queue()
        self._queued = 0
        self._full = asyncio.Event()
        self._applied: dict[int, int] = {}
        self._watermarks: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        # States this process wrote last, so the fold skips reading and decoding them again. Valid because the
        # fold has one writer (this engine); anything that changes records behind it clears the cache.
        self._users: OrderedDict[EntityKey, UserState] = OrderedDict()
        self._items: OrderedDict[EntityKey, ItemState] = OrderedDict()
        self._cache_size = cache_size
        self._states_lag = bool(getattr(features, "records_apart", False))
        self._unsaved_users: set[EntityKey] = set()
        self._unsaved_items: set[EntityKey] = set()
        """States changed since the last save (all in the caches above: eviction saves first)."""
        self._saved: dict[int, int] = {}
        """Per partition, the sequence the stored states reflect."""
        self._saved_at = -math.inf
        self.item_reader = ItemReader(config)
        self._apply_s = 0.0
        self.on_applied: Callable[[dict[int, int], dict[str, int]], None] | None = None
        """Called after each applied window with the applied sequences and watermarks (the child's reports)."""
        self._process = fold_process
        self._submitted: dict[int, int] = {}
        self._outstanding: dict[int, deque[tuple[int, int]]] = {}
        """Per partition, (last sequence, event count) of each submission the fold process has not reported."""
        self._backlog = 0
        self._reported = asyncio.Condition()

    @property
    def applied(self) -> dict[int, int]:
        """Per log partition, the sequence up to which events are in the feature store."""
        return self._applied

    @property
    def watermarks(self) -> dict[str, int]:
        """Per catalogue, the latest event time applied."""
        return self._watermarks

    # --- write path -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Catches up with the log (or rebuilds after an interrupted rebuild), then applies new events."""
        if self._process is not None:  # the child does both, and reports when it has caught up
            self._process.on_report = self._on_report
            await self._process.start()
            return
        applied = await self.features.applied_sequences()
        if applied.get(REBUILDING):
            log.warning("features.rebuild_interrupted")
            await self.rebuild()
        else:
            self._applied = {p: v for p, v in applied.items() if p != REBUILDING}
            self._saved = dict(self._applied)
            await self.catch_up()
        self._task = asyncio.create_task(self._run(), name="feature-engine")

    async def stop(self) -> None:
        """Applies what is queued, saves the states not yet saved, then stops the background task."""
        await self.drain()
        if self._process is None and (self._unsaved_users or self._unsaved_items):
            with contextlib.suppress(Exception):  # the next start refolds from the last save
                await self._save_states()
        if self._process is not None:
            await self._process.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def submit(self, events: list[Event]) -> None:
        """Queues committed events (with their sequences) for the background fold."""
        if events and self._process is not None:
            last = 0
            for e in events:  # one log writer's commit: one partition, in sequence order
                if e.sequence > self._submitted.get(e.log_partition, 0):
                    self._submitted[e.log_partition] = e.sequence
                last = max(last, e.sequence)
            self._outstanding.setdefault(events[0].log_partition, deque()).append((last, len(events)))
            self._backlog += len(events)
            self._process.send_events(events)
        elif events:
            self._idle.clear()
            self._queue.put_nowait(events)
            self._queued += len(events)
            if self._queued >= FULL_WINDOW:
                self._full.set()

    async def drain(self) -> None:
        """Waits until every submitted event is applied."""
        if self._process is None:
            await self._idle.wait()
            return
        async with self._reported:
            await self._reported.wait_for(
                lambda: all(self._applied.get(p, 0) >= s for p, s in self._submitted.items()))

    async def admit(self) -> None:
        """Waits while the fold process is more than MAX_FOLD_BACKLOG events behind (inline: never)."""
        if self._process is None or self._backlog <= MAX_FOLD_BACKLOG:
            return
        async with self._reported:
            await self._reported.wait_for(lambda: self._backlog <= MAX_FOLD_BACKLOG)

    def _on_report(self, applied: dict[int, int], watermarks: dict[str, int]) -> None:
        self._applied = applied
        for partition, pending in self._outstanding.items():
            done = applied.get(partition, 0)
            while pending and pending[0][0] <= done:
                self._backlog -= pending.popleft()[1]
        for catalog, t in watermarks.items():
            if t > self._watermarks.get(catalog, 0):
                self._watermarks[catalog] = t

        async def notify() -> None:
            async with self._reported:
                self._reported.notify_all()
        asyncio.get_running_loop().create_task(notify())

    async def _run(self) -> None:
        while True:
            batch = await self._queue.get()
            # Let a little more arrive: each touched user and item is then decoded, folded and written once
            # per window instead of once per batch, which is most of the fold's cost under load. A full window
            # (FULL_WINDOW events queued) starts at once.
            if self._queued < FULL_WINDOW:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(),
                                           min(_COALESCE_MAX_S, max(_COALESCE_S, 2 * self._apply_s)))
            while not self._queue.empty() and len(batch) < _APPLY_BATCH:
                batch.extend(self._queue.get_nowait())
            self._queued -= len(batch)
            if self._queued < FULL_WINDOW:
                self._full.clear()
            started = time.perf_counter()
            try:
                await self.apply([e for e in batch if e.sequence > self._applied.get(e.log_partition, 0)])
            except Exception as exc:
                # The log has the events; the next start's catch-up (or a rebuild) applies them.
                log.error("features.apply_failed", error=type(exc).__name__)
                await asyncio.sleep(0.5)
                with contextlib.suppress(Exception):
                    await self.catch_up()
            self._apply_s = time.perf_counter() - started
            if self._queue.empty():
                self._idle.set()

    async def apply(self, events: list[Event]) -> None:
        """Folds committed events into the stored states and advances the applied sequence atomically."""
        if not events:
            return
        events = _ordered(events)
        user_keys = sorted({(e.catalog_id, e.user_id) for e in events})
        item_keys = sorted({(e.catalog_id, e.item_id) for e in events if e.item_id})
        users = {k: self._users[k] for k in user_keys if k in self._users}
        items = {k: self._items[k] for k in item_keys if k in self._items}
        await self._load(users, [k for k in user_keys if k not in users], items,
                         [k for k in item_keys if k not in items])
        result = fold(events, self.config, self._catalogue, users, items)
        applied = dict(self._applied)
        for e in events:  # within a partition, sequences arrive in commit order
            if e.sequence > applied.get(e.log_partition, 0):
                applied[e.log_partition] = e.sequence
        save = (not self._states_lag or time.monotonic() - self._saved_at >= STATE_EVERY_S
                or len(self._users.keys() | result.users.keys()) > self._cache_size
                or len(self._items.keys() | result.items.keys()) > self._cache_size)
        try:
            if save:
                await self.features.write(
                    user_rows([*result.users.items(), *self._unsaved(self._unsaved_users, self._users, result.users)]),
                    item_rows([*result.items.items(), *self._unsaved(self._unsaved_items, self._items, result.items)]),
                    applied)
            else:
                await self.features.write({k: (None, user_record(s)) for k, s in result.users.items()},
                                          {k: (None, s.popularity_anchor(), item_record(s))
                                           for k, s in result.items.items()}, applied, states=False)
        except BaseException:
            # The cached states are ahead of the store now: back to the saved states and their sequences
            # (the run loop's catch-up refolds from there).
            self._applied = dict(self._saved)
            self.forget()
            raise
        if save:
            self._saved, self._saved_at = dict(applied), time.monotonic()
            self._unsaved_users.clear()
            self._unsaved_items.clear()
        else:
            self._unsaved_users.update(result.users)
            self._unsaved_items.update(result.items)
        self._remember(result)
        self._applied = applied
        for e in events:
            if e.event_time_us > self._watermarks.get(e.catalog_id, 0):
                self._watermarks[e.catalog_id] = e.event_time_us
        if self.on_applied is not None:
            self.on_applied(dict(applied), dict(self._watermarks))

    @staticmethod
    def _unsaved(keys: set[EntityKey], cache: OrderedDict[EntityKey, S], touched: dict[EntityKey, S]
                 ) -> list[tuple[EntityKey, S]]:
        return [(k, cache[k]) for k in keys if k not in touched]

    async def _save_states(self) -> None:
        await self.features.write(user_rows(self._unsaved(self._unsaved_users, self._users, {})),
                                  item_rows(self._unsaved(self._unsaved_items, self._items, {})), dict(self._applied))
        self._saved, self._saved_at = dict(self._applied), time.monotonic()
        self._unsaved_users.clear()
        self._unsaved_items.clear()

    async def _load(self, users: dict[EntityKey, UserState], user_keys: list[EntityKey],
                    items: dict[EntityKey, ItemState], item_keys: list[EntityKey]) -> None:
        if user_keys:
            raws = await self.features.read_users(user_keys)
            users.update({k: UserState.load(self.config, r) for k, r in zip(user_keys, raws, strict=True) if r})
        if item_keys:
            raws = await self.features.read_items(item_keys)
            items.update({k: ItemState.load(self.config, r) for k, r in zip(item_keys, raws, strict=True) if r})

    def _remember(self, result: FoldResult) -> None:
        for cache, states in ((self._users, result.users), (self._items, result.items)):
            for key, state in states.items():
                cache[key] = state  # type: ignore[assignment]
                cache.move_to_end(key)
            while len(cache) > self._cache_size:
                cache.popitem(last=False)

    def forget(self, user_id: str | None = None) -> None:
        """Drops cached states: one user's, or all of them."""
        if self._process is not None:
            self._process.send("forget", user_id)
        if user_id is None:
            self._users.clear()
            self._items.clear()
            self._unsaved_users.clear()
            self._unsaved_items.clear()
            return
        for key in [k for k in self._users if k[1] == user_id]:  # deleted: its stored state is gone too
            del self._users[key]
            self._unsaved_users.discard(key)

    def forget_items(self, keys: Iterable[EntityKey]) -> None:
        """Drops these items' cached states (their records were rewritten behind the fold)."""
        keys = list(keys)
        if self._process is not None:
            self._process.send("forget_items", keys)
        for key in keys:
            self._items.pop(key, None)
            self._unsaved_items.discard(key)

    def reset_applied(self, applied: dict[int, int]) -> None:
        """Takes the applied sequences a rebuild wrote (with every state) as this fold's own."""
        self._applied = dict(applied)
        self._saved = dict(applied)

    def items_changed(self, items: list[Item]) -> None:
        """Catalogue upserts (the shared catalogue already has them; a fold process gets them in order)."""
        if self._process is not None:
            self._process.send("items", items)

    async def catch_up(self) -> int:
        """Applies every logged event beyond each partition's applied sequence; returns how many."""
        total = 0
        for partition in await self._log.call(self._log.sync.partitions):
            while True:
                events = await self._log.call(self._log.sync.events_after_sequence, partition,
                                              self._applied.get(partition, 0), _APPLY_BATCH)
                if not events:
                    break
                await self.apply(events)
                total += len(events)
        return total

    async def rebuild(self) -> tuple[int, int, int]:
        """Recomputes every record from the log; returns (events, users, items).

        Run it with ingest stopped: events applied by a running service during the rebuild are overwritten.
        """
        snapshot = await self._log.call(self._log.sync.max_sequence)
        self.forget()
        await self.features.clear()
        await self.features.write({}, {}, {REBUILDING: 1})
        users: dict[EntityKey, UserState] = {}
        items: dict[EntityKey, ItemState] = {}
        after: tuple[int, int] | None = None
        count = 0
        query = EventQuery(max_sequence=snapshot)
        while True:
            chunk = await self._log.call(self._log.sync.read_events, query, after, 20_000)
            if not chunk:
                break
            fold(chunk, self.config, self._catalogue, users, items)
            count += len(chunk)
            after = (chunk[-1].event_time_us, chunk[-1].sequence)
            for e in chunk:
                if e.event_time_us > self._watermarks.get(e.catalog_id, 0):
                    self._watermarks[e.catalog_id] = e.event_time_us
        user_items = list(users.items())
        item_items = list(items.items())
        for start in range(0, max(len(user_items), len(item_items)), _REBUILD_WRITE_CHUNK):
            await self.features.write(user_rows(user_items[start:start + _REBUILD_WRITE_CHUNK]),
                                      item_rows(item_items[start:start + _REBUILD_WRITE_CHUNK]), {REBUILDING: 1})
        # Every event up to the snapshot is folded, in every partition (ingest is stopped during a rebuild).
        applied = {p: snapshot for p in await self._log.call(self._log.sync.partitions)}
        await self.features.write({}, {}, {REBUILDING: 0, **applied})
        self._applied = applied
        self._saved = dict(applied)
        if self._process is not None:
            self._process.send("reset", applied)
        return count, len(users), len(items)

    async def recompute_items(self, keys: list[EntityKey]) -> None:
        """Refolds these items from the log (after a user's events were deleted)."""
        by_catalog: dict[str, list[str]] = {}
        for catalog, item in keys:
            by_catalog.setdefault(catalog, []).append(item)
        for catalog, ids in by_catalog.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                events = await self._log.call(self._log.sync.item_events, catalog, chunk, 2**62)
                items = fold(events, self.config, self._catalogue, {}, {}).items
                states = {(catalog, i): items.get((catalog, i)) or ItemState.empty(self.config) for i in chunk}
                self.forget_items(states)
                # A fold process keeps the applied sequences itself (this process only knows its last report).
                # The states are written whole; the sequences stay (a fold process keeps its own).
                await self.features.write({}, item_rows(states.items()), {})

    # --- reads ----------------------------------------------------------------------------------------------

    async def now_us(self, catalog_id: str) -> int:
        """"Now" for online reads of a catalogue."""
        if self._clock is not None:
            return self._clock()
        if catalog_id not in self._watermarks:
            self._watermarks[catalog_id] = await self._log.call(self._log.sync.max_event_time, catalog_id)
        return self._watermarks[catalog_id]

    async def user_features(self, catalog_id: str, user_id: str,
                            as_of_us: int | None) -> tuple[int, UserFeatureValues | None]:
        """(as_of, features or None when the user has no events up to as_of)."""
        if as_of_us is None and self._states_lag:  # the stored state may be seconds old: fold the log up to now
            as_of_us = max(await self.now_us(catalog_id), 0)
        if as_of_us is None:
            now = await self.now_us(catalog_id)
            raw = (await self.features.read_users([(catalog_id, user_id)]))[0]
            if raw is None:
                return now, None
            return now, read_user(UserState.load(self.config, raw), max(now, 0))
        events = await self._log.call(self._log.sync.user_events, catalog_id, user_id, as_of_us)
        if not events:
            return as_of_us, None
        state = fold(events, self.config, self._catalogue, {}, {}).users[(catalog_id, user_id)]
        return as_of_us, read_user(state, as_of_us)

    async def item_features(self, catalog_id: str, item_ids: list[str],
                            as_of_us: int | None) -> tuple[int, list[ItemFeatureValues]]:
        """(as_of, features per item in request order; items without events get empty-state features)."""
        keys = [(catalog_id, i) for i in item_ids]
        if as_of_us is None and self._states_lag:  # the stored states may be seconds old: fold the log up to now
            as_of_us = await self.now_us(catalog_id)
        if as_of_us is None:
            now = await self.now_us(catalog_id)
            raws = await self.features.read_items(keys)
            empty = read_item(ItemState.empty(self.config), now)
            return now, [read_item_dump(self.config, r, now) if r else empty for r in raws]
        events = await self._log.call(self._log.sync.item_events, catalog_id, sorted(set(item_ids)), as_of_us)
        folded = fold(events, self.config, self._catalogue, {}, {}).items
        return as_of_us, [read_item(folded.get(k) or ItemState.empty(self.config), as_of_us) for k in keys]

    async def served_user(self, catalog_id: str, user_id: str) -> tuple[int, bytes | None]:
        """(now, UserFeatures wire bytes or None when the user has no events): the serving read, one fetch."""
        now = await self.now_us(catalog_id)
        raw = (await self.features.read_user_records([(catalog_id, user_id)]))[0]
        if raw is None:
            return now, None
        record = raw if isinstance(raw, bytes) else user_record(UserState.load(self.config, raw))
        return now, user_features(record, user_id, catalog_id, max(now, 0))

    async def served_items(self, catalog_id: str, item_ids: list[str]) -> tuple[int, list[bytes]]:
        """(now, serving record per item in request order, the empty record for items without events): the
        serving read, one fetch; `served.ItemEntries` evaluates the records at now."""
        now = await self.now_us(catalog_id)
        raws = await self.features.read_item_records([(catalog_id, i) for i in item_ids])
        empty = self.item_reader.empty
        return now, [raw if isinstance(raw, bytes) else empty if raw is None else self._item_record(raw)
                     for raw in raws]

    def _item_record(self, raw: bytes | StateFields | None) -> bytes:
        if raw is None:
            return self.item_reader.empty
        return raw if isinstance(raw, bytes) else item_record(ItemState.load(self.config, raw))

    async def popular(self, catalog_id: str, category_prefix: str, limit: int,
                      include_out_of_stock: bool) -> tuple[int, list[tuple[str, float]]]:
        """(as_of, [(item_id, popularity)]) most popular first, filtered by category and stock."""
        now = await self.now_us(catalog_id)
        tau_us = self.config.popularity_time_constant_s * 1e6
        out: list[tuple[str, float]] = []
        offset = 0
        while len(out) < limit:
            rows = await self.features.top_items(catalog_id, offset, 500)
            if not rows:
                break
            offset += len(rows)
            for item_id, anchor in rows:
                item = self._catalogue.get(catalog_id, item_id)
                if item is None or (not include_out_of_stock and item.stock_quantity <= 0):
                    continue
                key = item.category_key
                if category_prefix and not (key == category_prefix or key.startswith(category_prefix + "/")):
                    continue
                out.append((item_id, math.exp(anchor - now / tau_us)))
                if len(out) == limit:
                    break
        return now, out
