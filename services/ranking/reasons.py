"""A short reason per ranked item, from what drove its score, in English or Chinese.

The driver is found by occlusion: each source's feature group is reset to "not proposed by it" and the
group whose removal lowers the model score most names the reason (co-visitation -> "because you watched X",
X being the recent item closest in the item space; category affinity -> "popular in Y this week"; ...).
Texts hold catalogue titles and category names only, never anything about the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

KINDS = ("SIMILAR_TO_RECENT", "POPULAR_IN_CATEGORY", "TRENDING", "BUY_AGAIN", "FOR_YOU", "MATCHES_QUERY",
         "SIMILAR_TO_ITEM", "POPULAR_WITH_NEW_USERS")

# Which reason a source group stands for.
GROUP_REASON = {
    "CO_VISITATION": "SIMILAR_TO_RECENT",
    "TEXT_NEIGHBOURS": "SIMILAR_TO_RECENT",
    "USER_VECTOR_ANN": "FOR_YOU",
    "REPURCHASE": "BUY_AGAIN",
    "TRENDING": "TRENDING",
    "CATEGORY_AFFINITY": "POPULAR_IN_CATEGORY",
    "LEXICAL_MATCH": "MATCHES_QUERY",
    "DENSE_MATCH": "MATCHES_QUERY",
}

_TEXTS = {
    "en": {
        "SIMILAR_TO_RECENT": "Because you {verb} {title}",
        "POPULAR_IN_CATEGORY": "Popular in {category} this week",
        "TRENDING": "Trending this week",
        "BUY_AGAIN": "Buy it again",
        "FOR_YOU": "Picked for your taste",
        "MATCHES_QUERY": "Matches your search",
        "SIMILAR_TO_ITEM": "Similar to {title}",
        "POPULAR_WITH_NEW_USERS": "Popular with new customers",
    },
    "zh": {
        "SIMILAR_TO_RECENT": "因为你{verb}《{title}》",
        "POPULAR_IN_CATEGORY": "本周{category}热门",
        "TRENDING": "本周热门",
        "BUY_AGAIN": "再次购买",
        "FOR_YOU": "根据你的喜好推荐",
        "MATCHES_QUERY": "与你的搜索相符",
        "SIMILAR_TO_ITEM": "与《{title}》相似",
        "POPULAR_WITH_NEW_USERS": "新顾客都在买",
    },
}
_VERBS = {"en": {"movielens": "watched"}, "zh": {"movielens": "看过"}}
_DEFAULT_VERB = {"en": "viewed", "zh": "浏览过"}


@dataclass(frozen=True)
class Reason:
    """A reason in domain terms (kind without the proto prefix)."""

    kind: str
    text: str
    anchor_item_id: str = ""
    category_key: str = ""


def language_of(code: str) -> str:
    """"zh" for any Chinese code, else "en"."""
    return "zh" if code.lower().startswith("zh") else "en"


@lru_cache(maxsize=4096)
def render(kind: str, language: str, catalog_id: str, *, title: str = "", category_key: str = "",
           anchor_item_id: str = "") -> Reason:
    """The reason's text; a reason that needs a title or category it lacks falls back to a generic one."""
    lang = language_of(language)
    if kind in ("SIMILAR_TO_RECENT", "SIMILAR_TO_ITEM") and not title:
        kind = "FOR_YOU" if kind == "SIMILAR_TO_RECENT" else "TRENDING"
        anchor_item_id = ""
    if kind == "POPULAR_IN_CATEGORY" and not category_key:
        kind = "TRENDING"
    category = category_key.rsplit("/", 1)[-1] if category_key else ""
    verb = _VERBS[lang].get(catalog_id, _DEFAULT_VERB[lang])
    text = _TEXTS[lang][kind].format(verb=verb, title=title, category=category)
    return Reason(kind, text, anchor_item_id if kind in ("SIMILAR_TO_RECENT", "SIMILAR_TO_ITEM") else "",
                  category_key if kind == "POPULAR_IN_CATEGORY" else "")
