"""gateway/privacy.py and its peer adapters against the real services: the vault (SQLite), profile (SQLite) and
support (SQLite, in-process encoder), each a real grpc.aio server on an mTLS port 0, started once for the module.

What is checked: an export holds each service's data; a deletion empties every store (read back from each
service directly), lists every service in its receipt and is idempotent; a failed step leaves a resumable
receipt; deleted users' events never come back through a replay, ReadEvents or a restored log.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio

from gateway.privacy import (
    DeletionIncomplete,
    ExportLimiter,
    GatewayCaches,
    Outcome,
    Participant,
    PrivacyRequests,
    SqliteReceiptStore,
)
from gateway.privacy_peers import ProfilePeer, SupportPeer, VaultPeer
from services.profile.app import ProfileApp
from services.profile.app import build as build_profile
from services.profile.settings import ProfileSettings
from services.support.app import SupportApp
from services.support.app import build as build_support
from services.support.settings import SupportSettings
from services.vault.app import build as build_vault
from services.vault.keys import ensure_key_dir
from services.vault.settings import VaultSettings
from shared.channels import ChannelFactory
from shared.errors import ResourceExhausted, Unavailable
from shared.server import ServiceHost
from shared.tls import TlsFiles
from shared.usercontext import UserContextSigner
from shopmesh.common.v1 import account_pb2
from shopmesh.common.v1 import conversation_pb2 as cpb
from shopmesh.profile.v1 import profile_service_pb2 as ppb
from shopmesh.profile.v1 import profile_service_pb2_grpc as ppb_grpc
from shopmesh.support.v1 import support_service_pb2 as spb
from shopmesh.support.v1 import support_service_pb2_grpc as spb_grpc
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc
from tests.profile.helpers import CLICK, PURCHASE, T0, VIEW, event, load_catalogue, now_s, ts

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900),
              pytest.mark.asyncio(loop_scope="module")]

EMAIL = "ada.lovelace@example.org"


@dataclass
class Peers:
    """The running vault, profile and support, and stubs to them as several identities."""

    certs: Path
    signer: UserContextSigner
    vault_host: ServiceHost
    profile: ProfileApp
    support: SupportApp
    root: Path
    factories: dict[str, ChannelFactory] = field(default_factory=dict)
    extra: list[Any] = field(default_factory=list)

    def _channel(self, identity: str, port: int, server: str) -> grpc.aio.Channel:
        if identity not in self.factories:
            self.factories[identity] = ChannelFactory(TlsFiles.in_dir(self.certs, identity),
                                                      default_deadline_ms=20_000)
        return self.factories[identity].channel(f"127.0.0.1:{port}", server)

    def vault(self, identity: str = "gateway") -> vpb_grpc.VaultServiceStub:
        return vpb_grpc.VaultServiceStub(self._channel(identity, self.vault_host.port, "vault"))

    def profile_stub(self, identity: str = "gateway") -> ppb_grpc.ProfileServiceStub:
        return ppb_grpc.ProfileServiceStub(self._channel(identity, self.profile.host.port, "profile"))

    def support_stub(self, identity: str = "gateway") -> spb_grpc.SupportServiceStub:
        return spb_grpc.SupportServiceStub(self._channel(identity, self.support.host.port, "support"))

    def user(self, user_id: str) -> tuple[tuple[str, str], ...]:
        return (("x-shopmesh-user-context", self.signer.sign(user_id, ttl_seconds=300)),)

    def participants(self, user_id: str, caches: list[Any] | None = None) -> list[Participant]:
        md = self.user(user_id)
        return [VaultPeer(self.vault(), md, 20.0), ProfilePeer(self.profile_stub(), md, 20.0),
                SupportPeer(self.support_stub(), md, 20.0), GatewayCaches(caches or [])]


def _profile_settings(certs: Path, root: Path, vault_port: int) -> ProfileSettings:
    return ProfileSettings(certs_dir=certs, user_context_public_keys=[certs / "user-context.pub"],  # type: ignore[call-arg]
                           metrics_enabled=False, vault_address=f"127.0.0.1:{vault_port}", grace_seconds=0.5,
                           data_dir=root / "profile")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def peers(mesh_certs: Path, signer: UserContextSigner, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[Peers]:
    from services.support.artifacts import load_or_train
    from services.support.encoder import CachedEncoder

    await asyncio.to_thread(load_or_train, CachedEncoder())
    root = tmp_path_factory.mktemp("privacy-peers")
    ensure_key_dir(root / "keys")
    vault_host, vault_servicer = build_vault(VaultSettings(
        certs_dir=mesh_certs, user_context_public_keys=[mesh_certs / "user-context.pub"], metrics_enabled=False,
        key_dir=root / "keys", data_dir=root / "vault", grace_seconds=0.5))  # type: ignore[call-arg]
    await vault_host.start()
    await vault_host.set_ready(True)
    profile = build_profile(_profile_settings(mesh_certs, root, vault_host.port))
    await profile.start()
    support = build_support(SupportSettings(
        certs_dir=mesh_certs, user_context_public_keys=[mesh_certs / "user-context.pub"], metrics_enabled=False,
        vault_address=f"127.0.0.1:{vault_host.port}", profile_address=f"127.0.0.1:{profile.host.port}",
        encoder="in_process", data_dir=root / "support", grace_seconds=0.5))  # type: ignore[call-arg]
    await support.start()
    running = Peers(mesh_certs, signer, vault_host, profile, support, root)
    await load_catalogue(running.profile_stub("loader"))
    yield running
    for factory in running.factories.values():
        await factory.close()
    await running.support.stop(0)
    await running.profile.stop(0)
    await vault_host.stop(0)
    vault_servicer.vault.data.close()
    vault_servicer.vault.keys.close()


def requests(tmp_path: Path, interval_s: float = 0.0) -> PrivacyRequests:
    return PrivacyRequests(SqliteReceiptStore(tmp_path / "receipts.sqlite"), ExportLimiter(interval_s))


async def seed_user(peers: Peers, user: str) -> dict[str, Any]:
    """Gives the user data in every service: a vault value and profile token, consent, events, an order, and a
    support conversation. Returns what was stored."""
    md = peers.user(user)
    issued = await peers.vault().Tokenize(vpb.TokenizeRequest(
        subject_id=user, purpose="gateway.store_profile",
        values=[vpb.PiiValue(type=vpb.PII_TYPE_EMAIL, value=EMAIL)]), metadata=md)
    token = issued.tokens[0].token
    profile = peers.profile_stub()
    await profile.UpdateProfile(ppb.UpdateProfileRequest(
        user_id=user, profile=ppb.Profile(user_id=user, email_token=token),
        update_mask={"paths": ["email_token"]}, allow_missing=True), metadata=md)
    await profile.UpdateConsent(ppb.UpdateConsentRequest(
        user_id=user, consent=account_pb2.Consent(personalization=account_pb2.CONSENT_STATE_GRANTED,
                                                  marketing=account_pb2.CONSENT_STATE_DENIED),
        update_mask={"paths": ["personalization", "marketing"]}), metadata=md)
    now = now_s()
    events = [ppb.Event(event_id=f"{user}-e{i}", user_id=user, event_type=kind, event_time=ts(now - 60 + i),
                        item_id=f"ml-{i + 1}", catalog_id="movielens", origin=ppb.EVENT_ORIGIN_APP)
              for i, kind in enumerate((VIEW, CLICK, VIEW, PURCHASE))]
    ingested = await profile.IngestEvents(ppb.IngestEventsRequest(events=events), metadata=md)
    assert ingested.accepted_count == 4, ingested
    # Features fold in the background (visible within a second on a quiet machine; CI's cores are shared):
    # wait until they hold the four events, so the export's features section is there to check.
    deadline = time.monotonic() + 30
    while True:
        features = await profile.GetUserFeatures(ppb.GetUserFeaturesRequest(user_id=user, catalog_id="movielens"),
                                                 metadata=md)
        if not features.missing and features.features.total_event_count >= 4:
            break
        assert time.monotonic() < deadline, "the user's features never showed the ingested events"
        await asyncio.sleep(0.1)
    money = {"currency_code": "USD", "amount_micros": 9_990_000}
    order_id = f"A{uuid.uuid4().int % 90000 + 10000}"
    order = ppb.OrderEvent(order_event_id=f"{order_id}-placed", order_id=order_id, user_id=user,
                           event_time={"seconds": int(now) - 3600},
                           placed={"catalog_id": "movielens", "subtotal": money, "total": money,
                                   "lines": [{"line_id": "1", "item_id": "ml-3", "quantity": 1, "unit_price": money}]})
    applied = await peers.profile_stub("orders").ApplyOrderEvents(ppb.ApplyOrderEventsRequest(events=[order]))
    assert applied.results[0].status == 1, applied  # ACCEPTED
    chat = peers.support_stub().Converse(metadata=md)
    await chat.write(spb.ConverseRequest(input=cpb.ConversationInput(open=cpb.OpenConversation(language_code="en"))))
    opened = await asyncio.wait_for(chat.read(), 60)
    await chat.write(spb.ConverseRequest(input=cpb.ConversationInput(user_message=cpb.UserMessage(
        client_message_id=uuid.uuid4().hex, text="How do I return a dress?"))))
    while True:
        reply = await asyncio.wait_for(chat.read(), 60)
        if reply.event.WhichOneof("event") == "bot_reply" and reply.event.bot_reply.final:
            break
    chat.cancel()
    return {"token": token, "session_id": opened.event.session_id, "order_id": order.order_id}


def sections_of(chunks: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in chunks:
        doc = json.loads(c.content)
        key = f"{c.service}/{c.section}"
        if isinstance(doc, list):
            out.setdefault(key, []).extend(doc)
        else:
            out[key] = doc
    return out


async def test_export_gathers_every_services_data(peers: Peers, tmp_path: Path) -> None:
    user = f"u-exp-{uuid.uuid4().hex[:8]}"
    seeded = await seed_user(peers, user)
    export_id, chunks, summary = await requests(tmp_path).export(user, peers.participants(user))
    got = sections_of(chunks)
    assert export_id.startswith("exp-")
    assert [v["value"] for v in got["vault/values"]] == [EMAIL]
    assert any(e.get("subject_id") == user or user in json.dumps(e) for e in got["vault/access_log"])
    assert got["profile/profile"]["email_token"] == seeded["token"]
    assert got["profile/consent"]["personalization"] == "CONSENT_STATE_GRANTED"
    assert {e["event_id"] for e in got["profile/events"]} == {f"{user}-e{i}" for i in range(4)}
    assert [o["order_id"] for o in got["profile/orders"]] == [seeded["order_id"]]
    assert got["profile/features"]["user_id"] == user
    assert [s["session_id"] for s in got["support/sessions"]] == [seeded["session_id"]]
    assert "How do I return a dress?" in json.dumps(got["support/sessions"])
    assert summary.record_counts["profile/events"] == 4 and summary.record_counts["vault/values"] == 1
    assert set(summary.sections) == set(got)


async def test_export_is_all_or_nothing_and_limited(peers: Peers, tmp_path: Path) -> None:
    user = f"u-lim-{uuid.uuid4().hex[:8]}"
    privacy = requests(tmp_path, interval_s=3600)
    down = peers.participants(user)
    # A peer that does not answer: a closed port.
    dead = grpc.aio.insecure_channel("127.0.0.1:9")
    down[2] = SupportPeer(spb_grpc.SupportServiceStub(dead), peers.user(user), 1.0)
    with pytest.raises(Unavailable) as failed:
        await privacy.export(user, down)
    assert failed.value.metadata == {"dependency": "support"}
    await dead.close()
    await privacy.export(user, peers.participants(user))  # the failed export did not use up the allowance
    with pytest.raises(ResourceExhausted) as limited:
        await privacy.export(user, peers.participants(user))
    assert limited.value.reason == "EXPORT_RATE_LIMITED" and 3500 < (limited.value.retry_after_seconds or 0) <= 3600


async def stores_hold_nothing(peers: Peers, user: str, token: str) -> None:
    """Reads every store back, from each service directly."""
    md = peers.user(user)
    vault = await peers.vault().ExportSubject(vpb.ExportSubjectRequest(subject_id=user,
                                                                       purpose="gateway.export_my_data"),
                                              metadata=md)
    assert vault.forgotten and not vault.records
    with pytest.raises(grpc.aio.AioRpcError) as shredded:
        await peers.vault().Detokenize(vpb.DetokenizeRequest(tokens=[token], purpose="gateway.read_profile"),
                                       metadata=md)
    assert shredded.value.code() == grpc.StatusCode.NOT_FOUND
    parts = [r async for r in peers.profile_stub().ExportUser(ppb.ExportUserRequest(user_id=user), metadata=md)]
    assert len(parts) == 1 and not parts[0].HasField("profile") and not parts[0].HasField("features")
    assert parts[0].consent.personalization == account_pb2.CONSENT_STATE_UNSPECIFIED
    read = [e async for r in peers.profile_stub("trainer").ReadEvents(ppb.ReadEventsRequest(user_ids=[user]))
            for e in r.events]
    assert read == []
    feats = await peers.profile_stub().GetUserFeatures(ppb.GetUserFeaturesRequest(user_id=user), metadata=md)
    assert feats.missing
    orders = await peers.profile_stub().ListOrders(ppb.ListOrdersRequest(user_id=user), metadata=md)
    assert not orders.orders
    db = sqlite3.connect(peers.root / "profile" / "profile.sqlite")
    try:
        for table in ("events", "orders", "order_events", "profiles", "consent", "outbox"):
            assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user,)).fetchone()[0] == 0, table
    finally:
        db.close()
    sessions = await peers.support_stub().ExportUserSessions(spb.ExportUserSessionsRequest(user_id=user),
                                                             metadata=md)
    assert not sessions.sessions and not sessions.handoffs
    support_db = sqlite3.connect(peers.root / "support" / "sessions.sqlite")
    try:
        assert support_db.execute("SELECT COUNT(*) FROM sessions WHERE user_id = ?", (user,)).fetchone()[0] == 0
    finally:
        support_db.close()


class UserCache:
    """A per-user cache like the gateway's (feeds, vectors): forget_user removes the user's entries."""

    def __init__(self) -> None:
        self.entries: dict[str, list[str]] = {}

    async def forget_user(self, user_id: str) -> int:
        return len(self.entries.pop(user_id, []))


async def test_delete_empties_every_store_with_a_receipt_and_repeats_idempotently(peers: Peers,
                                                                                  tmp_path: Path) -> None:
    user = f"u-del-{uuid.uuid4().hex[:8]}"
    seeded = await seed_user(peers, user)
    cache = UserCache()
    cache.entries[user] = ["feed-page-1", "user-vector"]
    privacy = requests(tmp_path)
    receipt, repeated = await privacy.delete(user, peers.participants(user, [cache]))
    assert not repeated and receipt.complete
    assert [s.service for s in receipt.steps] == ["vault", "profile", "support", "gateway"]
    assert all(s.outcome == Outcome.DELETED for s in receipt.steps), receipt.steps
    counts = {s.service: s.counts for s in receipt.steps}
    assert counts["vault"]["values"] == 1 and counts["vault"]["data_keys"] >= 1
    assert counts["profile"]["events"] == 4 and counts["profile"]["orders"] == 1
    assert counts["profile"]["profile"] == 1 and counts["profile"]["features"] == 1
    assert counts["support"]["sessions"] == 1
    assert counts["gateway"]["cache_entries"] == 2 and user not in cache.entries
    await stores_hold_nothing(peers, user, seeded["token"])

    again, repeated = await privacy.delete(user, peers.participants(user, [cache]))
    assert repeated and again.receipt_id == receipt.receipt_id and again.steps == receipt.steps
    # A gateway restart (a fresh store object over the same file) still knows the receipt.
    reopened = requests(tmp_path)
    third, repeated = await reopened.delete(user, peers.participants(user))
    assert repeated and third.receipt_id == receipt.receipt_id


async def test_a_failed_step_leaves_a_receipt_that_a_retry_completes(peers: Peers, tmp_path: Path) -> None:
    user = f"u-part-{uuid.uuid4().hex[:8]}"
    await seed_user(peers, user)
    privacy = requests(tmp_path)
    broken = peers.participants(user)
    dead = grpc.aio.insecure_channel("127.0.0.1:9")
    broken[1] = ProfilePeer(ppb_grpc.ProfileServiceStub(dead), peers.user(user), 1.0)
    with pytest.raises(DeletionIncomplete) as failed:
        await privacy.delete(user, broken)
    await dead.close()
    assert failed.value.pending == ["profile"] and failed.value.metadata == {"pending_steps": "profile"}
    receipt, repeated = await privacy.delete(user, peers.participants(user))
    assert not repeated and receipt.complete
    steps = {s.service: s for s in receipt.steps}
    assert [s.service for s in receipt.steps] == ["vault", "profile", "support", "gateway"]
    # The vault forgot the user in the first attempt: the receipt keeps that step's result.
    assert steps["vault"].outcome == Outcome.DELETED and steps["vault"].counts["values"] == 1
    assert steps["profile"].outcome == Outcome.DELETED and steps["profile"].counts["events"] == 4


async def test_deleted_users_events_never_come_back(peers: Peers, tmp_path: Path) -> None:
    user = f"u-tomb-{uuid.uuid4().hex[:8]}"
    other = f"u-keep-{uuid.uuid4().hex[:8]}"
    loader = peers.profile_stub("loader")
    replay = [event(f"{u}-r{i}", u, VIEW, T0 + i, f"ml-{i + 1}") for u in (user, other) for i in range(3)]
    first = await loader.IngestEvents(ppb.IngestEventsRequest(events=replay))
    assert first.accepted_count == 6
    await requests(tmp_path).delete(user, peers.participants(user))

    # A replay of the same data set (new event ids, the user's old event times) keeps nothing of the user.
    again = [event(f"{u}-again{i}", u, CLICK, T0 + 10 + i, f"ml-{i + 1}") for u in (user, other) for i in range(3)]
    replayed = await loader.IngestEvents(ppb.IngestEventsRequest(events=again))
    statuses = {r.event_id: r.status for r in replayed.results}
    assert all(statuses[f"{user}-again{i}"] == 4 for i in range(3))  # DISCARDED_NO_CONSENT
    assert all(statuses[f"{other}-again{i}"] == 1 for i in range(3))  # ACCEPTED

    # A replayed order feed does not mirror the deleted user's past orders again.
    money = {"currency_code": "USD", "amount_micros": 1_000_000}
    orders = [ppb.OrderEvent(order_event_id=f"{u}-replayed", order_id=f"A{uuid.uuid4().int % 90000 + 10000}",
                             user_id=u, event_time={"seconds": T0},
                             placed={"catalog_id": "movielens", "subtotal": money, "total": money,
                                     "lines": [{"line_id": "1", "item_id": "ml-2", "quantity": 1,
                                                "unit_price": money}]}) for u in (user, other)]
    mirrored = await peers.profile_stub("orders").ApplyOrderEvents(ppb.ApplyOrderEventsRequest(events=orders))
    assert [r.status for r in mirrored.results] == [4, 1]  # DISCARDED_NO_CONSENT, ACCEPTED

    # A restored backup of the log: the user's rows are back in the table.
    db_path = peers.root / "profile" / "profile.sqlite"
    db = sqlite3.connect(db_path)
    try:
        columns = [r[1] for r in db.execute("PRAGMA table_info(events)") if r[1] != "sequence"]
        template = db.execute(f"SELECT {', '.join(columns)} FROM events WHERE user_id = ? LIMIT 1",
                              (other,)).fetchone()
        row = dict(zip(columns, template, strict=True))
        row.update(user_id=user, event_id=f"{user}-restored")
        db.execute(f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                   list(row.values()))
        db.commit()
    finally:
        db.close()
    trainer = peers.profile_stub("trainer")
    training = [e async for r in trainer.ReadEvents(ppb.ReadEventsRequest()) for e in r.events]
    users = {e.user_id for e in training}
    assert other in users and user not in users
    # The next start (or hourly sweep) purges the restored rows from the log itself.
    tombstoned, _ = await peers.profile.service.enforce_privacy()
    assert tombstoned == 1
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("SELECT COUNT(*) FROM events WHERE user_id = ?", (user,)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM tombstones").fetchone()[0] >= 1
        stored = {r[0] for r in db.execute("SELECT subject_hash FROM tombstones")}
        assert user not in json.dumps(sorted(stored))  # hashes, never the id
    finally:
        db.close()

    # The user came back after the deletion: events newer than it are new data and are kept.
    md = peers.user(user)
    fresh = ppb.Event(event_id=f"{user}-new", user_id=user, event_type=VIEW, event_time=ts(now_s()),
                      item_id="ml-1", catalog_id="movielens", origin=ppb.EVENT_ORIGIN_APP)
    kept = await peers.profile_stub().IngestEvents(ppb.IngestEventsRequest(events=[fresh]), metadata=md)
    assert kept.accepted_count == 1
