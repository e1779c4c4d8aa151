"""Impression ids: request, surface, position and variant in clear, signed (with user and item) by the gateway.

`<request16>.<surface>.<position>.<experiment>:<variant>.<mac16>`, at most 128 characters (profile's
limit). SendEvents checks the signature, so a forged or corrupted id is INVALID_IMPRESSION.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

MAX_IMPRESSION_CHARS = 128


@dataclass(frozen=True)
class ImpressionRef:
    """The parts an impression id encodes."""

    request_id: str
    surface: int
    position: int
    experiment_id: str
    variant: str


class ImpressionSigner:
    """Makes and checks impression ids."""

    def __init__(self, key: bytes):
        self._key = key

    def _mac(self, body: str, user_id: str, item_id: str) -> str:
        digest = hmac.new(self._key, f"{body}|{user_id}|{item_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:16]

    def make(self, ref: ImpressionRef, user_id: str, item_id: str) -> str:
        """The impression id of `item_id` shown to `user_id` at `ref`."""
        body = f"{ref.request_id[:16]}.{ref.surface}.{ref.position}.{ref.experiment_id[:40]}:{ref.variant[:24]}"
        return f"{body}.{self._mac(body, user_id, item_id)}"

    def check(self, impression_id: str, user_id: str, item_id: str) -> ImpressionRef | None:
        """The parts of a valid id for this user and item; None when forged, corrupted or someone else's."""
        if len(impression_id) > MAX_IMPRESSION_CHARS:
            return None
        body, _, mac = impression_id.rpartition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body, user_id, item_id)):
            return None
        try:
            request_id, surface, position, arm = body.split(".", 3)
            experiment_id, _, variant = arm.partition(":")
            return ImpressionRef(request_id, int(surface), int(position), experiment_id, variant)
        except ValueError:
            return None
