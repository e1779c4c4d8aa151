"""Signed, stateless page cursors: the rest of the first page's ranked list, bound to user and parameters.

A cursor is `c1.<base64url(zlib(json))>.<base64url(hmac-sha256)[:22]>`. It carries the remaining ranked
items (id, reason kind, anchor, category), so any replica continues the same list without shared state:
pages never repeat or skip an item. Expiry is a security lifetime, so it uses the wall clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass

from shared.errors import FieldViolation, InvalidArgument

_VERSION = "c1"
MAX_CURSOR_CHARS = 16_384


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class RankedEntry:
    """One item of a ranked list as a cursor keeps it."""

    item_id: str
    reason_kind: int = 0
    anchor_item_id: str = ""
    category_key: str = ""


@dataclass(frozen=True)
class PageState:
    """What a cursor restores: the list's identity and the items still to show."""

    request_id: str
    offset: int
    entries: tuple[RankedEntry, ...]
    experiment_id: str
    variant: str
    personalization: int
    expires_at: float


def _invalid(reason: str, message: str) -> InvalidArgument:
    return InvalidArgument(message, [FieldViolation("page_token", f"{reason}: {message}")], reason=reason,
                           domain="shopmesh.gateway")


class CursorCodec:
    """Signs and checks cursors with a key every replica shares."""

    def __init__(self, key: bytes, ttl_seconds: float = 1800.0):
        self._key = key
        self._ttl = ttl_seconds

    def _mac(self, body: str, binding: str) -> str:
        digest = hmac.new(self._key, f"{_VERSION}.{body}|{binding}".encode(), hashlib.sha256).digest()
        return _b64e(digest)[:22]

    @staticmethod
    def binding(user_id: str, surface: str, params: str) -> str:
        """What a cursor is bound to: the user, the surface and a digest of the request's parameters."""
        return hashlib.sha256(f"{user_id}\x1f{surface}\x1f{params}".encode()).hexdigest()[:32]

    def encode(self, state: PageState, binding: str, now: float | None = None) -> str:
        """The cursor for `state` (its expiry is set from the TTL when zero)."""
        expires = state.expires_at or (time.time() if now is None else now) + self._ttl
        payload = {
            "r": state.request_id, "o": state.offset, "x": state.experiment_id, "v": state.variant,
            "p": state.personalization, "e": round(expires),
            "i": [[e.item_id, e.reason_kind, e.anchor_item_id, e.category_key] for e in state.entries],
        }
        body = _b64e(zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6))
        return f"{_VERSION}.{body}.{self._mac(body, binding)}"

    def decode(self, token: str, binding: str, now: float | None = None) -> PageState:
        """The state of a cursor; INVALID_ARGUMENT PAGE_TOKEN_INVALID / PAGE_TOKEN_EXPIRED otherwise."""
        parts = token.split(".")
        if len(token) > MAX_CURSOR_CHARS or len(parts) != 3 or parts[0] != _VERSION:
            raise _invalid("PAGE_TOKEN_INVALID", "page token malformed; start again without a token")
        if not hmac.compare_digest(parts[2], self._mac(parts[1], binding)):
            raise _invalid("PAGE_TOKEN_INVALID",
                           "page token does not belong to this user and these parameters; start again")
        try:
            payload = json.loads(zlib.decompress(_b64d(parts[1]), bufsize=65536))
            entries = tuple(RankedEntry(str(i), int(k), str(a), str(c)) for i, k, a, c in payload["i"])
            state = PageState(str(payload["r"]), int(payload["o"]), entries, str(payload["x"]), str(payload["v"]),
                              int(payload["p"]), float(payload["e"]))
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            raise _invalid("PAGE_TOKEN_INVALID", "page token malformed; start again without a token") from exc
        if (time.time() if now is None else now) > state.expires_at:
            raise _invalid("PAGE_TOKEN_EXPIRED", "page token expired; start again without a token")
        return state
