"""Candidate patterns and per-type detectors of the redaction engine, run on width-folded text.

Every pattern is compiled once at import. Each detector takes the folded text (same length as the original:
`fold_width` maps code point to code point) and yields (start, end) spans that passed its validator.
Boundaries are written as explicit ASCII look-arounds rather than `\\b`, because in Unicode mode a CJK
character is a word character and `是13812345678` would have no word boundary before the number.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from services.vault.redaction_text import (
    ASCII_ALNUM,
    ASCII_DIGITS,
    REFERENCE_LABEL,
    VERSION_LABEL,
    inside_digit_groups,
    preceded_by,
)
from services.vault.redaction_validators import IBAN_LENGTHS, cn_id_valid, iban_valid, luhn_valid

Span = tuple[int, int]


# --- EMAIL ---------------------------------------------------------------------------------------------------

EMAIL_PATTERN = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"[A-Za-z0-9_%+\-]++(?:\.[A-Za-z0-9_%+\-]++)*+"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9_\-])",
    re.ASCII,
)


def find_emails(folded: str) -> Iterator[Span]:
    """Addresses `local@domain.tld`: dot-atom local part of at most 64 characters, letters-only TLD."""
    if "@" not in folded:
        return
    for match in EMAIL_PATTERN.finditer(folded):
        local, _, domain = match.group().partition("@")
        if len(local) <= 64 and len(domain) <= 253:
            yield match.span()


# --- PHONE ---------------------------------------------------------------------------------------------------

CN_MOBILE_PATTERN = re.compile(
    r"(?<![0-9A-Za-z+])"
    r"(?:(?:\+|00)?86[ \-]?|\((?:\+|00)?86\)[ \-]?)?"
    r"1[3-9][0-9](?:[0-9]{8}|(?P<sep>[ \-])[0-9]{4}(?P=sep)[0-9]{4})"
    r"(?![0-9A-Za-z])",
    re.ASCII,
)
# Bare US numbers need `-`/`.` or parentheses; plain spaces only after a +1/1 prefix ("299 399 4999" are prices).
US_PHONE_PATTERN = re.compile(
    r"(?<![0-9A-Za-z+])"
    r"(?:(?:\+1|1)[ .\-]?(?:\([2-9][0-9]{2}\)[ .\-]?|[2-9][0-9]{2}[ .\-])"
    r"|\([2-9][0-9]{2}\)[ .\-]?|[2-9][0-9]{2}[.\-])"
    r"[2-9][0-9]{2}[ .\-][0-9]{4}"
    r"(?![0-9A-Za-z])",
    re.ASCII,
)
INTL_PHONE_PATTERN = re.compile(
    r"(?<![0-9A-Za-z+])\+[1-9][0-9]*+(?:(?:[ \-]|[ \-]?\(0\)[ \-]?)[0-9]++)*+(?![0-9A-Za-z])",
    re.ASCII,
)
_INTL_GROUP = re.compile(r"\(0\)|[0-9]+", re.ASCII)

# National significant number lengths for calling codes where the generic 8-15 digits is too loose.
_NSN_LENGTHS: dict[str, tuple[int, int]] = {
    "1": (10, 10), "7": (10, 10), "33": (9, 9), "34": (9, 9), "44": (9, 10), "49": (6, 13), "61": (9, 9),
    "65": (8, 8), "81": (9, 10), "82": (8, 10), "86": (10, 11), "91": (10, 10), "852": (8, 8),
    "853": (8, 8), "886": (8, 9),
}  # fmt: skip


def _intl_length_ok(digits: str) -> bool:
    if not 8 <= len(digits) <= 15:
        return False
    for code_length in (1, 2, 3):
        bounds = _NSN_LENGTHS.get(digits[:code_length])
        if bounds is not None:
            return bounds[0] <= len(digits) - code_length <= bounds[1]
    return True


def _intl_phone_end(folded: str, start: int, end: int) -> int | None:
    """End of the longest prefix of an international candidate that is a plausible E.164 number.

    Later digit groups (a date, a quantity) can follow a number with only a space between; the candidate
    is cut back group by group until the digit count fits, and a trailing one-digit group is never kept.
    """
    groups = [match for match in _INTL_GROUP.finditer(folded, start, end) if match.group() != "(0)"]
    for count in range(len(groups), 0, -1):
        last = groups[count - 1]
        if count > 1 and len(last.group()) < 2:
            continue
        if _intl_length_ok("".join(group.group() for group in groups[:count])):
            return last.end()
    return None


def find_phones(folded: str) -> Iterator[Span]:
    """Chinese mobiles (1[3-9]x, 11 digits, optional +86), NANP numbers, and `+`-prefixed E.164 numbers."""
    for match in CN_MOBILE_PATTERN.finditer(folded):
        start, end = match.span()
        if match.group("sep") and inside_digit_groups(folded, start, end):
            continue
        if not preceded_by(REFERENCE_LABEL, folded, start):
            yield start, end
    for match in US_PHONE_PATTERN.finditer(folded):
        start, end = match.span()
        if not inside_digit_groups(folded, start, end) and not preceded_by(REFERENCE_LABEL, folded, start):
            yield start, end
    if "+" in folded:
        for match in INTL_PHONE_PATTERN.finditer(folded):
            start = match.start()
            if match.end() - start < 9:  # fewer than 8 digits after the "+"
                continue
            intl_end = _intl_phone_end(folded, start, match.end())
            if intl_end is not None:
                yield start, intl_end


# --- CREDIT_CARD ---------------------------------------------------------------------------------------------

DIGIT_RUN_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9][ \-])[0-9]++(?:[ \-][0-9]++)*+(?![0-9A-Za-z])",
    re.ASCII,
)

# (lowest prefix, highest prefix, allowed lengths) per network, prefixes compared on their own digit count.
_CARD_NETWORKS: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),
    ("300", "305", frozenset(range(14, 20))),  # Diners Club
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("3528", "3589", frozenset(range(16, 20))),  # JCB
    ("50", "50", frozenset(range(13, 20))),  # Maestro
    ("56", "69", frozenset(range(13, 20))),  # Maestro, Discover, UnionPay, RuPay, ...
)
_CARD_GROUPINGS = frozenset({(4, 6, 5), (4, 6, 4)})


def card_network_plausible(digits: str) -> bool:
    """Whether the issuer prefix and length belong to a payment-card network (Visa, Mastercard, UnionPay...)."""
    return any(low <= digits[: len(low)] <= high and len(digits) in lengths for low, high, lengths in _CARD_NETWORKS)


def _card_grouping_ok(run: str) -> bool:
    if run.isdigit():
        return True
    separators = {char for char in run if not char.isdigit()}
    if len(separators) != 1:
        return False
    sizes = tuple(len(group) for group in run.split(separators.pop()))
    if sizes in _CARD_GROUPINGS:
        return True
    return len(sizes) >= 4 and all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _is_card(run: str) -> bool:
    digits = run.replace(" ", "").replace("-", "")
    return (13 <= len(digits) <= 19 and _card_grouping_ok(run) and card_network_plausible(digits)
            and luhn_valid(digits))


def find_credit_cards(folded: str) -> Iterator[Span]:
    """13-19 digit runs in a common grouping, a card network's prefix and length, and a valid Luhn digit.

    A short trailing group that makes the run fail (`4539 1488 0343 6467 2张`: a count after the number) is
    dropped and the rest is tried again.
    """
    for match in DIGIT_RUN_PATTERN.finditer(folded):
        run = match.group()
        if len(run) < 13:
            continue
        start, end = match.span()
        if not _is_card(run):
            cut = max(run.rfind(" "), run.rfind("-"))
            if cut <= 0 or len(run) - cut - 1 >= 4 or not _is_card(run[:cut]):
                continue
            end = start + cut
        if not preceded_by(REFERENCE_LABEL, folded, start):
            yield start, end


# --- CN_ID ---------------------------------------------------------------------------------------------------

CN_ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])", re.ASCII)


def find_cn_ids(folded: str) -> Iterator[Span]:
    """18-character resident IDs with a province code, a real birth date, and a valid GB 11643 check digit."""
    for match in CN_ID_PATTERN.finditer(folded):
        if cn_id_valid(match.group()) and not preceded_by(REFERENCE_LABEL, folded, match.start()):
            yield match.span()


# --- IBAN ----------------------------------------------------------------------------------------------------

IBAN_PATTERN = re.compile(
    r"(?<![0-9A-Za-z])[A-Za-z]{2}[0-9]{2}[0-9A-Za-z]*+(?: [0-9A-Za-z]{1,4})*+",
    re.ASCII,
)


def _iban_end(folded: str, start: int, end: int) -> int | None:
    """End of an IBAN candidate cut to its country's length, or None when it cannot be one.

    The candidate may have swallowed a short word after the last group (`... 7034 from`); it is cut after
    the country's number of characters, and that cut must fall at a word or group boundary.
    """
    length = IBAN_LENGTHS.get(folded[start : start + 2].upper())
    if length is None:
        return None
    seen = 0
    for index in range(start, end):
        if folded[index] != " ":
            seen += 1
            if seen == length:
                cut = index + 1
                break
    else:
        return None
    if cut < len(folded) and folded[cut] in ASCII_ALNUM:
        return None
    groups = folded[start:cut].split(" ")
    if len(groups) > 1 and any(len(group) != 4 for group in groups[:-1]):
        return None
    return cut


def find_ibans(folded: str) -> Iterator[Span]:
    """IBANs of a registry country, that country's length, ISO 7064 mod 97-10 valid; compact or in fours."""
    for match in IBAN_PATTERN.finditer(folded):
        start = match.start()
        end = _iban_end(folded, start, match.end())
        if end is not None and iban_valid(folded[start:end].replace(" ", "")):
            yield start, end


