"""Agent sessions as signed cookies (HMAC-SHA256), so any console replica serves any agent, and CSRF tokens.

A session cookie holds the agent id, the CSRF token of the session, when it was signed in and when it was
last used; it ends after `idle_s` without a request or `max_s` after sign-in, whichever comes first. Every
state-changing request must carry the session's CSRF token (form field `csrf` or header `X-CSRF-Token`);
the sign-in form has its own token in a short-lived pre-session cookie. Cookies are HttpOnly and
SameSite=Strict, Secure unless the console runs on plain HTTP locally.

Sign-out removes the cookie; a copied cookie stays valid until it expires (the price of keeping no state),
which the idle limit keeps short.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

SESSION_COOKIE = "shopmesh_console"
LOGIN_COOKIE = "shopmesh_console_login"
LOGIN_FORM_SECONDS = 900


@dataclass(frozen=True)
class Session:
    """A signed-in agent's session."""

    agent_id: str
    csrf: str
    signed_in_at: float
    seen_at: float


def load_secret(path: Path, *, create: bool) -> bytes:
    """The signing key in a file; a new random one (mode 0600) when missing and `create`."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another process created it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as out:
            out.write(key)
    if len(key) < 32:
        raise ValueError(f"{path}: the session key must be at least 32 bytes")
    return key


class Signer:
    """Signs and checks small JSON payloads: base64url(payload).base64url(hmac)."""

    def __init__(self, key: bytes, purpose: str):
        self._key = hmac.new(key, purpose.encode(), hashlib.sha256).digest()

    def sign(self, payload: dict[str, object]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=")
        mac = base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest()).rstrip(b"=")
        return f"{body.decode()}.{mac.decode()}"

    def unsign(self, value: str) -> dict[str, object] | None:
        body, _, mac = value.partition(".")
        if not body or not mac or len(value) > 4096:
            return None
        expected = base64.urlsafe_b64encode(hmac.new(self._key, body.encode(), hashlib.sha256).digest()).rstrip(b"=")
        if not hmac.compare_digest(expected, mac.encode()):
            return None
        try:
            doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError):
            return None
        return doc if isinstance(doc, dict) else None


class Sessions:
    """Issues, renews and checks session cookies and the sign-in form's token."""

    def __init__(self, key: bytes, *, idle_s: int, max_s: int):
        self._session = Signer(key, "session")
        self._login = Signer(key, "login-form")
        self.idle_s = idle_s
        self.max_s = max_s

    def new(self, agent_id: str, now: float | None = None) -> Session:
        """A fresh session (new CSRF token) for an agent who just signed in."""
        now = time.time() if now is None else now
        return Session(agent_id, secrets.token_urlsafe(24), now, now)

    def encode(self, session: Session) -> str:
        return self._session.sign({"a": session.agent_id, "c": session.csrf, "i": session.signed_in_at,
                                   "s": session.seen_at})

    def decode(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session of a cookie, renewed to `now`; None when missing, forged or expired."""
        if not cookie:
            return None
        doc = self._session.unsign(cookie)
        if doc is None:
            return None
        try:
            session = Session(str(doc["a"]), str(doc["c"]), float(str(doc["i"])), float(str(doc["s"])))
        except (KeyError, ValueError):
            return None
        now = time.time() if now is None else now
        if now - session.seen_at > self.idle_s or now - session.signed_in_at > self.max_s or session.seen_at > now + 60:
            return None
        return Session(session.agent_id, session.csrf, session.signed_in_at, now)

    def login_token(self, now: float | None = None) -> tuple[str, str]:
        """(cookie value, form token) for one sign-in form."""
        token = secrets.token_urlsafe(24)
        now = time.time() if now is None else now
        return self._login.sign({"t": token, "e": now + LOGIN_FORM_SECONDS}), token

    def login_token_ok(self, cookie: str | None, form_token: str, now: float | None = None) -> bool:
        """Whether the sign-in form's token matches its cookie and has not expired."""
        doc = self._login.unsign(cookie or "")
        now = time.time() if now is None else now
        if doc is None or not form_token:
            return False
        try:
            expires = float(str(doc["e"]))
        except (KeyError, ValueError):
            return False
        return expires > now and hmac.compare_digest(str(doc.get("t", "")), form_token)


def csrf_ok(session: Session, token: str | None) -> bool:
    """Whether a request's CSRF token is its session's."""
    return bool(token) and hmac.compare_digest(session.csrf, token or "")
