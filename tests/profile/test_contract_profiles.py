"""Profiles (PII as tokens of the real vault), consent, delete and export through gRPC, on both backends,
and acceptance 4: after loading profiles no e-mail, phone or name is in clear in Redis, the databases or logs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from services.vault.app import build as build_vault
from services.vault.keys import ensure_key_dir
from services.vault.settings import VaultSettings
from shared.channels import ChannelFactory
from shared.context import Caller, caller_var
from shared.errors import Unavailable
from shared.tls import TlsFiles
from shared.usercontext import UserContextSigner
from shopmesh.profile.v1 import profile_service_pb2 as pb
from shopmesh.vault.v1 import vault_service_pb2 as vpb
from shopmesh.vault.v1 import vault_service_pb2_grpc as vpb_grpc
from tests.profile.conftest import (
    POSTGRES_DSN,
    REDIS_URL,
    Backend,
    Running,
    profile_settings,
    stubs_for,
)
from tests.profile.fake_vault import FakeVault
from tests.profile.helpers import PURCHASE, T0, VIEW, event, load_catalogue

VAULT = vpb.DESCRIPTOR.services_by_name["VaultService"]


@pytest.fixture
async def real_vault(mesh_certs: Path, tmp_path: Path) -> AsyncIterator[int]:
    """The real vault (#4) on SQLite with local keys; yields its port."""
    ensure_key_dir(tmp_path / "vault-keys")
    settings = VaultSettings(certs_dir=mesh_certs, user_context_public_keys=[mesh_certs / "user-context.pub"],
                             metrics_enabled=False, key_dir=tmp_path / "vault-keys",  # type: ignore[call-arg]
                             data_dir=tmp_path / "vault-store", grace_seconds=1.0)
    host, _servicer = build_vault(settings)
    await host.start()
    await host.set_ready(True)
    yield host.port
    await host.stop(0)


@pytest.fixture
async def with_vault(mesh_certs: Path, backend: Backend, real_vault: int) -> AsyncIterator[Running]:
    """The profile service wired to the real vault."""
    from services.profile.app import build

    app = build(profile_settings(mesh_certs, backend, real_vault))
    await app.start()
    stubs, factories = stubs_for(mesh_certs, app.host.port)
    yield Running(app, app.host.port, stubs, factories, FakeVault())
    for factory in factories:
        await factory.close()
    await app.stop(0)


async def tokenize_as_gateway(certs: Path, vault_port: int, signer: UserContextSigner, user: str,
                              values: list[tuple[int, str]]) -> list[str]:
    """What the gateway does with what a user types: tokens from the vault, with the user's context."""
    factory = ChannelFactory(TlsFiles.in_dir(certs, "gateway"))
    stub = vpb_grpc.VaultServiceStub(factory.channel(f"127.0.0.1:{vault_port}", "vault", [VAULT]))
    reply = await stub.Tokenize(vpb.TokenizeRequest(
        subject_id=user, purpose="gateway.store_profile", values=[vpb.PiiValue(type=t, value=v) for t, v in values]),
        metadata=(("x-shopmesh-user-context", signer.sign(user)),), timeout=5)
    await factory.close()
    return [t.token for t in reply.tokens]


def person(i: int) -> dict[str, str]:
    """Synthetic PII of test user i (distinctive strings, so a scan cannot miss them)."""
    return {"name": f"Zebulon Quartermain{i}", "email": f"zebulon.q{i}@example-mail.test",
            "phone": f"+4930555{i:04d}", "address": f'{{"line1": "{i} Quillfeather Lane", "city": "Berlin"}}'}


async def save_profile(running: Running, certs: Path, vault_port: int, signer: UserContextSigner, *,
                       user: str, i: int) -> pb.Profile:
    p = person(i)
    name, email, phone, address = await tokenize_as_gateway(certs, vault_port, signer, user, [
        (vpb.PII_TYPE_NAME, p["name"]), (vpb.PII_TYPE_EMAIL, p["email"]), (vpb.PII_TYPE_PHONE, p["phone"]),
        (vpb.PII_TYPE_ADDRESS, p["address"])])
    profile = pb.Profile(display_name_token=name, email_token=email, phone_token=phone,
                         addresses=[pb.SavedAddress(address_id="home", label="Home", address_token=address,
                                                    country_code="DE", is_default=True)],
                         preferences={"language_code": "en", "clothing_size": "M"})
    reply = await running.stub().UpdateProfile(pb.UpdateProfileRequest(
        user_id=user, profile=profile, allow_missing=True,
        update_mask={"paths": ["display_name_token", "email_token", "phone_token", "addresses", "preferences"]}),
        metadata=(("x-shopmesh-user-context", signer.sign(user)),), timeout=5)
    return reply.profile


async def test_profiles_hold_vault_tokens_checked_with_the_users_context(
        with_vault: Running, real_vault: int, mesh_certs: Path, signer: UserContextSigner) -> None:
    stub = with_vault.stub()
    saved = await save_profile(with_vault, mesh_certs, real_vault, signer, user="u1", i=1)
    assert saved.email_token.startswith("tok_") and saved.etag and saved.addresses[0].country_code == "DE"
    ctx = (("x-shopmesh-user-context", signer.sign("u1")),)
    got = (await stub.GetProfile(pb.GetProfileRequest(user_id="u1"), metadata=ctx, timeout=5)).profile
    assert got.email_token == saved.email_token and got.preferences.clothing_size == "M"
    # Reading back through the vault happens with the end user's context, which the kit forwards.
    token = caller_var.set(Caller(service="gateway", user_id="u1", user_token=signer.sign("u1")))
    try:
        masked = await with_vault.app.service.verifier.read_masked([got.email_token])  # type: ignore[union-attr]
    finally:
        caller_var.reset(token)
    assert masked and "zebulon.q1@example-mail.test" not in masked[0]
    # A token of another user is refused, and so is a clear value where a token belongs.
    other = await tokenize_as_gateway(mesh_certs, real_vault, signer, "u2", [(vpb.PII_TYPE_EMAIL, "x@y.test")])
    for bad, reason in ((other[0], "TOKEN_OF_ANOTHER_USER"), ("zebulon@example.test", "MALFORMED_TOKEN")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.UpdateProfile(pb.UpdateProfileRequest(
                user_id="u1", profile=pb.Profile(email_token=bad), update_mask={"paths": ["email_token"]}),
                metadata=ctx, timeout=5)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert reason in caught.value.details() or reason in str(caught.value.trailing_metadata())
    # A phone token in the e-mail field is the wrong type.
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await stub.UpdateProfile(pb.UpdateProfileRequest(
            user_id="u1", profile=pb.Profile(email_token=saved.phone_token), update_mask={"paths": ["email_token"]}),
            metadata=ctx, timeout=5)
    assert wrong.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # Optimistic concurrency and the read-only fields.
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await stub.UpdateProfile(pb.UpdateProfileRequest(
            user_id="u1", profile=pb.Profile(etag="stale", preferences={"shoe_size": "42"}),
            update_mask={"paths": ["preferences"]}), metadata=ctx, timeout=5)
    assert stale.value.code() == grpc.StatusCode.ABORTED
    with pytest.raises(grpc.aio.AioRpcError) as read_only:
        await stub.UpdateProfile(pb.UpdateProfileRequest(user_id="u1", update_mask={"paths": ["consent"]}),
                                 metadata=ctx, timeout=5)
    assert read_only.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetProfile(pb.GetProfileRequest(user_id="u3"), timeout=5)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as mismatch:
        await stub.GetProfile(pb.GetProfileRequest(user_id="u2"), metadata=ctx, timeout=5)
    assert mismatch.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_vault_outage_is_unavailable_not_internal(profile: Running, signer: UserContextSigner) -> None:
    # Outlasts the retries of both hops (the caller's of UpdateProfile, the profile's of Detokenize: 4 x 4).
    profile.vault.inject(Unavailable("injected outage"), times=100)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await profile.stub().UpdateProfile(pb.UpdateProfileRequest(
            user_id="u1", profile=pb.Profile(email_token="tok_abc"), update_mask={"paths": ["email_token"]},
            allow_missing=True), metadata=(("x-shopmesh-user-context", signer.sign("u1")),), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert profile.vault.calls[-1] == ("Detokenize", "profile.read_profile", "profile")


async def test_consent_defaults_updates_and_validation(profile: Running) -> None:
    stub = profile.stub()
    first = await stub.GetConsent(pb.GetConsentRequest(user_id="u1"), timeout=5)
    assert first.consent.personalization == 0 and first.consent.marketing == 0
    updated = await stub.UpdateConsent(pb.UpdateConsentRequest(
        user_id="u1", consent={"marketing": 1}, update_mask={"paths": ["marketing"]}), timeout=5)
    assert updated.consent.marketing == 1 and updated.consent.personalization == 0
    assert updated.consent.update_time.seconds > 0
    for mask, consent in ((["personalization"], {}), (["color"], {"marketing": 1}), ([], {})):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.UpdateConsent(pb.UpdateConsentRequest(user_id="u1", consent=consent,  # type: ignore[arg-type]
                                                             update_mask={"paths": mask}), timeout=5)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_delete_user_removes_events_features_profile_and_is_idempotent(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    stub = profile.stub()
    await stub.IngestEvents(pb.IngestEventsRequest(events=[
        event("d1", "u1", VIEW, T0, "ml-1"), event("d2", "u1", PURCHASE, T0, "ml-1"),
        event("d3", "u2", VIEW, T0, "ml-1")]), timeout=5)
    await stub.UpdateConsent(pb.UpdateConsentRequest(user_id="u1", consent={"marketing": 2},
                                                     update_mask={"paths": ["marketing"]}), timeout=5)
    await profile.app.service.engine.drain()
    done = await stub.DeleteUser(pb.DeleteUserRequest(user_id="u1"), timeout=5)
    assert not done.already_deleted and done.deleted_event_count == 2 and done.deleted_features
    assert (await stub.GetUserFeatures(pb.GetUserFeaturesRequest(user_id="u1"), timeout=5)).missing
    item = (await stub.GetItemFeatures(pb.GetItemFeaturesRequest(item_ids=["ml-1"]), timeout=5)).results[0]
    assert [(c.event_type, c.count_7d) for c in item.features.event_counts] == [(VIEW, 1)]  # only u2's view left
    again = await stub.DeleteUser(pb.DeleteUserRequest(user_id="u1"), timeout=5)
    assert again.already_deleted
    exported = [m async for m in stub.ExportUser(pb.ExportUserRequest(user_id="u1"), timeout=5)]
    assert len(exported) == 1 and not exported[0].HasField("profile") and not exported[0].events


async def test_export_user_streams_profile_features_and_events(profile: Running) -> None:
    await load_catalogue(profile.stub("loader"))
    stub = profile.stub()
    await stub.IngestEvents(pb.IngestEventsRequest(events=[
        event(f"x{i}", "u5", VIEW, T0 + i, "ml-2") for i in range(1200)][:1000]), timeout=10)
    await profile.app.service.engine.drain()
    messages = [m async for m in stub.ExportUser(pb.ExportUserRequest(user_id="u5"), timeout=10)]
    assert messages[0].features.total_event_count == 1000
    assert sum(len(m.events) for m in messages) == 1000


def _clear_values(count: int) -> list[str]:
    return [v for i in range(count) for k, v in person(i).items() if k != "address"] + \
           [f"{i} Quillfeather Lane" for i in range(count)]


def stored_bytes(backend: Backend) -> list[bytes]:
    """Everything the backend holds for this test: files, table rows, Redis keys and values."""
    out: list[bytes] = []
    if backend.name == "sqlite":
        folder = Path(backend.overrides["data_dir"])  # type: ignore[arg-type]
        out += [p.read_bytes() for p in folder.iterdir() if p.is_file()]
        for db in folder.glob("*.sqlite"):
            with sqlite3.connect(db) as conn:
                tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                out += [repr(conn.execute(f"SELECT * FROM {t}").fetchall()).encode() for t in tables]
        return out
    import psycopg
    import redis

    with psycopg.connect(POSTGRES_DSN) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (backend.schema,))]
        assert {"events", "profiles", "consent", "items"} <= set(tables)
        for table in tables:
            out.append(repr(conn.execute(f'SELECT * FROM "{backend.schema}"."{table}"').fetchall()).encode())
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=backend.prefix + "*"))
    assert keys
    for key in keys:
        kind = client.type(key)
        value = client.hgetall(key) if kind == b"hash" else client.zrange(key, 0, -1) if kind == b"zset" else \
            client.smembers(key) if kind == b"set" else client.get(key)
        out.append(key + repr(value).encode())
    client.close()
    return out


