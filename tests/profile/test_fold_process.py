"""The engine's bookkeeping for a fold process: drain follows its reports, ingest waits while it is far behind.

The real child runs in every postgres_redis contract test (fold_process is the default there); here the
engine's side is driven directly, with a recorder in place of the pipe, to reach states those tests cannot
force on purpose (a fold that lags by more than MAX_FOLD_BACKLOG events).
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.profile.catalogue import Catalogue
from services.profile.engine import _COALESCE_S, FULL_WINDOW, MAX_FOLD_BACKLOG, FeatureEngine
from services.profile.features import FeatureConfig
from services.profile.model import Event, EventType


class _Pipe:
    """Records what the engine sends the fold process; the test plays the process's reports."""

    def __init__(self) -> None:
        self.sent: list[list[Event]] = []
        self.messages: list[tuple[object, ...]] = []
        self.on_report: Any = None

    def send_events(self, events: list[Event]) -> None:
        self.sent.append(events)

    def send(self, *message: object) -> None:
        self.messages.append(message)


def _batch(partition: int, first: int, count: int) -> list[Event]:
    return [Event(f"e{s}", f"u{partition}", EventType.VIEW, 893_000_000_000_000 + s, "movielens", "ml-1",
                  sequence=s, log_partition=partition) for s in range(first, first + count)]


async def test_ingest_waits_while_the_fold_process_is_behind_and_drain_follows_reports() -> None:
    pipe = _Pipe()
    engine = FeatureEngine(None, None, Catalogue("movielens"), FeatureConfig(),  # type: ignore[arg-type]
                           fold_process=pipe)  # type: ignore[arg-type]
    half = MAX_FOLD_BACKLOG // 2
    engine.submit(_batch(0, 1, half))
    engine.submit(_batch(1, half + 1, half))
    await asyncio.wait_for(engine.admit(), 1)  # exactly at the limit: admitted
    engine.submit(_batch(0, 2 * half + 1, 100))
    admit = asyncio.ensure_future(engine.admit())
    drain = asyncio.ensure_future(engine.drain())
    await asyncio.sleep(0.05)
    assert not admit.done() and not drain.done()
    engine._on_report({0: half, 1: 0}, {"movielens": 893_000_000_000_000 + half})  # the first window applied
    await asyncio.wait_for(admit, 1)
    assert not drain.done()
    assert engine.watermarks["movielens"] == 893_000_000_000_000 + half
    engine._on_report({0: 2 * half + 100, 1: 2 * half}, {})
    await asyncio.wait_for(drain, 1)
    assert [len(b) for b in pipe.sent] == [half, half, 100]


class _Windows(FeatureEngine):
    """The inline fold's scheduling, with each window's events and start time recorded instead of applied."""

    def __init__(self) -> None:
        super().__init__(None, None, Catalogue("movielens"), FeatureConfig())  # type: ignore[arg-type]
        self.windows: list[tuple[float, int]] = []

    async def apply(self, events: list[Event]) -> None:
        self.windows.append((asyncio.get_running_loop().time(), len(events)))
        self._applied = {0: max(e.sequence for e in events)}


async def test_a_full_window_starts_at_once_and_a_small_one_waits_to_coalesce() -> None:
    engine = _Windows()
    engine._task = asyncio.create_task(engine._run())
    try:
        started = asyncio.get_running_loop().time()
        engine.submit(_batch(0, 1, 100))
        await asyncio.wait_for(engine.drain(), 2)
        assert engine.windows[0][0] - started >= _COALESCE_S * 0.9 and engine.windows[0][1] == 100
        started = asyncio.get_running_loop().time()
        for first in range(101, 101 + FULL_WINDOW, 500):  # a sustained stream, as the ack path commits it
            engine.submit(_batch(0, first, 500))
            await asyncio.sleep(0)
        await asyncio.wait_for(engine.drain(), 2)
        assert engine.windows[1] == (engine.windows[1][0], FULL_WINDOW)
        assert engine.windows[1][0] - started < _COALESCE_S / 2  # no idle wait once the window is full
    finally:
        engine._task.cancel()
