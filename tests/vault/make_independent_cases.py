"""Write the independent labelled set for the PII redaction engine.

    .venv/bin/python -m tests.vault.make_independent_cases          # rewrite the set
    .venv/bin/python -m tests.vault.make_independent_cases --check  # exit 1 if the committed file differs

This set was written by a second author from ``docs/redaction.md`` alone, without reading the engine's
detectors or the first author's case generator. It does not import the engine. Every template below is
hand-written customer-service chat (orders, refunds, delivery, account) in English, Simplified Chinese and
code-mixed text. Check digits are computed here: Luhn for cards, ISO 7064 MOD 11-2 (GB 11643) for CN IDs and
ISO 7064 mod 97-10 for IBANs, so every positive value really is valid and every "bad" value really fails.
The output is a pure function of ``SEED``; the test checks that the committed file is reproduced exactly.

Labelling rules. Labels follow the spec in docs/redaction.md. Where it is silent, or where it names a known
limitation, the choice is written down here:

- ``1.2.3.4`` is a valid IPv4 address and is labelled IP_ADDRESS when no version label comes before it (the
  spec's documented choice). After ``v``/``version``/``build``/``firmware``/``版本号``/``固件`` etc., or glued to a
  letter, it is a version string and a hard negative. Unlabelled dotted numbers with an octet over 255
  (``Chrome 122.0.6261.112``, ``10.0.19045.3803``) are negatives because they are not addresses at all.
- Bare 8-digit numbers (order numbers, pickup codes, fapiao numbers) are never phones: they have no area or
  country code, so nothing tells a local landline from an order number. ``123-456-7890`` (NANP area code
  starting 0/1), 11-digit numbers starting ``10``/``11``/``12`` and service short codes (``10086``, ``95588``)
  are negatives too.
- Masked values (``138****5678``, ``**** **** **** 4242``, "card ending in 4242", ``110105********002X``)
  are not personal data any more and are hard negatives.
- A value directly after an order/tracking label (``订单号：``, ``Order number:``, ``运单号``) is that reference,
  not PII, per the spec's reference-label rule; these cases use Luhn-valid, card-prefixed 16-digit numbers
  and valid-looking 18-digit IDs so that only the label decides.
- Words that merely start like a label (``refund``, ``invoiced``, ``ordered``, ``订单联系人电话``, ``下单手机号``) are
  not labels, and a value after them is PII. ``Reference:``, ``Package ID``, ``AWB``, ``ticket #``, ``工单``,
  ``快递单号``, ``物流单号`` and ``订单号码`` are labels.
- EAN-13 barcodes are negatives; the generator re-rolls any EAN that is also Luhn-valid, because the spec's card
  rule (prefix 56-69, 13-19 digits, Luhn) would call such a barcode a card. That disagreement is for the spec,
  not for this set.
- Luhn-valid 16-digit runs whose prefix no card network uses (``2024…``, ``9…``, ``7…``) are negatives (spec:
  card networks).
- A dotted quad followed by a ``:port`` is an IP address; the span covers the address only. A sentence full
  stop after an e-mail, IPv4 or IPv6 address is not part of the value.
- An e-mail address whose local part is a mobile number (``13812345678@163.com``) is one EMAIL span and no
  PHONE span (the longest span wins).
- Left out entirely, because a privacy reviewer would want them redacted but the spec lists them as
  known limitations: Chinese landlines without ``+86``, 10-digit US numbers with no separators, CN IDs split
  into groups, a card number followed directly by another digit group, and phone numbers with mixed
  separators. Labelling them negative would reward a miss; labelling them positive would test a
  documented limitation. They belong in a separate limitations list, not in a precision/recall set.

Hard negatives: order ids, tracking numbers (SF, 1Z, YT, JDVA, JT, EMS, ZTO, USPS), prices, dates, times,
coupon codes, SKU and model numbers, quantities, weights, postcodes, Unix timestamps, version strings,
Luhn-failing card numbers, IDs with a wrong check character, impossible or future birth date or bad province,
IBANs failing mod 97 or of the wrong length or from non-IBAN countries, MAC addresses, non-IP dotted numbers
and e-mail-like strings with no TLD. Every distractor digit run is checked here against the definitions so
that a random value never turns into real PII by accident.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

SEED = 20261201
OUT_PATH = Path(__file__).resolve().parent / "data" / "redaction_cases_independent.jsonl"
SOURCE = "independent"

# --------------------------------------------------------------------------------------------------------------
# Check digits, written from the standards, not from the engine.


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(payload: str) -> str:
    """``payload`` plus the one digit that makes it Luhn-valid."""
    for d in "0123456789":
        if luhn_ok(payload + d):
            return payload + d
    raise AssertionError("unreachable")


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def cn_id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


CN_PROVINCES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66), 71, 81, 82, 83]
)
TODAY_CAP = dt.date(2026, 12, 1)  # the set is written so that no valid birth date is later than this


def cn_id_valid(s: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dXx]", s) or int(s[:2]) not in CN_PROVINCES:
        return False
    try:
        born = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= TODAY_CAP and cn_id_check_char(s[:17]) == s[17].upper()


def _iban_numeric(rearranged: str) -> int:
    return int("".join(str(int(c, 36)) for c in rearranged.upper()))


def iban_check_digits(country: str, bban: str) -> str:
    return f"{98 - _iban_numeric(bban + country + '00') % 97:02d}"


def iban_mod97_ok(iban: str) -> bool:
    s = iban.replace(" ", "").upper()
    return _iban_numeric(s[4:] + s[:4]) % 97 == 1


def card_valid(digits: str) -> bool:
    """The spec's network prefix/length table plus Luhn, for a bare digit run."""
    n = len(digits)
    if not (13 <= n <= 19 and digits.isdigit() and luhn_ok(digits)):
        return False
    p2, p3, p4 = int(digits[:2]), int(digits[:3]), int(digits[:4])
    return (
        (digits[0] == "4" and n in (13, 16, 19))
        or ((51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16)
        or (p2 in (34, 37) and n == 15)
        or ((300 <= p3 <= 305 or p2 in (36, 38, 39)) and 14 <= n <= 19)
        or (3528 <= p4 <= 3589 and 16 <= n <= 19)
        or ((p2 == 50 or 56 <= p2 <= 69) and 13 <= n <= 19)
    )


def digits_look_like_pii(s: str) -> bool:
    """True when a bare digit run would be PII by the spec's definitions (used to reject random distractors)."""
    runs = re.findall(r"\d+[Xx]?", s)
    return any(
        card_valid(r.rstrip("Xx")) or cn_id_valid(r) or re.fullmatch(r"1[3-9]\d{9}", r.rstrip("Xx")) is not None
        for r in runs
    )


# --------------------------------------------------------------------------------------------------------------
# Width variants people really type.

_FW = {ord(c): chr(ord(c) + 0xFEE0) for c in "0123456789@.-+()#:"}
_FW_ALL = {**_FW, **{ord(c): chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}}


def full_width(s: str, *, letters: bool = False) -> str:
    return s.translate(_FW_ALL if letters else _FW)


# --------------------------------------------------------------------------------------------------------------
# Value makers. Each returns (text, [(rel_start, rel_end, TYPE)], tags).

Made = tuple[str, list[tuple[int, int, str]], list[str]]

CN_MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "170",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "195",
    "198",
    "199",
]
NANP_AREAS = [
    "212",
    "213",
    "206",
    "305",
    "310",
    "312",
    "404",
    "415",
    "416",
    "503",
    "512",
    "604",
    "617",
    "646",
    "702",
    "713",
    "718",
    "773",
    "818",
    "929",
]
CN_AREAS = [
    "110101",
    "110105",
    "110108",
    "120101",
    "120104",
    "130102",
    "130602",
    "140105",
    "150102",
    "210102",
    "210202",
    "220102",
    "230103",
    "310101",
    "310104",
    "310115",
    "320102",
    "320506",
    "330106",
    "330212",
    "340104",
    "350203",
    "360102",
    "370102",
    "370202",
    "410105",
    "420106",
    "430104",
    "440106",
    "440304",
    "440305",
    "450103",
    "460105",
    "500103",
    "510107",
    "520102",
    "530102",
    "540102",
    "610113",
    "620102",
    "630102",
    "640104",
    "650102",
]
# country: (length, BBAN parts as (kind, count)); n = digit, a = upper letter, c = upper letter or digit
IBAN_FORMATS: dict[str, list[tuple[str, int]]] = {
    "DE": [("n", 18)],
    "GB": [("a", 4), ("n", 14)],
    "FR": [("n", 10), ("c", 11), ("n", 2)],
    "NL": [("a", 4), ("n", 10)],
    "ES": [("n", 20)],
    "IT": [("a", 1), ("n", 10), ("c", 12)],
    "BE": [("n", 12)],
    "CH": [("n", 5), ("c", 12)],
    "AT": [("n", 16)],
    "PL": [("n", 24)],
    "SE": [("n", 20)],
    "IE": [("a", 4), ("n", 14)],
    "PT": [("n", 21)],
    "LU": [("n", 3), ("c", 13)],
    "DK": [("n", 14)],
    "NO": [("n", 11)],
    "FI": [("n", 14)],
    "SA": [("n", 2), ("c", 18)],
    "AE": [("n", 19)],
}
IBAN_LENGTH = {cc: 4 + sum(k for _, k in parts) for cc, parts in IBAN_FORMATS.items()}
EMAIL_LOCALS = [
    "li.wei",
    "wangfang88",
    "zhang_san",
    "chen.jing2019",
    "john.smith",
    "emily.rose",
    "mike+orders",
    "sarah_k",
    "liu.yang",
    "tom.h",
    "amy-lee",
    "2846153790",
    "xiaomei.zhou",
    "j.doe",
    "kevin_w88",
    "huang-lei",
    "nguyen.an",
    "maria.garcia",
    "olivia+shop",
    "zhao.min",
    "13912345678",
    "peter.parker",
    "ana_silva",
]
EMAIL_DOMAINS = [
    "gmail.com",
    "qq.com",
    "163.com",
    "126.com",
    "outlook.com",
    "yahoo.co.uk",
    "hotmail.com",
    "sina.com",
    "foxmail.com",
    "icloud.com",
    "example.com",
    "corp-mail.example.cn",
    "mail.shop.example.com.cn",
    "protonmail.ch",
    "yeah.net",
    "company.io",
    "uni.example.edu",
    "example.org",
]
COUPONS = [
    "SAVE20",
    "NEWUSER2024",
    "WELCOME-50",
    "VIP888",
    "DOUBLE11",
    "SPRING15",
    "FREESHIP",
    "618SALE",
    "BF2025",
    "满300减50",
    "新人券15元",
]
SKUS = [
    "SKU-88231-BLK",
    "XM-2024-A1",
    "iPhone 15 Pro Max 256GB",
    "RTX 4090",
    "B0C7H2K9QX",
    "A2894",
    "MDX-1000",
    "SM-S9280",
    "WH-1000XM5",
    "AirPods Pro 2",
    "小米14 Ultra",
    "Mate 60 Pro",
    "AJ1-42.5-RED",
    "TS-2219-L",
    "KB-87-RGB",
    "LX-500ml-2",
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EMOJI = ["😊", "🙏", "📦", "😡", "👍", "🙂", "😭", "✅", "🚚", "💳", "👨\u200d👩\u200d👧"]


class Maker:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.lang = "en"  # the language of the template being rendered; distractors follow it

    # helpers ---------------------------------------------------------------------------------------------
    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def pick(self, seq):  # type: ignore[no-untyped-def]
        return self.r.choice(seq)

    def clean_digits(self, make: Callable[[], str]) -> str:
        for _ in range(200):
            s = make()
            if not digits_look_like_pii(s):
                return s
        raise AssertionError("could not make a clean distractor")

    @staticmethod
    def whole(text: str, etype: str, *tags: str) -> Made:
        return text, [(0, len(text), etype)], list(tags)

    @staticmethod
    def neg(text: str, *tags: str) -> Made:
        return text, [], list(tags)

    # EMAIL -----------------------------------------------------------------------------------------------
    def email(self, mod: str | None) -> Made:
        local, domain = self.pick(EMAIL_LOCALS), self.pick(EMAIL_DOMAINS)
        if self.r.random() < 0.15:
            local = local.capitalize()
            domain = domain.upper() if self.r.random() < 0.3 else domain
        addr = f"{local}@{domain}"
        tags = ["email"]
        if mod == "fwat":
            addr = addr.replace("@", "＠")
            tags.append("fullwidth")
        elif mod == "fwall":
            addr = full_width(addr, letters=True).replace("_", "＿")
            tags.append("fullwidth")
        if re.match(r"1[3-9]\d{9}@", addr):
            tags.append("mobile_local_part")
        return self.whole(addr, "EMAIL", *tags)

    # PHONE -----------------------------------------------------------------------------------------------
    def cn_mobile(self, mod: str | None) -> Made:
        num = self.pick(CN_MOBILE_PREFIXES) + self.digits(8)
        a, b, c = num[:3], num[3:7], num[7:]
        forms = [
            num,
            num,
            f"{a} {b} {c}",
            f"{a}-{b}-{c}",
            f"+86 {num}",
            f"+86 {a} {b} {c}",
            f"+86-{a}-{b}-{c}",
            f"(+86){num}",
            f"0086 {num}",
            f"{a}\u2013{b}\u2013{c}",  # en dash, as phones paste from web pages
            f"{a}\u3000{b}\u3000{c}",  # ideographic spaces from a Chinese IME
            f"(+86) {a} {b} {c}",
            f"+86 {a}-{b}-{c}",
            f"0086-{num}",
            f"+86{num}",
        ]
        text = self.pick(forms)
        tags = ["cn_mobile"]
        if mod == "fw":
            text = full_width(self.pick([num, f"{a}-{b}-{c}", f"+86 {num}"]))
            tags.append("fullwidth")
        elif mod == "plain":
            text = num
        if "\u2013" in text or "\u3000" in text:
            tags.append("unicode_separator")
        return self.whole(text, "PHONE", *tags)

    def nanp(self, mod: str | None) -> Made:
        area = self.pick(NANP_AREAS)
        ex = str(self.r.randint(2, 9)) + self.digits(2)
        line = self.digits(4)
        if mod == "tollfree":
            area = self.pick(["800", "888", "877", "866"])
        forms = [
            f"({area}) {ex}-{line}",
            f"{area}-{ex}-{line}",
            f"{area}.{ex}.{line}",
            f"+1 {area} {ex} {line}",
            f"+1 ({area}) {ex}-{line}",
            f"+1-{area}-{ex}-{line}",
            f"1-{area}-{ex}-{line}",
            f"({area}){ex}-{line}",
            f"+1\u00a0{area}\u00a0{ex}\u00a0{line}",  # NBSP, pasted from an e-mail signature
            f"+1 {area}-{ex}-{line}",
        ]
        text = f"1-{area}-{ex}-{line}" if mod == "tollfree" else self.pick(forms)
        return self.whole(text, "PHONE", "us_phone")

    def hotline(self, mod: str | None) -> Made:
        text = f"{self.pick(['400', '800'])}-{self.r.randint(6, 9)}{self.digits(2)}-{self.digits(4)}"
        return self.whole(text, "PHONE", "cn_hotline")

    def intl(self, mod: str | None) -> Made:
        d = self.digits
        r = self.r
        options = [
            lambda: f"+44 20 {d(4)} {d(4)}",
            lambda: f"+44 (0)20 {d(4)} {d(4)}",
            lambda: f"+44 7{r.randint(4, 9)}{d(2)} {d(6)}",
            lambda: f"+33 {r.randint(1, 7)} {d(2)} {d(2)} {d(2)} {d(2)}",
            lambda: f"+81 3-{d(4)}-{d(4)}",
            lambda: f"+81 90-{d(4)}-{d(4)}",
            lambda: f"+49 30 {d(4)} {d(4)}",
            lambda: f"+49 151 {d(4)} {d(4)}",
            lambda: f"+852 {r.choice('2569')}{d(3)} {d(4)}",
            lambda: f"+65 {r.choice('689')}{d(3)} {d(4)}",
            lambda: f"+61 2 {d(4)} {d(4)}",
            lambda: f"+61 4{d(2)} {d(3)} {d(3)}",
            lambda: f"+82 10-{d(4)}-{d(4)}",
            lambda: f"+886 9{d(2)} {d(3)} {d(3)}",
            lambda: f"+91 9{d(4)} {d(5)}",
            lambda: f"+7 495 {d(3)} {d(2)} {d(2)}",
            lambda: f"+34 6{d(2)} {d(2)} {d(2)} {d(2)}",
            lambda: f"+971 50 {d(3)} {d(4)}",
            lambda: f"+66 8{r.randint(1, 9)} {d(3)} {d(4)}",
            lambda: f"+86 10 {d(4)} {d(4)}",
            lambda: f"+86 21 {d(4)} {d(4)}",
            lambda: f"+86 755 {d(4)} {d(4)}",
            lambda: f"+44-20-{d(4)}-{d(4)}",
            lambda: f"+81-3-{d(4)}-{d(4)}",
            lambda: f"+44 (0) 20 {d(4)} {d(4)}",
            lambda: f"+33 (0)1 {d(2)} {d(2)} {d(2)} {d(2)}",
            lambda: f"+49 (0)30 {d(4)} {d(4)}",
            lambda: f"+852 {r.choice('2569')}{d(3)}-{d(4)}",
            lambda: f"+65 {r.choice('89')}{d(3)}-{d(4)}",
            lambda: f"+44 7{r.randint(4, 9)}{d(2)} {d(3)} {d(3)}",
            lambda: f"+41 44 {d(3)} {d(2)} {d(2)}",
            lambda: f"+31 6 {d(4)} {d(4)}",
            lambda: f"+353 87 {d(3)} {d(4)}",
            lambda: f"+64 21 {d(3)} {d(4)}",
        ]
        return self.whole(self.pick(options)(), "PHONE", "intl_phone")

    def phone(self, mod: str | None) -> Made:
        return self.pick([self.cn_mobile, self.cn_mobile, self.nanp, self.intl])(None)

    # CREDIT_CARD -----------------------------------------------------------------------------------------
    def card_digits(self, network: str | None) -> str:
        r, d = self.r, self.digits
        net = network or r.choice(
            [
                "visa",
                "visa",
                "mc",
                "mc2",
                "amex",
                "unionpay",
                "unionpay",
                "discover",
                "jcb",
                "diners",
                "maestro",
                "visa13",
                "up19",
            ]
        )
        payload = {
            "visa": lambda: r.choice(["4539", "4716", "4024", "4485", "4916", "4111"]) + d(11),
            "visa13": lambda: "4" + d(11),
            "mc": lambda: str(r.randint(51, 55)) + d(13),
            "mc2": lambda: str(r.randint(2221, 2720)) + d(11),
            "amex": lambda: r.choice(["34", "37"]) + d(12),
            "unionpay": lambda: r.choice(["6222", "6228", "6217", "6212", "6225"]) + d(11),
            "up19": lambda: r.choice(["6222", "6228", "6217"]) + d(14),
            "discover": lambda: r.choice(["6011", "6500", "6445"]) + d(11),
            "jcb": lambda: str(r.randint(3528, 3589)) + d(11),
            "diners": lambda: "36" + d(11),
            "maestro": lambda: r.choice(["5018", "6759", "5020"]) + d(11),
        }[net]()
        return luhn_complete(payload)

    @staticmethod
    def group_card(num: str, sep: str) -> str:
        n = len(num)
        if n == 13:
            return num
        if n in {14, 15}:  # Diners 4-6-4, Amex 4-6-5
            return sep.join([num[:4], num[4:10], num[10:]])
        return sep.join(num[i : i + 4] for i in range(0, n, 4))

    def card(self, mod: str | None) -> Made:
        net = {"visa": "visa", "amex": "amex", "mc": "mc", "unionpay": "unionpay"}.get(mod or "")
        num = self.card_digits(net)
        assert card_valid(num)
        style = self.r.choice(["compact", "space", "space", "space", "dash"])
        text = num if style == "compact" else self.group_card(num, " " if style == "space" else "-")
        tags = ["card"]
        if mod == "fw":
            text = full_width(self.r.choice([num, self.group_card(num, " ")]))
            tags.append("fullwidth")
        elif mod == "ideo":
            text = self.group_card(num, "\u3000")
            tags.append("unicode_separator")
        return self.whole(text, "CREDIT_CARD", *tags)

    def bad_card(self, mod: str | None) -> Made:
        num = self.card_digits(None)
        last = (int(num[-1]) + self.r.randint(1, 9)) % 10
        num = num[:-1] + str(last)
        assert not luhn_ok(num)
        text = self.r.choice([num, self.group_card(num, " "), self.group_card(num, "-")])
        return self.neg(full_width(text) if mod == "fw" else text, "luhn_fail")

    def ref_card(self, mod: str | None) -> Made:
        """A Luhn-valid, card-prefixed 16-digit number, used only right after an order/tracking label."""
        num = self.card_digits(self.r.choice(["visa", "mc", "unionpay", "discover"]))
        return self.neg(num, "reference_label", "luhn_valid_reference")

    def net_card(self, mod: str | None) -> Made:
        """Luhn-valid 16-digit run with a prefix no card network uses."""
        prefix = self.r.choice(["2024", "2025", "9", "7", "8", "1"])
        num = luhn_complete(prefix + self.digits(15 - len(prefix)))
        assert not card_valid(num)
        return self.neg(num, "no_network", "luhn_valid")

    # CN_ID -----------------------------------------------------------------------------------------------
    def birth(self) -> str:
        start, end = dt.date(1955, 1, 1).toordinal(), dt.date(2006, 12, 31).toordinal()
        return dt.date.fromordinal(self.r.randint(start, end)).strftime("%Y%m%d")

    def cn_id_raw(self, want_x: bool = False) -> str:
        for _ in range(500):
            first17 = self.pick(CN_AREAS) + self.birth() + self.digits(3)
            check = cn_id_check_char(first17)
            if want_x and check != "X":
                continue
            return first17 + check
        raise AssertionError("no X check char found")

    def cn_id(self, mod: str | None) -> Made:
        s = self.cn_id_raw(want_x=mod in ("x", "lowerx") or self.r.random() < 0.12)
        tags = ["cn_id"]
        if s.endswith("X"):
            tags.append("x_check")
        if mod == "lowerx":
            s = s[:-1] + "x"
        if mod == "fw":
            s = full_width(s, letters=True)
            tags.append("fullwidth")
        assert cn_id_valid(s.translate({ord(v): chr(k) for k, v in _FW_ALL.items()}))
        return self.whole(s, "CN_ID", *tags)

    def bad_cn_id(self, mod: str | None) -> Made:
        kind = self.r.choice(["check", "check", "date", "future", "province", "old"])
        first17 = self.pick(CN_AREAS) + self.birth() + self.digits(3)
        if kind == "date":
            first17 = (
                first17[:6] + self.r.choice(["19870230", "19930431", "20011301", "19990000", "19840932"]) + first17[14:]
            )
        elif kind == "future":
            first17 = (
                first17[:6]
                + f"{self.r.randint(2028, 2035)}0{self.r.randint(1, 9)}1{self.r.randint(0, 9)}"
                + first17[14:]
            )
        elif kind == "province":
            first17 = self.pick(["00", "99", "19", "91", "24", "72"]) + first17[2:]
        elif kind == "old":
            first17 = first17[:6] + f"18{self.r.randint(50, 98)}0512" + first17[14:]
        good = cn_id_check_char(first17)
        check = good if kind != "check" else self.pick([c for c in ID_CHECK if c != good])
        s = first17 + check
        assert not cn_id_valid(s)
        return self.neg(full_width(s, letters=True) if mod == "fw" else s, "bad_cn_id", f"bad_cn_id_{kind}")

    def ref_cn_id(self, mod: str | None) -> Made:
        return self.neg(self.cn_id_raw(), "reference_label", "valid_id_shape_reference")

    # IBAN ------------------------------------------------------------------------------------------------
    def bban(self, country: str) -> str:
        out = []
        for kind, count in IBAN_FORMATS[country]:
            pool = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "c": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"}
            out.append("".join(self.r.choice(pool[kind]) for _ in range(count)))
        return "".join(out)

    @staticmethod
    def group4(s: str) -> str:
        return " ".join(s[i : i + 4] for i in range(0, len(s), 4))

    def iban(self, mod: str | None) -> Made:
        cc = self.pick(sorted(IBAN_FORMATS))
        bban = self.bban(cc)
        s = cc + iban_check_digits(cc, bban) + bban
        assert iban_mod97_ok(s) and len(s) == IBAN_LENGTH[cc]
        style = mod if mod in ("grouped", "compact") else self.r.choice(["grouped", "grouped", "compact"])
        text = self.group4(s) if style == "grouped" else s
        if mod == "lower":
            text = text.lower()
        return self.whole(text, "IBAN", "iban", f"iban_{cc}")

    def bad_iban(self, mod: str | None) -> Made:
        kind = self.r.choice(["mod97", "mod97", "length", "country"])
        cc = self.pick(sorted(IBAN_FORMATS))
        bban = self.bban(cc)
        if kind == "mod97":
            good = iban_check_digits(cc, bban)
            check = self.pick([f"{n:02d}" for n in range(2, 99) if f"{n:02d}" != good])
            s = cc + check + bban
            assert not iban_mod97_ok(s)
        elif kind == "length":
            bban = bban[:-1]
            s = cc + iban_check_digits(cc, bban) + bban
        else:
            cc = self.pick(["HK", "CN", "US", "JP", "AU", "ZZ"])
            s = cc + iban_check_digits(cc, bban) + bban
        text = self.group4(s) if self.r.random() < 0.6 else s
        return self.neg(text, "bad_iban", f"bad_iban_{kind}")

    # IP_ADDRESS ------------------------------------------------------------------------------------------
    def ipv4_raw(self, private: bool = False) -> str:
        r = self.r
        kinds = ["private"] if private else ["private", "public", "public", "public", "doc", "dns"]
        kind = r.choice(kinds)
        if kind == "private":
            return r.choice(
                [
                    f"192.168.{r.randint(0, 31)}.{r.randint(1, 254)}",
                    f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                    f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                ]
            )
        if kind == "doc":
            return r.choice([f"203.0.113.{r.randint(1, 254)}", f"198.51.100.{r.randint(1, 254)}"])
        if kind == "dns":
            return r.choice(["8.8.8.8", "114.114.114.114", "223.5.5.5", "1.1.1.1", "119.29.29.29", "1.2.3.4"])
        first = r.choice([*range(1, 10), *range(11, 127), *range(128, 224)])
        return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def ipv4(self, mod: str | None) -> Made:
        s = self.ipv4_raw(private=mod == "private")
        ipaddress.IPv4Address(s)
        if mod == "fw":
            return self.whole(full_width(s), "IP_ADDRESS", "ipv4", "fullwidth")
        return self.whole(s, "IP_ADDRESS", "ipv4")

    def ipv4_port(self, mod: str | None) -> Made:
        s = self.ipv4_raw()
        port = self.pick(["8080", "443", "3128", "1080", "8443"])
        return f"{s}:{port}", [(0, len(s), "IP_ADDRESS")], ["ipv4", "port"]

    def ipv6(self, mod: str | None) -> Made:
        r = self.r

        def h() -> str:
            return f"{r.randint(0, 0xFFFF):x}"

        kind = r.choice(["global", "global", "doc", "linklocal", "cn", "mapped", "full"])
        if kind == "global":
            raw = f"2{r.randint(0, 0xA):x}{r.randint(0, 0xFF):02x}:" + ":".join(h() for _ in range(7))
        elif kind == "doc":
            raw = f"2001:db8:{h()}::{h()}"
        elif kind == "linklocal":
            raw = f"fe80::{h()}:{h()}:{h()}:{h()}"
        elif kind == "cn":
            raw = f"{r.choice(['2409:8a', '240e:3', '2408:84'])}{r.randint(0, 0xFF):02x}:{h()}:{h()}::{h()}"
        elif kind == "mapped":
            raw = f"::ffff:{self.ipv4_raw()}"
        else:
            raw = ":".join(f"{r.randint(0, 0xFFFF):04x}" for _ in range(8))
        addr = ipaddress.IPv6Address(raw)
        if kind == "mapped":
            text = raw
        elif kind == "full":
            text = addr.exploded
        else:
            text = addr.compressed
        if not re.search(r"\d", text) or text.count(":") < 2:
            text = addr.exploded
        if r.random() < 0.2 and kind != "mapped":
            text = text.upper()
        return self.whole(text, "IP_ADDRESS", "ipv6")

    def ip(self, mod: str | None) -> Made:
        return self.pick([self.ipv4, self.ipv4, self.ipv6])(None)

    # distractors -----------------------------------------------------------------------------------------
    def order(self, mod: str | None) -> Made:
        r, d = self.r, self.digits
        text = self.clean_digits(
            lambda: r.choice(
                [
                    f"{r.choice('ABCDEHK')}{d(5)}",
                    f"SO-{r.randint(2023, 2026)}-{d(6)}",
                    f"DD{r.randint(2023, 2026)}{d(10)}",
                    f"{r.randint(20230101, 20261130)}",
                    f"E{r.randint(2023, 2026)}{d(4)}-{d(4)}",
                    f"{r.randint(10, 99)}{d(6)}",
                    f"TB{d(12)}",
                ]
            )
        )
        return self.neg(full_width(text, letters=True) if mod == "fw" else text, "order_number")

    def long_order(self, mod: str | None) -> Made:
        text = self.clean_digits(
            lambda: self.r.choice(["1", "2", "3", "4", "5"]) + self.digits(self.r.choice([15, 17, 18]))
        )
        return self.neg(full_width(text) if mod == "fw" else text, "order_number", "long_digits")

    def track(self, mod: str | None) -> Made:
        r, d = self.r, self.digits
        text = self.clean_digits(
            lambda: r.choice(
                [
                    f"SF{d(13)}",
                    f"1Z{r.choice(['999AA1', 'A12B34', '8V47E2'])}{d(10)}",
                    f"YT{d(16)}",
                    f"JDVA{d(11)}",
                    f"JT{d(13)}",
                    f"EA{d(9)}CN",
                    f"75{d(12)}",
                    f"78{d(10)}",
                    f"9400 1{d(3)} {d(4)} {d(4)} {d(4)} {d(2)}",
                ]
            )
        )
        return self.neg(text, "tracking_number")

    def price(self, mod: str | None) -> Made:
        r = self.r
        n = r.choice([r.randint(5, 99), r.randint(100, 999), r.randint(1000, 19999)])
        c = r.randint(0, 99)
        text = r.choice(
            [
                f"¥{n:,}.00",
                f"${n:,}.{c:02d}",
                f"￥{n}",
                f"€{n},{c:02d}",
                f"HK${n}",
                f"RMB {n:,}",
                f"US${n:,}.{c:02d}",
                f"{n}元",
                f"¥{n:,}",
                f"£{n}.{c:02d}",
                f"{n}.{c:02d}元",
            ]
        )
        return self.neg(text, "price")

    def date(self, mod: str | None) -> Made:
        r = self.r
        y, m, d = r.randint(2023, 2026), r.randint(1, 12), r.randint(1, 28)
        text = r.choice(
            [
                f"{y}-{m:02d}-{d:02d}",
                f"{y}/{m}/{d}",
                f"{y}年{m}月{d}日",
                f"{m}月{d}日",
                f"{m:02d}/{d:02d}/{y}",
                f"{d} {MONTHS[m - 1]} {y}",
                f"{y}.{m:02d}.{d:02d}",
                f"{MONTHS[m - 1]} {d}",
            ]
        )
        return self.neg(text, "date")

    def time(self, mod: str | None) -> Made:
        r = self.r
        h, mi, s = r.randint(0, 23), r.choice([0, 15, 30, 45, r.randint(0, 59)]), r.randint(0, 59)
        text = r.choice(
            [f"{h:02d}:{mi:02d}", f"{h % 12 + 1}:{mi:02d} pm", f"下午{h % 12 + 1}点", f"{h:02d}:{mi:02d}:{s:02d}"]
        )
        return self.neg(text, "time")

    def datetime(self, mod: str | None) -> Made:
        d, _, _ = self.date(None)
        r = self.r
        y, m, dd = r.randint(2023, 2026), r.randint(1, 12), r.randint(1, 28)
        text = f"{y}-{m:02d}-{dd:02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        return self.neg(text if r.random() < 0.7 else d, "date", "time")

    def coupon(self, mod: str | None) -> Made:
        return self.neg(self.pick(COUPONS), "coupon")

    def sku(self, mod: str | None) -> Made:
        return self.neg(self.pick(SKUS), "sku")

    def qty(self, mod: str | None) -> Made:
        n = self.r.randint(1, 12)
        return self.neg(self.pick([f"x{n}", f"{n}件", f"{n} pcs", f"{n}箱", f"×{n}", f"{n} items"]), "quantity")

    def num(self, mod: str | None) -> Made:
        return self.neg(str(self.r.randint(2, 30)), "quantity")

    def last4(self, mod: str | None) -> Made:
        return self.neg(self.digits(4), "last4")

    def exp(self, mod: str | None) -> Made:
        return self.neg(f"{self.r.randint(1, 12):02d}/{self.r.randint(26, 31)}", "expiry")

    def cvv(self, mod: str | None) -> Made:
        return self.neg(self.digits(3), "cvv")

    def masked_phone(self, mod: str | None) -> Made:
        p = self.pick(CN_MOBILE_PREFIXES)
        return self.neg(
            self.pick([f"{p}****{self.digits(4)}", f"{p}****{self.digits(4)}", f"+1 ***-***-{self.digits(4)}"]),
            "masked",
        )

    def masked_card(self, mod: str | None) -> Made:
        return self.neg(
            self.pick(
                [
                    f"**** **** **** {self.digits(4)}",
                    f"6222 **** **** {self.digits(4)}",
                    f"{self.digits(4)}********{self.digits(4)}",
                ]
            ),
            "masked",
        )

    def masked_id(self, mod: str | None) -> Made:
        s = self.cn_id_raw()
        return self.neg(
            self.pick([s[:6] + "********" + s[14:], s[:3] + "*" * 11 + s[14:], s[:1] + "*" * 16 + s[17]]), "masked"
        )

    def version(self, mod: str | None) -> Made:
        r = self.r
        quad = f"{r.randint(1, 12)}.{r.randint(0, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}"
        en = ["v", "V", "version ", "Version: ", "ver ", "ver. ", "build ", "release ", "rev ", "firmware ", "fw "]
        zh = ["版本", "版本号：", "版本号 ", "固件", "固件 ", "版本 "]
        label = r.choice({"en": en, "zh": zh}.get(self.lang, en + zh))
        return self.neg(label + quad, "version")

    def version_plain(self, mod: str | None) -> Made:
        r = self.r
        text = r.choice(
            [
                f"Chrome {r.randint(100, 130)}.0.{r.randint(5000, 6999)}.{r.randint(10, 200)}",
                f"10.0.{r.randint(19041, 22631)}.{r.randint(1000, 4000)}",
                f"iOS {r.randint(15, 18)}.{r.randint(0, 6)}.{r.randint(1, 3)}",
                f"Android {r.randint(10, 15)}",
                f"{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
                f"微信{r.randint(7, 8)}.0.{r.randint(30, 50)}",
            ]
        )
        return self.neg(text, "version")

    def non_ip(self, mod: str | None) -> Made:
        r = self.r
        o = r.randint
        text = r.choice(
            [
                f"{o(256, 999)}.{o(0, 255)}.{o(0, 255)}.{o(0, 255)}",
                f"192.168.{o(0, 255)}",
                f"10.{o(0, 255)}.{o(0, 255)}.{o(0, 255)}.{o(0, 9)}",
                f"{o(1, 9)}.{o(0, 9)}.{o(0, 9)}.{o(0, 9)}.{o(0, 9)}",
                f"172.16.{o(0, 255)}.{o(256, 300)}",
                f"0{o(1, 9)}.0{o(1, 9)}.0{o(1, 9)}.0{o(1, 9)}",
            ]
        )
        return self.neg(text, "non_ip")

    def mac(self, mod: str | None) -> Made:
        parts = [f"{self.r.randint(0, 255):02X}" for _ in range(6)]
        sep = self.pick([":", "-"])
        text = sep.join(parts)
        return self.neg(text.lower() if self.r.random() < 0.4 else text, "mac_address")

    def non_phone(self, mod: str | None) -> Made:
        r, d = self.r, self.digits
        text = self.clean_digits(
            lambda: r.choice(
                [
                    f"{r.choice('01')}{d(2)}-{d(3)}-{d(4)}",
                    f"({r.choice('01')}{d(2)}) {d(3)}-{d(4)}",
                    f"{r.choice(NANP_AREAS)}-{r.choice('01')}{d(2)}-{d(4)}",
                    f"1{r.choice('012')}{d(9)}",
                    f"{r.randint(20000000, 99999999)}",
                    f"1{r.choice('012')}{d(1)}-{d(4)}-{d(4)}",
                ]
            )
        )
        return self.neg(text, "non_phone")

    def short_code(self, mod: str | None) -> Made:
        return self.neg(self.pick(["10086", "10010", "95588", "95555", "12306", "106905", "95338"]), "short_code")

    def timestamp(self, mod: str | None) -> Made:
        ts = str(self.r.randint(1_672_531_200, 1_795_000_000))
        return self.neg(ts + (self.digits(3) if self.r.random() < 0.3 else ""), "timestamp")

    def postcode(self, mod: str | None) -> Made:
        return self.neg(
            self.pick(
                ["100020", "200120", "518000", "310012", "94107", "10001", "SW1A 1AA", "EC1A 1BB", "M5V 2T6", "60311"]
            ),
            "postcode",
        )

    def weight(self, mod: str | None) -> Made:
        r = self.r
        return self.neg(
            r.choice(
                [
                    f"{r.randint(1, 30)}.{r.randint(0, 9)}kg",
                    f"{r.randint(100, 999)}g",
                    f"{r.randint(1, 20)}公斤",
                    f"{r.randint(1, 40)} lbs",
                ]
            ),
            "weight",
        )

    def dim(self, mod: str | None) -> Made:
        r = self.r
        a, b, c = r.randint(10, 80), r.randint(10, 60), r.randint(5, 40)
        return self.neg(r.choice([f"{a}x{b}x{c}cm", f"{a}*{b}*{c}", f"{a} × {b} × {c} cm"]), "dimensions")

    def pickup(self, mod: str | None) -> Made:
        r = self.r
        return self.neg(
            r.choice(
                [
                    f"{r.randint(1, 9)}-{r.randint(1, 9)}-{self.digits(4)}",
                    self.digits(6),
                    f"A{r.randint(10, 99)}-{r.randint(100, 999)}",
                ]
            ),
            "pickup_code",
        )

    def invoice_no(self, mod: str | None) -> Made:
        return self.neg(self.pick([self.digits(8), "2" + self.digits(19)]), "invoice_number")

    def serial(self, mod: str | None) -> Made:
        r = self.r
        alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
        return self.neg("".join(r.choice(alnum) for _ in range(r.choice([10, 12]))), "serial")

    def error_code(self, mod: str | None) -> Made:
        return self.neg(
            self.pick(["E1002", "ERR_PAY_4012", "0x80070005", "P-4031", "错误码 50013", "HTTP 502"]), "error_code"
        )

    def not_email(self, mod: str | None) -> Made:
        return self.neg(
            self.pick(
                [
                    "@客服小美",
                    "@shopmesh_help",
                    "admin@localhost",
                    "张三@公司",
                    "support@shop",
                    "@Sarah",
                    "root@server01",
                ]
            ),
            "not_email",
        )

    def price_list(self, mod: str | None) -> Made:
        r = self.r
        return self.neg(f"{r.randint(199, 399)} {r.randint(400, 899)} {r.randint(1000, 4999)}", "price_list")

    def isbn(self, mod: str | None) -> Made:
        body = self.pick(["978", "979"]) + self.pick(["7", "0", "1"]) + self.digits(8)
        check = str((10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10)
        full = body + check
        text = full if self.r.random() < 0.4 else f"{full[:3]}-{full[3]}-{full[4:7]}-{full[7:12]}-{full[12]}"
        return self.neg(text, "isbn")

    def ean(self, mod: str | None) -> Made:
        """A GS1 EAN-13 with a correct EAN check digit, from China's 690-699 prefix. An EAN that is also
        Luhn-valid is re-rolled: by the spec's card rule it would be a Maestro/UnionPay-range card."""
        for _ in range(100):
            body = f"69{self.r.randint(0, 9)}" + self.digits(9)
            check = str((10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10)
            if not card_valid(body + check):
                return self.neg(body + check, "ean_barcode")
        raise AssertionError("unreachable")

    def vat(self, mod: str | None) -> Made:
        return self.neg(
            self.pick([f"DE{self.digits(9)}", f"FR{self.digits(11)}", f"GB{self.digits(9)}", f"NL{self.digits(9)}B01"]),
            "vat_number",
        )

    def bic(self, mod: str | None) -> Made:
        return self.neg(
            self.pick(["COBADEFFXXX", "DEUTDEFF", "INGBNL2A", "BNPAFRPP", "BKCHCNBJ", "ICBKCNBJ", "HSBCHKHH"]), "bic"
        )

    def iso_datetime(self, mod: str | None) -> Made:
        r = self.r
        tz = r.choice(["Z", "+08:00", "-05:00", ".000Z"])
        return self.neg(
            f"{r.randint(2023, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T"
            f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}{tz}",
            "date",
            "time",
        )

    def misc_numbers(self, mod: str | None) -> Made:
        r = self.r
        return self.neg(
            r.choice(
                [
                    f"{r.randint(8, 10)}:00-{r.randint(11, 12)}:00",
                    "16:9",
                    f"31.{r.randint(1000, 9999)}, 121.{r.randint(1000, 9999)}",
                    f"#{r.randint(0, 0xFFFFFF):06X}",
                    f"{r.randint(50, 99)}%",
                    f"EU {r.randint(36, 46)} / US {r.randint(5, 12)}",
                    f"{r.randint(1, 5)}.{r.randint(0, 9)}星",
                ]
            ),
            "misc_number",
        )

    def long_mobile_like(self, mod: str | None) -> Made:
        """13 digits that start like a mobile: a longer digit run is not a phone (spec)."""
        text = self.clean_digits(lambda: self.pick(CN_MOBILE_PREFIXES) + self.digits(10))
        return self.neg(text, "long_digits")

    def emoji(self, mod: str | None) -> Made:
        return self.neg(self.pick(EMOJI), "emoji")

    def slots(self) -> dict[str, Callable[[str | None], Made]]:
        return {
            "EMAIL": self.email,
            "CNMOB": self.cn_mobile,
            "NANP": self.nanp,
            "INTL": self.intl,
            "PHONE": self.phone,
            "HOTLINE": self.hotline,
            "CARD": self.card,
            "CNID": self.cn_id,
            "IBAN": self.iban,
            "IPV4": self.ipv4,
            "IPV4PORT": self.ipv4_port,
            "IPV6": self.ipv6,
            "IP": self.ip,
            "ORDER": self.order,
            "LONGORDER": self.long_order,
            "TRACK": self.track,
            "PRICE": self.price,
            "DATE": self.date,
            "TIME": self.time,
            "DATETIME": self.datetime,
            "COUPON": self.coupon,
            "SKU": self.sku,
            "QTY": self.qty,
            "NUM": self.num,
            "LAST4": self.last4,
            "EXP": self.exp,
            "CVV": self.cvv,
            "MPHONE": self.masked_phone,
            "MCARD": self.masked_card,
            "MID": self.masked_id,
            "BADCARD": self.bad_card,
            "REFCARD": self.ref_card,
            "NETCARD": self.net_card,
            "BADID": self.bad_cn_id,
            "REFID": self.ref_cn_id,
            "BADIBAN": self.bad_iban,
            "VERSION": self.version,
            "PLAINVER": self.version_plain,
            "NONIP": self.non_ip,
            "MAC": self.mac,
            "NONPHONE": self.non_phone,
            "SHORT": self.short_code,
            "TS": self.timestamp,
            "POST": self.postcode,
            "WEIGHT": self.weight,
            "DIM": self.dim,
            "PICKUP": self.pickup,
            "INVNO": self.invoice_no,
            "SERIAL": self.serial,
            "ERR": self.error_code,
            "NOTEMAIL": self.not_email,
            "PRICELIST": self.price_list,
            "EMOJI": self.emoji,
            "ISBN": self.isbn,
            "EAN": self.ean,
            "VAT": self.vat,
            "BIC": self.bic,
            "ISODT": self.iso_datetime,
            "MISC": self.misc_numbers,
            "LONGMOB": self.long_mobile_like,
        }


# --------------------------------------------------------------------------------------------------------------
# Templates: (lang, how many renderings, text). {SLOT} or {SLOT:mod}.

EMAIL_T = [
    ("en", 2, "Hi, I never got the confirmation email. My address is {EMAIL}, can you resend it?"),
    ("en", 2, "Please send the invoice for order {ORDER} to {EMAIL}."),
    ("en", 2, "{EMAIL}"),
    ("en", 2, "Email me at {EMAIL}."),
    ("en", 1, "I changed my login email from {EMAIL} to {EMAIL} last week and now I can't sign in"),
    ("en", 2, "My PayPal is {EMAIL}, refund the {PRICE} there please"),
    ("en", 2, "Contact: {EMAIL} (please don't call, I'm at work until {TIME})"),
    ("en", 2, "can u update my account email to <{EMAIL}>? thx {EMOJI}"),
    ("en", 1, "Reset link never arrived at {EMAIL}!!"),
    ("en", 1, "{EMAIL} is the account I ordered {QTY} with, coupon {COUPON} didn't apply"),
    ("zh", 2, "你好，我的邮箱是{EMAIL}，麻烦把电子发票发过来。"),
    ("zh", 2, "邮箱：{EMAIL}"),
    ("zh", 2, "退款说明请发到{EMAIL}谢谢"),
    ("zh", 2, "{EMAIL}这个邮箱收不到验证码，怎么回事？"),
    ("zh", 2, "我之前注册用的是{EMAIL:fwat}，现在想换绑。"),
    ("zh", 1, "订单{ORDER}的发票抬头写公司，邮箱{EMAIL}。"),
    ("zh", 2, "亲，能发到我邮箱吗（{EMAIL}）？"),
    ("zh", 1, "客服你好😊 我的账号邮箱是{EMAIL}，{DATE}下的单一直没发货"),
    ("mixed", 2, "我的email是{EMAIL}，please check一下"),
    ("mixed", 2, "Hi客服，invoice请发到{EMAIL}，金额{PRICE}"),
    ("mixed", 1, "账号login不了，email: {EMAIL}"),
    ("mixed", 1, "麻烦send到{EMAIL}, thanks~"),
    ("mixed", 1, "我的Apple ID是{EMAIL}，order {ORDER}付款失败"),
]

PHONE_T = [
    ("en", 2, "The courier couldn't reach me. My number is {NANP}, please call after {TIME}."),
    ("en", 2, "Call me at {NANP} or text {NANP}."),
    ("en", 2, "Please update the delivery phone to {INTL}."),
    ("en", 2, "I'm in London now, reach me on {INTL} about the refund of {PRICE}."),
    ("en", 2, "Phone: {PHONE}"),
    ("en", 2, "{NANP} is my cell, the driver can call when he's outside"),
    ("en", 2, "My Chinese number is {CNMOB}, I'll be in Shanghai from {DATE}."),
    ("en", 1, "Could the rider call {PHONE}? The doorbell is broken 🙏"),
    ("en", 2, "new number: {CNMOB}. old one is disconnected"),
    ("en", 2, "Hi, it's Sarah, my phone is {NANP}. Order {ORDER} arrived damaged."),
    ("en", 2, "Text me at {INTL} when it is out for delivery."),
    ("en", 1, "Your store line {NANP:tollfree} just hangs up on me"),
    ("zh", 2, "我的手机号是{CNMOB}，订单{ORDER}一直没发货。"),
    ("zh", 2, "快递员联系不上我，换这个号码：{CNMOB}"),
    ("zh", 2, "电话{CNMOB}，到了打我电话，放门口就行"),
    ("zh", 2, "收货人：王女士，手机{CNMOB}，地址不变。"),
    ("zh", 2, "{CNMOB}"),
    ("zh", 2, "麻烦配送前打{CNMOB}，白天可能不在家。"),
    ("zh", 2, "我在国外，请打{INTL}联系我，退款{PRICE}还没到账。"),
    ("zh", 3, "手机号码：{CNMOB:fw}"),
    ("zh", 2, "联系方式 {CNMOB}（微信同号）"),
    ("zh", 2, "您好，售后热线是{HOTLINE}吗？我打了没人接"),
    ("zh", 1, "换了新号{CNMOB}。旧号别打了"),
    ("zh", 2, "我老公的电话是{CNMOB}，他会去取件。"),
    ("zh", 2, "📞{CNMOB}"),
    ("zh", 1, "收件电话：{CNMOB:plain}，收件人：陈先生"),
    ("mixed", 2, "请call我{CNMOB}，order #{ORDER}还没到"),
    ("mixed", 2, "delivery的时候打{PHONE}"),
    ("mixed", 2, "我的WhatsApp是{INTL}，please contact me there"),
    ("mixed", 2, "phone换成{CNMOB}了，麻烦update一下"),
    ("mixed", 1, "US number {NANP}，国内号{CNMOB}，都可以"),
    ("mixed", 1, "快递guy说打不通{NANP}？"),
]

CARD_T = [
    ("en", 2, "I was charged twice on my card {CARD}, please refund one of the {PRICE} payments."),
    ("en", 2, "Card number: {CARD}, exp {EXP}"),
    ("en", 2, "Can you check why {CARD} was declined? It works everywhere else."),
    ("en", 2, "{CARD}"),
    ("en", 2, "Please refund to the Visa {CARD:visa} instead of store credit."),
    ("en", 2, "I used my Amex {CARD:amex} for the purchase on {DATE}."),
    ("en", 1, "the payment on {CARD} failed 3 times, coupon {COUPON} was applied"),
    ("en", 1, "Replace card {CARD}. The new one is {CARD}."),
    ("zh", 2, "我的银行卡号是{CARD:unionpay}，退款请退到这张卡。"),
    ("zh", 2, "信用卡{CARD}被扣了两次款，一共{PRICE}。"),
    ("zh", 3, "卡号：{CARD:fw}，麻烦查一下为什么支付失败"),
    ("zh", 2, "用的是招行卡{CARD:unionpay}，{DATE}付的款"),
    ("zh", 2, "退款到{CARD}这张卡就行。"),
    ("zh", 2, "我绑的卡是{CARD}，已经过期了，想换一张。"),
    ("zh", 2, "信用卡号{CARD}，有效期{EXP}，安全码不方便发"),
    ("mixed", 2, "我的card是{CARD}，exp {EXP}，帮我refund"),
    ("mixed", 2, "Visa卡{CARD:visa}付款失败，error code {ERR}"),
    ("mixed", 2, "refund到我的Mastercard {CARD:mc}吧"),
    ("mixed", 2, "用UnionPay {CARD:unionpay}付的，order {ORDER}"),
]

CNID_T = [
    ("zh", 2, "我的身份证号是{CNID}，实名认证一直失败。"),
    ("zh", 2, "身份证：{CNID}"),
    ("zh", 2, "清关需要身份证号码，{CNID}，姓名张伟。"),
    ("zh", 2, "{CNID}"),
    ("zh", 2, "收件人身份证号{CNID}，手机尾号{LAST4}。"),
    ("zh", 3, "证件号码：{CNID:fw}"),
    ("zh", 2, "海关要求补充身份信息：{CNID}（王芳）"),
    ("zh", 2, "实名信息：李娜，{CNID}，麻烦尽快审核"),
    ("zh", 2, "我重新提交了身份证{CNID:lowerx}，请查收。"),
    ("zh", 1, "身份证号码{CNID:x}，末位是X"),
    ("en", 2, "Customs asked for my Chinese ID number: {CNID}."),
    ("en", 2, "My resident ID is {CNID}, name Zhang Wei."),
    ("en", 2, "For the cross-border delivery, the recipient's ID is {CNID} 🙂"),
    ("en", 1, "ID card {CNID} - please verify my account, it's stuck in customs since {DATE}"),
    ("mixed", 2, "customs clearance需要身份证号{CNID}"),
    ("mixed", 2, "我的ID number是{CNID}，please update"),
    ("en", 2, "Please update the ID on my account to {CNID}, the old one had a typo."),
    ("zh", 2, "身份证号：{CNID}。手机{MPHONE}，请核实"),
    ("mixed", 2, "实名认证failed，身份证{CNID}，name李明"),
]

IBAN_T = [
    ("en", 3, "Please refund by bank transfer to IBAN {IBAN}, account holder Anna Müller."),
    ("en", 3, "IBAN: {IBAN}"),
    ("en", 3, "My IBAN is {IBAN}."),
    ("en", 3, "{IBAN}"),
    ("en", 3, "Refund the {PRICE} to {IBAN} please, PayPal is closed"),
    ("en", 3, "Bank: ING, IBAN {IBAN:grouped}, BIC INGBNL2A"),
    ("en", 3, "Wrong IBAN earlier, the right one is {IBAN}, not {BADIBAN}."),
    ("en", 3, "you can wire it to {IBAN:lower}"),
    ("zh", 3, "退款请转到我的欧洲账户，IBAN：{IBAN}。"),
    ("zh", 3, "我的IBAN是{IBAN}，户名ZHANG WEI"),
    ("zh", 3, "银行账号（IBAN）{IBAN}，麻烦退款{PRICE}"),
    ("zh", 3, "IBAN {IBAN:grouped}，开户行Deutsche Bank。"),
    ("zh", 1, "国际汇款用这个：{IBAN:compact}"),
    ("mixed", 3, "refund到IBAN {IBAN}吧"),
    ("mixed", 3, "我的bank account: {IBAN}，谢谢"),
    ("mixed", 1, "SEPA transfer到{IBAN:compact}就可以"),
]

IP_T = [
    ("en", 2, "I keep getting blocked when logging in, my IP is {IPV4}."),
    ("en", 2, "Your site says suspicious login from {IP}, that wasn't me!"),
    ("en", 2, "{IPV4}"),
    ("en", 2, "Login alert: new sign-in from {IPV6} on {DATE} at {TIME}."),
    ("en", 2, "My router is at {IPV4:private} and the app can't reach the store."),
    ("en", 2, "Was my account accessed from {IP}? I'm worried."),
    ("en", 1, "The payment page fails from {IPV4} but works from {IPV4}"),
    ("en", 2, "my IPv6 is {IPV6}."),
    ("en", 1, "Proxy {IPV4PORT} is what the office uses."),
    ("en", 1, "DNS is set to {IPV4} and the checkout still times out"),
    ("zh", 2, "登录一直提示异常，我的IP是{IPV4}。"),
    ("zh", 2, "账号在{IP}登录过，不是我本人操作！"),
    ("zh", 2, "IP地址：{IPV4}"),
    ("zh", 2, "安全中心显示登录IP {IPV6}，{DATE}"),
    ("zh", 2, "公司网络出口是{IPV4}，麻烦加白名单"),
    ("zh", 2, "IP：{IPV4:fw}"),
    ("zh", 2, "我的IPv6地址是{IPV6}，APP一直加载不出来"),
    ("zh", 1, "代理{IPV4PORT}，下单的时候一直报错"),
    ("mixed", 2, "login的时候IP是{IPV4}，被风控了"),
    ("mixed", 2, "我的IP {IP}，please unblock"),
    ("mixed", 2, "VPN server {IPV4}，下单页面打不开"),
    ("mixed", 1, "IPv6 {IPV6}，app一直loading"),
]

MULTI_T = [
    ("en", 2, "Name: John Smith, phone {NANP}, email {EMAIL}, card {CARD}."),
    ("zh", 2, "收货人：张伟，电话{CNMOB}，身份证{CNID}，邮箱{EMAIL}。"),
    ("en", 2, "Refund options: card {CARD} or IBAN {IBAN}."),
    ("zh", 2, "我的手机{CNMOB}，邮箱{EMAIL}，订单{ORDER}，金额{PRICE}"),
    ("en", 2, "Sign-in from {IP}, account {EMAIL}, phone on file {PHONE}"),
    ("zh", 2, "姓名：李娜；手机：{CNMOB}；身份证：{CNID}；快递：{TRACK}"),
    ("en", 2, "contact {EMAIL} / {INTL}"),
    ("zh", 2, "我用{EMAIL}注册的，绑定手机{CNMOB}，登录IP {IPV4}"),
    ("en", 2, "Please refund {PRICE} to {IBAN}; questions to {EMAIL} or {INTL}."),
    ("zh", 2, "付款卡{CARD}，身份证{CNID}，电话{CNMOB}，都核对一下"),
    ("en", 2, "Hi😊 my email {EMAIL}, phone {CNMOB}, order {ORDER}, tracking {TRACK}"),
    ("zh", 2, "客服你好，{DATE}在{IP}登录后，卡{CARD}被盗刷了{PRICE}"),
    ("en", 2, "new phone {NANP}; old phone {NANP}; email unchanged ({EMAIL})"),
    ("zh", 2, "报关信息：{CNID}，{CNMOB}，{EMAIL}"),
    ("zh", 2, "{EMAIL}，{CNMOB}"),
    ("en", 2, "The refund of {PRICE} for order {ORDER} should go to card {CARD}, receipt to {EMAIL}."),
    ("mixed", 2, "ip是{IPV4}，v6是{IPV6}"),
    ("mixed", 2, "我的IBAN {IBAN}，email {EMAIL}，有问题call {INTL}"),
    ("zh", 2, "订单{ORDER}退款{PRICE}，原路退回卡{CARD:fw}，联系电话{CNMOB:fw}"),
    ("en", 2, "{NANP} / {EMAIL} / {IPV4}"),
    ("mixed", 2, "身份证{CNID}，手机{CNMOB}，IP {IPV4}，都是本人"),
    ("en", 2, "📦 Tracking {TRACK} says delivered, but nobody called {PHONE}. My email is {EMAIL}."),
    ("zh", 2, "下单时间{DATETIME}，卡号{CARD}，手机{CNMOB}，实付{PRICE}。"),
    ("mixed", 2, "customs要ID：{CNID}，phone {PHONE}"),
]

NEG_T = [
    ("en", 4, "Where is my order {ORDER}? It's been {NUM} days."),
    ("en", 4, "Tracking {TRACK} hasn't updated since {DATE}."),
    ("en", 3, "I paid {PRICE} but was charged {PRICE}, why?"),
    ("en", 3, "Coupon {COUPON} doesn't work on {SKU}."),
    ("en", 3, "My card ending in {LAST4} was declined at {TIME}."),
    ("en", 4, "The card I typed was {BADCARD}, is that why it failed?"),
    ("en", 4, "Order number: {REFCARD}. When will it ship?"),
    ("en", 3, "Tracking #{REFCARD} shows nothing yet"),
    ("en", 4, "The app ({VERSION}) keeps crashing at checkout."),
    ("en", 3, "Checkout breaks on {PLAINVER}, works on my laptop"),
    ("en", 3, "Delivery window {TIME} to {TIME} on {DATE}, please."),
    ("en", 3, "Order {ORDER} placed {DATETIME}, total {PRICE}, qty {QTY}."),
    ("en", 3, "Your number {NONPHONE} doesn't work"),
    ("en", 2, "I got a code from {SHORT} but never asked for one"),
    ("en", 3, "The box is {DIM} and weighs {WEIGHT}."),
    ("en", 3, "Ship to ZIP {POST}, apt 12B, size {NUM}."),
    ("en", 4, "The IBAN you sent, {BADIBAN}, is rejected by my bank."),
    ("en", 3, "Router says {NONIP} is not a valid address?"),
    ("en", 2, "MAC address {MAC}, the smart plug won't pair"),
    ("en", 3, "Model {SKU}, serial {SERIAL}, bought on {DATE}"),
    ("en", 2, "Timestamp {TS} in the receipt footer, what is that?"),
    ("en", 3, "The number on file shows {MPHONE}, that's right."),
    ("en", 3, "Card on file: {MCARD}"),
    ("en", 2, "just DM {NOTEMAIL} they said"),
    ("en", 3, "price list said {PRICELIST} for S/M/L, I paid the middle one"),
    ("en", 3, "Invoice no. {REFCARD} is missing from my account"),
    ("en", 3, "Payment reference {NETCARD} was refunded?"),
    ("en", 3, "Is {BADID} a valid ID? The customs form rejects it"),
    ("zh", 4, "订单号{ORDER}，什么时候发货？"),
    ("zh", 4, "顺丰单号{TRACK}，三天没更新了"),
    ("zh", 3, "实付{PRICE}，优惠券{COUPON}没抵扣"),
    ("zh", 3, "{DATE} {TIME}下的单，订单{LONGORDER}"),
    ("zh", 3, "尾号{LAST4}的卡退款到账了吗？"),
    ("zh", 4, "我输的卡号{BADCARD}，是不是输错了？"),
    ("zh", 4, "身份证号{BADID}提示校验失败，我再核对一下。"),
    ("zh", 3, "证件号码：{BADID:fw}，系统说不对"),
    ("zh", 4, "订单号：{REFCARD}，麻烦查一下物流。"),
    ("zh", 3, "运单号{REFID}还没揽收"),
    ("zh", 3, "APP{VERSION}，一直闪退"),
    ("zh", 3, "{VERSION}升级失败，设备{SKU}"),
    ("zh", 3, "型号{SKU}，数量{QTY}，单价{PRICE}"),
    ("zh", 2, "满300减50的券{COUPON}用不了"),
    ("zh", 3, "快递柜取件码{PICKUP}，柜子打不开"),
    ("zh", 3, "手机号显示{MPHONE}，是我的"),
    ("zh", 2, "客服电话{SHORT}打不通"),
    ("zh", 3, "交易流水号{NETCARD}，钱扣了订单没生成"),
    ("zh", 3, "邮编{POST}，地址没变"),
    ("zh", 3, "重量{WEIGHT}，尺寸{DIM}，运费{PRICE}？"),
    ("zh", 4, "IBAN填的{BADIBAN}，银行说不对"),
    ("zh", 2, "路由器MAC是{MAC}"),
    ("zh", 3, "{TIME}到{TIME}之间送，谢谢"),
    ("zh", 3, "{NOTEMAIL} 我的订单{ORDER}怎么还没到"),
    ("zh", 3, "发票号码{INVNO}，金额{PRICE}"),
    ("zh", 3, "身份证显示{MID}，是本人"),
    ("zh", 3, "这个号码{NONPHONE}是你们的吗？"),
    ("zh", 3, "订单{ORDER:fw}，实付￥１２９９，还没发货"),
    ("zh", 3, "电脑上显示{NONIP}，这是什么意思？"),
    ("zh", 2, "第{NUM}次催了，{EMOJI}订单{LONGORDER}"),
    ("zh", 2, "报错{ERR}，时间{DATETIME}"),
    ("zh", 3, "卡号{BADCARD:fw}，付不了款"),
    ("mixed", 4, "order {ORDER}的tracking是{TRACK}"),
    ("mixed", 3, "app {VERSION}闪退，iPhone {NUM}"),
    ("mixed", 3, "price {PRICE}，coupon {COUPON}"),
    ("mixed", 3, "SKU {SKU} out of stock了？"),
    ("mixed", 3, "我的card尾号{LAST4}，refund到账了吗"),
    ("mixed", 3, "卡号{BADCARD}，payment failed"),
    ("mixed", 3, "order #{REFCARD}一直processing"),
    ("mixed", 3, "IBAN {BADIBAN}，bank说invalid"),
    ("mixed", 2, "这个ID {BADID} invalid吗"),
    ("mixed", 2, "tracking no. {TRACK}，ETA {DATE}"),
    ("mixed", 2, "timestamp {TS}是什么意思"),
    ("mixed", 2, "{PLAINVER}上面checkout不了"),
]

EDGE_T = [
    ("en", 2, "Tel:{CNMOB:plain}"),
    ("zh", 2, "手机：{CNMOB}、{CNMOB}都可以"),
    ("zh", 2, "{CNMOB}/{CNMOB}，两个都能打通"),
    ("zh", 2, "请联系收件人（{CNMOB}）"),
    ("zh", 2, "售后电话{HOTLINE}转2，一直占线"),
    ("en", 2, "Call {NANP} ext. 204 after 5pm"),
    ("en", 2, "Reach me on {INTL}, or {EMAIL}."),
    ("zh", 2, "邮箱：{EMAIL:fwall}"),
    ("en", 2, "mailto:{EMAIL}"),
    ("en", 2, "is it '{EMAIL}' or did I typo it?"),
    ("zh", 2, "我的邮箱是{EMAIL}。"),
    ("zh", 2, "邮箱「{EMAIL}」收不到退款通知"),
    ("en", 2, "email {EMAIL}; phone {NANP}; thanks!"),
    ("zh", 2, "卡号：{CARD:ideo}"),
    ("en", 2, "IBAN:{IBAN:compact}"),
    ("en", 2, "IBAN {IBAN:grouped} BIC {BIC}"),
    ("en", 2, "Send it back to {IBAN:grouped} from my old account"),
    ("en", 2, "Blocked again [{IPV4}] at {TIME}"),
    ("zh", 2, "昨晚在{IPV4}登录的不是我"),
    ("en", 2, "IP:{IPV4}"),
    ("en", 2, "Login from {IPV6}."),
    ("zh", 2, "{IPV6}登录异常，麻烦冻结账户"),
    ("zh", 2, "身份证号码：{CNID}。"),
    ("en", 2, "ID No. {CNID}"),
    ("zh", 2, "（身份证{CNID}）"),
    ("zh", 2, "✅{CNMOB}✅"),
    ("mixed", 2, "email和phone都改了：{EMAIL}，{CNMOB}"),
    ("mixed", 2, "card {CARD}，IBAN {IBAN}，哪个都行"),
    ("zh", 2, "新号码：{CNMOB}；旧号码：{MPHONE}"),
    ("en", 2, "{CARD} exp {EXP} cvv is on the back"),
    # Words that start like reference labels but are not one, or a label that is not directly before the value.
    ("en", 2, "Refund {CARD} please, not store credit"),
    ("en", 2, "You invoiced {CARD} twice this month"),
    ("en", 2, "I ordered with {CARD} and got charged in USD"),
    ("en", 2, "Order contact phone: {NANP}"),
    ("en", 2, "Package arrived crushed, call {PHONE}"),
    ("zh", 2, "下单手机号：{CNMOB}"),
    ("zh", 2, "订单联系人电话：{CNMOB}，麻烦改一下"),
    ("zh", 2, "订单手机号{CNMOB}，验证码收不到"),
    ("zh", 2, "会员号绑定的手机是{CNMOB}"),
    ("mixed", 2, "order的收件人phone是{CNMOB}"),
    # URLs and bracketed forms people paste from browsers and error pages.
    ("en", 2, "The page http://{IPV4}:8080/checkout shows a 502"),
    ("en", 2, "Link was https://shop.example.com/unsubscribe?email={EMAIL}&t=1"),
    ("en", 2, "Error page shows [{IPV6}]:443 refused"),
    ("en", 2, "{CARD}/{EXP}"),
    ("zh", 2, "这是我的新邮箱：{EMAIL}……旧的不用了"),
]

EDGE_NEG_T = [
    ("en", 3, "Do you have ISBN {ISBN} in stock?"),
    ("zh", 3, "书号{ISBN}，还有货吗"),
    ("zh", 3, "商品条码{EAN}，扫不出来"),
    ("en", 2, "Our VAT ID is {VAT}, please put it on the invoice"),
    ("en", 2, "BIC {BIC}, the IBAN comes later"),
    ("en", 3, "Shipped at {ISODT}, still not here"),
    ("zh", 3, "物流更新时间{ISODT}"),
    ("zh", 3, "{MISC}，这款还有吗"),
    ("en", 3, "Listing says {MISC}, is that right?"),
    ("zh", 3, "流水号{LONGMOB}，请核对"),
    ("en", 2, "Tracking SF1234567890123 and 1Z999AA10123456784 both say delivered on {DATE}"),
    ("zh", 2, "圆通YT{LONGORDER}，中通{TRACK}"),
    ("en", 3, "Reference: {REFCARD}"),
    ("zh", 3, "订单号码：{REFCARD}，还没发货"),
    ("en", 2, "Package ID {REFCARD} is stuck in Memphis"),
    ("en", 2, "AWB {REFCARD} shows customs hold"),
    ("zh", 3, "工单{REFCARD}还没人处理"),
    ("zh", 3, "快递单号{REFCARD}查不到"),
    ("zh", 3, "物流单号：{REFCARD}，显示已签收"),
    ("en", 3, "ticket #{REFCARD} was closed without a reply"),
    ("en", 3, "Order {ORDER} {QTY}, subtotal {PRICE}, shipping {PRICE}, total {PRICE}"),
    ("zh", 3, "我买了{QTY}，型号{SKU}，{DATE}到货，收据号{INVNO}"),
    ("en", 3, "Can you deliver {DATE} between {TIME} and {TIME}? Door code {PICKUP}"),
    ("zh", 3, "{DATE}签收的包裹，{WEIGHT}，运单{TRACK}"),
    ("mixed", 3, "这个{SKU}的size chart写{MISC}，对吗"),
    ("mixed", 3, "refund {PRICE}还没到，order {LONGORDER}"),
    ("mixed", 3, "tracking {TRACK}，下单时间{ISODT}"),
    ("zh", 3, "银行说卡号{BADCARD}无效，尾号{LAST4}的那张"),
    ("en", 3, "Customs rejected ID {BADID} and asked again"),
    ("mixed", 3, "customs说身份证{BADID}不对"),
    ("en", 3, "My bank says {BADIBAN} is not a valid IBAN"),
    ("zh", 3, "{VERSION}，路由器{MAC}，连不上商城"),
]

FAMILIES = [
    ("email", EMAIL_T),
    ("phone", PHONE_T),
    ("card", CARD_T),
    ("cn_id", CNID_T),
    ("iban", IBAN_T),
    ("ip", IP_T),
    ("multi", MULTI_T),
    ("edge", EDGE_T),
    ("negative", NEG_T),
    ("edge_negative", EDGE_NEG_T),
]

SLOT_RE = re.compile(r"\{([A-Z0-9]+)(?::([a-z0-9]+))?\}")
_EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


_CJK_RE = re.compile("[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
_MONTH_RE = re.compile(r"[A-Za-z]{2}")


def _slot_for_lang(maker: Maker, make: Callable[[str | None], Made], mod: str | None) -> Made:
    """Re-roll a distractor until it fits the template's language: no CJK in English text, no month names or
    am/pm in Chinese text. PII values never contain either, so they are kept at the first roll."""
    for _ in range(50):
        made = make(mod)
        text, rel, _tags = made
        if rel or mod == "fw":
            return made
        if maker.lang == "en" and _CJK_RE.search(text):
            continue
        if maker.lang == "zh" and {"date", "time"} & set(_tags) and _MONTH_RE.search(text):
            continue
        return made
    raise AssertionError("no distractor fits the language")


def render(maker: Maker, template: str) -> tuple[str, list[dict[str, object]], list[str]]:
    slots = maker.slots()
    out: list[str] = []
    pos = 0
    spans: list[dict[str, object]] = []
    tags: set[str] = set()
    last = 0
    for m in SLOT_RE.finditer(template):
        literal = template[last : m.start()]
        out.append(literal)
        pos += len(literal)
        text, rel, slot_tags = _slot_for_lang(maker, slots[m.group(1)], m.group(2))
        for s, e, etype in rel:
            spans.append({"type": etype, "start": pos + s, "end": pos + e, "value": text[s:e]})
        tags.update(slot_tags)
        out.append(text)
        pos += len(text)
        last = m.end()
    out.append(template[last:])
    full = "".join(out)
    if spans and spans[0]["start"] == 0:
        tags.add("boundary_start")
    if spans and spans[-1]["end"] == len(full):
        tags.add("boundary_end")
    if _EMOJI_RE.search(full):
        tags.add("emoji")
    return full, spans, sorted(tags)


def build_cases(seed: int = SEED) -> list[dict[str, object]]:
    maker = Maker(random.Random(seed))
    cases: list[dict[str, object]] = []
    seen: set[str] = set()
    for family, templates in FAMILIES:
        for lang, times, template in templates:
            maker.lang = lang
            for _ in range(times):
                for _attempt in range(50):
                    text, spans, tags = render(maker, template)
                    if text not in seen:
                        break
                else:
                    raise AssertionError(f"could not make a new text from {template!r}")
                seen.add(text)
                for span in spans:
                    assert text[span["start"] : span["end"]] == span["value"]  # type: ignore[misc]
                if family.endswith("negative"):
                    assert not spans, template
                cases.append(
                    {
                        "id": "",
                        "lang": lang,
                        "kind": "positive" if spans else "hard_negative",
                        "text": text,
                        "spans": spans,
                        "tags": tags,
                        "family": family,
                        "source": SOURCE,
                        "author": SOURCE,
                    }
                )
    for i, case in enumerate(cases, 1):
        case["id"] = f"ind-{i:04d}"
    return cases


def dumps(cases: list[dict[str, object]]) -> str:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed file differs from the output")
    args = ap.parse_args(argv)
    text = dumps(build_cases())
    if args.check:
        same = OUT_PATH.exists() and OUT_PATH.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT_PATH} differs from the generator's output")
        return 0 if same else 1
    OUT_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} cases to {OUT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
