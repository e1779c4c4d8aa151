"""Unit tests of the gateway's gRPC-free parts: JWT checks and key reload, cursors, impressions, experiments,
token buckets, the circuit breaker."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.auth import Authenticator, JwtVerifier, KeyRing, mint_token
from gateway.breaker import CircuitBreaker
from gateway.cursors import CursorCodec, PageState, RankedEntry
from gateway.experiments import Experiments
from gateway.impressions import ImpressionRef, ImpressionSigner
from gateway.ratelimit import InProcessRateLimiter
from gateway.settings import EXPERIMENTS_FILE
from shared.errors import InvalidArgument, Unauthenticated
from shared.usercontext import UserContextSigner, UserContextVerifier, generate_keypair


def _ed_pair(folder: Path, name: str) -> tuple[Path, Path]:
    generate_keypair(folder / f"{name}.key", folder / f"{name}.pub")
    return folder / f"{name}.key", folder / f"{name}.pub"


def _ec_pair(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    (folder / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    (folder / f"{name}.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return folder / f"{name}.key", folder / f"{name}.pub"


def _reason(call: object) -> str:
    with pytest.raises(Unauthenticated) as caught:
        call()  # type: ignore[operator]
    return caught.value.reason


def test_jwt_accepts_eddsa_and_es256_and_names_each_failure(tmp_path: Path) -> None:
    ed_key, ed_pub = _ed_pair(tmp_path, "ed")
    ec_key, ec_pub = _ec_pair(tmp_path, "ec")
    verifier = JwtVerifier(KeyRing([ed_pub, ec_pub]), "shopmesh-dev", "shopmesh-gateway", leeway_s=0)
    assert verifier.verify(mint_token(ed_key, "u1")) == "u1"
    assert verifier.verify(mint_token(ec_key, "u2")) == "u2"
    assert _reason(lambda: verifier.verify(mint_token(ed_key, "u1", ttl_seconds=-5))) == "TOKEN_EXPIRED"
    assert _reason(lambda: verifier.verify(mint_token(ed_key, "u1", issuer="evil"))) == "TOKEN_WRONG_ISSUER"
    assert _reason(lambda: verifier.verify(mint_token(ed_key, "u1", audience="other"))) == "TOKEN_WRONG_AUDIENCE"
    assert _reason(lambda: verifier.verify("garbage")) == "TOKEN_INVALID"
    unsigned = jwt.encode({"sub": "u1", "iss": "shopmesh-dev", "aud": "shopmesh-gateway",
                           "exp": int(time.time()) + 60}, None, algorithm="none")  # type: ignore[arg-type]
    assert _reason(lambda: verifier.verify(unsigned)) == "TOKEN_INVALID"
    stranger_key, _ = _ed_pair(tmp_path, "stranger")
    assert _reason(lambda: verifier.verify(mint_token(stranger_key, "u1"))) == "TOKEN_INVALID"
    head, _body, sig = mint_token(ed_key, "u1").split(".")
    forged_body = jwt.utils.base64url_encode(b'{"sub":"admin","iss":"shopmesh-dev","aud":"shopmesh-gateway",'
                                             b'"exp":9999999999}').decode()
    assert _reason(lambda: verifier.verify(f"{head}.{forged_body}.{sig}")) == "TOKEN_INVALID"


def test_keys_reload_without_restart(tmp_path: Path) -> None:
    old_key, pub = _ed_pair(tmp_path, "jwt")
    ring = KeyRing([pub], check_interval_s=0.01)
    verifier = JwtVerifier(ring, "shopmesh-dev", "shopmesh-gateway")
    assert verifier.verify(mint_token(old_key, "u1")) == "u1"
    new = Ed25519PrivateKey.generate()
    new_key = tmp_path / "new.key"
    new_key.write_bytes(new.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    pub.write_bytes(new.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo) + b"\n")
    time.sleep(0.05)
    assert verifier.verify(mint_token(new_key, "u1")) == "u1"
    assert _reason(lambda: verifier.verify(mint_token(old_key, "u1"))) == "TOKEN_INVALID"


def test_caller_carries_a_user_context_services_verify(tmp_path: Path) -> None:
    key, pub = _ed_pair(tmp_path, "jwt")
    ctx_key, ctx_pub = _ed_pair(tmp_path, "ctx")
    auth = Authenticator(JwtVerifier(KeyRing([pub]), "shopmesh-dev", "shopmesh-gateway"),
                         UserContextSigner.from_file(ctx_key))
    caller = auth.caller_for([("authorization", f"Bearer {mint_token(key, 'u7')}")])
    assert caller.user_id == "u7"
    (name, token), = caller.metadata
    assert name == "x-shopmesh-user-context"
    assert UserContextVerifier.from_files([ctx_pub]).verify(token).user_id == "u7"
    assert _reason(lambda: auth.caller_for([])) == "TOKEN_MISSING"
    assert _reason(lambda: auth.caller_for([("authorization", "Basic abc")])) == "TOKEN_INVALID"


def _state(n: int = 30) -> PageState:
    entries = tuple(RankedEntry(str(i), 3, "7" if i % 2 else "", "") for i in range(n))
    return PageState("req1", 10, entries, "exp", "control", 1, 0.0)


def test_cursor_round_trip_and_tampering() -> None:
    codec = CursorCodec(b"k" * 32, ttl_seconds=60)
    binding = CursorCodec.binding("u1", "home_feed", "movielens")
    token = codec.encode(_state(), binding)
    restored = codec.decode(token, binding)
    assert restored.offset == 10 and [e.item_id for e in restored.entries] == [str(i) for i in range(30)]
    assert restored.entries[1].anchor_item_id == "7" and restored.variant == "control"
    for bad_binding in (CursorCodec.binding("u2", "home_feed", "movielens"),
                        CursorCodec.binding("u1", "home_feed", "clothing")):
        with pytest.raises(InvalidArgument) as caught:
            codec.decode(token, bad_binding)
        assert caught.value.reason == "PAGE_TOKEN_INVALID"
    head, body, mac = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for tampered in (f"{head}.{flipped}.{mac}", token + "x", "c1.garbage", ""):
        with pytest.raises(InvalidArgument) as caught:
            codec.decode(tampered, binding)
        assert caught.value.reason == "PAGE_TOKEN_INVALID"
    expired = codec.encode(_state(), binding, now=time.time() - 120)
    with pytest.raises(InvalidArgument) as caught:
        codec.decode(expired, binding)
    assert caught.value.reason == "PAGE_TOKEN_EXPIRED"


def test_impression_ids_are_signed_for_user_and_item() -> None:
    signer = ImpressionSigner(b"i" * 32)
    ref = ImpressionRef("0123456789abcdef0123", 1, 4, "feed-ranker-v1", "diverse")
    impression_id = signer.make(ref, "u1", "42")
    assert len(impression_id) <= 128 and "diverse" in impression_id
    parsed = signer.check(impression_id, "u1", "42")
    assert parsed is not None and parsed.position == 4 and parsed.variant == "diverse"
    assert signer.check(impression_id, "u2", "42") is None
    assert signer.check(impression_id, "u1", "43") is None
    assert signer.check(impression_id.replace(".4.", ".5."), "u1", "42") is None


def test_experiment_bucketing_is_deterministic_and_follows_weights(tmp_path: Path) -> None:
    experiments = Experiments.load(EXPERIMENTS_FILE)
    first = [experiments.assign(f"u{i}", "home_feed") for i in range(3000)]
    again = [experiments.assign(f"u{i}", "home_feed") for i in range(3000)]
    assert first == again
    counts = {name: sum(a.variant == name for a in first) for name in ("control", "diverse", "noranker")}
    assert 0.40 < counts["control"] / 3000 < 0.50 and 0.06 < counts["noranker"] / 3000 < 0.14
    assert all(not a.ranker for a in first if a.variant == "noranker")
    assert {a.diversity_lambda for a in first if a.variant == "diverse"} == {0.5}
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiments:\n  - id: x\n    variants:\n      - {name: a, weight: 1, params: "
                   "{diversity_lambda: 3}}\n")
    with pytest.raises(ValueError, match="diversity_lambda"):
        Experiments.load(bad)


def test_token_bucket_refills_at_its_rate() -> None:
    async def run() -> None:
        limiter = InProcessRateLimiter(rate_per_s=10, burst=3)
        assert [await limiter.acquire("u1") for _ in range(3)] == [0, 0, 0]
        wait = await limiter.acquire("u1")
        assert 0.05 < wait <= 0.1
        assert await limiter.acquire("u2") == 0
        await asyncio.sleep(0.15)
        assert await limiter.acquire("u1") == 0
        assert await limiter.forget_user("u1") == 1
        assert [await limiter.acquire("u1") for _ in range(3)] == [0, 0, 0]

    asyncio.run(run())


def test_breaker_opens_then_admits_one_trial() -> None:
    breaker = CircuitBreaker(failure_threshold=2, open_seconds=1.0)
    breaker.record(False, now=0.0)
    assert breaker.allow(now=0.1)
    breaker.record(False, now=0.2)
    assert not breaker.allow(now=0.5) and breaker.open_for(now=0.5) == pytest.approx(0.7)
    assert breaker.allow(now=1.3)
    assert not breaker.allow(now=1.31)
    breaker.record(False, now=1.4)
    assert not breaker.allow(now=2.0)
    assert breaker.allow(now=2.5)
    breaker.record(True)
    assert breaker.allow() and not breaker.is_open


def test_event_times_out_of_the_timestamp_range_are_rejected_not_raised() -> None:
    """Found by fuzzing: a ClientEvent.event_time outside years 1-9999 (or with nanos out of range) made
    Timestamp.ToNanoseconds raise, and SendEvents answered INTERNAL."""
    from gateway.events import EventsIntake
    from shopmesh.common.v1 import event_pb2
    from shopmesh.gateway.v1 import gateway_service_pb2 as gw_pb

    intake = EventsIntake(None, None, ImpressionSigner(b"i" * 32), "movielens")  # type: ignore[arg-type]
    now = time.time()

    def reasons(seconds: int, nanos: int = 0) -> list[str]:
        event = gw_pb.ClientEvent(client_event_id="e1", event_type=event_pb2.EVENT_TYPE_VIEW, item_id="ml-1")
        event.event_time.seconds, event.event_time.nanos = seconds, nanos
        return [v.reason for v in intake._check(0, event, "u1", now)]

    assert reasons(int(now)) == []
    assert reasons(2**63 - 1) == ["EVENT_TIME_IN_FUTURE"]
    assert reasons(-(2**63)) == ["EVENT_TIME_TOO_OLD"]
    assert reasons(int(now), nanos=-1) == ["INVALID_TIMESTAMP"]
    assert reasons(int(now), nanos=1_000_000_000) == ["INVALID_TIMESTAMP"]
