"""End to end through the gateway, as the app calls it (TLS + bearer JWT), on the local mesh (`shopmesh up`'s
Supervisor, embedded defaults, MovieLens loaded): consent off, export-my-data, delete-my-data. After a
deletion every store is read back directly: the vault (over mTLS with the user's signed context), profile's
and support's SQLite files, and the gateway's caches (through the receipt and the next feed)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2

from shared.tls import TlsFiles, channel_credentials
from shared.usercontext import UserContextSigner
from shopmesh.certs import USER_CONTEXT_PRIVATE
from shopmesh.common.v1 import account_pb2, conversation_pb2, event_pb2
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.mesh import Supervisor
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc
from tests.gateway.helpers import GatewayClient, reason_of, status_details

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(1200)]

EMAIL = "grace.hopper@example.org"
DEADLINE_S = 30.0


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def _events(n: int, kind: int = event_pb2.EVENT_TYPE_VIEW) -> list[pb.ClientEvent]:
    return [pb.ClientEvent(client_event_id=str(uuid.uuid4()), event_type=kind, event_time=_now(),  # type: ignore[arg-type]
                           item_id=f"ml-{i + 1}") for i in range(n)]


def _logged_events(mesh: Supervisor, user: str) -> int:
    db = sqlite3.connect(mesh.home / "profile" / "profile.sqlite")
    try:
        return int(db.execute("SELECT COUNT(*) FROM events WHERE user_id = ?", (user,)).fetchone()[0])
    finally:
        db.close()


def _wait_for_features(mesh: Supervisor, user: str, timeout_s: float = 30.0) -> None:
    """Waits until the background fold has written the user's features (the export reads them as served)."""
    deadline = time.monotonic() + timeout_s
    while True:
        db = sqlite3.connect(mesh.home / "profile" / "features.sqlite")
        try:
            found = db.execute("SELECT COUNT(*) FROM user_features WHERE user_id = ?", (user,)).fetchone()[0]
        except sqlite3.OperationalError:
            found = 0
        finally:
            db.close()
        if found:
            return
        assert time.monotonic() < deadline, "the user's features were never folded"
        time.sleep(0.1)


def _chat(gateway: GatewayClient, user: str, text: str) -> str:
    """One support exchange through the gateway's Chat stream; returns the session id."""
    answered = threading.Event()

    def inputs() -> Iterator[pb.ChatRequest]:
        yield pb.ChatRequest(input=conversation_pb2.ConversationInput(
            open=conversation_pb2.OpenConversation(language_code="en")))
        yield pb.ChatRequest(input=conversation_pb2.ConversationInput(user_message=conversation_pb2.UserMessage(
            client_message_id=uuid.uuid4().hex, text=text)))
        answered.wait(DEADLINE_S)

    session_id = ""
    for response in gateway.stub.Chat(inputs(), metadata=gateway.md(user), timeout=DEADLINE_S):
        assert not response.HasField("notice"), response  # support is up: no "try later"
        event = response.event
        session_id = session_id or event.session_id
        if event.WhichOneof("event") == "bot_reply" and event.bot_reply.final:
            answered.set()
    assert session_id
    return session_id


def _export(gateway: GatewayClient, user: str) -> tuple[list[pb.ExportMyDataResponse], dict[str, Any]]:
    messages = list(gateway.stub.ExportMyData(pb.ExportMyDataRequest(), metadata=gateway.md(user),
                                              timeout=DEADLINE_S))
    sections: dict[str, Any] = {}
    for m in messages:
        doc = json.loads(m.content)
        key = f"{m.service}/{m.section}"
        if isinstance(doc, list):
            sections.setdefault(key, []).extend(doc)
        else:
            sections[key] = doc
    return messages, sections


def _vault(mesh: Supervisor) -> tuple[vpb_grpc.VaultServiceStub, grpc.Channel, UserContextSigner]:
    """A vault stub as the gateway identity, and the signer of user contexts (the mesh's own key)."""
    port = next(s.port for s in mesh.running if s.name == "vault")
    channel = grpc.secure_channel(f"127.0.0.1:{port}", channel_credentials(TlsFiles.in_dir(mesh.certs_dir, "gateway")),
                                  options=[("grpc.ssl_target_name_override", "vault")])
    return vpb_grpc.VaultServiceStub(channel), channel, UserContextSigner.from_file(
        mesh.certs_dir / USER_CONTEXT_PRIVATE)


