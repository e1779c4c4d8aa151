"""Steady open-loop traffic against a running mesh, as the app and the order system send it, with every
request's outcome kept: the gateway's feed, search, behaviour events, support chat and profile updates (each
profile update stores PII, so it is also a vault write), and order events sent straight to profile as the order
system does.

Open loop: each kind is scheduled at a fixed rate and handed to a thread pool, so a slow or failing call never
slows the rate down (a fault shows as failures, not as fewer requests). What was acknowledged is kept so the
suites can check afterwards that none of it was lost.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2

from gateway.auth import mint_token
from shared.tls import TlsFiles, channel_credentials
from shopmesh.certs import DEV_JWT_PRIVATE, ensure_certs
from shopmesh.common.v1 import conversation_pb2, event_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.gateway.v1 import gateway_service_pb2_grpc as pb_grpc
from shopmesh.mesh import Supervisor
from shopmesh.profile.v1 import profile_service_pb2 as ppb
from shopmesh.profile.v1 import profile_service_pb2_grpc as ppb_grpc

KINDS = ("feed", "search", "events", "support", "profile", "orders")
DEFAULT_RATES = {"feed": 4.0, "search": 2.0, "events": 2.0, "support": 0.4, "profile": 1.0, "orders": 1.0}
"""Requests per second of each kind (the gateway's own limits are per user and far above this)."""

MOVIELENS_USERS = tuple(f"u{n}" for n in range(1, 140))
QUERIES = ("star wars", "toy story", "comedy", "romance", "space adventure", "horror night", "爱情", "动画")
QUESTIONS = ("How do I return an item?", "Where is my order?", "怎么退货？", "Can I change my delivery address?")
ACCEPTED = (event_pb2.EVENT_RESULT_STATUS_ACCEPTED, event_pb2.EVENT_RESULT_STATUS_DUPLICATE)
_CHANNEL_OPTIONS = [("grpc.service_config", json.dumps({"loadBalancingConfig": [{"round_robin": {}}],
                                                          "healthCheckConfig": {"serviceName": ""}})),
                    ("grpc.keepalive_time_ms", 10_000),
                    ("grpc.initial_reconnect_backoff_ms", 250), ("grpc.min_reconnect_backoff_ms", 250),
                    ("grpc.max_reconnect_backoff_ms", 2000)]
"""The app's client, as the BFF is advised to dial the gateway (docs/gateway.md): balanced over the replicas
that report SERVING, quick to redial."""


@dataclass(frozen=True)
class Outcome:
    """One request: when it started (monotonic s), what, and how it ended."""

    started: float
    kind: str
    latency_s: float
    code: str
    """"OK" or the gRPC status code's name."""
    degraded: bool = False
    detail: str = ""

    @property
    def failed(self) -> bool:
        """Whether the request failed (any status but OK)."""
        return self.code != "OK"

    @property
    def search_timeout(self) -> bool:
        """A search the gateway answered UNAVAILABLE because retrieval did not answer within its share of the
        deadline (~0.9 s of 2 s). On these two cores a restarting process starves the others for seconds and
        retrieval's Search then runs past its share; the report counts these apart (docs/reliability.md)."""
        return self.kind == "search" and self.code == "UNAVAILABLE" and "search is unavailable" in self.detail


@dataclass
class Acknowledged:
    """What the mesh acknowledged, to be found again after the faults."""

    events: list[tuple[float, str, str]] = field(default_factory=list)
    """(acknowledged at, user_id, client_event_id) of every ACCEPTED/DUPLICATE behaviour event."""
    orders: list[tuple[float, str]] = field(default_factory=list)
    """(acknowledged at, order_event_id) of every ACCEPTED/DUPLICATE order event."""
    profiles: dict[str, tuple[float, str]] = field(default_factory=dict)
    """user_id -> (acknowledged at, the e-mail address its UpdateProfile stored); one update per user."""


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


class Load:
    """Runs DEFAULT_RATES (or `rates`) of traffic against the mesh's gateway(s) and profile until stopped.

    Args:
        mesh: the running mesh (its gateway replicas are balanced with round_robin, as are profile's).
        rates: requests per second per kind; a kind left out is not sent.
        tag: makes this run's user ids and order ids unique in a mesh that runs several loads.
    """

    def __init__(self, mesh: Supervisor, rates: dict[str, float] | None = None, tag: str = "load"):
        self.mesh = mesh
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.tag = f"{tag}-{uuid.uuid4().hex[:6]}"
        ensure_certs(mesh.certs_dir, ("cli", "orders"))
        self._jwt_key = mesh.certs_dir / DEV_JWT_PRIVATE
        self._gateway = self._channel(mesh.address("gateway"), "cli", "gateway")
        self._profile = self._channel(mesh.address("profile"), "orders", "profile")
        self.gateway = pb_grpc.GatewayServiceStub(self._gateway)
        self.orders_stub = ppb_grpc.ProfileServiceStub(self._profile)
        self.outcomes: list[Outcome] = []
        self.acked = Acknowledged()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = futures.ThreadPoolExecutor(max_workers=48, thread_name_prefix="load")
        self._threads: list[threading.Thread] = []
        self._seq = itertools.count()
        self._order_numbers = iter(random.Random(self.tag).sample(range(10_000, 99_999), 89_000))
        self._tokens: dict[str, str] = {}

    def _channel(self, target: str, identity: str, server: str) -> grpc.Channel:
        credentials = channel_credentials(TlsFiles.in_dir(Path(self.mesh.certs_dir), identity))
        return grpc.secure_channel(target, credentials,
                                   options=[*_CHANNEL_OPTIONS, ("grpc.ssl_target_name_override", server)])

    def md(self, user: str) -> tuple[tuple[str, str], ...]:
        """Bearer metadata of a user (tokens are minted once per user and reused, as an app does)."""
        token = self._tokens.get(user)
        if token is None:
            token = self._tokens[user] = mint_token(self._jwt_key, user, ttl_seconds=7200)
        return (("authorization", f"Bearer {token}"),)

    # -- the requests -------------------------------------------------------------------------------------

    def _feed(self) -> tuple[bool, str]:
        user = random.choice(MOVIELENS_USERS)
        response = self.gateway.GetHomeFeed(pb.GetHomeFeedRequest(page_size=10), metadata=self.md(user), timeout=2.0)
        if not response.items:
            return True, "empty feed"
        return bool(response.degradations), ",".join(pb.Dependency.Name(d.dependency) for d in response.degradations)

    def _search(self) -> tuple[bool, str]:
        user = random.choice(MOVIELENS_USERS)
        response = self.gateway.SearchItems(pb.SearchItemsRequest(query=random.choice(QUERIES), page_size=10),
                                            metadata=self.md(user), timeout=2.0)
        return bool(response.degradations), ",".join(pb.Dependency.Name(d.dependency) for d in response.degradations)

    def _events(self) -> tuple[bool, str]:
        user = random.choice(MOVIELENS_USERS)
        events = [pb.ClientEvent(client_event_id=str(uuid.uuid4()), event_type=event_pb2.EVENT_TYPE_VIEW,
                                 event_time=_now(), item_id=f"ml-{random.randint(1, 1500)}") for _ in range(5)]
        response = self.gateway.SendEvents(pb.SendEventsRequest(events=events), metadata=self.md(user), timeout=3.0)
        now = time.monotonic()
        acked = [(now, user, r.event_id) for r in response.results if r.status in ACCEPTED]
        with self._lock:
            self.acked.events += acked
        return False, "" if len(acked) == len(events) else f"{len(events) - len(acked)} not accepted"

    def _support(self) -> tuple[bool, str]:
        user = random.choice(MOVIELENS_USERS)
        answered = threading.Event()

        def inputs() -> Iterator[pb.ChatRequest]:
            yield pb.ChatRequest(input=conversation_pb2.ConversationInput(
                open=conversation_pb2.OpenConversation(language_code="")))
            yield pb.ChatRequest(input=conversation_pb2.ConversationInput(user_message=conversation_pb2.UserMessage(
                client_message_id=uuid.uuid4().hex, text=random.choice(QUESTIONS))))
            answered.wait(12)
            yield pb.ChatRequest(input=conversation_pb2.ConversationInput(end=conversation_pb2.EndConversation()))

        degraded, detail = False, "no final answer"
        try:
            for response in self.gateway.Chat(inputs(), metadata=self.md(user), timeout=15.0):
                if response.HasField("notice") or response.degradations:
                    degraded, detail = True, "support notice"
                    answered.set()
                event = response.event
                if event.WhichOneof("event") == "bot_reply" and event.bot_reply.final:
                    detail = ""
                    answered.set()
        finally:
            answered.set()
        return degraded or bool(detail), detail

    def _profile_update(self) -> tuple[bool, str]:
        user = f"{self.tag}-p{next(self._seq)}"
        email = f"{user}@example.org"
        request = pb.UpdateProfileRequest(profile=pb.UserProfile(display_name=f"Chaos {user}", email=email),
                                          update_mask=field_mask_pb2.FieldMask(paths=["display_name", "email"]))
        response = self.gateway.UpdateProfile(request, metadata=self.md(user), timeout=3.0)
        if response.profile.email != email:
            return True, "profile answered without the e-mail"
        with self._lock:
            self.acked.profiles[user] = (time.monotonic(), email)
        return False, ""

    def _order(self) -> tuple[bool, str]:
        number = next(self._order_numbers)
        user = random.choice(MOVIELENS_USERS)
        order_id = f"A{number:05d}"
        money = {"currency_code": "USD", "amount_micros": 12_000_000}
        event = ppb.OrderEvent(order_event_id=f"{self.tag}-{order_id}", order_id=order_id, user_id=user,
                               event_time=_now(), placed={
                                   "catalog_id": "movielens", "subtotal": money, "total": money,
                                   "lines": [{"line_id": "1", "item_id": "ml-1", "quantity": 1, "unit_price": money}]})
        response = self.orders_stub.ApplyOrderEvents(ppb.ApplyOrderEventsRequest(events=[event]), timeout=3.0)
        now = time.monotonic()
        acked = [(now, r.event_id) for r in response.results if r.status in ACCEPTED]
        with self._lock:
            self.acked.orders += acked
        return False, "" if acked else "order event not accepted"

    # -- the schedule -------------------------------------------------------------------------------------

    def _call(self, kind: str, request: Callable[[], tuple[bool, str]]) -> None:
        started = time.monotonic()
        try:
            degraded, detail = request()
            outcome = Outcome(started, kind, time.monotonic() - started, "OK", degraded, detail)
        except grpc.RpcError as exc:
            outcome = Outcome(started, kind, time.monotonic() - started, exc.code().name,
                              detail=(exc.details() or "")[:200])
        with self._lock:
            self.outcomes.append(outcome)

    def _schedule(self, kind: str, rate: float) -> None:
        request = {"feed": self._feed, "search": self._search, "events": self._events, "support": self._support,
                   "profile": self._profile_update, "orders": self._order}[kind]
        interval = 1.0 / rate
        next_at = time.monotonic() + random.uniform(0, interval)
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            self._pool.submit(self._call, kind, request)
            next_at += interval

    def start(self) -> Load:
        """Starts every kind's schedule."""
        for kind, rate in self.rates.items():
            if rate > 0:
                thread = threading.Thread(target=self._schedule, args=(kind, rate), name=f"load-{kind}", daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stops scheduling and waits for the requests in flight (idempotent)."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._pool.shutdown(wait=True)

    def close(self) -> None:
        """Stops and closes the channels."""
        self.stop()
        self._gateway.close()
        self._profile.close()

    def __enter__(self) -> Load:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()  # the channels stay open for reading back what was acknowledged; close() closes them

    # -- reading the outcomes -----------------------------------------------------------------------------

    def between(self, start: float, end: float, kind: str | None = None) -> list[Outcome]:
        """Outcomes of requests started in [start, end)."""
        with self._lock:
            return [o for o in self.outcomes if start <= o.started < end and (kind is None or o.kind == kind)]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]