# --- IP_ADDRESS ----------------------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
# Not glued to a letter or digit (`v1.2.3.4`), except the label people type straight before it: `IP192.168.1.1`.
IPV4_PATTERN = re.compile(
    rf"(?<![0-9.])(?:(?<![A-Za-z])|(?<=(?<![A-Za-z])[Ii][Pp])){_OCTET}(?:\.{_OCTET}){{3}}(?![0-9A-Za-z]|\.[0-9])",
    re.ASCII,
)
IPV6_PATTERN = re.compile(
    r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![0-9A-Za-z:])",
    re.ASCII,
)


def _ipv6_reportable(candidate: str) -> bool:
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    hex_groups = [group for group in candidate.split(":") if group]
    # `::1`, `A::B` (C++ scopes) and the like parse, but are not what a customer pastes as their address.
    has_digit = any(char in ASCII_DIGITS for char in candidate)
    return has_digit and (len(hex_groups) >= 2 or address.ipv4_mapped is not None)


def find_ip_addresses(folded: str) -> Iterator[Span]:
    """Dotted-quad IPv4 (octets 0-255, no leading zeros, not after a version label) and IPv6 addresses."""
    if "." in folded:
        for match in IPV4_PATTERN.finditer(folded):
            if not preceded_by(VERSION_LABEL, folded, match.start()):
                yield match.span()
    if folded.count(":") >= 2:
        for match in IPV6_PATTERN.finditer(folded):
            start, end = match.span()
            while end > start and folded[end - 1] == ".":
                end -= 1
            if _ipv6_reportable(folded[start:end]):
                yield start, end


CANDIDATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    EMAIL_PATTERN,
    CN_MOBILE_PATTERN,
    US_PHONE_PATTERN,
    INTL_PHONE_PATTERN,
    DIGIT_RUN_PATTERN,
    CN_ID_PATTERN,
    IBAN_PATTERN,
    IPV4_PATTERN,
    IPV6_PATTERN,
)
"""Every candidate pattern the detectors run, for measuring the bare regex pass beside the full engine."""
