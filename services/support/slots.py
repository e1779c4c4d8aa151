"""Slot extraction and normalisation as intents.yaml defines them: order_id, payment_method, country,
coupon_code, item, size.

Rules and lexicons rather than a tagger: the slots are closed sets or strict formats, the normalised forms
are what the profile service and the FAQ look up, and a rule that misses is easy to see and fix.
"""

from __future__ import annotations

import re

ORDER_ID = re.compile(r"(?<![A-Za-z0-9])#?([A-Za-z])(\d{5})(?![0-9])")

_PAYMENT = [
    (re.compile(r"apple\s*pay", re.I), "apple_pay"),
    (re.compile(r"google\s*pay|谷歌支付", re.I), "google_pay"),
    (re.compile(r"pay\s*pal", re.I), "paypal"),
    (re.compile(r"ali\s*pay|支付宝|花呗", re.I), "alipay"),
    (re.compile(r"we\s*chat(\s*pay)?|weixin|微信", re.I), "wechat_pay"),
    (re.compile(r"\b(credit|debit)\s+card\b|\bcards?\b|\bvisa\b|master\s*card|\bamex\b|american express"
                r"|信用卡|银行卡|借记卡|储蓄卡|刷卡", re.I), "card"),
]

_COUNTRIES: dict[str, str] = {
    "singapore": "Singapore", "新加坡": "Singapore", "japan": "Japan", "日本": "Japan",
    "canada": "Canada", "加拿大": "Canada", "germany": "Germany", "德国": "Germany",
    "france": "France", "法国": "France", "united kingdom": "United Kingdom", "uk": "United Kingdom",
    "britain": "United Kingdom", "england": "United Kingdom", "英国": "United Kingdom",
    "united states": "United States", "usa": "United States", "america": "United States",
    "美国": "United States", "australia": "Australia", "澳大利亚": "Australia", "澳洲": "Australia",
    "new zealand": "New Zealand", "新西兰": "New Zealand", "china": "China", "中国": "China",
    "hong kong": "Hong Kong", "香港": "Hong Kong", "taiwan": "Taiwan", "台湾": "Taiwan",
    "korea": "South Korea", "south korea": "South Korea", "韩国": "South Korea",
    "malaysia": "Malaysia", "马来西亚": "Malaysia", "thailand": "Thailand", "泰国": "Thailand",
    "vietnam": "Vietnam", "越南": "Vietnam", "india": "India", "印度": "India",
    "italy": "Italy", "意大利": "Italy", "spain": "Spain", "西班牙": "Spain",
    "netherlands": "Netherlands", "荷兰": "Netherlands", "sweden": "Sweden", "瑞典": "Sweden",
    "switzerland": "Switzerland", "瑞士": "Switzerland", "ireland": "Ireland", "爱尔兰": "Ireland",
    "mexico": "Mexico", "墨西哥": "Mexico", "brazil": "Brazil", "巴西": "Brazil",
    "russia": "Russia", "俄罗斯": "Russia", "philippines": "Philippines", "菲律宾": "Philippines",
    "indonesia": "Indonesia", "印度尼西亚": "Indonesia", "印尼": "Indonesia",
    "uae": "United Arab Emirates", "dubai": "United Arab Emirates", "阿联酋": "United Arab Emirates",
}
_COUNTRY_EN = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in _COUNTRIES if k.isascii()),
                                                  key=len, reverse=True)) + r")\b(?!\s*\d)", re.I)
_COUNTRY_ZH = re.compile("|".join(sorted((re.escape(k) for k in _COUNTRIES if not k.isascii()), key=len,
                                         reverse=True)))

_LETTER_SIZE = r"(?:XXXS|XXS|XS|S|M|L|XL|XXL|XXXL|[2-5]XL)"
_SIZE_PATTERNS = [
    re.compile(r"\bsize\s+(" + _LETTER_SIZE + r"|\d{1,2}(?:\.5)?)\b", re.I),
    re.compile(r"\b(?:EU|UK|US)\s*(\d{1,2}(?:\.5)?)\b"),
    re.compile(r"(?<![A-Za-z'])(" + _LETTER_SIZE + r")(?![A-Za-z'])"),
    re.compile(r"(" + _LETTER_SIZE + r"|\d{2})\s*码", re.I),
    re.compile(r"\b(?:a|an)\s+(\d{2}(?:\.5)?)\s*(?:$|[,.!?])", re.I),
]

_COUPON_CONTEXT = re.compile(r"code|coupon|voucher|promo|优惠|券|折扣码", re.I)
_COUPON_TOKEN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2,12}\d{1,4}|[A-Z]{5,12})(?![A-Za-z0-9])")
_NOT_COUPONS = {"PAYPAL", "ALIPAY", "WECHAT", "IPHONE", "HELLO", "THANKS", "ORDER", "REFUND", "COUPON",
                "VOUCHER", "PROMO", "CODE"}

_ITEM_NOUNS_EN = (
    "puffer jacket", "jacket", "coat", "dress", "sweater", "jumper", "hoodie", "cardigan", "shirt", "t-shirt",
    "blouse", "top", "jeans", "trousers", "pants", "shorts", "skirt", "sneakers", "shoes", "boots", "sandals",
    "heels", "scarf", "hat", "belt", "bag", "backpack", "socks", "leggings", "swimsuit", "bra",
    "headphones", "earbuds", "charger", "cable", "phone case", "laptop", "kettle", "blender", "lamp", "vase",
    "mug", "pan", "sofa", "table", "rice cooker", "vacuum cleaner", "speaker", "watch", "camera", "mixer")
