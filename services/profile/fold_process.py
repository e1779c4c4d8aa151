"""The feature fold in a child process, so that folding and encoding records never sit on the ack path's CPU.

IngestEvents commits events to the log and acknowledges them; the fold (feature updates, serving records,
the Redis write) then costs about as much CPU again per event. In one process both compete for one core
(the GIL) and the fold's windows lengthen the acks' tail. With `fold_process` the service starts one child
(`python -m multiprocessing` spawn) that owns the write path: it catches up with the log at start, then
folds the committed events the service sends it over a pipe, and reports back after each applied window
(applied log sequences, event-time watermarks), which is what `drain` and "now" of reads follow.

Durability is the log's, as before: the pipe only carries events already committed. A child that dies is
started again and catches up from the log's applied sequences, so no acknowledged event is lost or counted
twice (the sequence filter of FeatureEngine.apply). The child exits at once when the service goes away (the
pipe closes), kill -9 included; after a graceful stop it applies what it was sent first.

Messages, service -> child: ("events", [Event fields as tuples]), ("items", [Item]) (catalogue upserts, in
order with the events that follow), ("forget", user_id or None), ("forget_items", [EntityKey]), ("reset",
applied) (after a rebuild by the service), ("stop",). Child -> service: ("applied", applied, watermarks), the
first one after the start's catch-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import operator
import os
import queue
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from services.profile.features import FeatureConfig
from services.profile.model import Event
from services.profile.settings import StoreSettings
from shared.logging import get_logger

log = get_logger(__name__)
Report = Callable[[dict[int, int], dict[str, int]], None]
_EVENT_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(Event)))


class FoldProcess:
    """The service's side of the child fold: starts it, sends it work, receives its reports.

    Args:
        stores: the child opens its own connections to the same stores.
        config: feature definitions.
        default_catalog: the catalogue an empty catalog_id means.
    """

    def __init__(self, stores: StoreSettings, config: FeatureConfig, default_catalog: str):
        self._args = (stores, config, default_catalog)
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[None] | None = None
        self._stopping = False
        # Sends go through one thread: pickling 500 events stays off the event loop, and a full pipe (a child
        # busy folding) blocks that thread, never the loop. One queue, one thread: messages keep their order.
        self._outbox: queue.SimpleQueue[tuple[Connection, tuple[object, ...]] | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self.on_report: Report = lambda applied, watermarks: None

    async def start(self) -> None:
        """Starts the child and waits for its first report (the log caught up)."""
        self._loop = asyncio.get_running_loop()
        self._ready = self._loop.create_future()
        parent, child = multiprocessing.get_context("spawn").Pipe(duplex=True)
        process = multiprocessing.get_context("spawn").Process(
            target=child_main, args=(*self._args, child), name="profile-fold", daemon=True)
        process.start()
        child.close()  # only the child holds its end: when this process dies, the child reads EOF
        self._conn, self._process = parent, process
        if self._sender is None:
            self._sender = threading.Thread(target=self._send_all, name="profile-fold-sender", daemon=True)
            self._sender.start()
        threading.Thread(target=self._receive, args=(parent, self._ready), name="profile-fold-reports",
                         daemon=True).start()
        await self._ready

    def _receive(self, conn: Connection, ready: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                loop.call_soon_threadsafe(self._exited, conn, ready)
                return
            loop.call_soon_threadsafe(self._report, message, ready)

    def _report(self, message: tuple[Any, ...], ready: asyncio.Future[None]) -> None:
        _, applied, watermarks = message
        self.on_report(applied, watermarks)
        if not ready.done():
            ready.set_result(None)

    def _exited(self, conn: Connection, ready: asyncio.Future[None]) -> None:
        if conn is not self._conn or self._stopping:
            return
        log.error("features.fold_process_exited", exitcode=self._process.exitcode if self._process else None)
        if not ready.done():
            ready.set_exception(RuntimeError("the fold process exited before it caught up with the log"))
            return
        assert self._loop is not None
        self._loop.create_task(self._restart())

    async def _restart(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.5)
            try:
                await self.start()  # catches up from the log: what the dead child had not applied
                return
            except Exception as exc:
                log.error("features.fold_process_restart_failed", error=type(exc).__name__)

    def send_events(self, events: list[Event]) -> None:
        """Sends committed events, as tuples (pickling tuples costs a third of pickling dataclasses)."""
        self.send("events", events)

    def send(self, *message: object) -> None:
        """Queues a message for the child (dropped while it restarts: it catches up from the log)."""
        if self._conn is not None:
            self._outbox.put((self._conn, message))

    def _send_all(self) -> None:
        while (item := self._outbox.get()) is not None:
            conn, message = item
            if message[0] == "events":
                message = ("events", [_EVENT_FIELDS(e) for e in message[1]])  # type: ignore[attr-defined]
            with contextlib.suppress(OSError, EOFError, ValueError):  # a dead child's pipe: it catches up
                conn.send(message)

    async def stop(self) -> None:
        """Asks the child to apply what it has and exit; waits for it."""
        self._stopping = True
        self.send("stop")
        self._outbox.put(None)
        process = self._process
        if process is not None:
            await asyncio.get_running_loop().run_in_executor(None, process.join, 30)
            if process.is_alive():
                process.kill()
        if self._conn is not None:
            self._conn.close()


def child_main(stores: StoreSettings, config: FeatureConfig, default_catalog: str, conn: Connection) -> None:
    """The child's entry point: the fold's engine on its own event loop."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with contextlib.suppress(Exception):  # the log has what the child did not apply
        asyncio.run(_serve(stores, config, default_catalog, conn))


async def _serve(stores: StoreSettings, config: FeatureConfig, default_catalog: str, conn: Connection) -> None:
    from services.profile.app import open_feature_store, open_log_store
    from services.profile.catalogue import Catalogue
    from services.profile.engine import FeatureEngine

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def receive() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                # The service is gone (kill -9 included): exit now rather than apply the queue, so no fold of
                # this child overlaps the catch-up of the next service's child. The log has every event; each
                # Redis write is one MULTI/EXEC, so the store holds either all of a window or none of it.
                os._exit(0)
            loop.call_soon_threadsafe(inbox.put_nowait, message)
            if message[0] == "stop":
                return

    log_store = open_log_store(stores)
    catalogue = Catalogue(default_catalog)
    engine = FeatureEngine(log_store, open_feature_store(stores), catalogue, config)

    def report(applied: dict[int, int], watermarks: dict[str, int]) -> None:
        with contextlib.suppress(OSError, EOFError):
            conn.send(("applied", applied, watermarks))

    try:
        catalogue.load(await log_store.call(log_store.sync.all_items))
        await engine.start()
        engine.on_applied = report
        report(dict(engine.applied), dict(engine.watermarks))
        threading.Thread(target=receive, name="profile-fold-inbox", daemon=True).start()
        while True:
            message = await inbox.get()
            kind = message[0]
            if kind == "events":
                engine.submit([Event(*fields) for fields in message[1]])
            elif kind == "items":
                catalogue.load(message[1])
            elif kind == "forget":
                engine.forget(message[1])
            elif kind == "forget_items":
                engine.forget_items(message[1])
            elif kind == "reset":
                await engine.drain()
                engine.forget()
                engine.reset_applied(message[1])
            elif kind == "stop":
                return
    finally:
        await engine.stop()
        await engine.features.close()
        await log_store.close()