def test_consent_off_gives_a_non_personalised_feed_and_keeps_no_events(mesh: Supervisor,
                                                                       gateway: GatewayClient) -> None:
    user = "u7"  # a MovieLens user with history: personalised while consent stands
    md = gateway.md(user)
    stub = gateway.stub
    before = stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=10), metadata=md, timeout=DEADLINE_S)
    assert before.personalization != pb.PERSONALIZATION_MODE_NO_CONSENT
    sent = stub.SendEvents(pb.SendEventsRequest(events=_events(2)), metadata=md, timeout=DEADLINE_S)
    assert [r.status for r in sent.results] == [event_pb2.EVENT_RESULT_STATUS_ACCEPTED] * 2
    logged = _logged_events(mesh, user)

    withdrawn = stub.UpdateConsent(pb.UpdateConsentRequest(
        consent=account_pb2.Consent(personalization=account_pb2.CONSENT_STATE_DENIED),
        update_mask={"paths": ["personalization"]}), metadata=md, timeout=DEADLINE_S)
    assert withdrawn.consent.personalization == account_pb2.CONSENT_STATE_DENIED
    read = stub.GetConsent(pb.GetConsentRequest(), metadata=md, timeout=DEADLINE_S)
    assert read.consent.personalization == account_pb2.CONSENT_STATE_DENIED

    feed = stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=10), metadata=md, timeout=DEADLINE_S)
    assert feed.personalization == pb.PERSONALIZATION_MODE_NO_CONSENT and feed.items
    discarded = stub.SendEvents(pb.SendEventsRequest(events=_events(3, event_pb2.EVENT_TYPE_CLICK)), metadata=md,
                                timeout=DEADLINE_S)
    assert [r.status for r in discarded.results] == [event_pb2.EVENT_RESULT_STATUS_DISCARDED_NO_CONSENT] * 3
    assert _logged_events(mesh, user) == logged  # nothing of them reached the log

    # Bad input: a clear INVALID_ARGUMENT with the field named.
    with pytest.raises(grpc.RpcError) as bad:
        stub.UpdateConsent(pb.UpdateConsentRequest(update_mask={"paths": ["personalization"]}), metadata=md,
                           timeout=DEADLINE_S)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for d in status_details(bad.value) if hasattr(d, "field_violations")
              for v in d.field_violations]
    assert fields == ["consent.personalization"]

    stub.UpdateConsent(pb.UpdateConsentRequest(
        consent=account_pb2.Consent(personalization=account_pb2.CONSENT_STATE_GRANTED),
        update_mask={"paths": ["personalization"]}), metadata=md, timeout=DEADLINE_S)
    again = stub.SendEvents(pb.SendEventsRequest(events=_events(1)), metadata=md, timeout=DEADLINE_S)
    assert again.results[0].status == event_pb2.EVENT_RESULT_STATUS_ACCEPTED


def _seed(gateway: GatewayClient, user: str) -> str:
    """Data in every service through the gateway: a profile with an e-mail (vault), events (profile), a
    support conversation, a feed (the gateway's caches). Returns the support session id."""
    md = gateway.md(user)
    stub = gateway.stub
    stub.UpdateProfile(pb.UpdateProfileRequest(profile=pb.UserProfile(display_name="Grace", email=EMAIL),
                                               update_mask={"paths": ["display_name", "email"]}),
                       metadata=md, timeout=DEADLINE_S)
    sent = stub.SendEvents(pb.SendEventsRequest(events=_events(3)), metadata=md, timeout=DEADLINE_S)
    assert all(r.status == event_pb2.EVENT_RESULT_STATUS_ACCEPTED for r in sent.results)
    stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=10), metadata=md, timeout=DEADLINE_S)
    return _chat(gateway, user, "How do I return a dress?")


def test_export_returns_the_users_data_from_every_service(mesh: Supervisor, gateway: GatewayClient) -> None:
    user = "u11"
    session_id = _seed(gateway, user)
    _wait_for_features(mesh, user)
    messages, sections = _export(gateway, user)
    assert len({m.export_id for m in messages}) == 1 and all(m.content_type == "application/json" for m in messages)
    assert [m for m in messages if m.HasField("summary")] == [messages[-1]]
    summary = messages[-1].summary
    assert set(summary.sections) == set(sections)
    assert EMAIL in [v["value"] for v in sections["vault/values"]]
    assert sections["vault/access_log"]
    assert sections["profile/profile"]["email_token"] and EMAIL not in json.dumps(sections["profile/profile"])
    assert sections["profile/consent"]["personalization"] in ("CONSENT_STATE_GRANTED", "CONSENT_STATE_UNSPECIFIED")
    assert summary.record_counts["profile/events"] == len(sections["profile/events"]) > 3  # MovieLens + the app's
    assert sections["profile/features"]["user_id"] == user
    assert session_id in [s["session_id"] for s in sections["support/sessions"]]
    assert "gateway/deletion_receipts" in sections
    # One export per user per hour.
    with pytest.raises(grpc.RpcError) as limited:
        _export(gateway, user)
    assert limited.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(limited.value) == "EXPORT_RATE_LIMITED"