_ITEM_NOUNS_ZH = (
    "连衣裙", "羽绒服", "外套", "大衣", "夹克", "毛衣", "卫衣", "衬衫", "T恤", "牛仔裤", "裤子", "短裤", "半身裙",
    "裙子", "运动鞋", "靴子", "鞋子", "凉鞋", "围巾", "帽子", "腰带", "包", "背包", "袜子", "泳衣", "内衣",
    "耳机", "充电器", "数据线", "手机壳", "笔记本", "电脑", "水壶", "搅拌机", "台灯", "花瓶", "杯子", "锅",
    "沙发", "桌子", "电饭煲", "吸尘器", "音箱", "手表", "相机", "吹风机")
_MODIFIERS_EN = {
    "black", "white", "grey", "gray", "red", "blue", "navy", "green", "pink", "beige", "brown", "yellow",
    "purple", "orange", "wool", "woollen", "linen", "silk", "cotton", "leather", "denim", "cashmere",
    "puffer", "running", "winter", "summer", "long", "short", "floral", "striped", "wireless", "glass",
    "new", "little", "maxi", "midi", "mini", "knit", "rain", "ankle", "bluetooth", "usb", "phone", "ceramic"}
_MODIFIER_ZH = re.compile(r"((?:黑|白|灰|红|蓝|绿|粉|黄|紫|棕|米|藏青|卡其)色"
                          r"|羊毛|真丝|纯棉|皮|牛仔|长款|短款|无线|蓝牙)*$")
_ITEM_EN = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(_ITEM_NOUNS_EN, key=len, reverse=True))
                      + r")\b", re.I)
_ITEM_ZH = re.compile("|".join(re.escape(n) for n in sorted(_ITEM_NOUNS_ZH, key=len, reverse=True)))


def extract_order_id(text: str) -> str | None:
    """The last order number in the text, normalised ("#a10023" -> "A10023")."""
    found = ORDER_ID.findall(text)
    return f"{found[-1][0].upper()}{found[-1][1]}" if found else None


def extract_payment_method(text: str) -> str | None:
    """The payment method mentioned last (card | paypal | alipay | wechat_pay | apple_pay | google_pay)."""
    best: tuple[int, str] | None = None
    for pattern, name in _PAYMENT:
        for match in pattern.finditer(text):
            if best is None or match.start() > best[0]:
                best = (match.start(), name)
    return best[1] if best else None


def extract_country(text: str) -> str | None:
    """The destination country mentioned last, as its English short name."""
    hits = [(m.start(), _COUNTRIES[m.group(1).lower()]) for m in _COUNTRY_EN.finditer(text)
            if not (m.group(1) == "us" or (m.group(1).lower() == "uk" and m.group(1) != "UK"))]
    hits += [(m.start(), _COUNTRIES[m.group(0)]) for m in _COUNTRY_ZH.finditer(text)]
    return max(hits)[1] if hits else None


def extract_size(text: str) -> str | None:
    """The clothing or shoe size mentioned last, upper case ("size m" -> "M", "42码" -> "42")."""
    best: tuple[int, str] | None = None
    for pattern in _SIZE_PATTERNS:
        for match in pattern.finditer(text):
            if best is None or match.start(1) > best[0]:
                best = (match.start(1), match.group(1).upper())
    return best[1] if best else None


def extract_coupon_code(text: str, in_coupon_context: bool = False) -> str | None:
    """A promo code the user typed, upper case; only in a coupon context (the words or the intent).

    Args:
        text: the message.
        in_coupon_context: True when the turn's or session's intent is a coupon intent, so that "it's
            save10" after "my promo code isn't working" counts.
    """
    if not (in_coupon_context or _COUPON_CONTEXT.search(text)):
        return None
    for match in reversed(list(_COUPON_TOKEN.finditer(text))):
        token = match.group(1)
        if ORDER_ID.fullmatch(token) or token.upper() in _NOT_COUPONS:
            continue
        if token.isupper() or any(ch.isdigit() for ch in token):
            return token.upper()
    return None


def extract_item(text: str) -> str | None:
    """The product the user refers to with its describing words ("black puffer jacket", "黑色羽绒服")."""
    matches = list(_ITEM_EN.finditer(text))
    if matches:
        match = matches[0]
        words = re.findall(r"[A-Za-z-]+", text[:match.start()])
        kept: list[str] = []
        for word in reversed(words):
            if word.lower() not in _MODIFIERS_EN:
                break
            kept.insert(0, word.lower())
        return " ".join([*kept, match.group(1).lower()])
    zh = list(_ITEM_ZH.finditer(text))
    if zh:
        match = zh[0]
        prefix = _MODIFIER_ZH.search(text[:match.start()])
        return (prefix.group(0) if prefix else "") + match.group(0)
    return None


def extract_slots(text: str, *, coupon_context: bool = False) -> dict[str, str]:
    """Every slot found in one message, normalised.

    Args:
        text: the (redacted) message.
        coupon_context: see `extract_coupon_code`.

    Returns:
        slot name -> normalised value, only for slots present.
    """
    found = {
        "order_id": extract_order_id(text),
        "payment_method": extract_payment_method(text),
        "country": extract_country(text),
        "coupon_code": extract_coupon_code(text, coupon_context),
        "item": extract_item(text),
        "size": extract_size(text),
    }
    return {name: value for name, value in found.items() if value}


def slot_matches(name: str, expected: str, captured: str | None) -> bool:
    """The taxonomy's comparison: trimmed, case-insensitive; `item` as a substring either way."""
    if captured is None:
        return False
    want, got = expected.strip().lower(), captured.strip().lower()
    if name == "item":
        return want in got or got in want
    return want == got
