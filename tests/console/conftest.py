"""The console's test fixtures: one local mesh for the package (`shopmesh up`'s Supervisor with every service,
the console included) with two agent accounts, a customer who chats through the gateway, and HTTP clients
that sign in as an agent the way the page does (cookies, the form's CSRF token)."""

from __future__ import annotations

import queue
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
import requests

from services.console.accounts import add_agent
from shared.tls import TlsFiles, channel_credentials
from shopmesh.certs import ensure_certs
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.gateway.v1 import gateway_service_pb2 as gpb
from shopmesh.mesh import Supervisor, available_services
from shopmesh.profile.v1 import profile_service_pb2 as ppb
from shopmesh.profile.v1 import profile_service_pb2_grpc as ppb_grpc
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc
from tests.gateway.conftest import load_shop, mesh_env
from tests.gateway.helpers import GatewayClient

AGENTS = {"ada": ("Ada", "ada-correct-horse-7", ["reveal"]), "bo": ("Bo", "bo-battery-staple-9", [])}
"""Test accounts: id → (display name, password, permissions). Ada may reveal values, Bo may not."""
PROXY_HEADER = "X-Auth-Request-Preferred-Username"
"""The OIDC hook's header, trusted from 127.0.0.1 in the test mesh (as from an oauth2-proxy sidecar)."""


@dataclass
class ConsoleMesh:
    """The running mesh and how to reach its console, profile and vault."""

    supervisor: Supervisor
    url: str
    gateway: GatewayClient

    def _channel(self, identity: str, service: str) -> grpc.Channel:
        certs = self.supervisor.certs_dir
        ensure_certs(certs, (identity,))
        port = next(s.port for s in self.supervisor.running if s.name == service)
        return grpc.secure_channel(f"127.0.0.1:{port}", channel_credentials(TlsFiles.in_dir(certs, identity)),
                                   options=[("grpc.ssl_target_name_override", service)])

    def vault_admin(self) -> vpb_grpc.VaultServiceStub:
        return vpb_grpc.VaultServiceStub(self._channel("cli", "vault"))

    def place_order(self, user_id: str, title: str) -> str:
        """Mirrors one placed order for the user into profile, as the shop's order feed does."""
        order_id = f"A{uuid.uuid4().int % 90000 + 10000}"
        money = {"currency_code": "USD", "amount_micros": 25_990_000}
        event = ppb.OrderEvent(order_event_id=f"{order_id}-placed", order_id=order_id, user_id=user_id,
                               event_time={"seconds": 1_700_000_000},
                               placed={"catalog_id": "movielens", "subtotal": money, "total": money,
                                       "lines": [{"line_id": "1", "item_id": "ml-1", "title": title, "quantity": 1,
                                                  "unit_price": money}]})
        stub = ppb_grpc.ProfileServiceStub(self._channel("orders", "profile"))
        applied = stub.ApplyOrderEvents(ppb.ApplyOrderEventsRequest(events=[event]), timeout=10)
        assert applied.results[0].status == 1, applied  # ACCEPTED
        return order_id

    def audit(self, subject_id: str) -> list[vpb.AuditEntry]:
        return list(self.vault_admin().ListAuditEntries(vpb.ListAuditEntriesRequest(
            subject_id=subject_id, page_size=200), timeout=10).entries)


@pytest.fixture(scope="package")
def console_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleMesh]:
    """Every installed service with the test agents' accounts, started once for tests/console."""
    home = tmp_path_factory.mktemp("console-mesh")
    accounts = home / "console" / "accounts.yaml"
    for agent_id, (name, password, permissions) in AGENTS.items():
        add_agent(accounts, agent_id, name, password, permissions)
    load_shop(home)
    supervisor = Supervisor(available_services(), home, extra_env=mesh_env(
        home, SHOPMESH_CONSOLE_ACCOUNTS_FILE=str(accounts), SHOPMESH_CONSOLE_AUTH_PROXY_HEADER=PROXY_HEADER,
        SHOPMESH_CONSOLE_AUTH_PROXY_NETWORKS='["127.0.0.1/32"]'))
    try:
        supervisor.start(timeout_s=300)
        console = next(s for s in supervisor.running if s.name == "console")
        gateway = GatewayClient.for_mesh(supervisor)
        try:
            yield ConsoleMesh(supervisor, f"http://127.0.0.1:{console.port}", gateway)
        finally:
            gateway.close()
    finally:
        supervisor.stop()


