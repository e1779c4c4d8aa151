"""Bearer-JWT authentication (EdDSA / ES256, keys re-read when their files change) and the caller it yields.

The user id comes only from the token's `sub`; downstream calls carry the kit's signed user context for it.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePrivateKey, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.errors import Unauthenticated
from shared.usercontext import METADATA_KEY as USER_CONTEXT_KEY
from shared.usercontext import UserContextSigner

DOMAIN = "shopmesh.gateway"
_USER_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
USER_CONTEXT_TTL_SECONDS = 60.0
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class Caller:
    """An authenticated end user and the metadata (signed user context) to put on calls made for them."""

    user_id: str
    metadata: tuple[tuple[str, str], ...]


def _fail(reason: str, message: str) -> Unauthenticated:
    return Unauthenticated(message, reason=reason, domain=DOMAIN)


@dataclass(frozen=True)
class _Key:
    kid: str
    key: Ed25519PublicKey | EllipticCurvePublicKey
    algorithm: str


def _load_key(path: Path) -> _Key:
    key = serialization.load_pem_public_key(path.read_bytes())
    if isinstance(key, Ed25519PublicKey):
        return _Key(path.stem, key, "EdDSA")
    if isinstance(key, EllipticCurvePublicKey) and isinstance(key.curve, SECP256R1):
        return _Key(path.stem, key, "ES256")
    raise ValueError(f"{path}: only Ed25519 and EC P-256 public keys verify bearer tokens")


class KeyRing:
    """The JWT verification keys, reloaded when a file's mtime/size changes (checked at most every few s).

    A file that fails to parse keeps the previous keys of that file, so a half-written rotation never
    locks every user out.
    """

    def __init__(self, paths: list[Path], check_interval_s: float = 2.0):
        self._paths = list(paths)
        self._interval = check_interval_s
        self._lock = threading.Lock()
        self._stamps: dict[Path, tuple[int, int]] = {}
        self._keys: dict[Path, _Key] = {}
        self._checked = 0.0
        self._refresh(force=True)

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self._interval:
            return
        with self._lock:
            self._checked = now
            for path in self._paths:
                try:
                    st = path.stat()
                except OSError:
                    self._keys.pop(path, None)
                    self._stamps.pop(path, None)
                    continue
                stamp = (st.st_mtime_ns, st.st_size)
                if self._stamps.get(path) == stamp:
                    continue
                try:
                    self._keys[path] = _load_key(path)
                    self._stamps[path] = stamp
                except (ValueError, OSError):
                    continue

    def keys(self) -> list[_Key]:
        """The current keys."""
        self._refresh()
        return list(self._keys.values())


class JwtVerifier:
    """Checks signature, `exp`/`nbf`, `iss` and `aud` of a bearer token and returns its subject."""

    def __init__(self, keys: KeyRing, issuer: str, audience: str, leeway_s: float = 10.0):
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s

    def verify(self, token: str) -> str:
        """The token's `sub`; raises Unauthenticated (ErrorInfo reason TOKEN_*) otherwise."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise _fail("TOKEN_INVALID", "bearer token malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise _fail("TOKEN_INVALID", "bearer token malformed") from exc
        keys = self._keys.keys()
        kid = header.get("kid")
        named = [k for k in keys if k.kid == kid]
        candidates = [k for k in (named or keys) if k.algorithm == header.get("alg")]
        if not candidates:
            raise _fail("TOKEN_INVALID", "bearer token not signed with an accepted key and algorithm")
        for key in candidates:
            try:
                claims = jwt.decode(token, key.key, algorithms=[key.algorithm], audience=self._audience,
                                    issuer=self._issuer, leeway=self._leeway,
                                    options={"require": ["exp", "iss", "aud", "sub"]})
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError as exc:
                raise _fail("TOKEN_EXPIRED", "bearer token expired") from exc
            except jwt.InvalidIssuerError as exc:
                raise _fail("TOKEN_WRONG_ISSUER", "bearer token from another issuer") from exc
            except jwt.InvalidAudienceError as exc:
                raise _fail("TOKEN_WRONG_AUDIENCE", "bearer token for another audience") from exc
            except jwt.InvalidTokenError as exc:
                raise _fail("TOKEN_INVALID", "bearer token invalid") from exc
            subject = claims.get("sub")
            if not isinstance(subject, str) or not _USER_ID_RE.match(subject):
                raise _fail("TOKEN_INVALID", "bearer token subject malformed")
            return subject
        raise _fail("TOKEN_INVALID", "bearer token signature invalid")


class Authenticator:
    """Turns a call's `authorization` metadata into a Caller with a freshly signed user context."""

    def __init__(self, verifier: JwtVerifier, signer: UserContextSigner):
        self._verifier = verifier
        self._signer = signer

    def caller_for(self, metadata: Any) -> Caller:
        """The caller of a call with this invocation metadata."""
        header = ""
        for key, value in metadata or ():
            if key == "authorization" and isinstance(value, str):
                header = value
                break
        if not header:
            raise _fail("TOKEN_MISSING", "authorization: Bearer <token> is required")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _fail("TOKEN_INVALID", "authorization must be 'Bearer <token>'")
        user_id = self._verifier.verify(token.strip())
        context = self._signer.sign(user_id, USER_CONTEXT_TTL_SECONDS)
        return Caller(user_id, ((USER_CONTEXT_KEY, context),))

    async def authenticate(self, context: grpc.aio.ServicerContext) -> Caller:
        """The authenticated caller of an RPC; raises Unauthenticated for a missing or bad token."""
        return self.caller_for(context.invocation_metadata())


def mint_token(private_key_path: Path, user_id: str, *, issuer: str = "shopmesh-dev",
               audience: str = "shopmesh-gateway", ttl_seconds: float = 3600.0, now: float | None = None) -> str:
    """A development bearer token for `user_id`, signed with an Ed25519 (EdDSA) or P-256 (ES256) key."""
    if not _USER_ID_RE.match(user_id):
        raise ValueError("user id must match [A-Za-z0-9._:-]{1,64}")
    key = serialization.load_pem_private_key(private_key_path.read_bytes(), password=None)
    if isinstance(key, Ed25519PrivateKey):
        algorithm = "EdDSA"
    elif isinstance(key, EllipticCurvePrivateKey):
        algorithm = "ES256"
    else:
        raise ValueError(f"{private_key_path}: not an Ed25519 or EC P-256 private key")
    issued = int(time.time() if now is None else now)
    claims = {"sub": user_id, "iss": issuer, "aud": audience, "iat": issued, "exp": issued + int(ttl_seconds)}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": private_key_path.stem})
