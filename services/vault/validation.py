"""Request validation shared by the vault's operations: subject ids, purposes, counts; field violations."""

from __future__ import annotations

import re

from services.vault.policy import PURPOSE_RE
from shared.errors import FieldViolation, InvalidArgument

SUBJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
MAX_BATCH = 1000


MAX_VIOLATIONS = 100
"""Field violations one INVALID_ARGUMENT carries at most: a batch of bad items must not make a huge status."""


class Violations:
    """Collects field violations and raises one INVALID_ARGUMENT carrying all of them (the first 100)."""

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, field: str, reason: str, description: str) -> None:
        """Records one bad field; the description starts with the reason code callers match on."""
        if len(self.items) < MAX_VIOLATIONS:
            self.items.append(FieldViolation(field, f"{reason}: {description}"))

    def raise_if_any(self, message: str = "invalid request") -> None:
        """Raises InvalidArgument (reason of the first violation) when anything was recorded."""
        if self.items:
            first_reason = self.items[0].description.split(":", 1)[0]
            raise InvalidArgument(message, self.items, reason=first_reason)


def check_subject(violations: Violations, subject_id: str, field: str = "subject_id") -> None:
    """A subject id is required and looks like an id (letters, digits, `._:@-`, at most 128)."""
    if not subject_id:
        violations.add(field, "REQUIRED", "the data subject (user id) is required")
    elif not SUBJECT_RE.match(subject_id):
        violations.add(field, "MALFORMED_ID", "subject ids are 1-128 letters, digits and . _ : @ -")


def check_purpose(violations: Violations, purpose: str) -> None:
    """A purpose is `<service>.<what_for>` in lower_snake_case segments."""
    if not purpose:
        violations.add("purpose", "REQUIRED", "declare the purpose, e.g. support.answer_order_question")
    elif not PURPOSE_RE.match(purpose):
        violations.add("purpose", "MALFORMED_PURPOSE", "purpose must be <service>.<what_for> in lower_snake_case")


def check_count(violations: Violations, field: str, count: int, limit: int = MAX_BATCH) -> None:
    """1 to `limit` items."""
    if count == 0:
        violations.add(field, "EMPTY", "at least one is required")
    elif count > limit:
        violations.add(field, "TOO_MANY", f"at most {limit} per call")
