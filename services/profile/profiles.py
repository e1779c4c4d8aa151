"""Profiles and consent: PII fields hold vault tokens only; consent decides whether events are kept.

A profile is stored as one JSON document of tokens, labels, country codes and preferences; nothing in it is
personal data in clear. `apply_update` implements UpdateProfile's field-mask semantics.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

import orjson

from services.profile.model import Violation

TOKEN_PATTERN = re.compile(r"tok_[A-Za-z0-9_-]{1,60}")
TOKEN_RULE = "must be a vault token (tok_ + URL-safe characters, at most 64)"
MAX_ADDRESSES = 50
"""Most saved addresses a profile update may carry."""
UPDATABLE = frozenset({"display_name_token", "email_token", "phone_token", "addresses", "preferences"})
READ_ONLY = frozenset({"user_id", "consent", "create_time", "update_time", "etag"})
CONSENT_FIELDS = frozenset({"personalization", "marketing"})
_COUNTRY = re.compile(r"[A-Z]{2}")


class ConsentState:
    """Values of shopmesh.common.v1.ConsentState."""

    UNSPECIFIED = 0
    GRANTED = 1
    DENIED = 2


@dataclass(frozen=True)
class SavedAddress:
    """A saved address: its PII lives in the vault, only the token and the country are here."""

    address_id: str
    label: str
    address_token: str
    country_code: str
    is_default: bool = False


@dataclass(frozen=True)
class Preferences:
    """Shopping preferences (no PII)."""

    language_code: str = ""
    currency_code: str = ""
    clothing_size: str = ""
    shoe_size: str = ""
    favourite_category_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A user's profile as stored (times in microseconds; etag changes with every write)."""

    user_id: str
    display_name_token: str = ""
    email_token: str = ""
    phone_token: str = ""
    addresses: tuple[SavedAddress, ...] = ()
    preferences: Preferences = field(default_factory=Preferences)
    create_time_us: int = 0
    update_time_us: int = 0
    etag: str = ""

    def tokens(self) -> dict[str, str]:
        """Every token of the profile by field path (for vault checks)."""
        out = {"display_name_token": self.display_name_token, "email_token": self.email_token,
               "phone_token": self.phone_token}
        out.update({f"addresses[{i}].address_token": a.address_token for i, a in enumerate(self.addresses)})
        return {k: v for k, v in out.items() if v}


def profile_doc(profile: Profile) -> str:
    """The stored JSON document (user id and times live in columns)."""
    p = profile.preferences
    return orjson.dumps({
        "display_name_token": profile.display_name_token, "email_token": profile.email_token,
        "phone_token": profile.phone_token,
        "addresses": [[a.address_id, a.label, a.address_token, a.country_code, a.is_default]
                      for a in profile.addresses],
        "preferences": [p.language_code, p.currency_code, p.clothing_size, p.shoe_size,
                        list(p.favourite_category_keys)],
    }, option=orjson.OPT_SORT_KEYS).decode()


def profile_from_doc(user_id: str, doc: str, etag: str, create_us: int, update_us: int) -> Profile:
    """Inverse of `profile_doc`."""
    d = orjson.loads(doc)
    pref = d["preferences"]
    return Profile(
        user_id=user_id, display_name_token=d["display_name_token"], email_token=d["email_token"],
        phone_token=d["phone_token"], addresses=tuple(SavedAddress(*a) for a in d["addresses"]),
        preferences=Preferences(pref[0], pref[1], pref[2], pref[3], tuple(pref[4])),
        create_time_us=create_us, update_time_us=update_us, etag=etag)


def etag_of(doc: str) -> str:
    """A short content hash: equal documents give equal etags, so a repeated update is a no-op."""
    return hashlib.blake2b(doc.encode(), digest_size=8).hexdigest()


def validate_mask(paths: list[str], allowed: frozenset[str], read_only: frozenset[str]) -> list[Violation]:
    """Violations of an update mask: empty, unknown or read-only paths."""
    if not paths:
        return [Violation("update_mask", "REQUIRED", "name the fields to change")]
    out = []
    for path in paths:
        if path in read_only:
            out.append(Violation("update_mask", "READ_ONLY_FIELD", f"{path} cannot be set here"))
        elif path not in allowed:
            out.append(Violation("update_mask", "UNKNOWN_FIELD", f"{path} is not an updatable field"))
    return out


def validate_profile_values(profile: Profile, paths: list[str]) -> list[Violation]:
    """Violations of the new values of the masked fields: tokens must be tokens, addresses well formed."""
    out: list[Violation] = []
    for name in ("display_name_token", "email_token", "phone_token"):
        value = getattr(profile, name)
        if name in paths and value and not TOKEN_PATTERN.fullmatch(value):
            out.append(Violation(f"profile.{name}", "MALFORMED_TOKEN", TOKEN_RULE))
    if "addresses" in paths:
        ids = set()
        for i, a in enumerate(profile.addresses):
            if not TOKEN_PATTERN.fullmatch(a.address_token):
                out.append(Violation(f"profile.addresses[{i}].address_token", "MALFORMED_TOKEN", TOKEN_RULE))
            if not a.address_id or a.address_id in ids:
                out.append(Violation(f"profile.addresses[{i}].address_id", "REQUIRED",
                                     "each address needs an id unique within the profile"))
            ids.add(a.address_id)
            if a.country_code and not _COUNTRY.fullmatch(a.country_code):
                out.append(Violation(f"profile.addresses[{i}].country_code", "MALFORMED",
                                     "ISO 3166-1 alpha-2, upper case"))
        if sum(a.is_default for a in profile.addresses) > 1:
            out.append(Violation("profile.addresses", "MULTIPLE_DEFAULTS", "at most one default address"))
    if "preferences" in paths and len(profile.preferences.favourite_category_keys) > 20:
        out.append(Violation("profile.preferences.favourite_category_keys", "TOO_MANY", "at most 20"))
    return out


def apply_update(current: Profile, new: Profile, paths: list[str]) -> Profile:
    """`current` with the masked fields replaced by `new`'s values (replace semantics per field)."""
    return replace(current, **{p: getattr(new, p) for p in paths})


def personalization_allowed(state: int | None, default_granted: bool) -> bool:
    """Whether events of a user with this consent state (None: never asked) are kept."""
    if state is None or state == ConsentState.UNSPECIFIED:
        return default_granted
    return state == ConsentState.GRANTED
