"""The demo's console part: a customer asks for a person through the gateway, and the local `demo` agent
signs in to the console over HTTP (as a browser would: cookies, the forms' CSRF tokens), takes the
conversation, replies into the customer's stream, reveals the phone number the customer gave (audited by
the vault) and closes it."""

from __future__ import annotations

import http.cookiejar
import json
import queue
import re
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc

from gateway.auth import mint_token
from shared.tls import TlsFiles, channel_credentials
from shopmesh.certs import DEV_JWT_PRIVATE
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.gateway.v1 import gateway_service_pb2_grpc as pb_grpc

Say = Callable[[str], None]
DEMO_CUSTOMER = "u-demo-console"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_REVEAL = re.compile(r'class="pii" data-type="PHONE">([^<]*)</span><button type="button" class="reveal" '
                     r'data-sequence="(\d+)" data-span="(\d+)"')


class _Customer:
    """The customer's Chat stream through the gateway; events arrive on a thread."""

    def __init__(self, stub: pb_grpc.GatewayServiceStub, md: tuple[tuple[str, str], ...]):
        self.events: queue.Queue[cpb.ConversationEvent] = queue.Queue()
        self._out: queue.Queue[pb.ChatRequest | None] = queue.Queue()

        def requests() -> Iterator[pb.ChatRequest]:
            while (item := self._out.get()) is not None:
                yield item

        self._stream = stub.Chat(requests(), metadata=md, timeout=180)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for response in self._stream:
                if response.HasField("event"):
                    self.events.put(response.event)
        except grpc.RpcError:
            pass

    def send(self, item: cpb.ConversationInput) -> None:
        self._out.put(pb.ChatRequest(input=item))

    def wait(self, kind: str, timeout_s: float = 60.0) -> cpb.ConversationEvent:
        while True:
            event = self.events.get(timeout=timeout_s)
            if event.WhichOneof("event") == kind:
                return event

    def close(self) -> None:
        self._out.put(None)
        self._stream.cancel()


class _Agent:
    """An HTTP client of the console with a cookie jar."""

    def __init__(self, url: str):
        self.url = url
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def get(self, path: str) -> str:
        with self.http.open(self.url + path, timeout=15) as response:
            return str(response.read().decode())

    def post(self, path: str, data: dict[str, str], *, json_reply: bool = False) -> str:
        body = urllib.parse.urlencode({"csrf": self.csrf, **data}).encode()
        request = urllib.request.Request(self.url + path, data=body, method="POST")
        if json_reply:
            request.add_header("Accept", "application/json")
            request.add_header("X-CSRF-Token", self.csrf)
        with self.http.open(request, timeout=15) as response:
            text = str(response.read().decode())
        if found := _CSRF.search(text):
            self.csrf = found.group(1)
        return text

    def sign_in(self, agent_id: str, password: str) -> str:
        login = self.get("/login")
        found = _CSRF.search(login)
        self.csrf = found.group(1) if found else ""
        return self.post("/login", {"agent_id": agent_id, "password": password, "next": "/queue"})


def show_console(say: Say, certs_dir: Path, gateway_port: int, console_port: int, *, identity: str,
                 password_file: Path) -> None:
    """The hand-off, seen from both sides."""
    credentials = channel_credentials(TlsFiles.in_dir(certs_dir, identity))
    with grpc.secure_channel(f"127.0.0.1:{gateway_port}", credentials,
                             options=[("grpc.ssl_target_name_override", "gateway")]) as channel:
        md = (("authorization", f"Bearer {mint_token(certs_dir / DEV_JWT_PRIVATE, DEMO_CUSTOMER)}"),)
        customer = _Customer(pb_grpc.GatewayServiceStub(channel), md)
        try:
            customer.send(cpb.ConversationInput(open=cpb.OpenConversation(language_code="en")))
            customer.wait("opened")
            text = "I want to talk to a real person, please call me at +1 415 555 0100"
            customer.send(cpb.ConversationInput(user_message=cpb.UserMessage(client_message_id=uuid.uuid4().hex,
                                                                             text=text)))
            while (update := customer.wait("handoff_update").handoff_update).state != cpb.HANDOFF_STATE_WAITING:
                pass
            handoff_id = update.handoff_id
            say(f"customer {DEMO_CUSTOMER} asked for a person: hand-off {handoff_id} waits in the queue")

            agent = _Agent(f"http://127.0.0.1:{console_port}")
            queue_page = agent.sign_in("demo", password_file.read_text().strip())
            say(f"agent `demo` signed in to http://127.0.0.1:{console_port}/ ; the queue lists it: "
                f"{handoff_id in queue_page}")
            page = agent.post(f"/handoffs/{handoff_id}/take", {})
            say(f"  took it; the page shows the redacted transcript and the bot's summary ({'Bot summary' in page})")
            agent.post(f"/handoffs/{handoff_id}/reply", {"text": "Hi, this is the demo agent. I'll call you now.",
                                                          "client_message_id": str(uuid.uuid4())})
            message = customer.wait("agent_message").agent_message
            say(f"  the customer's app received: {message.text!r}")
            reveal = _REVEAL.search(page)
            if reveal:
                masked, sequence, span = reveal.groups()
                answer = json.loads(agent.post(f"/handoffs/{handoff_id}/reveal", {
                    "sequence": sequence, "span": span, "reason": "contact_customer"}, json_reply=True))
                say(f"  the phone number shows masked ({masked}); revealed on a click with the reason "
                    f"'contact the customer' ({len(answer['value'])} characters, audited by the vault as "
                    "console.reveal_to_contact_customer)")
            agent.post(f"/handoffs/{handoff_id}/close", {"resolution": "resolved"})
            ended = customer.wait("ended").ended
            say(f"  closed as resolved; the customer's conversation ended "
                f"({cpb.ConversationEndReason.Name(ended.reason).removeprefix('CONVERSATION_END_REASON_').lower()})")
        finally:
            customer.close()
