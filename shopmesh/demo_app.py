"""The demo's app walk-through: what the mobile BFF does, through the gateway's public API (TLS + bearer JWT).

A development token from the local mesh's key (as `shopmesh token` mints it), then the home feed with its
reasons, a search, and one support exchange over the relayed Chat stream.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc

from gateway.auth import mint_token
from shared.tls import TlsFiles, channel_credentials
from shopmesh.certs import DEV_JWT_PRIVATE
from shopmesh.common.v1 import conversation_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.gateway.v1 import gateway_service_pb2_grpc as pb_grpc

Say = Callable[[str], None]
DEMO_USER = "u1"
"""A MovieLens user with history (profile's user ids are `u<MovieLens id>`)."""


def _mode(response: pb.GetHomeFeedResponse | pb.SearchItemsResponse) -> str:
    mode = pb.PersonalizationMode.Name(response.personalization).removeprefix("PERSONALIZATION_MODE_").lower()
    degraded = [pb.Dependency.Name(d.dependency).removeprefix("DEPENDENCY_").lower() for d in response.degradations]
    return mode + (f", degraded: {', '.join(degraded)}" if degraded else "")


def _chat(stub: pb_grpc.GatewayServiceStub, md: tuple[tuple[str, str], ...], text: str) -> list[str]:
    """One exchange: open, send `text`, read the bot's reply until its final chunk, end.

    Returns:
        The understanding (from the final chunk) first, then the reply's text chunks.
    """
    outgoing: queue.Queue[pb.ChatRequest | None] = queue.Queue()
    outgoing.put(pb.ChatRequest(input=conversation_pb2.ConversationInput(
        open=conversation_pb2.OpenConversation(language_code="en"))))
    outgoing.put(pb.ChatRequest(input=conversation_pb2.ConversationInput(
        user_message=conversation_pb2.UserMessage(client_message_id="demo-1", text=text))))

    def requests() -> Iterator[pb.ChatRequest]:
        while (item := outgoing.get()) is not None:
            yield item

    parts: list[str] = []
    stream = stub.Chat(requests(), metadata=md, timeout=60)
    try:
        for response in stream:
            if response.event.WhichOneof("event") != "bot_reply":
                continue
            reply = response.event.bot_reply
            parts.append(reply.text)
            if reply.final:
                understood = reply.understanding
                parts.insert(0, f"intent {understood.intent_id or 'out of scope'} ({understood.confidence:.2f})")
                outgoing.put(pb.ChatRequest(input=conversation_pb2.ConversationInput(
                    end=conversation_pb2.EndConversation())))
                outgoing.put(None)
    finally:
        outgoing.put(None)
        stream.cancel()
    return parts


def show_app(say: Say, certs_dir: Path, gateway_port: int, identity: str) -> None:
    """Feed, search and support through the gateway as the app calls them."""
    credentials = channel_credentials(TlsFiles.in_dir(certs_dir, identity))
    with grpc.secure_channel(f"127.0.0.1:{gateway_port}", credentials,
                             options=[("grpc.ssl_target_name_override", "gateway")]) as channel:
        stub = pb_grpc.GatewayServiceStub(channel)
        md = (("authorization", f"Bearer {mint_token(certs_dir / DEV_JWT_PRIVATE, DEMO_USER)}"),)
        say(f"signed in as {DEMO_USER} with a development JWT (`shopmesh token --user {DEMO_USER}`)")
        feed = stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=5), metadata=md, timeout=5)
        say(f"home feed ({_mode(feed)}), first {len(feed.items)} of the page:")
        for card in feed.items:
            say(f"  {card.item.title} — {card.reason.text or 'recommended'}")
        found = stub.SearchItems(pb.SearchItemsRequest(query="star wars", page_size=3), metadata=md, timeout=5)
        say(f"search 'star wars' ({_mode(found)}): " + "; ".join(card.item.title for card in found.items))
        question = "How do I return an item?"
        parts = _chat(stub, md, question)
        say(f"support, asked {question!r}: {parts[0] if parts else 'no reply'}")
        if len(parts) > 1:
            answer = " ".join(parts[1:])
            say(f"  answer: {answer[:160]}{'…' if len(answer) > 160 else ''}")
