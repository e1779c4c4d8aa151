"""Checksum and plausibility validators for the redaction engine: Luhn, GB 11643 (CN ID), ISO 13616 (IBAN)."""

from __future__ import annotations

import datetime as dt

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK_CHARS = "10X98765432"

CN_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
"""First two digits of a resident ID: the GB/T 2260 province-level codes (71/81/82/83: TW, HK, MO, TW residents)."""

CN_ID_EARLIEST_BIRTH_YEAR = 1900

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
"""Total IBAN length per country code, from the SWIFT IBAN registry (ISO 13616)."""


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check used by payment cards.

    Args:
        digits: the card number with separators already removed.

    Returns:
        True when `digits` is non-empty, all ASCII digits, and its Luhn sum is a multiple of 10.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def cn_id_check_char(first17: str) -> str:
    """The GB 11643-1999 (ISO 7064 MOD 11-2) check character for the first 17 digits of a CN resident ID.

    Args:
        first17: exactly 17 ASCII digits.

    Returns:
        One of "0".."9" or "X".

    Raises:
        ValueError: `first17` is not 17 ASCII digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("a CN ID check character needs exactly 17 ASCII digits")
    total = sum((ord(char) - 48) * weight for char, weight in zip(first17, _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK_CHARS[total % 11]


def cn_id_valid(value: str, *, today: dt.date | None = None) -> bool:
    """Whether `value` is a plausible 18-character Chinese resident ID (GB 11643-1999).

    Plausible means: a known province code, a real birth date between 1900-01-01 and `today`, and a correct
    check character (an upper- or lower-case X stands for 10).

    Args:
        value: the 18-character candidate, ASCII (normalise full-width digits first).
        today: the latest acceptable birth date; the local date when omitted.

    Returns:
        True when all three rules hold.
    """
    if len(value) != 18 or not value.isascii() or not value[:17].isdigit():
        return False
    if int(value[:2]) not in CN_PROVINCE_CODES:
        return False
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if birth.year < CN_ID_EARLIEST_BIRTH_YEAR or birth > (today or dt.date.today()):
        return False
    return cn_id_check_char(value[:17]) == value[17].upper()


def iban_mod97_valid(iban: str) -> bool:
    """Whether an IBAN passes the ISO 13616 / ISO 7064 MOD 97-10 check (remainder 1).

    Only the checksum is tested here; `iban_valid` adds the country and length rules.

    Args:
        iban: the IBAN without spaces; letters in either case.

    Returns:
        True when the rearranged number (first four characters moved to the end, letters as 10..35) is 1 mod 97.
    """
    if len(iban) < 5 or not iban.isascii() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    remainder = 0
    for char in rearranged.upper():
        # Letters expand to two digits (A=10 .. Z=35); fold them in one at a time to keep the number small.
        if char.isdigit():
            remainder = (remainder * 10 + ord(char) - 48) % 97
        else:
            remainder = (remainder * 100 + ord(char) - 55) % 97
    return remainder == 1


def iban_valid(iban: str) -> bool:
    """Whether `iban` (no spaces) is a valid IBAN: known country, that country's length, digit check, mod 97.

    Args:
        iban: the candidate without spaces; letters in either case.

    Returns:
        True when every rule holds.
    """
    country = iban[:2].upper()
    expected_length = IBAN_LENGTHS.get(country)
    if expected_length is None or len(iban) != expected_length or not iban[2:4].isdigit():
        return False
    return iban_mod97_valid(iban)
