"""Value generators for the redaction evaluation set: labelled PII with correct checksums, and distractors.

The checksums are written here independently of services.vault, so the labels follow the definitions
(Luhn, GB 11643, ISO 13616) rather than whatever the engine does.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass

# --- checksums, written independently of services.vault ------------------------------------------------------


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` Luhn-valid."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return luhn_check_digit(number[:-1]) == number[-1]


def cn_id_check(first17: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def iban_check_digits(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in (bban + country + "00"))
    return f"{98 - int(numeric) % 97:02d}"


def iban_ok(iban: str) -> bool:
    numeric = "".join(str(int(c, 36)) for c in (iban[4:] + iban[:4]))
    return int(numeric) % 97 == 1


# --- value generators ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    text: str
    entity: str | None  # None: a distractor, not personal data
    tags: tuple[str, ...] = ()


def random_digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def group_digits(value: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, position = [], 0
    for size in sizes:
        parts.append(value[position : position + size])
        position += size
    return sep.join(part for part in parts if part)


FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits + "@.+-()_:"} | {" ": "\u3000"}


def fullwidth(text: str) -> str:
    return "".join(FULLWIDTH.get(c, c) for c in text)


NAMES = [
    "li.wei",
    "zhang_san88",
    "john.smith",
    "amy+orders",
    "wang.xiaoming",
    "chen.jing",
    "j.doe",
    "mary_k",
    "liu-yang",
    "sarah.connor",
    "zhaolei2020",
    "tom",
    "hr.team",
    "support-cn",
    "x.y.z",
    "peter.parker",
]
DOMAINS = [
    "example.cn",
    "qq.com",
    "163.com",
    "126.com",
    "gmail.com",
    "outlook.com",
    "example.com.cn",
    "sina.cn",
    "mail.example.co.uk",
    "shop-mail.example.org",
    "foxmail.com",
    "corp.example.com",
]


def gen_email(rng: random.Random) -> Value:
    local = rng.choice(NAMES)
    if rng.random() < 0.15:
        local = "1" + rng.choice("3456789") + random_digits(rng, 9)  # a phone number as the local part: still an e-mail
    return Value(f"{local}@{rng.choice(DOMAINS)}", "EMAIL")


def _cn_mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + random_digits(rng, 9)


def gen_cn_mobile(rng: random.Random) -> Value:
    number = _cn_mobile(rng)
    formats = [
        number,
        number,
        f"+86 {group_digits(number, (3, 4, 4), ' ')}",
        f"+86-{group_digits(number, (3, 4, 4), '-')}",
        group_digits(number, (3, 4, 4), "-"),
        group_digits(number, (3, 4, 4), " "),
        f"+86{number}",
        f"(+86) {number}",
        f"0086 {number}",
        f"+86 {number}",
    ]
    return Value(rng.choice(formats), "PHONE", ("cn_mobile",))


def gen_us_phone(rng: random.Random) -> Value:
    area = rng.choice("23456789") + random_digits(rng, 2)
    exchange = rng.choice("23456789") + random_digits(rng, 2)
    line = random_digits(rng, 4)
    formats = [
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"+1 {area} {exchange} {line}",
        f"{area}.{exchange}.{line}",
        f"+1-{area}-{exchange}-{line}",
        f"1-{area}-{exchange}-{line}",
        f"+1 ({area}) {exchange}-{line}",
    ]
    return Value(rng.choice(formats), "PHONE", ("us_phone",))


INTL_FORMATS = [
    "+44 20 #### ####",
    "+44 7### ######",
    "+44 (0)20 #### ####",
    "+49 30 ########",
    "+49 151 ########",
    "+33 1 ## ## ## ##",
    "+33 6 ## ## ## ##",
    "+81 3-####-####",
    "+81 90-####-####",
    "+852 #### ####",
    "+65 #### ####",
    "+61 2 #### ####",
    "+61 4## ### ###",
    "+886 2 #### ####",
    "+886 9## ### ###",
    "+91 9#### #####",
    "+34 9## ### ###",
    "+7 495 ###-##-##",
    "+82 10-####-####",
    "+31 20 ### ####",
    "+60 12-### ####",
    "+971 50 ### ####",
    "+55 11 9####-####",
    "+39 06 ########",
]


def gen_intl_phone(rng: random.Random) -> Value:
    template = rng.choice(INTL_FORMATS)
    return Value("".join(rng.choice(string.digits) if c == "#" else c for c in template), "PHONE", ("intl_phone",))


def gen_phone(rng: random.Random) -> Value:
    return rng.choice([gen_cn_mobile, gen_cn_mobile, gen_us_phone, gen_intl_phone])(rng)


# (prefix choices, length, grouping) per network
CARD_NETWORKS: list[tuple[list[str], int, tuple[int, ...]]] = [
    (["4"], 16, (4, 4, 4, 4)),
    ([str(p) for p in range(51, 56)], 16, (4, 4, 4, 4)),
    ([str(p) for p in range(2221, 2721, 37)], 16, (4, 4, 4, 4)),
    (["34", "37"], 15, (4, 6, 5)),
    (["6011", "65"], 16, (4, 4, 4, 4)),
    ([str(p) for p in range(3528, 3590, 7)], 16, (4, 4, 4, 4)),
    (["62"], 16, (4, 4, 4, 4)),
    (["62"], 19, (4, 4, 4, 4, 3)),
    (["36"], 14, (4, 6, 4)),
]


def card_number(rng: random.Random, valid: bool) -> tuple[str, tuple[int, ...]]:
    prefixes, length, grouping = rng.choice(CARD_NETWORKS)
    prefix = rng.choice(prefixes)
    partial = prefix + random_digits(rng, length - len(prefix) - 1)
    check = luhn_check_digit(partial)
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    return partial + check, grouping


def format_card(rng: random.Random, number: str, grouping: tuple[int, ...]) -> str:
    return rng.choice(
        [
            number,
            group_digits(number, grouping, " "),
            group_digits(number, grouping, " "),
            group_digits(number, grouping, "-"),
        ]
    )


def gen_card(rng: random.Random) -> Value:
    number, grouping = card_number(rng, valid=True)
    return Value(format_card(rng, number, grouping), "CREDIT_CARD")


CN_REGIONS = [
    "110101",
    "110105",
    "110108",
    "120101",
    "130102",
    "140105",
    "150102",
    "210102",
    "220102",
    "230102",
    "310104",
    "310115",
    "320102",
    "330106",
    "340102",
    "350203",
    "360102",
    "370202",
    "410105",
    "420106",
    "430104",
    "440103",
    "440305",
    "440106",
    "450103",
    "460105",
    "500103",
    "510107",
    "520102",
    "530102",
    "610113",
    "620102",
    "650102",
]


def birth_date(rng: random.Random) -> str:
    day = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange((dt.date(2008, 12, 31) - dt.date(1950, 1, 1)).days))
    return day.strftime("%Y%m%d")


def gen_cn_id(rng: random.Random) -> Value:
    first17 = rng.choice(CN_REGIONS) + birth_date(rng) + random_digits(rng, 3)
    check = cn_id_check(first17)
    if check == "X" and rng.random() < 0.2:
        check = "x"
    return Value(first17 + check, "CN_ID", ("check_x",) if check in "Xx" else ())


# country: BBAN pattern (n digit, a upper letter, c digit or upper letter)
IBAN_BBANS = {
    "DE": "n" * 18,
    "GB": "aaaa" + "n" * 14,
    "FR": "n" * 10 + "c" * 11 + "nn",
    "NL": "aaaa" + "n" * 10,
    "ES": "n" * 20,
    "IT": "a" + "n" * 10 + "c" * 12,
    "CH": "n" * 5 + "c" * 12,
    "BE": "n" * 12,
    "AT": "n" * 16,
    "PL": "n" * 24,
    "SE": "n" * 20,
    "NO": "n" * 11,
    "IE": "aaaa" + "n" * 14,
    "PT": "n" * 21,
    "DK": "n" * 14,
    "FI": "n" * 14,
    "LU": "nnn" + "c" * 13,
    "SA": "nn" + "c" * 18,
    "AE": "n" * 19,
    "TR": "n" * 5 + "0" + "c" * 16,
}


def random_bban(rng: random.Random, pattern: str) -> str:
    pools = {"n": string.digits, "a": string.ascii_uppercase, "c": string.digits * 3 + string.ascii_uppercase}
    return "".join(rng.choice(pools[p]) if p in pools else p for p in pattern)


def iban_number(rng: random.Random, valid: bool) -> str:
    country = rng.choice(sorted(IBAN_BBANS))
    bban = random_bban(rng, IBAN_BBANS[country])
    check = iban_check_digits(country, bban)
    if not valid:
        check = f"{(int(check) + rng.randint(1, 96)) % 97:02d}"
        if iban_ok(country + check + bban):
            check = f"{(int(check) + 1) % 100:02d}"
    return country + check + bban


def format_iban(rng: random.Random, iban: str) -> str:
    return iban if rng.random() < 0.4 else " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def gen_iban(rng: random.Random) -> Value:
    return Value(format_iban(rng, iban_number(rng, valid=True)), "IBAN")


def gen_ipv4(rng: random.Random) -> Value:
    kind = rng.random()
    if kind < 0.3:
        octets = [192, 168, rng.randint(0, 255), rng.randint(1, 254)]
    elif kind < 0.45:
        octets = [10, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)]
    else:
        octets = [rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)]
    return Value(".".join(map(str, octets)), "IP_ADDRESS", ("ipv4",))


def gen_ipv6(rng: random.Random) -> Value:
    groups = [f"{rng.randrange(0x10000):x}" for _ in range(8)]
    kind = rng.random()
    if kind < 0.25:
        text = ":".join(g.zfill(4) for g in groups)
    elif kind < 0.55:
        text = "2001:db8:" + ":".join(groups[2:4]) + "::" + groups[7]
    elif kind < 0.75:
        text = "fe80::" + ":".join(groups[4:])
    elif kind < 0.85:
        text = f"::ffff:{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    else:
        text = "2408:" + ":".join(groups[1:4]) + "::" + ":".join(groups[6:])
    return Value(text, "IP_ADDRESS", ("ipv6",))


def gen_ip(rng: random.Random) -> Value:
    return (gen_ipv6 if rng.random() < 0.3 else gen_ipv4)(rng)
