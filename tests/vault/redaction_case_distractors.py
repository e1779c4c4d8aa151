"""Distractors for the redaction evaluation set: values that look numeric or structured but are not PII.

Order numbers, prices, dates, times, tracking numbers, quantities, postcodes, version strings, and numbers
that fail their checksum. Unlabelled digit runs of card length are made Luhn-invalid on purpose, so they are
negatives under any reading of the definitions.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from tests.vault.redaction_case_values import (
    CN_REGIONS,
    Value,
    birth_date,
    card_number,
    cn_id_check,
    format_card,
    format_iban,
    group_digits,
    iban_number,
    luhn_check_digit,
    luhn_ok,
    random_digits,
)

# --- distractor generators (never personal data by definition) -----------------------------------------------


def _luhn_invalid_digits(rng: random.Random, count: int, first: str = "") -> str:
    number = first + random_digits(rng, count - len(first))
    return number if not luhn_ok(number) else number[:-1] + str((int(number[-1]) + 1) % 10)


def neg_order(rng: random.Random) -> Value:
    choices = [
        f"A{rng.randint(10000, 99999)}",
        f"#{rng.randint(100000, 999999)}",
        f"SO-2024-{random_digits(rng, 6)}",
        f"E{random_digits(rng, 12)}",
        _luhn_invalid_digits(rng, 14, first="2024"),
        f"ORD{random_digits(rng, 8)}",
        f"{rng.randint(100000000, 999999999)}",
    ]
    return Value(rng.choice(choices), None, ("order_number",))


def neg_price(rng: random.Random) -> Value:
    amount = rng.randint(1, 9999)
    choices = [
        f"¥{amount}.00",
        f"${rng.randint(1, 99)}.{rng.randint(0, 99):02d}",
        f"{rng.randint(1, 9)},{random_digits(rng, 3)}",
        f"￥{rng.randint(1, 9)},{random_digits(rng, 3)}",
        f"{amount}元",
        f"€{rng.randint(1, 500)}.90",
        f"USD {rng.randint(1, 9)},{random_digits(rng, 3)}.{random_digits(rng, 2)}",
        f"RMB{amount}",
    ]
    return Value(rng.choice(choices), None, ("price",))


def neg_date(rng: random.Random) -> Value:
    y, m, d = rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)
    choices = [
        f"{y}-{m:02d}-{d:02d}",
        f"{y}年{m}月{d}日",
        f"{d:02d}/{m:02d}/{y}",
        f"{m:02d}/{d:02d}/{y}",
        f"{y}.{m:02d}.{d:02d}",
        f"{y}/{m}/{d}",
        f"{m}月{d}日",
        f"{y}{m:02d}{d:02d}",
    ]
    return Value(rng.choice(choices), None, ("date",))


def neg_time(rng: random.Random) -> Value:
    h, mi = rng.randint(0, 23), rng.choice([0, 15, 30, 45])
    choices = [
        f"{h:02d}:{mi:02d}",
        f"{h:02d}:{mi:02d}:00",
        f"下午{rng.randint(1, 6)}点",
        f"{h}:{mi:02d}-{(h + 1) % 24}:{mi:02d}",
        f"{rng.randint(1, 12)}:{mi:02d} pm",
    ]
    return Value(rng.choice(choices), None, ("time",))


def neg_tracking(rng: random.Random) -> Value:
    alnum = string.ascii_uppercase + string.digits
    choices = [
        f"SF{random_digits(rng, 13)}",
        "1Z" + "".join(rng.choice(alnum) for _ in range(6)) + random_digits(rng, 10),
        f"JD{random_digits(rng, 13)}",
        group_digits(_luhn_invalid_digits(rng, 14), (2, 4, 4, 4), " "),
        f"YT{random_digits(rng, 13)}",
        f"EA{random_digits(rng, 9)}CN",
        group_digits("9400" + random_digits(rng, 18), (4,) * 5 + (2,), " "),
    ]
    return Value(rng.choice(choices), None, ("tracking_number",))


def neg_quantity(rng: random.Random) -> Value:
    choices = [
        f"x{rng.randint(2, 9)}",
        f"{rng.randint(2, 20)}件",
        f"{rng.randint(2, 12)} pcs",
        f"{rng.randint(1, 5)}.5kg",
        f"{rng.randint(100, 999)}ml",
        f"{rng.randint(2, 50)}个",
        f"{rng.randint(2, 6)} boxes",
    ]
    return Value(rng.choice(choices), None, ("quantity",))


def neg_postcode(rng: random.Random) -> Value:
    choices = [
        rng.choice(["100101", "200120", "518000", "310012", "610041"]),
        f"{rng.randint(10000, 99999)}",
        rng.choice(["SW1A 1AA", "EC1A 1BB", "W1A 0AX"]),
        f"{rng.randint(10000, 99999)}-{rng.randint(1000, 9999)}",
    ]
    return Value(rng.choice(choices), None, ("postcode",))


def neg_version(rng: random.Random) -> Value:
    quad = ".".join(str(rng.randint(0, 20)) for _ in range(4))
    choices = [
        f"v{quad}",
        f"version {quad}",
        f"版本 {quad}",
        f"版本号：{quad}",
        f"ver. {quad}",
        f"build {quad}",
        f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 20)}",
    ]
    return Value(rng.choice(choices), None, ("version",))


def neg_bad_card(rng: random.Random) -> Value:
    number, grouping = card_number(rng, valid=False)
    return Value(format_card(rng, number, grouping), None, ("luhn_invalid",))


def neg_bad_cn_id(rng: random.Random) -> Value:
    first17 = rng.choice(CN_REGIONS) + birth_date(rng) + random_digits(rng, 3)
    good = cn_id_check(first17)
    return Value(first17 + rng.choice([c for c in "0123456789X" if c != good]), None, ("cn_id_bad_check",))


def neg_bad_cn_id_date(rng: random.Random) -> Value:
    date = rng.choice(["19901301", "19850230", "20010431", "19770000", "19991232", "18991231"])
    first17 = rng.choice(CN_REGIONS) + date + random_digits(rng, 3)
    return Value(first17 + cn_id_check(first17), None, ("cn_id_bad_date",))


def neg_bad_iban(rng: random.Random) -> Value:
    return Value(format_iban(rng, iban_number(rng, valid=False)), None, ("iban_bad_mod97",))


def neg_bad_mobile(rng: random.Random) -> Value:
    return Value("1" + rng.choice("012") + random_digits(rng, 9), None, ("mobile_bad_prefix",))


def neg_bad_ip(rng: random.Random) -> Value:
    choices = [
        f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
        f"192.168.{rng.randint(0, 255)}",
        f"1.{rng.randint(2, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
        ":".join(f"{rng.randrange(256):02X}" for _ in range(6)),
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00",
    ]
    return Value(rng.choice(choices), None, ("not_an_ip",))


def neg_bad_us(rng: random.Random) -> Value:
    area = rng.choice("01") + random_digits(rng, 2)
    exchange = rng.choice("0123456789") + random_digits(rng, 2)
    return Value(f"{area}-{exchange}-{random_digits(rng, 4)}", None, ("nanp_invalid",))


def neg_labelled_reference(rng: random.Random) -> Value:
    """A Luhn-valid, card-prefixed 16-digit number, but explicitly labelled as an order or tracking number."""
    partial = rng.choice(["4", "5", "6"]) + random_digits(rng, 14)
    return Value(partial + luhn_check_digit(partial), None, ("labelled_reference",))


def neg_timestamp(rng: random.Random) -> Value:
    return Value(str(rng.randint(1_600_000_000, 1_750_000_000)), None, ("timestamp",))


SLOTS: dict[str, Callable[[random.Random], Value]] = {
    "ORDER": neg_order,
    "PRICE": neg_price,
    "DATE": neg_date,
    "TIME": neg_time,
    "TRACKING": neg_tracking,
    "QTY": neg_quantity,
    "POSTCODE": neg_postcode,
}
SLOTS["VERSION"] = neg_version