def test_delete_leaves_nothing_in_any_service_and_repeats_idempotently(mesh: Supervisor,
                                                                       gateway: GatewayClient) -> None:
    user = "u13"
    _seed(gateway, user)
    md = gateway.md(user)
    stub = gateway.stub
    vault, channel, signer = _vault(mesh)
    me = (("x-shopmesh-user-context", signer.sign(user, ttl_seconds=120)),)
    held = vault.ExportSubject(vpb.ExportSubjectRequest(subject_id=user, purpose="gateway.export_my_data"),
                               metadata=me, timeout=DEADLINE_S)
    tokens = [r.token for r in held.records]
    assert tokens and _logged_events(mesh, user) > 3

    with pytest.raises(grpc.RpcError) as unconfirmed:
        stub.DeleteMyData(pb.DeleteMyDataRequest(), metadata=md, timeout=DEADLINE_S)
    assert unconfirmed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _logged_events(mesh, user) > 3  # nothing was deleted

    done = stub.DeleteMyData(pb.DeleteMyDataRequest(confirm=True), metadata=md, timeout=DEADLINE_S)
    assert not done.repeated
    steps = {s.service: s for s in done.receipt.steps}
    assert [s.service for s in done.receipt.steps] == ["vault", "profile", "support", "gateway"]
    assert all(s.outcome == pb.DELETION_STEP_OUTCOME_DELETED for s in done.receipt.steps), done.receipt
    assert steps["vault"].deleted_counts["values"] >= 2  # name and e-mail
    assert steps["profile"].deleted_counts["events"] > 3 and steps["profile"].deleted_counts["profile"] == 1
    assert steps["support"].deleted_counts["sessions"] >= 1
    assert steps["gateway"].deleted_counts["cache_entries"] >= 1  # the user vector, rate bucket, consent entry

    try:
        forgotten = vault.ExportSubject(vpb.ExportSubjectRequest(subject_id=user, purpose="gateway.export_my_data"),
                                        metadata=me, timeout=DEADLINE_S)
        assert forgotten.forgotten and not forgotten.records
        with pytest.raises(grpc.RpcError) as shredded:
            vault.Detokenize(vpb.DetokenizeRequest(tokens=tokens, purpose="gateway.read_profile"), metadata=me,
                             timeout=DEADLINE_S)
        assert shredded.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        channel.close()
    profile_db = sqlite3.connect(mesh.home / "profile" / "profile.sqlite")
    try:
        for table in ("events", "orders", "order_events", "points", "outbox", "profiles", "consent"):
            left = profile_db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user,)).fetchone()[0]
            assert left == 0, table
        # Online features (SQLite feature store in the embedded mesh): no row of the user in any table.
        for (table,) in profile_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            columns = [c[1] for c in profile_db.execute(f"PRAGMA table_info({table})")]
            if "user_id" in columns:
                assert profile_db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?",
                                          (user,)).fetchone()[0] == 0, table
    finally:
        profile_db.close()
    for path in Path(mesh.home / "profile").glob("*.sqlite"):
        db = sqlite3.connect(path)
        try:
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                if "user_id" in [c[1] for c in db.execute(f"PRAGMA table_info({table})")]:
                    assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user,)).fetchone()[0] == 0
        finally:
            db.close()
    support_db = sqlite3.connect(mesh.home / "support" / "sessions.sqlite")
    try:
        assert support_db.execute("SELECT COUNT(*) FROM sessions WHERE user_id = ?", (user,)).fetchone()[0] == 0
        assert all(json.loads(doc).get("user_id") != user
                   for (doc,) in support_db.execute("SELECT doc FROM handoffs").fetchall())
    finally:
        support_db.close()

    again = stub.DeleteMyData(pb.DeleteMyDataRequest(confirm=True), metadata=md, timeout=DEADLINE_S)
    assert again.repeated and again.receipt == done.receipt

    # The gateway serves no personalised leftovers (user vector, cached consent): the next feed is not
    # personalised. (Its served impressions are new data, logged after the deletion.)
    after = stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=10), metadata=md, timeout=DEADLINE_S)
    assert after.personalization != pb.PERSONALIZATION_MODE_PERSONALIZED
