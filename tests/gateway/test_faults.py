"""Fault tests on the real mesh: with ranking, retrieval, profile, embedding and support stopped in turn, the
feed (and the support chat) still answer within their deadlines, say they are degraded, and stop saying so
once the service is back."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator

import grpc
import pytest

from shopmesh.common.v1 import conversation_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.mesh import Supervisor
from tests.gateway.helpers import GatewayClient, wait_until

pytestmark = pytest.mark.integration
FEED_DEADLINE_S = 2.0
RECOVERY_S = 60.0
_fresh = (f"fault-{n}-{uuid.uuid4().hex[:6]}" for n in itertools.count())
_with_history = iter(["u14", "u16", "u21", "u22", "u23", "u24", "u30", "u35", "u43", "u44", "u50", "u55", "u63",
                      "u67", "u68", "u71", "u76", "u81", "u82", "u92", "u101", "u102", "u113", "u116", "u118",
                      "u119", "u130", "u145", "u148", "u150", "u152", "u157", "u160", "u162", "u172", "u173"])
"""MovieLens users with recent items in the loaded ratings, each probed once (no cached user vector)."""

FALLBACK = {
    "ranking": (pb.DEPENDENCY_RANKING, pb.FALLBACK_RETRIEVAL_ORDER),
    "retrieval": (pb.DEPENDENCY_RETRIEVAL, pb.FALLBACK_CACHED_TRENDING),
    "profile": (pb.DEPENDENCY_PROFILE, pb.FALLBACK_ANONYMOUS_FEED),
    "embedding": (pb.DEPENDENCY_EMBEDDING, pb.FALLBACK_NON_VECTOR_SOURCES),
}


def timed_feed(gateway: GatewayClient, history: bool = False) -> tuple[pb.GetHomeFeedResponse, float]:
    """A first feed page for a fresh user (with history: one whose vector no cache holds) and its time."""
    while True:
        user = next(_with_history) if history else next(_fresh)
        started = time.monotonic()
        response = gateway.stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=10), metadata=gateway.md(user),
                                            timeout=FEED_DEADLINE_S)
        took = time.monotonic() - started
        if response.variant != "noranker":  # that arm never calls ranking, so it proves nothing here
            return response, took


def degraded_by(response: pb.GetHomeFeedResponse, dependency: int) -> list[pb.Degradation]:
    """The response's degradations naming one dependency."""
    return [d for d in response.degradations if d.dependency == dependency]


@pytest.mark.parametrize("service", ["ranking", "retrieval", "profile", "embedding"])
def test_feed_degrades_and_recovers(service: str, gateway: GatewayClient, mesh: Supervisor) -> None:
    dependency, fallback = FALLBACK[service]
    history = service == "embedding"
    healthy, _ = timed_feed(gateway, history)
    if not any(s.name == service for s in mesh.running):
        # Not part of this mesh yet (ranking before its service exists): the feed must already degrade.
        assert [d.fallback for d in degraded_by(healthy, dependency)] == [fallback]
        assert len(healthy.items) == 10
        return
    assert not degraded_by(healthy, dependency)
    mesh.stop_service(service)
    try:
        for _ in range(4):  # before and after the circuit opens
            response, took = timed_feed(gateway, history)
            assert took < FEED_DEADLINE_S
            assert fallback in [d.fallback for d in degraded_by(response, dependency)], response.degradations
            assert len(response.items) == 10 or service == "profile"
        if service == "profile":
            assert response.personalization == pb.PERSONALIZATION_MODE_DEGRADED
            assert response.items, "retrieval's anonymous list, with item ids only"
    finally:
        mesh.restart_service(service)
    assert wait_until(lambda: not degraded_by(timed_feed(gateway, history)[0], dependency), RECOVERY_S, 1.0)


def _chat(gateway: GatewayClient) -> list[pb.ChatResponse]:
    def inputs() -> Iterator[pb.ChatRequest]:
        yield pb.ChatRequest(input=conversation_pb2.ConversationInput(
            open=conversation_pb2.OpenConversation(language_code="en")))
        yield pb.ChatRequest(input=conversation_pb2.ConversationInput(end=conversation_pb2.EndConversation()))

    return list(gateway.stub.Chat(inputs(), metadata=gateway.md("u11"), timeout=20))


def test_support_down_answers_try_later_with_a_contact_route(gateway: GatewayClient, mesh: Supervisor) -> None:
    assert _chat(gateway)[0].event.WhichOneof("event") == "opened"
    mesh.stop_service("support")
    try:
        started = time.monotonic()
        responses = _chat(gateway)
        assert time.monotonic() - started < 5
        assert len(responses) == 1
        notice = responses[0]
        assert notice.notice.text and notice.notice.contact_url and notice.notice.retry_after_seconds > 0
        assert [(d.dependency, d.fallback) for d in notice.degradations] == [
            (pb.DEPENDENCY_SUPPORT, pb.FALLBACK_CONTACT_ROUTE)]
    finally:
        mesh.restart_service("support", timeout_s=300)

    def recovered() -> bool:
        try:
            return not _chat(gateway)[0].HasField("notice")
        except grpc.RpcError:
            return False

    assert wait_until(recovered, RECOVERY_S, 1.0)
