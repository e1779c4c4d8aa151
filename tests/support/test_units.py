"""Domain units without gRPC: content and policy figures, language, slots, chunking, escalation, stores."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from services.support.content import load_examples, load_faq, load_taxonomy
from services.support.escalation import NEGATIVE_SENTIMENT, REPEATED_FAILURE, USER_REQUESTED, EscalationPolicy
from services.support.language import detect_language
from services.support.records import chunk_text, rfc3339
from services.support.slots import extract_slots, slot_matches
from services.support.store_sqlite import SqliteSessionStore
from shopmesh.data import order_policy


def test_every_intent_has_faq_answers_in_both_languages_and_training_examples() -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy.intents) == 35
    faq = load_faq()
    for intent in taxonomy.ids():
        for language in ("en", "zh"):
            assert any(e.intent_id == intent and e.language == language for e in faq), (intent, language)
            examples = [e for e in load_examples("train") if e.label == intent and e.language == language]
            assert len(examples) >= 10, (intent, language)


def test_the_faq_quotes_the_order_systems_policy_figures() -> None:
    faq = {(e.faq_id, e.language): e.answer for e in load_faq()}
    assert f"within {order_policy.RETURN_WINDOW_DAYS} days" in faq[("returns.policy/general", "en")]
    low, high = order_policy.REFUND_DAYS[order_policy.PaymentMethod.CARD]
    assert f"{low:g} to {high:g} days" in faq[("refund.timeline/card", "en")]
    assert f"{low:g}至{high:g}天" in faq[("refund.timeline/card", "zh")]
    paypal_high = order_policy.REFUND_DAYS[order_policy.PaymentMethod.PAYPAL][1]
    assert f"within {paypal_high:g} days" in faq[("refund.timeline/paypal", "en")]
    assert f"${order_policy.SHIPPING_CENTS / 100:.2f}" in faq[("shipping.cost/general", "en")]
    assert f"{order_policy.MIN_REDEEM_POINTS}" in faq[("membership.benefits/general", "zh")]
    assert all("{" not in answer for answer in faq.values())


def test_language_detection() -> None:
    assert detect_language("Where is my order?").code == "en"
    assert detect_language("我的order什么时候到").code == "zh"
    assert detect_language("Где мой заказ?").supported is False
    assert detect_language("12345 !!!").code == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("#a10023", {"order_id": "A10023"}),
    ("I ordered the black puffer jacket in size S but got an L", {"item": "black puffer jacket", "size": "L"}),
    ("那微信支付呢？", {"payment_method": "wechat_pay"}),
    ("可以寄到新加坡吗？", {"country": "Singapore"}),
    ("优惠码WELCOME20提示无效", {"coupon_code": "WELCOME20"}),
    ("My Apple Pay payment failed", {"payment_method": "apple_pay"}),
    ("I'm 170 cm and 60 kg, which size fits me?", {}),
])
def test_slots_are_extracted_and_normalised(text: str, expected: dict[str, str]) -> None:
    assert extract_slots(text) == expected


def test_coupon_codes_need_a_coupon_context_and_items_compare_as_substrings() -> None:
    assert extract_slots("it's save10") == {}
    assert extract_slots("it's save10", coupon_context=True) == {"coupon_code": "SAVE10"}
    assert slot_matches("item", "dress", "floral dress") and not slot_matches("size", "M", "L")


def test_chunks_concatenate_to_the_answer_and_respect_the_limit() -> None:
    answer = " ".join(["Refunds are issued within a day of your return reaching our warehouse."] * 5)
    chunks = chunk_text(answer, 80)
    assert "".join(chunks) == answer and all(len(c) <= 80 for c in chunks) and len(chunks) > 1
    chinese = "退款发起后，支付宝1天内到账。具体取决于银行。"
    assert "".join(chunk_text(chinese, 10)) == chinese


def test_escalation_order() -> None:
    policy = EscalationPolicy()

    def decide(text: str, anger: bool, failures: int = 0) -> str | None:
        return policy.decide(text=text, intent_id="order.status", out_of_scope=False, confidence=0.9, anger=anger,
                             failures_in_row=failures, low_confidence_in_row=0)

    assert decide("get me a real person", anger=True) == USER_REQUESTED
    assert decide("this is a scam", anger=True) == NEGATIVE_SENTIMENT
    assert decide("blorf", anger=False, failures=3) == REPEATED_FAILURE
    assert decide("where is it", anger=False) is None


async def _exercise(store: object) -> None:
    now = time.time()
    sid = uuid.uuid4().hex
    doc = {"session_id": sid, "user_id": "u-1", "expire_time": now + 60, "n": 0}
    await store.create_session(doc)  # type: ignore[attr-defined]
    updated = await store.update_session(sid, lambda d: {**d, "n": d["n"] + 1})  # type: ignore[attr-defined]
    assert updated["n"] == 1 and (await store.get_session(sid))["n"] == 1  # type: ignore[attr-defined]
    assert sid in await store.user_session_ids("u-1")  # type: ignore[attr-defined]
    hid = uuid.uuid4().hex
    # Shaped as the engine writes it: RFC 3339 create_time for people, epoch `_created` for the queue order.
    await store.create_handoff({"handoff_id": hid, "create_time": rfc3339(now), "_created": now,  # type: ignore[attr-defined]
                                "user_id": "u-1", "state": "W"})
    older = uuid.uuid4().hex
    await store.create_handoff({"handoff_id": older, "create_time": rfc3339(now - 5), "_created": now - 5,  # type: ignore[attr-defined]
                                "user_id": "u-2", "state": "W"})
    assert [d["handoff_id"] for d in await store.list_handoffs()][-2:] == [older, hid]  # type: ignore[attr-defined]
    assert await store.delete_handoff(older)  # type: ignore[attr-defined]

    def fail(_: dict[str, object]) -> dict[str, object]:
        raise ValueError("abort")

    with pytest.raises(ValueError, match="abort"):
        await store.update_handoff(hid, fail)  # type: ignore[attr-defined]
    assert (await store.get_handoff(hid))["state"] == "W"  # type: ignore[attr-defined]
    assert await store.delete_handoff(hid) and await store.delete_session(sid)  # type: ignore[attr-defined]
    assert await store.get_session(sid) is None  # type: ignore[attr-defined]


async def test_sqlite_store_round_trip_abort_and_expiry(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.sqlite")
    await _exercise(store)
    await store.create_session({"session_id": "old", "user_id": "u", "expire_time": time.time() - 1})
    assert await store.get_session("old") is None
    await store.close()


@pytest.mark.integration
async def test_redis_store_round_trip_on_its_own_prefix() -> None:
    import redis

    from services.support.store_redis import RedisSessionStore

    prefix = f"shopmesh-test:support:{uuid.uuid4().hex[:8]}:"
    store = RedisSessionStore("redis://127.0.0.1:6379/0", prefix)
    try:
        await _exercise(store)
    finally:
        await store.close()
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


async def test_the_knowledge_base_reloads_without_a_restart(tmp_path: Path) -> None:
    import numpy as np

    from services.support.content import CONTENT_DIR
    from services.support.kb import KnowledgeBase

    async def embed(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 4), dtype=np.float32) / 2

    faq = tmp_path / "faq.yaml"
    faq.write_text((CONTENT_DIR / "faq.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    kb = KnowledgeBase(embed, faq)
    assert await kb.reload() == 78
    edited = faq.read_text(encoding="utf-8").replace("Hi! How can I help you today?", "Hello, what can I do?")
    faq.write_text(edited, encoding="utf-8")
    await kb.reload()
    entry = kb.entry("chitchat.greeting/general", "en")
    assert entry is not None and entry.answer == "Hello, what can I do?"


def test_unknown_enum_values_in_a_request_are_invalid_argument() -> None:
    """Found by fuzzing: ListHandoffs/WatchHandoffs `states` and CloseHandoff `resolution` with a number this
    build does not know made Enum.Name raise ValueError, answered INTERNAL."""
    from services.support.servicer import _enum_name, _states
    from shared.errors import InvalidArgument
    from shopmesh.common.v1 import conversation_pb2 as cpb
    from shopmesh.support.v1 import support_service_pb2 as pb

    assert _states([cpb.HANDOFF_STATE_WAITING]) == ["HANDOFF_STATE_WAITING"]
    with pytest.raises(InvalidArgument) as caught:
        _states([cpb.HANDOFF_STATE_WAITING, 9999])
    assert [(v.field, v.description) for v in caught.value.violations] == [("states[1]", "UNKNOWN_ENUM_VALUE")]
    with pytest.raises(InvalidArgument):
        _enum_name(pb.Resolution, -7, "resolution")


def test_a_page_token_of_non_ascii_digits_is_invalid_argument() -> None:
    """"²".isdigit() is true but int("²") raises, and so does int() of over 4,300 digits: ListHandoffs answered
    INTERNAL for both (found by fuzzing); the token check happens before the store is read."""
    import asyncio
    from types import SimpleNamespace

    from services.support.agents import AgentDesk
    from shared.errors import InvalidArgument

    desk = AgentDesk(SimpleNamespace(store=None, hub=None))  # type: ignore[arg-type]
    for token in ("²", "٣", "1²", "-1", "9" * 5000):
        with pytest.raises(InvalidArgument):
            asyncio.run(desk.list_handoffs([], "", "", 0, token))
