"""The redaction engine's value types: entity types, spans, results, and the input-size error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

MAX_INPUT_CHARS = 50_000
"""Longest text `redact` accepts, in code points; longer input raises `InputTooLongError`."""


class EntityType(StrEnum):
    """Kinds of personal data the engine finds in free text; the value is the placeholder's label."""

    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CREDIT_CARD = "CREDIT_CARD"
    CN_ID = "CN_ID"
    IBAN = "IBAN"
    IP_ADDRESS = "IP_ADDRESS"

    @property
    def placeholder(self) -> str:
        """The text that replaces a value of this type, e.g. `[EMAIL]`."""
        return f"[{self.value}]"


ALL_ENTITY_TYPES: frozenset[EntityType] = frozenset(EntityType)

Tokenizer = Callable[[EntityType, str], str]
"""Turns (entity type, original value) into an opaque token; the vault's tokenizer, injected by the caller."""


class InputTooLongError(ValueError):
    """The text is longer than `MAX_INPUT_CHARS`; the service maps this to INVALID_ARGUMENT."""

    def __init__(self, length_chars: int, limit_chars: int = MAX_INPUT_CHARS) -> None:
        super().__init__(f"text is {length_chars} characters long; the limit is {limit_chars}")
        self.length_chars = length_chars
        self.limit_chars = limit_chars


@dataclass(frozen=True, slots=True)
class RedactedSpan:
    """One value found in the input.

    `start`/`end` are code-point offsets into the ORIGINAL input, end exclusive, so that
    `original[start:end] == value` even when the value was written in full-width characters.
    `value` and `token` are kept out of `repr` so that logging a result never leaks the data.
    """

    entity_type: EntityType
    start: int
    end: int
    value: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """The redacted text (each value replaced by its type's placeholder) and the spans, in input order."""

    text: str
    spans: tuple[RedactedSpan, ...]

    def with_tokens(self, tokenize: Tokenizer) -> RedactionResult:
        """A copy whose spans carry a token for their value, for callers authorised to restore them.

        Args:
            tokenize: called once per span with its type and original value; returns the token.

        Returns:
            The same text and spans, each span's `token` set.
        """
        return replace(
            self, spans=tuple(replace(span, token=tokenize(span.entity_type, span.value)) for span in self.spans)
        )
