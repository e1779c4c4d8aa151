"""The end-user context: a short-lived token the gateway signs (Ed25519) and every service verifies.

Format: `v1.<base64url(json claims)>.<base64url(signature over "v1." + claims part)>`.
Claims: `sub` (user id), `iss` (signing service), `iat`/`exp` (unix seconds), `jti` (random id).
Services never trust a user id in a request body; they take it from a verified token only.
Expiry uses the wall clock on purpose: it is a security lifetime, not an event time.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.errors import Unauthenticated

METADATA_KEY = "x-shopmesh-user-context"
_VERSION = "v1"
MAX_TTL_SECONDS = 300


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class UserContext:
    """A verified end-user context."""

    user_id: str
    issuer: str
    expires_at: float


def generate_keypair(private_path: Path, public_path: Path) -> None:
    """Writes a new Ed25519 key pair (PEM): the private half for the gateway, the public for everyone."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


class UserContextSigner:
    """Signs user contexts; only the gateway holds the private key."""

    def __init__(self, private_key: Ed25519PrivateKey, issuer: str = "gateway"):
        self._key = private_key
        self._issuer = issuer

    @classmethod
    def from_file(cls, path: Path, issuer: str = "gateway") -> UserContextSigner:
        """Loads a PEM Ed25519 private key."""
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key, issuer)

    def sign(self, user_id: str, ttl_seconds: float = 60.0, now: float | None = None) -> str:
        """A token for user_id valid for ttl_seconds (capped at MAX_TTL_SECONDS)."""
        if not user_id:
            raise ValueError("user_id must not be empty")
        issued = time.time() if now is None else now
        claims = {
            "sub": user_id,
            "iss": self._issuer,
            "iat": int(issued),
            "exp": round(issued + min(ttl_seconds, MAX_TTL_SECONDS), 3),
            "jti": secrets.token_urlsafe(9),
        }
        body = _b64e(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        signing_input = f"{_VERSION}.{body}".encode("ascii")
        return f"{_VERSION}.{body}.{_b64e(self._key.sign(signing_input))}"


class UserContextVerifier:
    """Verifies tokens against one or more trusted public keys (several during a key rotation)."""

    def __init__(self, public_keys: list[Ed25519PublicKey], trusted_issuers: frozenset[str] = frozenset({"gateway"}),
                 leeway_seconds: float = 5.0):
        self._keys = public_keys
        self._issuers = trusted_issuers
        self._leeway = leeway_seconds

    @classmethod
    def from_files(cls, paths: list[Path], **kwargs: object) -> UserContextVerifier:
        """Loads PEM Ed25519 public keys."""
        keys = []
        for path in paths:
            key = serialization.load_pem_public_key(path.read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{path} is not an Ed25519 public key")
            keys.append(key)
        return cls(keys, **kwargs)  # type: ignore[arg-type]

    def verify(self, token: str, now: float | None = None) -> UserContext:
        """The verified context; raises Unauthenticated for a malformed, forged, expired or foreign token."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _VERSION or len(token) > 2048:
            raise Unauthenticated("malformed user context", reason="USER_CONTEXT_MALFORMED")
        try:
            signature = _b64d(parts[2])
            claims = json.loads(_b64d(parts[1]))
        except (ValueError, UnicodeDecodeError) as exc:
            raise Unauthenticated("malformed user context", reason="USER_CONTEXT_MALFORMED") from exc
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        if not any(self._valid(key, signature, signing_input) for key in self._keys):
            raise Unauthenticated("user context signature invalid", reason="USER_CONTEXT_FORGED")
        if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Unauthenticated("malformed user context", reason="USER_CONTEXT_MALFORMED")
        if claims.get("iss") not in self._issuers:
            raise Unauthenticated("user context from an untrusted issuer", reason="USER_CONTEXT_ISSUER")
        expires = claims.get("exp")
        current = time.time() if now is None else now
        if not isinstance(expires, int | float) or current > expires + self._leeway:
            raise Unauthenticated("user context expired", reason="USER_CONTEXT_EXPIRED")
        return UserContext(user_id=claims["sub"], issuer=claims["iss"], expires_at=float(expires))

    @staticmethod
    def _valid(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
        try:
            key.verify(signature, data)
        except InvalidSignature:
            return False
        return True