@dataclass
class Customer:
    """A customer chatting through the gateway's Chat stream, as the app does; events arrive on a thread."""

    gateway: GatewayClient
    user_id: str
    language: str = "en"
    events: queue.Queue[cpb.ConversationEvent] = field(default_factory=queue.Queue)
    _inputs: queue.Queue[gpb.ChatRequest | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None
    ended_with: grpc.StatusCode | None = None

    def open(self) -> cpb.ConversationEvent:
        def requests_() -> Iterator[gpb.ChatRequest]:
            while (item := self._inputs.get()) is not None:
                yield item

        def run() -> None:
            try:
                for response in self.gateway.stub.Chat(requests_(), metadata=self.gateway.md(self.user_id),
                                                       timeout=600):
                    if response.HasField("event"):
                        self.events.put(response.event)
            except grpc.RpcError as exc:  # the stream's end when the test closes it or the mesh stops
                self.ended_with = exc.code()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        self._inputs.put(gpb.ChatRequest(input=cpb.ConversationInput(
            open=cpb.OpenConversation(language_code=self.language))))
        return self.wait_for("opened")

    def say(self, text: str) -> None:
        self._inputs.put(gpb.ChatRequest(input=cpb.ConversationInput(
            user_message=cpb.UserMessage(client_message_id=uuid.uuid4().hex, text=text))))

    def wait_for(self, kind: str, timeout_s: float = 120.0) -> cpb.ConversationEvent:
        """The next event of this kind (earlier events of other kinds are passed over)."""
        while True:
            event = self.events.get(timeout=timeout_s)
            if event.WhichOneof("event") == kind:
                return event

    def hand_off(self, text: str) -> str:
        """Says something that needs a person and returns the hand-off id from the stream."""
        self.say(text)
        while True:
            event = self.wait_for("handoff_update")
            if event.handoff_update.state == cpb.HANDOFF_STATE_WAITING:
                return str(event.handoff_update.handoff_id)

    def close(self) -> None:
        self._inputs.put(None)
        if self._thread is not None:
            self._thread.join(timeout=10)


@pytest.fixture
def customer(console_mesh: ConsoleMesh) -> Iterator[Customer]:
    """A fresh customer (own user id) with an open conversation."""
    person = Customer(console_mesh.gateway, f"u-console-{uuid.uuid4().hex[:8]}")
    person.open()
    try:
        yield person
    finally:
        person.close()


_HIDDEN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class AgentBrowser:
    """An HTTP client of the console with a cookie jar, signed in as one agent."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()
        self.csrf = ""

    def sign_in(self, agent_id: str, password: str) -> requests.Response:
        page = self.http.get(f"{self.url}/login", timeout=10)
        token = _HIDDEN_CSRF.search(page.text)
        assert token, page.text
        answer = self.http.post(f"{self.url}/login", data={"csrf": token.group(1), "agent_id": agent_id,
                                                            "password": password, "next": "/queue"}, timeout=10)
        found = _HIDDEN_CSRF.search(answer.text)
        self.csrf = found.group(1) if found else ""
        return answer

    def post(self, path: str, **data: str) -> requests.Response:
        return self.http.post(f"{self.url}{path}", data={"csrf": self.csrf, **data}, timeout=15,
                              allow_redirects=False)

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.http.get(f"{self.url}{path}", timeout=15, **kwargs)  # type: ignore[arg-type]


def signed_in(mesh: ConsoleMesh, agent_id: str) -> AgentBrowser:
    browser = AgentBrowser(mesh.url)
    _, password, _ = AGENTS[agent_id]
    answer = browser.sign_in(agent_id, password)
    assert answer.status_code == 200 and answer.url.endswith("/queue"), (answer.status_code, answer.url)
    return browser


def here() -> Path:
    return Path(__file__).parent
