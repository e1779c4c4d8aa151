"""PII redaction of free text in English and Chinese: find typed values, replace them with placeholders.

Pure domain logic, no gRPC: the vault's servicer converts to and from protobuf and maps `InputTooLongError`
to INVALID_ARGUMENT. Detection runs on a width-folded copy of the input (full-width digits and letters as
ASCII, one code point for one), so spans computed there are offsets into the original text.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator

from services.vault.redaction_detectors import (
    Span,
    find_cn_ids,
    find_credit_cards,
    find_emails,
    find_ibans,
    find_ip_addresses,
    find_phones,
)
from services.vault.redaction_text import fold_width
from services.vault.redaction_types import (
    ALL_ENTITY_TYPES,
    MAX_INPUT_CHARS,
    EntityType,
    InputTooLongError,
    RedactedSpan,
    RedactionResult,
    Tokenizer,
)
from services.vault.redaction_validators import (
    cn_id_check_char,
    cn_id_valid,
    iban_mod97_valid,
    iban_valid,
    luhn_valid,
)

__all__ = [
    "ALL_ENTITY_TYPES",
    "MAX_INPUT_CHARS",
    "EntityType",
    "InputTooLongError",
    "RedactedSpan",
    "RedactionResult",
    "Tokenizer",
    "cn_id_check_char",
    "cn_id_valid",
    "iban_mod97_valid",
    "iban_valid",
    "luhn_valid",
    "redact",
]

_DETECTORS: dict[EntityType, Callable[[str], Iterator[Span]]] = {
    EntityType.EMAIL: find_emails,
    EntityType.PHONE: find_phones,
    EntityType.CREDIT_CARD: find_credit_cards,
    EntityType.CN_ID: find_cn_ids,
    EntityType.IBAN: find_ibans,
    EntityType.IP_ADDRESS: find_ip_addresses,
}

# Among overlapping candidates of equal length, the type whose rule is stricter wins: an e-mail address
# contains whatever digits its local part has, a CN ID's check digit and birth date beat a card's Luhn digit.
_SPECIFICITY: dict[EntityType, int] = {
    EntityType.EMAIL: 0,
    EntityType.IBAN: 1,
    EntityType.CN_ID: 2,
    EntityType.CREDIT_CARD: 3,
    EntityType.IP_ADDRESS: 4,
    EntityType.PHONE: 5,
}


def _resolve_overlaps(candidates: Iterable[tuple[int, int, EntityType]]) -> list[tuple[int, int, EntityType]]:
    """Non-overlapping spans in input order: longest first, then most specific type, then leftmost."""
    ranked = sorted(set(candidates), key=lambda c: (c[0] - c[1], _SPECIFICITY[c[2]], c[0]))
    chosen: list[tuple[int, int, EntityType]] = []  # kept sorted by start; never overlapping
    for candidate in ranked:
        start, end, _ = candidate
        index = bisect.bisect_left(chosen, candidate)
        if index > 0 and chosen[index - 1][1] > start:
            continue
        if index < len(chosen) and chosen[index][0] < end:
            continue
        chosen.insert(index, candidate)
    return chosen


def redact(text: str, *, types: frozenset[EntityType] | None = None) -> RedactionResult:
    """Replace every EMAIL, PHONE, CREDIT_CARD, CN_ID, IBAN and IP_ADDRESS value in `text` by a placeholder.

    Only the requested types are looked for, and overlaps are resolved among them: asking for PHONE alone
    redacts the phone number inside `13812345678@163.com` rather than leaving it because an e-mail won.

    Args:
        text: free text, any mix of English, Chinese, full-width characters and emoji.
        types: the entity types to find; all of them when None.

    Returns:
        The text with each value replaced by `[TYPE]`, and one span per value with code-point offsets into
        `text` and the original value (tokens are added by `RedactionResult.with_tokens` when asked for).

    Raises:
        InputTooLongError: `text` is longer than `MAX_INPUT_CHARS` code points.
    """
    if len(text) > MAX_INPUT_CHARS:
        raise InputTooLongError(len(text))
    wanted = ALL_ENTITY_TYPES if types is None else types
    folded = fold_width(text)
    candidates = [
        (start, end, entity_type)
        for entity_type, detect in _DETECTORS.items()
        if entity_type in wanted
        for start, end in detect(folded)
    ]
    if not candidates:
        return RedactionResult(text=text, spans=())
    pieces: list[str] = []
    spans: list[RedactedSpan] = []
    position = 0
    for start, end, entity_type in _resolve_overlaps(candidates):
        pieces.append(text[position:start])
        pieces.append(entity_type.placeholder)
        spans.append(RedactedSpan(entity_type=entity_type, start=start, end=end, value=text[start:end]))
        position = end
    pieces.append(text[position:])
    return RedactionResult(text="".join(pieces), spans=tuple(spans))
