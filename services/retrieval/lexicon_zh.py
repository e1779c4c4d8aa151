"""Chinese glosses of the clothing catalogue's English vocabulary, so Chinese queries match lexically.

The clothing data set is English only; a shop localising its catalogue would carry these names in Chinese.
This table is our own content (colours, garment nouns, categories, a few style words), applied at index time;
BM25 then sees both languages and jieba segments the Chinese side.
"""

from __future__ import annotations

import re

GLOSSES: dict[str, str] = {
    # colours
    "black": "黑色", "ivory": "象牙白", "navy": "藏青色 海军蓝", "sage": "鼠尾草绿", "rust": "铁锈红",
    "blush": "浅粉色", "charcoal": "炭灰色", "denim blue": "牛仔蓝", "camel": "驼色", "olive": "橄榄绿",
    "plum": "梅子紫", "cream": "奶油色 米白色",
    # garments
    "dress": "连衣裙 裙子", "coat": "大衣 外套", "jacket": "夹克 外套", "jeans": "牛仔裤", "sweater": "毛衣",
    "pants": "裤子 长裤", "skirt": "半身裙 裙子", "blouse": "衬衫", "knit top": "针织上衣",
    "fine-gauge top": "细针织上衣",
    "shorts": "短裤", "swimsuit": "泳衣", "lounge set": "家居服", "pyjama set": "睡衣", "bralette": "无钢圈文胸 内衣",
    "tights": "连裤袜 袜子", "cami": "吊带背心", "joggers": "慢跑裤 运动裤",
    "chemise": "睡裙", "statement piece": "时尚单品",
    # departments and classes
    "tops": "上衣", "bottoms": "下装", "intimate": "内衣 贴身衣物", "jackets": "夹克 外套", "dresses": "连衣裙",
    "outerwear": "外套", "knits": "针织衫", "sleep": "睡衣", "swim": "泳装", "lounge": "家居服", "legwear": "袜子",
    "layering": "打底", "trend": "潮流",
    # style words
    "relaxed": "宽松", "classic": "经典", "everyday": "日常", "tailored": "修身 剪裁", "soft": "柔软", "airy": "轻盈",
    "cropped": "短款", "textured": "有质感", "easy": "舒适", "printed": "印花", "ribbed": "罗纹",
    "linen-blend": "亚麻混纺", "draped": "垂坠", "structured": "挺括",
}
_PATTERN = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in GLOSSES), key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)


def gloss(text: str) -> str:
    """The Chinese glosses of the known English words in text, space-separated, each once."""
    seen: list[str] = []
    for match in _PATTERN.findall(text):
        value = GLOSSES[match.lower()]
        if value not in seen:
            seen.append(value)
    return " ".join(seen)
