"""Multi-turn conversations through the real gRPC service (vault redaction, fake profile), en and zh."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import grpc
import pytest
import redis

from shared.usercontext import UserContextSigner
from shopmesh.common.v1 import conversation_pb2 as cpb
from tests.support.conftest import Conversation, Mesh, answer_text, final_reply, slots_of, start_mesh, stop_mesh
from tests.support.fake_profile import ALICE

# The first test on a clean machine also trains the support artifacts (about 1-4 minutes on two shared
# cores), beyond the suite's default 300 s.
pytestmark = pytest.mark.timeout(900)


async def test_refund_follow_ups_in_english_keep_the_intent_and_fill_the_payment_method(mesh: Mesh) -> None:
    chat = Conversation(mesh, ALICE, "en")
    opened = await chat.open()
    assert opened.opened.resumed is False and opened.sequence == 1

    first = await chat.say("How long do refunds take?")
    reply = final_reply(first)
    assert reply.understanding.intent_id == "refund.timeline"
    assert reply.answer_source == cpb.ANSWER_SOURCE_FAQ
    assert reply.citations[0].faq_id == "refund.timeline/general"
    assert "3 to 10 days" in answer_text(first)

    second = await chat.say("and for PayPal?")
    reply = final_reply(second)
    assert reply.understanding.intent_id == "refund.timeline"
    assert slots_of(reply) == {"payment_method": "paypal"}
    assert reply.citations[0].faq_id == "refund.timeline/paypal"
    assert "PayPal arrives within 2 days" in answer_text(second)
    sequences = [e.sequence for e in chat.events]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    chat.cancel()


async def test_order_status_asks_which_order_then_answers_from_the_users_orders(mesh: Mesh) -> None:
    chat = Conversation(mesh, ALICE, "en")
    await chat.open()
    ask = await chat.say("Where is my order?")
    assert final_reply(ask).answer_source == cpb.ANSWER_SOURCE_CLARIFICATION
    assert "A10023" in answer_text(ask) and "A10024" in answer_text(ask)

    answer = await chat.say("#a10023")
    reply = final_reply(answer)
    assert reply.understanding.intent_id == "order.status"
    assert slots_of(reply)["order_id"] == "A10023"
    assert reply.answer_source == cpb.ANSWER_SOURCE_USER_DATA
    text = answer_text(answer)
    assert "UPS" in text and "1ZALICE0301234567" in text
    # Chunk 0 carries the understanding before the profile answered.
    chunk0 = answer[0].bot_reply
    assert chunk0.chunk_index == 0 and chunk0.understanding.intent_id == "order.status"
    chat.cancel()


async def test_chinese_follow_ups_and_order_number(mesh: Mesh) -> None:
    chat = Conversation(mesh, ALICE, "zh")
    await chat.open()
    first = await chat.say("退款一般多久到账？")
    reply = final_reply(first)
    assert reply.understanding.intent_id == "refund.timeline"
    assert reply.understanding.language_code == "zh"
    assert "3至10天" in answer_text(first)

    second = await chat.say("那微信支付呢？")
    reply = final_reply(second)
    assert slots_of(reply) == {"payment_method": "wechat_pay"}
    assert reply.citations[0].faq_id == "refund.timeline/wechat_pay"
    assert "微信支付1天内到账" in answer_text(second)

    third = await chat.say("我的订单到哪了？")
    assert final_reply(third).understanding.intent_id == "order.status"
    fourth = await chat.say("订单号是A10023")
    reply = final_reply(fourth)
    assert reply.answer_source == cpb.ANSWER_SOURCE_USER_DATA
    assert slots_of(reply) == {"order_id": "A10023", "payment_method": "wechat_pay"}
    assert "订单A10023状态：已发货" in answer_text(fourth)
    chat.cancel()


async def test_resume_replays_events_and_keeps_slots(mesh: Mesh) -> None:
    chat = Conversation(mesh, ALICE, "en")
    await chat.open()
    await chat.say("Do you ship to Singapore?")
    last = chat.events[-1].sequence
    chat.cancel()

    again = Conversation(mesh, ALICE, "en", session_id=chat.session_id, resume_after=1)
    opened = await again.open()
    assert opened.opened.resumed is True
    assert {s.name: s.value for s in opened.opened.slots} == {"country": "Singapore"}
    replayed = [await again.next()]  # everything after sequence 1: the answer about Singapore
    while not replayed[-1].bot_reply.final:
        replayed.append(await again.next())
    assert replayed[0].bot_reply.understanding.intent_id == "shipping.international"
    assert [e.sequence for e in replayed] == list(range(2, 2 + len(replayed)))
    follow = await again.say("and to Japan?")
    reply = final_reply(follow)
    assert reply.understanding.intent_id == "shipping.international"
    assert slots_of(reply)["country"] == "Japan"
    assert follow[0].sequence > last
    again.cancel()


@pytest.mark.integration
async def test_sessions_on_redis_keep_context_and_expire(mesh_certs: Path, signer: UserContextSigner,
                                                         tmp_path: Path, trained_models: None) -> None:
    prefix = f"shopmesh-test:support:{uuid.uuid4().hex[:8]}:"
    running = await start_mesh(mesh_certs, signer, tmp_path, session_store="redis", redis_prefix=prefix,
                               session_ttl_seconds=6)
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        chat = Conversation(running, ALICE, "en")
        await chat.open()
        await chat.say("How long do refunds take?")
        follow = await chat.say("and for Alipay?")
        assert slots_of(final_reply(follow)) == {"payment_method": "alipay"}
        chat.cancel()
        stored = b"".join(bytes(client.get(k) or b"") for k in client.scan_iter(match=prefix + "session:*"))  # type: ignore[arg-type]
        assert b"and for Alipay?" in stored  # redacted text (nothing to redact here) is what is kept
        await asyncio.sleep(7)
        again = Conversation(running, ALICE, "en", session_id=chat.session_id)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await again.open()
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await stop_mesh(running)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()
