"""The agents' local accounts: a YAML file of argon2id password hashes and permissions, and sign-in checks.

The file (a Secret in a cluster) is re-read when its modification time changes, so adding an agent needs no
restart. Sign-in takes the same time whether or not the account exists (a dummy hash is verified), and an
account locks for a while after repeated failures.

    agents:
      - id: ada                # [a-z0-9._-]{1,32}
        display_name: Ada      # shown to the customer
        password_hash: "$argon2id$v=19$m=65536,t=3,p=4$..."
        permissions: [reveal]  # reveal: may show redacted values in clear (audited by the vault)
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

AGENT_ID = re.compile(r"^[a-z0-9._-]{1,32}$")
PERMISSIONS = frozenset({"reveal"})
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-password")


@dataclass(frozen=True)
class Agent:
    """A signed-in (or signing-in) agent."""

    agent_id: str
    display_name: str
    permissions: frozenset[str] = field(default_factory=frozenset)

    @property
    def may_reveal(self) -> bool:
        """Whether this agent may see redacted values in clear."""
        return "reveal" in self.permissions


@dataclass(frozen=True)
class _Account:
    agent: Agent
    password_hash: str


class AccountsError(ValueError):
    """The accounts file is malformed (the message names the entry, never a hash)."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password (the library's defaults: RFC 9106's second recommendation)."""
    return _hasher.hash(password)


def parse_accounts(doc: Any) -> dict[str, _Account]:
    """The accounts of a parsed YAML document."""
    if not isinstance(doc, dict) or not isinstance(doc.get("agents", []), list):
        raise AccountsError("accounts file: expected a mapping with a list 'agents'")
    accounts: dict[str, _Account] = {}
    for i, entry in enumerate(doc.get("agents") or []):
        if not isinstance(entry, dict):
            raise AccountsError(f"agents[{i}]: expected a mapping")
        agent_id = str(entry.get("id", ""))
        if not AGENT_ID.match(agent_id):
            raise AccountsError(f"agents[{i}].id: must match {AGENT_ID.pattern}")
        if agent_id in accounts:
            raise AccountsError(f"agents[{i}].id: {agent_id} is listed twice")
        password_hash = str(entry.get("password_hash", ""))
        if not password_hash.startswith("$argon2"):
            raise AccountsError(f"agents[{i}].password_hash: expected an argon2 hash")
        permissions = frozenset(str(p) for p in entry.get("permissions") or [])
        if unknown := permissions - PERMISSIONS:
            raise AccountsError(f"agents[{i}].permissions: unknown {sorted(unknown)}")
        name = str(entry.get("display_name") or agent_id)[:64]
        accounts[agent_id] = _Account(Agent(agent_id, name, permissions), password_hash)
    return accounts


def add_agent(path: Path, agent_id: str, display_name: str, password: str, permissions: list[str]) -> None:
    """Adds or replaces one account in the file (created 0600 with its folder when missing)."""
    doc: dict[str, Any] = {"agents": []}
    if path.exists():
        doc = yaml.safe_load(path.read_text()) or {"agents": []}
    agents = [a for a in doc.get("agents") or [] if a.get("id") != agent_id]
    agents.append({"id": agent_id, "display_name": display_name, "password_hash": hash_password(password),
                   "permissions": sorted(permissions)})
    doc["agents"] = agents
    parse_accounts(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        yaml.safe_dump(doc, out, sort_keys=False, allow_unicode=True)
    tmp.replace(path)


class Accounts:
    """The accounts of a file, re-read on change, with sign-in throttling per account.

    Args:
        path: the YAML file.
        failures_before_lock / lock_seconds: an account refuses sign-ins for lock_seconds after that many
            failures in a row.
    """

    def __init__(self, path: Path, *, failures_before_lock: int = 5, lock_seconds: int = 300):
        self.path = path
        self._failures_before_lock = failures_before_lock
        self._lock_seconds = lock_seconds
        self._accounts: dict[str, _Account] = {}
        self._stamp: tuple[int, int] | None = None
        self._failures: dict[str, tuple[int, float]] = {}
        self._mutex = threading.Lock()
        self.reload()

    def reload(self) -> None:
        """Re-reads the file when it changed (a missing file means no accounts)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._accounts, self._stamp = {}, None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        self._accounts = parse_accounts(yaml.safe_load(self.path.read_text()) or {})
        self._stamp = stamp

    def ids(self) -> list[str]:
        """The agent ids in the file now."""
        self.reload()
        return list(self._accounts)

    def get(self, agent_id: str) -> Agent | None:
        """The agent of an id, as the file says now (None: removed)."""
        self.reload()
        account = self._accounts.get(agent_id)
        return account.agent if account else None

    def locked(self, agent_id: str, now: float | None = None) -> bool:
        """Whether the account refuses sign-ins now."""
        count, since = self._failures.get(agent_id, (0, 0.0))
        now = time.monotonic() if now is None else now
        return count >= self._failures_before_lock and now - since < self._lock_seconds

    def verify(self, agent_id: str, password: str) -> Agent | None:
        """The agent when the password is right and the account is not locked; None otherwise.

        Blocking (argon2 takes ~50 ms by design): call it in a worker thread.
        """
        self.reload()
        account = self._accounts.get(agent_id)
        if self.locked(agent_id):
            _hasher_verify(_DUMMY_HASH, password)
            return None
        ok = _hasher_verify(account.password_hash if account else _DUMMY_HASH, password) and account is not None
        with self._mutex:
            if ok:
                self._failures.pop(agent_id, None)
            else:
                count, _ = self._failures.get(agent_id, (0, 0.0))
                self._failures[agent_id] = (count + 1, time.monotonic())
        return account.agent if ok and account else None


def _hasher_verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


DEMO_AGENT = "demo"


def ensure_demo_agent(accounts_file: Path) -> Path | None:
    """For local runs: when no accounts file exists, creates one with agent `demo` (may reveal) and a random
    password written beside it (mode 0600); returns that password file, or None when accounts already exist."""
    import secrets

    password_file = accounts_file.with_name("demo-agent-password")
    if accounts_file.exists():
        return password_file if password_file.exists() else None
    password = secrets.token_urlsafe(12)
    accounts_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(password_file, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    add_agent(accounts_file, DEMO_AGENT, "Demo Agent", password, ["reveal"])
    return password_file
