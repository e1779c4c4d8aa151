"""Text helpers of the redaction engine: width folding, and the context rules shared by several detectors."""

from __future__ import annotations

import re
import unicodedata

# --- width folding -------------------------------------------------------------------------------------------

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# Ranges that hold every BMP/SMP code point whose NFKC form is one ASCII character (CJK ideographs never are).
_FOLD_RANGES = ((0x00A0, 0x4DFF), (0xA000, 0xABFF), (0xF900, 0xFFEF), (0x1D400, 0x1D7FF), (0x1FBF0, 0x1FBF9))


def _build_fold_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for low, high in _FOLD_RANGES:
        for codepoint in range(low, high + 1):
            char = chr(codepoint)
            category = unicodedata.category(char)
            folded: str | None = None
            if char in _DASHES:
                folded = "-"
            elif category == "Zs":
                folded = " "
            elif category == "Nd":
                folded = str(unicodedata.decimal(char))
            elif category not in {"No", "Nl", "Cs", "Co", "Cn"}:
                # Superscripts, circled digits and roman numerals (No/Nl) stay as they are: they are not how
                # anyone writes a phone or card number, and folding them would glue digits onto real values.
                nfkc = unicodedata.normalize("NFKC", char)
                if len(nfkc) == 1 and nfkc.isascii() and nfkc.isprintable():
                    folded = nfkc
            if folded is not None and folded != char:
                table[codepoint] = ord(folded)
    return table


_FOLD_TABLE = _build_fold_table()


def fold_width(text: str) -> str:
    """The text with full-width and other compatibility forms of ASCII folded to ASCII, one code point each.

    Per-character NFKC restricted to results that are a single ASCII character (plus Unicode dashes to `-`,
    space separators to ` `, any decimal digit to its ASCII digit), so the result has exactly the length of
    the input and a span found in it indexes the original text unchanged.
    """
    if text.isascii():
        return text
    return text.translate(_FOLD_TABLE)


# --- shared context rules ------------------------------------------------------------------------------------

ASCII_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
ASCII_DIGITS = frozenset("0123456789")
_CONTEXT_CHARS = 24

# A digit value right after one of these labels is that kind of reference number, not personal data.
REFERENCE_LABEL = re.compile(
    r"(?:(?<![a-z])(?:order|tracking|waybill|invoice|parcel|shipment|package|ticket|ref|reference|awb)"
    r"(?:\s*(?:no\.?|number|num|id|code))?"
    r"|(?:订单|运单|退货单|退款单|售后单|工单|发票|快递单|物流单|包裹单?|追踪|跟踪|快递|物流)(?:号码?|编号)"
    r"|订单|运单|工单|发票|单号"
    r"|(?<![a-z])(?:barcode|ean|upc|gtin)|商品条码|条形码|条码)"
    r"\s*[:#]?\s*#?\s*$",
    re.ASCII,
)
# Dotted quads right after these are version numbers (`version 1.2.3.4`, `版本号：3.2.1.0`, `版本号为1.2.3.4`),
# not addresses.
VERSION_LABEL = re.compile(
    r"(?:(?<![a-z])(?:v|ver|version|build|release|rev|firmware|fw)\.?|版本号?|固件(?:版本)?)\s*(?:为|是|=|is)?\s*:?\s*$",
    re.ASCII,
)


def preceded_by(label: re.Pattern[str], folded: str, start: int) -> bool:
    """Whether the few characters before `start` end with `label` (matched on their lower-case form)."""
    return label.search(folded[max(0, start - _CONTEXT_CHARS) : start].lower()) is not None


# A grouped phone number glued to another digit group (`78 1234 5678 9012`) is part of some longer number;
# a short count after a space (`138 1234 5678 2点以后`) is not.
_GROUP_BEFORE = re.compile(r"(?:[0-9]{3} |[0-9][\-.])$", re.ASCII)
_GROUP_AFTER = re.compile(r" [0-9]{3}|[\-.][0-9]", re.ASCII)


def inside_digit_groups(folded: str, start: int, end: int) -> bool:
    """Whether the span continues a run of digit groups before or after it."""
    return _GROUP_BEFORE.search(folded, max(0, start - 4), start) is not None or (
        _GROUP_AFTER.match(folded, end) is not None
    )
