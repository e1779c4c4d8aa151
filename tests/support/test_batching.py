"""The turn-vector batcher: unit tests over a small real encoder function, then concurrent conversations
through the real gRPC service sharing encoder calls."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from services.support.batching import BatchingEncoder, normalise_turn
from shared import context as rpc_context
from shared.errors import Unavailable
from tests.support.conftest import Conversation, Mesh, final_reply
from tests.support.fake_profile import ALICE

pytestmark = pytest.mark.timeout(900)


class SlowEncoder:
    """A deterministic encoder (vector = code points of the text) that takes `delay_s` per call, records each
    call's texts and the deadline it ran under, and fails while `fail` is set."""

    def __init__(self, delay_s: float = 0.02):
        self.delay_s = delay_s
        self.calls: list[list[str]] = []
        self.deadlines: list[float | None] = []
        self.fail = False

    @staticmethod
    def vector(text: str) -> np.ndarray:
        out = np.zeros(8, dtype=np.float32)
        for i, char in enumerate(text[:8]):
            out[i] = ord(char)
        return out

    async def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.deadlines.append(rpc_context.deadline_var.get())
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise Unavailable("encoder down", reason="EMBEDDING_UNAVAILABLE")
        return np.stack([self.vector(t) for t in texts])


async def test_concurrent_turns_share_encoder_calls_and_get_their_own_rows() -> None:
    inner = SlowEncoder()
    batcher = BatchingEncoder(inner.embed, max_batch=16, window_ms=2, cache_texts=0)
    texts = [f"message {i}" for i in range(12)]
    rows = await asyncio.gather(*(batcher.embed([t]) for t in texts))
    for text, row in zip(texts, rows, strict=True):
        assert np.array_equal(row[0], SlowEncoder.vector(text))
    assert len(inner.calls) < len(texts)
    assert batcher.stats.largest_batch > 1
    assert sorted(t for call in inner.calls for t in call) == sorted(texts)
    await batcher.close()


async def test_max_batch_one_sends_every_text_alone_and_caps_bigger_batches() -> None:
    inner = SlowEncoder(delay_s=0.005)
    alone = BatchingEncoder(inner.embed, max_batch=1, window_ms=0, cache_texts=0)
    await asyncio.gather(*(alone.embed([f"t{i}"]) for i in range(5)))
    assert [len(c) for c in inner.calls] == [1] * 5
    await alone.close()
    inner.calls.clear()
    capped = BatchingEncoder(inner.embed, max_batch=3, window_ms=5, cache_texts=0)
    await asyncio.gather(*(capped.embed([f"u{i}"]) for i in range(9)))
    assert max(len(c) for c in inner.calls) == 3
    await capped.close()


async def test_repeated_texts_come_from_the_cache_and_duplicates_ride_one_call() -> None:
    inner = SlowEncoder()
    batcher = BatchingEncoder(inner.embed, cache_texts=2, window_ms=2)
    await asyncio.gather(batcher.embed(["Hi"]), batcher.embed(["Hi  "]), batcher.embed([" Hi"]))
    assert inner.calls == [["Hi"]]  # normalised to one text, encoded once
    again = await batcher.embed(["Hi"])
    assert len(inner.calls) == 1 and batcher.stats.cache_hits == 1
    assert np.array_equal(again[0], SlowEncoder.vector("Hi"))
    await batcher.embed(["a"])
    await batcher.embed(["b"])  # the LRU holds 2: "Hi" is evicted
    await batcher.embed(["Hi"])
    assert inner.calls[-1] == ["Hi"]
    await batcher.close()


async def test_with_the_cache_off_every_turn_is_encoded_even_a_duplicate() -> None:
    inner = SlowEncoder()
    batcher = BatchingEncoder(inner.embed, cache_texts=0, window_ms=2)
    rows = await asyncio.gather(*(batcher.embed(["Hi"]) for _ in range(3)))
    assert sum(len(c) for c in inner.calls) == 3
    assert all(np.array_equal(r[0], SlowEncoder.vector("Hi")) for r in rows)
    await batcher.close()


async def test_an_encoder_failure_reaches_every_waiter_and_the_batcher_recovers() -> None:
    inner = SlowEncoder()
    batcher = BatchingEncoder(inner.embed, cache_texts=0)
    inner.fail = True
    results = await asyncio.gather(*(batcher.embed([f"x{i}"]) for i in range(4)), return_exceptions=True)
    assert all(isinstance(r, Unavailable) for r in results)
    inner.fail = False
    assert np.array_equal((await batcher.embed(["ok"]))[0], SlowEncoder.vector("ok"))
    await batcher.close()


async def test_the_batch_task_does_not_inherit_the_first_turns_deadline() -> None:
    inner = SlowEncoder(delay_s=0.001)
    batcher = BatchingEncoder(inner.embed, cache_texts=0)
    reset = rpc_context.deadline_var.set(12345.0)
    try:
        await batcher.embed(["first"])
    finally:
        rpc_context.deadline_var.reset(reset)
    await batcher.embed(["second"])
    assert inner.deadlines == [None, None]
    await batcher.close()


def test_long_turns_are_cut_for_the_encoder() -> None:
    assert normalise_turn("  where\tis \n my   order? ", 256) == "where is my order?"
    assert len(normalise_turn("退" * 20_000, 256)) == 256


async def test_concurrent_conversations_through_the_service_share_encoder_calls(mesh: Mesh) -> None:
    conversations = [Conversation(mesh, ALICE, "en") for _ in range(8)]
    await asyncio.gather(*(c.open() for c in conversations))
    before = mesh.app.turn_encoder.stats.calls
    questions = [f"How long do refunds take for order number {i}?" for i in range(8)]
    replies = await asyncio.gather(*(c.say(q) for c, q in zip(conversations, questions, strict=True)))
    for events in replies:
        assert final_reply(events).understanding.intent_id.startswith("refund.")
    calls = mesh.app.turn_encoder.stats.calls - before
    assert 1 <= calls < 8
    for conversation in conversations:
        conversation.cancel()


async def test_an_idle_encoder_takes_a_lone_turn_at_once_and_batches_what_queued_meanwhile() -> None:
    inner = SlowEncoder(delay_s=0.05)
    batcher = BatchingEncoder(inner.embed, cache_texts=0)  # the defaults: no window, at most 8 per call
    first = asyncio.create_task(batcher.embed(["lone"]))
    for _ in range(3):  # a few passes of the event loop, no timer: a window would still be waiting
        await asyncio.sleep(0)
    assert inner.calls == [["lone"]]
    later = [asyncio.create_task(batcher.embed([f"m{i}"])) for i in range(10)]
    await asyncio.gather(first, *later)
    # The 10 that queued during the first call went together, in arrival order, at most 8 at a time.
    assert inner.calls[1:] == [[f"m{i}" for i in range(8)], ["m8", "m9"]]
    await batcher.close()
