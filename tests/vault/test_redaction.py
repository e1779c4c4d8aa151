"""Unit tests of the PII redaction engine, and its precision/recall on the labelled evaluation set."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.vault.redaction import (
    MAX_INPUT_CHARS,
    EntityType,
    InputTooLongError,
    RedactionResult,
    cn_id_check_char,
    cn_id_valid,
    iban_mod97_valid,
    iban_valid,
    luhn_valid,
    redact,
)
from services.vault.redaction_text import fold_width
from tests.vault import make_redaction_cases
from tests.vault import redaction_case_values as cases_module

CASES_PATH = Path(__file__).parent / "data" / "redaction_cases.jsonl"
TARGET = 0.98


def found(text: str, **kwargs: object) -> list[tuple[str, str]]:
    result = redact(text, **kwargs)  # type: ignore[arg-type]
    return [(span.entity_type.value, span.value) for span in result.spans]


# --- validators ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("378282246310005", True),
        ("6212345678901232", True),
        ("6212345678901234", False),
        ("", False),
        ("4111 1111 1111 1111", False),
        ("４１１１１１１１１１１１１１１１", False),
    ],
)
def test_luhn_valid(number: str, expected: bool) -> None:
    assert luhn_valid(number) is expected


@given(st.text(alphabet="0123456789", min_size=12, max_size=18), st.integers(1, 9))
def test_luhn_agrees_with_an_independent_implementation(partial: str, offset: int) -> None:
    check = cases_module.luhn_check_digit(partial)
    assert luhn_valid(partial + check)
    assert not luhn_valid(partial + str((int(check) + offset) % 10))


def test_cn_id_check_char_known_values() -> None:
    assert cn_id_check_char("11010519491231002") == "X"
    assert cn_id_check_char("44030519900101123") == cases_module.cn_id_check("44030519900101123")
    with pytest.raises(ValueError, match="17 ASCII digits"):
        cn_id_check_char("1101051949123100")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),  # people type a lower-case x
        ("110105194912310021", False),  # wrong check character
        ("990105194912310028", False),  # no such province
        ("11010518991231002" + cases_module.cn_id_check("11010518991231002"), False),  # born before 1900
        ("11010519850230002" + cases_module.cn_id_check("11010519850230002"), False),  # 30 February
        ("11010520300101002" + cases_module.cn_id_check("11010520300101002"), False),  # born in the future
        ("11010519491231002", False),
    ],
)
def test_cn_id_valid(value: str, expected: bool) -> None:
    assert cn_id_valid(value, today=dt.date(2025, 1, 1)) is expected


@given(
    st.sampled_from(cases_module.CN_REGIONS), st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999)
)
def test_cn_id_agrees_with_an_independent_implementation(region: str, birth: dt.date, sequence: int) -> None:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    check = cases_module.cn_id_check(first17)
    assert cn_id_check_char(first17) == check
    assert cn_id_valid(first17 + check)
    assert not cn_id_valid(first17 + ("0" if check != "0" else "1"))


@pytest.mark.parametrize(
    ("iban", "mod97", "valid"),
    [
        ("GB82WEST12345698765432", True, True),
        ("gb82west12345698765432", True, True),
        ("GB82WEST12345698765433", False, False),
        ("DE89370400440532013000", True, True),
        ("DE8937040044053201300", False, False),  # one character short (and the checksum breaks)
        ("NO9386011117947", True, True),
        ("XX57WEST12345698765432", True, False),  # the checksum holds, but there is no such country
        ("", False, False),
    ],
)
def test_iban_checks(iban: str, mod97: bool, valid: bool) -> None:
    assert iban_mod97_valid(iban) is mod97
    assert iban_valid(iban) is valid


@given(st.sampled_from(sorted(cases_module.IBAN_BBANS)), st.randoms(use_true_random=False))
def test_iban_agrees_with_an_independent_implementation(country: str, rng: object) -> None:
    bban = cases_module.random_bban(rng, cases_module.IBAN_BBANS[country])  # type: ignore[arg-type]
    check = cases_module.iban_check_digits(country, bban)
    assert iban_valid(country + check + bban)
    assert not iban_valid(country + f"{(int(check) + 1) % 100:02d}" + bban)


# --- each entity type ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机号是13812345678，邮箱是li@example.cn", [("PHONE", "13812345678"), ("EMAIL", "li@example.cn")]),
        ("mail: First.Last+tag@mail.example.co.uk.", [("EMAIL", "First.Last+tag@mail.example.co.uk")]),
        ("13812345678@163.com", [("EMAIL", "13812345678@163.com")]),
        ("not an address: x@localhost, a@b.c", []),
    ],
)
def test_email(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "+86 138 1234 5678",
        "138-1234-5678",
        "138 1234 5678",
        "+8613812345678",
        "(+86)13812345678",
        "0086 13812345678",
        "(415) 555-2671",
        "415-555-2671",
        "+1 415 555 2671",
        "415.555.2671",
        "1-800-555-0199",
        "+44 20 7946 0958",
        "+44 (0)20 7946 0958",
        "+33 1 42 68 53 00",
        "+81 3-1234-5678",
        "+852 2123 4567",
    ],
)
def test_phone_formats(phone: str) -> None:
    assert found(f"电话{phone}，谢谢") == [("PHONE", phone)]
    assert found(f"Call me on {phone} today.") == [("PHONE", phone)]


@pytest.mark.parametrize(
    "text",
    [
        "12345678901",
        "10012345678",
        "11812345678",  # 11 digits without a 1[3-9] mobile prefix
        "13812345678901",  # too long to be a mobile
        "123-456-7890",
        "(055) 555-2671",  # NANP area codes never start with 0 or 1
        "299 399 4999",  # prices in a row, not a space-separated US number
        "+1000 2000",
        "+44 12",  # too few digits for E.164
        "订单号13812345678",  # labelled as an order number
        "SF1381234567890",
        "A13812345678",  # letters glued to the digits
        "78 1234 5678 9012",
    ],
)
def test_phone_negatives(text: str) -> None:
    assert found(text) == []


def test_phone_is_cut_before_a_following_count_or_date() -> None:
    assert found("+86 138 1234 5678 2点以后") == [("PHONE", "+86 138 1234 5678")]
    assert found("138 1234 5678 2点以后打") == [("PHONE", "138 1234 5678")]
    assert found("+44 20 7946 0958 2024年3月") == [("PHONE", "+44 20 7946 0958")]


@pytest.mark.parametrize(
    "card",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "3782 822463 10005",
        "378282246310005",
        "5500 0000 0000 0004",
        "6212 3456 7890 1232",
        "6011000990139424",
        "3530111333300000",
        "2223000048400011",
    ],
)
def test_credit_card_formats(card: str) -> None:
    assert found(f"卡号{card}，谢谢") == [("CREDIT_CARD", card)]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "4111 1111 1111 1111 2026",  # part of a longer digit run
        "41 1111 1111 1111 11",  # not a card grouping
        "4111  1111 1111 1111",  # double space: not one run
        "9400111111111111",  # Luhn-valid, but no card network starts with 9
        "order no. 4111111111111111",  # labelled as an order number
        "1Z999AA10123456784",
        "JD0012345678901",
        "SF1234567890123",
    ],
)
def test_credit_card_negatives(text: str) -> None:
    assert found(text, types=frozenset({EntityType.CREDIT_CARD})) == []


def test_cn_id() -> None:
    assert found("身份证11010519491231002X。") == [("CN_ID", "11010519491231002X")]
    assert found("身份证110105194912310021。") == []
    assert found("身份证１１０１０５１９４９１２３１００２Ｘ") == [("CN_ID", "１１０１０５１９４９１２３１００２Ｘ")]


def test_iban() -> None:
    assert found("IBAN GB82 WEST 1234 5698 7654 32 thanks") == [("IBAN", "GB82 WEST 1234 5698 7654 32")]
    assert found("退款到BE68 5390 0754 7034 from now") == [("IBAN", "BE68 5390 0754 7034")]
    assert found("账户DE89370400440532013000谢谢") == [("IBAN", "DE89370400440532013000")]
    assert found("IBAN GB82 WEST 1234 5698 7654 33") == []  # mod 97 fails
    assert found("DE89 3704 0044 0532 0130 0") == []  # one character short for Germany
    assert found("GB82WEST12345698765432abc") == []  # runs into a word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IP 192.168.1.10, port 8080", ["192.168.1.10"]),
        ("from 10.0.0.1:8443 and 8.8.8.8/32", ["10.0.0.1", "8.8.8.8"]),
        ("地址2001:db8::1。", ["2001:db8::1"]),
        ("::ffff:192.0.2.128", ["::ffff:192.0.2.128"]),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", ["2001:0db8:85a3:0000:0000:8a2e:0370:7334"]),
        ("v1.2.3.4, version 1.2.3.4, 版本号：1.2.3.4, build 10.0.0.1", []),
        ("256.1.1.1, 1.2.3, 1.2.3.4.5, 192.168.01.1", []),
        ("14:30:00, 00:1A:2B:3C:4D:5E, ::1, A::B", []),
    ],
)
def test_ip_address(text: str, expected: list[str]) -> None:
    assert [value for _, value in found(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "A10023",
        "¥1299.00",
        "$19.99",
        "1,299",
        "2024-03-15",
        "2024年3月15日",
        "15/03/2024",
        "2024.03.15",
        "14:30",
        "SF1234567890123",
        "1Z999AA10123456784",
        "JD0012345678901",
        "78 1234 5678 9012",
        "x3",
        "100101",
        "SW1A 1AA",
        "1710489600",
        "20240315143000",
    ],
)
def test_hard_negatives(text: str) -> None:
    assert found(f"订单{text}，谢谢") == []
    assert found(f"about {text} please") == []


# --- spans, overlaps, options --------------------------------------------------------------------------------


def test_spans_are_code_point_offsets_into_the_original() -> None:
    text = "👍🏻🇨🇳 你好！电话１３８－１２３４－５６７８，邮箱ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ，卡4111 1111 1111 1111"
    result = redact(text)
    assert [span.entity_type for span in result.spans] == [EntityType.PHONE, EntityType.EMAIL, EntityType.CREDIT_CARD]
    for span in result.spans:
        assert text[span.start : span.end] == span.value
    assert result.spans[0].start == text.index("１３８")
    assert result.text == "👍🏻🇨🇳 你好！电话[PHONE]，邮箱[EMAIL]，卡[CREDIT_CARD]"


def test_fold_width_keeps_length_and_folds_compatibility_forms() -> None:
    text = "１３８\u3000－＋（）＠ｘＸ．：\u2013\u00a0٣😀中①²"
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert folded == "138 -+()@xX.:- 3😀中①²"


def test_overlaps_prefer_the_longest_then_the_most_specific() -> None:
    # An e-mail whose local part is a phone number: the longer e-mail wins.
    assert found("13812345678@163.com") == [("EMAIL", "13812345678@163.com")]
    # An 18-digit value that is both a valid CN ID and a Luhn-valid UnionPay-range number: CN_ID wins.
    first14 = "62010219900101"
    both = next(
        candidate
        for sequence in range(1000)
        for candidate in [first14 + f"{sequence:03d}" + cn_id_check_char(first14 + f"{sequence:03d}")]
        if candidate[-1] != "X" and luhn_valid(candidate)
    )
    assert found(both, types=frozenset({EntityType.CREDIT_CARD})) == [("CREDIT_CARD", both)]
    assert found(both) == [("CN_ID", both)]


def test_types_limits_detection_and_overlaps_are_resolved_among_them() -> None:
    text = "13812345678@163.com, 4111111111111111, 10.0.0.1"
    assert found(text, types=frozenset({EntityType.PHONE})) == [("PHONE", "13812345678")]
    assert found(text, types=frozenset({EntityType.IP_ADDRESS})) == [("IP_ADDRESS", "10.0.0.1")]
    assert found(text, types=frozenset()) == []


def test_input_length_guard() -> None:
    assert redact("a" * MAX_INPUT_CHARS).spans == ()
    with pytest.raises(InputTooLongError) as raised:
        redact("a" * (MAX_INPUT_CHARS + 1))
    assert isinstance(raised.value, ValueError)
    assert raised.value.length_chars == MAX_INPUT_CHARS + 1


def test_tokens_only_when_asked_and_values_never_in_repr() -> None:
    result = redact("email li@example.cn phone 13812345678")
    assert all(span.token is None for span in result.spans)
    tokenized = result.with_tokens(lambda entity_type, value: f"tok_{entity_type.lower()}_{len(value)}")
    assert [span.token for span in tokenized.spans] == ["tok_email_13", "tok_phone_11"]
    assert tokenized.text == result.text == "email [EMAIL] phone [PHONE]"
    assert "li@example.cn" not in repr(tokenized) and "13812345678" not in repr(tokenized)


def test_no_pii_returns_the_text_unchanged() -> None:
    assert redact("你好，我想退货") == RedactionResult(text="你好，我想退货", spans=())


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 9999,
        "a." * 9999 + "@",
        "1:" * 9999,
        "ab:" * 6666,
        "DE89 " * 3999,
        "1." * 9999,
        "+1 " * 6666,
        "a@" + "b." * 9990 + "c",
        "１２３４５６７８９０" * 2000,
        "-1" * 9999,
    ],
)
def test_adversarial_input_stays_linear(text: str) -> None:
    started = time.perf_counter()
    redact(text[:MAX_INPUT_CHARS])
    assert time.perf_counter() - started < 0.5


# --- the labelled evaluation set -----------------------------------------------------------------------------


def _load_cases() -> list[dict[str, object]]:
    return [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines()]


def test_evaluation_set_is_committed_up_to_date_and_well_formed() -> None:
    assert CASES_PATH.read_text(encoding="utf-8") == make_redaction_cases.render_jsonl(
        make_redaction_cases.build_cases()
    )
    cases = _load_cases()
    assert len(cases) >= 400
    negatives = [case for case in cases if not case["spans"]]
    assert len(negatives) / len(cases) >= 0.40
    assert {case["lang"] for case in cases} == {"en", "zh", "mixed"}
    for case in cases:
        text = case["text"]
        assert isinstance(text, str)
        for span in case["spans"]:  # type: ignore[attr-defined]
            assert text[span["start"] : span["end"]] == span["value"]
            assert span["type"] in set(EntityType)


def test_precision_and_recall_per_entity_type() -> None:
    true_pos: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    false_neg: Counter[str] = Counter()
    misses: list[str] = []
    for case in _load_cases():
        expected = {(s["type"], s["start"], s["end"]) for s in case["spans"]}  # type: ignore[attr-defined]
        predicted = {(s.entity_type.value, s.start, s.end) for s in redact(str(case["text"])).spans}
        for item in expected & predicted:
            true_pos[item[0]] += 1
        for item in predicted - expected:
            false_pos[item[0]] += 1
            misses.append(f"FP {case['id']} {item}")
        for item in expected - predicted:
            false_neg[item[0]] += 1
            misses.append(f"FN {case['id']} {item}")
    rows = ["type          support  TP  FP  FN  precision  recall"]
    failing = []
    for entity_type in EntityType:
        tp, fp, fn = true_pos[entity_type], false_pos[entity_type], false_neg[entity_type]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        rows.append(f"{entity_type:<13} {tp + fn:7d} {tp:3d} {fp:3d} {fn:3d} {precision:10.3f} {recall:7.3f}")
        if precision < TARGET or recall < TARGET:
            failing.append(entity_type)
    print("\n" + "\n".join(rows + misses))
    assert not failing, "\n".join(rows + misses)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的IP192.168.1.1登录不了", [("IP_ADDRESS", "192.168.1.1")]),
        ("ip: 10.0.0.1", [("IP_ADDRESS", "10.0.0.1")]),
        ("VIP192.168.1.1", []),
        ("APP版本号为1.2.3.4，一直闪退", []),
        ("firmware is 2.4.0.1", []),
        ("卡号4539 1488 0343 6467 2张都被扣款", [("CREDIT_CARD", "4539 1488 0343 6467")]),
        ("card 4111 1111 1111 1111 2026", []),
        ("商品条码6900000000021", []),
        ("barcode: 6900000000021", []),
    ],
)
def test_gaps_found_by_the_independent_review(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected
