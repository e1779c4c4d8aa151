"""Language detection for the two languages the bot answers in (en, zh), and a flag for other scripts.

A script count is enough here: the bot only needs to choose between English and Simplified Chinese, and
code-mixed messages ("我的order什么时候到") are Chinese as soon as they carry Han characters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectedLanguage:
    """The language of one message.

    Attributes:
        code: "en" or "zh", or "" when inconclusive (no letters, emoji only).
        supported: False when most letters are in a script the bot does not speak (Cyrillic, Arabic, kana...).
    """

    code: str
    supported: bool


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _is_latin(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or "\u00c0" <= ch <= "\u024f"


def detect_language(text: str) -> DetectedLanguage:
    """Detects en / zh by script.

    Args:
        text: the message.

    Returns:
        zh when Han characters make up at least a fifth of the letters (or any Han appear with few Latin
        letters), en when Latin letters dominate, "" when there are no letters; supported=False when other
        scripts outnumber both.
    """
    han = latin = other = 0
    for ch in text:
        if _is_han(ch):
            han += 1
        elif _is_latin(ch):
            latin += 1
        elif ch.isalpha():
            other += 1
    letters = han + latin + other
    if letters == 0:
        return DetectedLanguage("", True)
    if other > han + latin:
        # Japanese kana with kanji, Korean, Cyrillic...: answer in the session language, flag it.
        return DetectedLanguage("", False)
    # A Han character carries about as much as a short English word, hence the weighting.
    if han * 4 >= latin:
        return DetectedLanguage("zh", True)
    return DetectedLanguage("en", True)