@pytest.fixture
def vault_env(real_vault: int, mesh_certs: Path, signer: UserContextSigner) -> tuple[int, Path, UserContextSigner]:
    """(vault port, certs, user-context signer) for tokenizing as the gateway."""
    return real_vault, mesh_certs, signer


async def test_no_pii_in_clear_in_redis_databases_or_logs(
        with_vault: Running, vault_env: tuple[int, Path, UserContextSigner], backend: Backend,
        capfd: pytest.CaptureFixture[str]) -> None:
    real_vault, mesh_certs, signer = vault_env
    await load_catalogue(with_vault.stub("loader"))
    users = 25
    for i in range(users):
        await save_profile(with_vault, mesh_certs, real_vault, signer, user=f"u{i}", i=i)
        await with_vault.stub().IngestEvents(pb.IngestEventsRequest(events=[
            event(f"s{i}", f"u{i}", VIEW, T0, "ml-1"),
            event(f"q{i}", f"u{i}", 6, T0, redacted_query="dvd for [EMAIL]")]), timeout=5)
    await with_vault.app.service.engine.drain()
    logs = capfd.readouterr()
    haystacks = [logs.out.encode(), logs.err.encode(), *stored_bytes(backend)]
    assert b"ProfileService/UpdateProfile" in haystacks[0]  # the service's log lines are in the scan
    blob = b"\n".join(haystacks)
    assert b"tok_" in blob  # the scan does look at the stored profiles
    found = [v for v in _clear_values(users) if v.encode() in blob]
    assert found == []


async def test_an_update_with_too_many_addresses_is_refused_before_it_is_read(profile: Running) -> None:
    """Found by the full-length fuzzing run: a million addresses (10 MB) were converted and checked one by one,
    past the 5 s deadline; over 50 is TOO_MANY at once."""
    from tests.grpc_errors import field_violations

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await profile.stub().UpdateProfile(pb.UpdateProfileRequest(
            user_id="u1", profile=pb.Profile(addresses=[pb.SavedAddress(address_id="a", country_code="US")] * 200_000),
            update_mask={"paths": ["addresses"]}), timeout=5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert list(field_violations(caught.value)) == ["profile.addresses"]
