"""PII field types: validation, normalisation (what convergent tokens and the blind index hash) and masking."""

from __future__ import annotations

import ipaddress
import json
import re
from enum import IntEnum

from services.vault.redaction_validators import cn_id_valid, iban_valid, luhn_valid


class PiiType(IntEnum):
    """A PII field type; the values equal `shopmesh.vault.v1.PiiType`."""

    EMAIL = 1
    PHONE = 2
    NAME = 3
    ADDRESS = 4
    PAYMENT_CARD = 5
    NATIONAL_ID = 6
    BANK_ACCOUNT = 7
    IP_ADDRESS = 8
    FREE_TEXT = 9


LOOKUP_TYPES = frozenset({PiiType.EMAIL, PiiType.PHONE})
"""Types with a blind index (LookupByValue)."""

MAX_VALUE_CHARS = 4096
MAX_FREE_TEXT_CHARS = 65536


class InvalidValue(ValueError):
    """A value that cannot be a value of its type; `reason` is the field violation's code."""

    def __init__(self, reason: str, description: str):
        super().__init__(description)
        self.reason = reason
        self.description = description


_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_STRIP_RE = re.compile(r"[\s\-().·]")
_NATIONAL_ID_RE = re.compile(r"^[0-9A-Z]{5,20}$")


def max_chars(pii_type: PiiType) -> int:
    """The longest value of this type, in code points."""
    return MAX_FREE_TEXT_CHARS if pii_type is PiiType.FREE_TEXT else MAX_VALUE_CHARS


def _phone_e164(value: str) -> str:
    digits = _PHONE_STRIP_RE.sub("", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        national = digits[1:]
        if not national.isdigit() or not 7 <= len(national) <= 15 or national[0] == "0":
            raise InvalidValue("INVALID_FORMAT", "phone numbers with a country code have 7 to 15 digits")
        return "+" + national
    if not digits.isdigit():
        raise InvalidValue("INVALID_FORMAT", "a phone number holds digits, spaces, dashes, dots and parentheses")
    # Without a country code: Chinese mobiles (11 digits, 1[3-9]) first, then North American numbers.
    # An 11-digit "1..." US number is ambiguous with a Chinese mobile; callers should send +1 for those.
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return "+86" + digits
    if len(digits) == 10 and digits[0] in "23456789":
        return "+1" + digits
    raise InvalidValue("INVALID_FORMAT", "phone number without a country code is neither a CN mobile nor a US number")


def normalise(pii_type: PiiType, value: str) -> str:
    """The canonical form of a value: lower-case e-mail, E.164 phone, digits-only card, upper-case ids.

    Raises:
        InvalidValue: EMPTY, TOO_LONG or INVALID_FORMAT.
    """
    if not value or not value.strip():
        raise InvalidValue("EMPTY", "value must not be empty")
    if len(value) > max_chars(pii_type):
        raise InvalidValue("TOO_LONG", f"value is longer than {max_chars(pii_type)} characters")
    text = value.strip()
    if pii_type is PiiType.EMAIL:
        lowered = text.lower()
        if not _EMAIL_RE.match(lowered):
            raise InvalidValue("INVALID_FORMAT", "not an e-mail address")
        return lowered
    if pii_type is PiiType.PHONE:
        return _phone_e164(text)
    if pii_type is PiiType.PAYMENT_CARD:
        digits = re.sub(r"[\s-]", "", text)
        if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
            raise InvalidValue("INVALID_FORMAT", "not a Luhn-valid card number of 12 to 19 digits")
        return digits
    if pii_type is PiiType.NATIONAL_ID:
        upper = re.sub(r"\s", "", text).upper()
        if len(upper) == 18 and upper[:17].isdigit():
            if not cn_id_valid(upper):
                raise InvalidValue("INVALID_FORMAT", "Chinese resident ID fails its check digit or date")
            return upper
        if not _NATIONAL_ID_RE.match(upper):
            raise InvalidValue("INVALID_FORMAT", "a national id is 5 to 20 letters and digits")
        return upper
    if pii_type is PiiType.BANK_ACCOUNT:
        iban = re.sub(r"\s", "", text).upper()
        if not iban_valid(iban):
            raise InvalidValue("INVALID_FORMAT", "not a valid IBAN (country, length or mod-97 check)")
        return iban
    if pii_type is PiiType.IP_ADDRESS:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError as exc:
            raise InvalidValue("INVALID_FORMAT", "not an IPv4 or IPv6 address") from exc
    if pii_type is PiiType.NAME:
        return " ".join(text.split())
    return text  # ADDRESS and FREE_TEXT are kept as written


def _star(part: str, keep: int = 1) -> str:
    return part[:keep] + "*" * max(len(part) - keep, 0)


def _mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    labels = domain.split(".")
    return f"{local[:1]}***@{labels[0][:1]}***.{labels[-1]}"


def _mask_phone(e164: str) -> str:
    if e164.startswith("+86") and len(e164) == 14:
        national, country = e164[3:], "+86"
    elif e164.startswith("+1") and len(e164) == 12:
        national, country = e164[2:], "+1"
    else:
        national, country = e164[1:], "+"
    if len(national) <= 7:
        return f"{country} {'*' * (len(national) - 2)}{national[-2:]}"
    return f"{country} {national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"


def _mask_address(value: str) -> str:
    try:
        parsed = json.loads(value)
    except ValueError:
        return "[ADDRESS]"
    if not isinstance(parsed, dict):
        return "[ADDRESS]"
    parts = [str(parsed[key]) for key in ("city", "country") if isinstance(parsed.get(key), str) and parsed[key]]
    return ", ".join(parts) if parts else "[ADDRESS]"


def _mask_iban(iban: str) -> str:
    hidden = iban[:2] + "*" * (len(iban) - 6) + iban[-4:]
    return " ".join(hidden[i:i + 4] for i in range(0, len(hidden), 4))


def _mask_ip(value: str) -> str:
    address = ipaddress.ip_address(value)
    if address.version == 4:
        octets = value.split(".")
        return f"{octets[0]}.{octets[1]}.*.*"
    network = ipaddress.ip_network(f"{value}/48", strict=False)
    return f"{network.network_address}/48"


def mask(pii_type: PiiType, normalised: str) -> str:
    """The masked form of a normalised value, safe to show and log (no more than the type's documented hint)."""
    if pii_type is PiiType.EMAIL:
        return _mask_email(normalised)
    if pii_type is PiiType.PHONE:
        return _mask_phone(normalised)
    if pii_type is PiiType.NAME:
        return " ".join(_star(word) for word in normalised.split())
    if pii_type is PiiType.ADDRESS:
        return _mask_address(normalised)
    if pii_type is PiiType.PAYMENT_CARD:
        return f"**** **** **** {normalised[-4:]}"
    if pii_type is PiiType.NATIONAL_ID:
        return normalised[:4] + "*" * max(len(normalised) - 8, 0) + normalised[-4:]
    if pii_type is PiiType.BANK_ACCOUNT:
        return _mask_iban(normalised)
    if pii_type is PiiType.IP_ADDRESS:
        return _mask_ip(normalised)
    return f"[TEXT, {len(normalised)} chars]"
