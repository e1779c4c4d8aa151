"""The agents' side through the real service: the queue, take (one winner), reply to the live stream,
close, and a reveal of a redacted value that only the vault grants, to the agent, audited."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.support.v1 import support_service_pb2 as pb
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from tests.support.conftest import Conversation, Mesh, final_reply
from tests.support.fake_profile import ALICE

# The first test on a clean machine also trains the support artifacts (about 1-4 minutes on two shared
# cores), beyond the suite's default 300 s.
pytestmark = pytest.mark.timeout(900)


async def _handed_off(mesh: Mesh, text: str = "I want to talk to a real person") -> Conversation:
    chat = Conversation(mesh, ALICE, "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")
    await chat.open()
    events = await chat.say(text)
    reply = final_reply(events)
    assert reply.answer_source == cpb.ANSWER_SOURCE_HANDOFF
    assert events[-1].handoff_update.state == cpb.HANDOFF_STATE_WAITING
    return chat


async def test_take_reply_close_reach_the_users_stream(mesh: Mesh) -> None:
    chat = await _handed_off(mesh)
    console = mesh.stub("console")
    listed = await console.ListHandoffs(pb.ListHandoffsRequest(), timeout=5)
    assert len(listed.handoffs) == 1
    handoff = listed.handoffs[0]
    assert handoff.reason.reason == cpb.HANDOFF_REASON_USER_REQUESTED
    assert handoff.state == cpb.HANDOFF_STATE_WAITING and "user_requested" in handoff.summary

    takes = await asyncio.gather(
        console.TakeHandoff(pb.TakeHandoffRequest(handoff_id=handoff.handoff_id, agent_id="a-1",
                                                  agent_display_name="Mia"), timeout=5),
        console.TakeHandoff(pb.TakeHandoffRequest(handoff_id=handoff.handoff_id, agent_id="a-2",
                                                  agent_display_name="Leo"), timeout=5),
        return_exceptions=True)
    winners = [t for t in takes if isinstance(t, pb.TakeHandoffResponse)]
    losers = [t for t in takes if isinstance(t, grpc.aio.AioRpcError)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].code() == grpc.StatusCode.FAILED_PRECONDITION
    winner = winners[0].handoff.agent_id
    assigned = await chat.next()
    assert assigned.handoff_update.state == cpb.HANDOFF_STATE_ASSIGNED

    # While handed off the user's message goes to the agent, not the bot.
    await chat._call.write(pb.ConverseRequest(input=cpb.ConversationInput(
        user_message=cpb.UserMessage(client_message_id="u-9", text="my order is A10023"))))
    reply = await console.AgentReply(pb.AgentReplyRequest(
        handoff_id=handoff.handoff_id, agent_id=winner, text="Hi, I'm looking at A10023 now.",
        client_message_id="c-1"), timeout=5)
    assert reply.delivered_live is True
    message = await chat.next()
    assert message.agent_message.text == "Hi, I'm looking at A10023 now."
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await console.AgentReply(pb.AgentReplyRequest(handoff_id=handoff.handoff_id, agent_id="someone-else",
                                                      text="hello", client_message_id="c-2"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    detail = await console.GetHandoff(pb.GetHandoffRequest(handoff_id=handoff.handoff_id), timeout=5)
    speakers = [e.speaker for e in detail.transcript]
    assert pb.SPEAKER_USER in speakers and pb.SPEAKER_BOT in speakers and pb.SPEAKER_AGENT in speakers
    assert any(e.text == "my order is A10023" for e in detail.transcript)

    closed = await console.CloseHandoff(pb.CloseHandoffRequest(handoff_id=handoff.handoff_id, agent_id=winner,
                                                               resolution=pb.RESOLUTION_RESOLVED), timeout=5)
    assert closed.handoff.state == cpb.HANDOFF_STATE_CLOSED
    events = [await chat.next(), await chat.next()]
    assert events[0].handoff_update.state == cpb.HANDOFF_STATE_CLOSED
    assert events[1].ended.reason == cpb.CONVERSATION_END_REASON_AGENT_CLOSED
    again = await console.CloseHandoff(pb.CloseHandoffRequest(handoff_id=handoff.handoff_id, agent_id=winner,
                                                              resolution=pb.RESOLUTION_RESOLVED), timeout=5)
    assert again.handoff.state == cpb.HANDOFF_STATE_CLOSED
    chat.cancel()


async def test_anger_hands_off_and_reveal_needs_the_agents_identity_and_purpose(mesh: Mesh) -> None:
    chat = await _handed_off(mesh, "This is ridiculous, you are useless! My number is +1 415 555 0134")
    console = mesh.stub("console")
    handoff = (await console.ListHandoffs(pb.ListHandoffsRequest(), timeout=5)).handoffs[0]
    assert handoff.reason.reason == cpb.HANDOFF_REASON_NEGATIVE_SENTIMENT
    assert handoff.sentiment == cpb.SENTIMENT_NEGATIVE
    assert "555 0134" not in handoff.summary and "555 0134" not in handoff.last_user_message
    detail = await console.GetHandoff(pb.GetHandoffRequest(handoff_id=handoff.handoff_id), timeout=5)
    span = next(s for e in detail.transcript for s in e.spans)

    vault_console = mesh.vault_stub("console")
    revealed = await vault_console.Detokenize(vpb.DetokenizeRequest(
        tokens=[span.token], purpose="console.reveal_customer_value", acting_agent_id="a-1",
        max_disclosure=vpb.DISCLOSURE_CLEAR), timeout=5)
    assert "555" in revealed.values[0].value and revealed.values[0].subject_id == ALICE
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # no agent: the vault's policy refuses
        await vault_console.Detokenize(vpb.DetokenizeRequest(
            tokens=[span.token], purpose="console.reveal_customer_value",
            max_disclosure=vpb.DISCLOSURE_CLEAR), timeout=5)
    assert caught.value.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT)
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # the support identity cannot reveal in clear
        await mesh.vault_stub("support").Detokenize(vpb.DetokenizeRequest(
            tokens=[span.token], purpose="console.reveal_customer_value", acting_agent_id="a-1",
            max_disclosure=vpb.DISCLOSURE_CLEAR), timeout=5)
    assert caught.value.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT)
    audit = await mesh.vault_stub("ops").ListAuditEntries(vpb.ListAuditEntriesRequest(subject_id=ALICE), timeout=5)
    assert any(e.acting_agent_id == "a-1" and e.purpose == "console.reveal_customer_value" for e in audit.entries)
    chat.cancel()


async def test_user_ending_withdraws_the_handoff_and_delete_removes_everything(mesh: Mesh) -> None:
    chat = await _handed_off(mesh)
    ended = await chat.end()
    assert ended.ended.reason == cpb.CONVERSATION_END_REASON_USER_ENDED
    console = mesh.stub("console")
    withdrawn = await console.ListHandoffs(pb.ListHandoffsRequest(states=[cpb.HANDOFF_STATE_WITHDRAWN]), timeout=5)
    assert len(withdrawn.handoffs) == 1
    exported = await mesh.stub().ExportUserSessions(pb.ExportUserSessionsRequest(user_id=ALICE),
                                                    metadata=mesh.as_user(ALICE), timeout=5)
    assert len(exported.sessions) == 1 and len(exported.handoffs) == 1
    deleted = await mesh.stub().DeleteUserSessions(pb.DeleteUserSessionsRequest(user_id=ALICE),
                                                   metadata=mesh.as_user(ALICE), timeout=5)
    assert (deleted.deleted_session_count, deleted.deleted_handoff_count) == (1, 1)
    again = await mesh.stub().DeleteUserSessions(pb.DeleteUserSessionsRequest(user_id=ALICE),
                                                 metadata=mesh.as_user(ALICE), timeout=5)
    assert again.already_deleted is True
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.stub().DeleteUserSessions(pb.DeleteUserSessionsRequest(user_id="u-bob"),
                                             metadata=mesh.as_user(ALICE), timeout=5)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_watch_handoffs_sends_a_snapshot_then_live_queue_events(mesh: Mesh) -> None:
    first = await _handed_off(mesh)
    watch = mesh.stub("console").WatchHandoffs(pb.WatchHandoffsRequest(), timeout=60)
    snapshot = await asyncio.wait_for(watch.read(), 30)
    assert snapshot.kind == pb.HANDOFF_EVENT_KIND_SNAPSHOT
    assert (await asyncio.wait_for(watch.read(), 30)).kind == pb.HANDOFF_EVENT_KIND_SNAPSHOT_END
    second = await _handed_off(mesh, "转人工")
    created = await asyncio.wait_for(watch.read(), 30)
    assert created.kind == pb.HANDOFF_EVENT_KIND_CREATED and created.handoff.language_code == "zh"
    assert created.handoff.handoff_id != snapshot.handoff.handoff_id
    watch.cancel()
    first.cancel()
    second.cancel()
