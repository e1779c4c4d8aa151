"""Access policy: what each caller (mTLS identity) may do, for which declared purpose, with which PII types.

The policy is one reviewed YAML file (`policy.yaml` beside this module by default). A rule names a caller, a
purpose and the operations it covers; per PII type it grants `clear`, `masked` or nothing (deny). `subjects:
self` (the default) restricts the rule to calls carrying the end user's signed context for that very subject;
`subjects: any` lets the purpose reach any subject (always audited). `agent: required` marks purposes used on
behalf of a signed-in support agent. Anything no rule grants is denied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import yaml

from services.vault.pii import PiiType

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.yaml")
PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}(\.[a-z][a-z0-9_]{0,40}){1,3}$")
OPERATIONS = frozenset({"tokenize", "detokenize", "lookup", "redact", "export", "forget"})
_RULE_KEYS = frozenset({"caller", "purpose", "operations", "subjects", "agent", "types", "note"})


class Access(IntEnum):
    """How much of a value a rule grants; CLEAR and MASKED equal `shopmesh.vault.v1.Disclosure`."""

    DENY = 0
    MASKED = 1
    CLEAR = 2


class PolicyError(ValueError):
    """The policy file is malformed; the vault refuses to start with it."""


@dataclass(frozen=True)
class Rule:
    """One grant: (caller, purpose, operations) → access per PII type."""

    caller: str
    purpose: str
    operations: frozenset[str]
    any_subject: bool
    agent_required: bool
    access: dict[PiiType, Access]

    def access_for(self, pii_type: PiiType) -> Access:
        """The access this rule grants to a type (DENY when it does not name it)."""
        return self.access.get(pii_type, Access.DENY)


@dataclass(frozen=True)
class Policy:
    """The loaded policy.

    Attributes:
        admins: identities allowed the admin RPCs (keys, audit).
        rules: grants keyed by (caller, purpose, operation).
    """

    admins: frozenset[str]
    rules: dict[tuple[str, str, str], Rule]

    def rule(self, caller: str | None, purpose: str, operation: str) -> Rule | None:
        """The rule for this caller, purpose and operation, or None (deny)."""
        if caller is None:
            return None
        return self.rules.get((caller, purpose, operation))

    def is_admin(self, caller: str | None) -> bool:
        """Whether the caller may use the admin RPCs."""
        return caller is not None and caller in self.admins


def _parse_access(raw: Any, where: str) -> dict[PiiType, Access]:
    if not isinstance(raw, dict) or not raw:
        raise PolicyError(f"{where}: 'types' must map PII types (or '*') to clear | masked")
    levels = {"clear": Access.CLEAR, "masked": Access.MASKED}
    access: dict[PiiType, Access] = {}
    for name, level in raw.items():
        if level not in levels:
            raise PolicyError(f"{where}: access for {name!r} must be clear or masked, not {level!r}")
        if name == "*":
            for pii_type in PiiType:
                access.setdefault(pii_type, levels[level])
            continue
        try:
            access[PiiType[str(name)]] = levels[level]
        except KeyError as exc:
            raise PolicyError(f"{where}: unknown PII type {name!r}") from exc
    return access


def _parse_rule(raw: Any, index: int) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: a rule is a mapping")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
    caller, purpose = raw.get("caller"), raw.get("purpose")
    if not isinstance(caller, str) or not caller:
        raise PolicyError(f"{where}: 'caller' is required")
    if not isinstance(purpose, str) or not PURPOSE_RE.match(purpose):
        raise PolicyError(f"{where}: 'purpose' must look like service.what_for")
    operations = raw.get("operations")
    if not isinstance(operations, list) or not operations or not set(operations) <= OPERATIONS:
        raise PolicyError(f"{where}: 'operations' must be a non-empty list of {sorted(OPERATIONS)}")
    subjects = raw.get("subjects", "self")
    if subjects not in ("self", "any"):
        raise PolicyError(f"{where}: 'subjects' must be self or any")
    agent = raw.get("agent", "none")
    if agent not in ("none", "required"):
        raise PolicyError(f"{where}: 'agent' must be none or required")
    return Rule(caller, purpose, frozenset(operations), subjects == "any", agent == "required",
                _parse_access(raw.get("types"), where))


def parse_policy(document: Any) -> Policy:
    """Builds a Policy from the parsed YAML document; raises PolicyError on anything malformed."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise PolicyError("policy must be a mapping with version: 1")
    admins = document.get("admins", [])
    if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
        raise PolicyError("'admins' must be a list of identities")
    rules: dict[tuple[str, str, str], Rule] = {}
    for index, raw in enumerate(document.get("rules") or []):
        rule = _parse_rule(raw, index)
        for operation in rule.operations:
            key = (rule.caller, rule.purpose, operation)
            if key in rules:
                raise PolicyError(f"rules[{index}]: duplicate grant for {key}")
            rules[key] = rule
    return Policy(admins=frozenset(admins), rules=rules)


def load_policy(path: Path = DEFAULT_POLICY_FILE) -> Policy:
    """Reads and validates a policy file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc}") from exc
    return parse_policy(document)
