"""Envelope encryption: AES-256-GCM per value under a per-subject data key, data keys wrapped by a KEK.

Associated data binds every ciphertext to where it belongs (subject, field type, token for values; subject and
KEK version for wrapped data keys), so a ciphertext copied onto another row fails to decrypt. Tokens and
blind-index entries are keyed HMACs: tokens under a key derived from the subject's data key (so once the data
key is shredded a token cannot be recomputed from a guessed value), blind-index entries under one index key.
"""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TOKEN_PREFIX = "tok_"
TOKEN_BODY_CHARS = 24  # 18 HMAC bytes, base64url
_TOKEN_LABEL = b"shopmesh.vault.token-key.v1"


class DecryptionError(Exception):
    """A ciphertext failed authentication: it was altered, or moved to a row it does not belong to."""


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(KEY_BYTES)


def _dek_ad(subject_id: str, kek_version: int) -> bytes:
    return f"dek|v1|{kek_version}|{subject_id}".encode()


def wrap_data_key(kek: bytes, kek_version: int, subject_id: str, data_key: bytes) -> bytes:
    """The data key encrypted under the KEK, bound to its subject and KEK version (nonce || ciphertext)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, _dek_ad(subject_id, kek_version))


def unwrap_data_key(kek: bytes, kek_version: int, subject_id: str, wrapped: bytes) -> bytes:
    """Inverse of `wrap_data_key`; raises DecryptionError when the wrapped key is not this subject's."""
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _dek_ad(subject_id, kek_version))
    except InvalidTag as exc:
        raise DecryptionError("wrapped data key failed authentication") from exc


def _value_ad(subject_id: str, pii_type: int, token: str) -> bytes:
    return f"val|v1|{subject_id}|{pii_type}|{token}".encode()


@dataclass(frozen=True)
class SubjectKey:
    """A subject's unwrapped data key with its derived cipher and token key (kept in memory only)."""

    subject_id: str
    aead: AESGCM
    token_key: bytes

    @classmethod
    def from_data_key(cls, subject_id: str, data_key: bytes) -> SubjectKey:
        """Derives the token key from the data key, so shredding the one shreds the other."""
        token_key = hmac.digest(data_key, _TOKEN_LABEL, "sha256")
        return cls(subject_id=subject_id, aead=AESGCM(data_key), token_key=token_key)

    def token(self, pii_type: int, normalised: str) -> str:
        """The convergent token of a normalised value: the same input always gives the same token."""
        digest = hmac.digest(self.token_key, f"{pii_type}|{normalised}".encode(), "sha256")[:18]
        return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")

    def encrypt(self, pii_type: int, token: str, value: str) -> bytes:
        """nonce || AES-256-GCM ciphertext of the value, bound to subject, type and token."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self.aead.encrypt(nonce, value.encode(), _value_ad(self.subject_id, pii_type, token))

    def decrypt(self, pii_type: int, token: str, blob: bytes) -> str:
        """The clear value; raises DecryptionError when the ciphertext is not this (subject, type, token)'s."""
        try:
            clear = self.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:],
                                      _value_ad(self.subject_id, pii_type, token))
        except InvalidTag as exc:
            raise DecryptionError("value ciphertext failed authentication") from exc
        return clear.decode()


def blind_index(index_key: bytes, pii_type: int, normalised: str) -> bytes:
    """The blind-index entry of a normalised value: finds it without storing or revealing it."""
    return hmac.digest(index_key, f"idx|v1|{pii_type}|{normalised}".encode(), "sha256")


def well_formed_token(token: str) -> bool:
    """Whether a string has the shape of a vault token (says nothing about whether it was issued)."""
    if len(token) != len(TOKEN_PREFIX) + TOKEN_BODY_CHARS or not token.startswith(TOKEN_PREFIX):
        return False
    body = token[len(TOKEN_PREFIX):]
    return all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
