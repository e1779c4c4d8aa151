"""Coalescing: concurrent small Embed calls for one model and kind become one backend batch.

A batch forms while the previous one runs, so a lone request pays no added latency and under load batches
grow to what arrived during one inference; optionally (max_wait_s), under concurrency a batch also
lingers a moment for the callers the previous batch just answered. The queue is bounded: past it, callers
get RESOURCE_EXHAUSTED with a retry hint instead of queueing into their deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np
from opentelemetry import context as otel_context

from services.embedding.types import BatchOutput
from shared.errors import DeadlineExceeded, ResourceExhausted

RunBatch = Callable[[list[str], float | None], Awaitable[BatchOutput]]
"""Embeds texts within a timeout in seconds (None: no deadline)."""


@dataclass
class _Pending:
    texts: list[str]
    deadline: float | None
    future: asyncio.Future[BatchOutput]
    trace: otel_context.Context
    """The caller's trace context: a batch's backend span is a child of its first caller's span."""


class Coalescer:
    """Queues texts and runs them through `run` in batches of at most `max_batch` texts.

    Args:
        run: the backend call for one batch.
        max_batch: most texts per batch (a larger request is split into chunks).
        max_queued: most texts waiting; more is refused with ResourceExhausted.
        max_wait_s: how long a batch may wait for more callers once the backend is free; only under
            concurrency, so a lone request never waits.
        max_concurrent: batches in flight at once.
    """

    def __init__(self, run: RunBatch, *, max_batch: int, max_queued: int, max_wait_s: float = 0.0,
                 max_concurrent: int = 1):
        self._run = run
        self.max_batch = max_batch
        self.max_queued = max_queued
        self.max_wait_s = max_wait_s
        self._slots = asyncio.Semaphore(max_concurrent)
        self._queue: deque[_Pending] = deque()
        self._queued_texts = 0
        self._wakeup = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._last_batch_requests = 0
        self.batches = 0
        self.batched_texts = 0

    @property
    def queued_texts(self) -> int:
        """Texts waiting for a batch."""
        return self._queued_texts

    async def submit(self, texts: list[str], deadline: float | None) -> BatchOutput:
        """Embeds `texts` as part of some batch; `deadline` is on time.monotonic().

        Raises:
            ResourceExhausted: the queue is full.
            DeadlineExceeded: the deadline passed before the batch ran.
        """
        if self._queued_texts + len(texts) > self.max_queued:
            raise ResourceExhausted(f"embedding queue full ({self._queued_texts} texts waiting)",
                                    retry_after_seconds=0.1, reason="QUEUE_FULL")
        loop = asyncio.get_running_loop()
        chunks = [texts[i:i + self.max_batch] for i in range(0, len(texts), self.max_batch)]
        trace = otel_context.get_current()
        pendings = [_Pending(chunk, deadline, loop.create_future(), trace) for chunk in chunks]
        for pending in pendings:
            self._queue.append(pending)
            self._queued_texts += len(pending.texts)
        self._ensure_worker()
        self._wakeup.set()
        try:
            outputs = [await pending.future for pending in pendings]
        except BaseException:
            for pending in pendings:
                pending.future.cancel()
            raise
        if len(outputs) == 1:
            return outputs[0]
        return BatchOutput(np.concatenate([o.vectors for o in outputs]), [t for o in outputs for t in o.truncated])

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            # A fresh context: the worker serves every caller, so it must not log under the first one's request id.
            self._worker = asyncio.create_task(self._work(), name="embedding-coalescer", context=contextvars.Context())

    async def _work(self) -> None:
        while True:
            while not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            await self._slots.acquire()
            if self.max_wait_s > 0 and self._last_batch_requests > 1:
                await self._linger()
            batch = self._take()
            self._last_batch_requests = len(batch)
            if not batch:
                self._slots.release()
                continue
            task = asyncio.create_task(self._dispatch(batch))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _linger(self) -> None:
        """Holds the batch open up to max_wait_s, or until it is full, while more callers arrive.

        Only under concurrency (the previous batch had several callers): callers answered together come back
        together, and without this the first of them would run alone and the rest in the next batch.
        """
        deadline = time.monotonic() + self.max_wait_s
        while self._queued_texts < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    def _take(self) -> list[_Pending]:
        batch: list[_Pending] = []
        size = 0
        now = time.monotonic()
        while self._queue and size + len(self._queue[0].texts) <= self.max_batch:
            pending = self._queue.popleft()
            self._queued_texts -= len(pending.texts)
            if pending.future.done():
                continue
            if pending.deadline is not None and pending.deadline <= now:
                pending.future.set_exception(DeadlineExceeded("deadline passed while queued for a batch"))
                continue
            batch.append(pending)
            size += len(pending.texts)
        return batch

    async def _dispatch(self, batch: list[_Pending]) -> None:
        try:
            texts = [text for pending in batch for text in pending.texts]
            deadlines = [p.deadline for p in batch]
            # The batch runs as long as its most patient member may wait; the others give up on their own.
            timeout = None if None in deadlines else max(d for d in deadlines if d is not None) - time.monotonic()
            self.batches += 1
            self.batched_texts += len(texts)
            token = otel_context.attach(batch[0].trace)
            try:
                output = await self._run(texts, timeout)
            except Exception as exc:
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                return
            finally:
                otel_context.detach(token)
            start = 0
            for pending in batch:
                end = start + len(pending.texts)
                if not pending.future.done():
                    pending.future.set_result(BatchOutput(output.vectors[start:end], output.truncated[start:end]))
                start = end
        finally:
            self._slots.release()

    async def close(self) -> None:
        """Stops the worker; queued callers get cancelled."""
        tasks = [t for t in (self._worker, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        while self._queue:
            self._queue.popleft().future.cancel()
        self._queued_texts = 0
