"""The vault's admin operations: KEK rotation with background rewrap, key status, audit listing and verification.

Rotation never blocks reads: a data key is readable under whichever KEK version wraps it, and the rewrap moves
keys one small batch at a time with compare-and-set, so a replica racing another never loses a key.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from dataclasses import dataclass, field

from services.vault import crypto
from services.vault.audit import GENESIS_HASH, AuditEntry, ChainReport, Decision, Operation, verify_chain
from services.vault.store import DataStore
from services.vault.validation import Violations, check_purpose
from services.vault.vault import ERROR_DOMAIN, Vault
from shared.context import Caller
from shared.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, PermissionDenied
from shared.logging import get_logger

VERIFY_PAGE = 5000
_log = get_logger(__name__)


class KekState:
    """KEK lifecycle states; values equal `shopmesh.vault.v1.KekState`."""

    STAGED = 1
    ACTIVE = 2
    DECRYPT_ONLY = 3
    UNUSED = 4


@dataclass
class RewrapProgress:
    """The latest rewrap."""

    running: bool = False
    total: int = 0
    remaining: int = 0
    start_time: dt.datetime | None = None
    finish_time: dt.datetime | None = None


@dataclass(frozen=True)
class KekInfo:
    """One KEK version's state and how many data keys it wraps."""

    version: int
    state: int
    wrapped_count: int


@dataclass(frozen=True)
class KeyStatus:
    """GetKeyStatus's answer."""

    active_version: int
    keks: list[KekInfo]
    rewrap: RewrapProgress
    subject_count: int
    forgotten_count: int


@dataclass
class KeyAdmin:
    """Admin operations over a Vault; holds the rewrap task and its progress.

    Args:
        vault: the vault whose keys are administered.
        batch_size: data keys rewrapped per step (one short transaction each).
    """

    vault: Vault
    batch_size: int = 100
    progress: RewrapProgress = field(default_factory=RewrapProgress)
    _task: asyncio.Task[None] | None = None

    def require_admin(self, caller: Caller) -> None:
        """Admin RPCs are for the identities the policy names as admins."""
        if not self.vault.policy.is_admin(caller.service):
            raise PermissionDenied("admin operations are for the policy's admin identities", reason="POLICY_DENIED",
                                   domain=ERROR_DOMAIN, metadata={"purpose": "", "pii_types": ""})

    def pending_rewrap(self) -> int:
        """Data keys wrapped by a KEK older than the active one."""
        active = self.vault.keys.active_kek_version() or 0
        return sum(count for version, count in self.vault.keys.count_by_kek().items() if version < active)

    def rotate(self, caller: Caller, target_version: int, purpose: str) -> tuple[int, int, int]:
        """Activates a KEK version and starts the rewrap; returns (active, previous, keys to rewrap)."""
        violations = Violations()
        check_purpose(violations, purpose)
        if target_version < 0:
            violations.add("target_kek_version", "NEGATIVE", "0 (the newest loaded) or a version number")
        violations.raise_if_any()
        if not self.vault.policy.is_admin(caller.service):
            self.vault.audit(caller, purpose, Operation.ROTATE_KEYS, Decision.DENIED)
            self.require_admin(caller)
        ring = self.vault.reload_keys()
        target = target_version or ring.newest_version
        if target not in ring.keks:
            raise NotFound(f"KEK version {target} is not in the key source", reason="KEK_VERSION_NOT_LOADED",
                           domain=ERROR_DOMAIN)
        previous = self.vault.keys.active_kek_version() or target
        if target < previous:
            raise FailedPrecondition("the target KEK is older than the active one; restore the key source instead",
                                     reason="KEK_VERSION_OLDER", domain=ERROR_DOMAIN)
        if target != previous:
            self.vault.keys.set_active_kek_version(target)
        self.vault.note_active_kek_version(target)
        self.vault.audit(caller, purpose, Operation.ROTATE_KEYS, Decision.ALLOWED)
        pending = self.pending_rewrap()
        self.start_rewrap()
        return target, previous, pending

    def rewrap_batch(self) -> int:
        """Moves up to batch_size data keys to the active KEK; returns how many moved."""
        vault = self.vault
        active = vault.keys.active_kek_version()
        if active is None:
            return 0
        kek = vault.ring.kek(active)
        moved = 0
        for key in vault.keys.keys_below(active, self.batch_size):
            old = vault.ring.kek(key.kek_version) if key.kek_version in vault.ring.keks else None
            if old is None:
                continue  # its KEK left the key source: unreadable until restored, nothing to rewrap with
            try:
                data_key = crypto.unwrap_data_key(old, key.kek_version, key.subject_id, key.wrapped)
            except crypto.DecryptionError:
                _log.error("vault.rewrap.corrupt_data_key", kek_version=key.kek_version)  # no subject id: logs
                continue  # stay as it is: reads report DATA_LOSS for it, the rewrap goes on with the rest
            if vault.keys.replace_wrapping(key, active, crypto.wrap_data_key(kek, active, key.subject_id, data_key)):
                moved += 1
        return moved

    def start_rewrap(self) -> None:
        """Starts the background rewrap unless it runs already (needs a running event loop)."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        # Marked running before the task first runs, so a GetKeyStatus right after RotateKeys never reads the
        # previous rewrap's "finished, 0 remaining" while keys still sit on the old KEK.
        progress = self.progress
        progress.running, progress.start_time, progress.finish_time = True, self.vault.clock(), None
        progress.total = progress.remaining = self.pending_rewrap()
        self._task = loop.create_task(self.run_rewrap())

    async def run_rewrap(self, pause_s: float = 0.0) -> None:
        """Rewraps batch by batch, yielding to the event loop between batches so RPCs keep flowing."""
        progress = self.progress
        if not progress.running:
            progress.running, progress.start_time, progress.finish_time = True, self.vault.clock(), None
            progress.total = progress.remaining = self.pending_rewrap()
        try:
            while True:
                moved = self.rewrap_batch()
                progress.remaining = max(progress.remaining - moved, 0)
                if moved == 0:
                    break
                await asyncio.sleep(pause_s)
            progress.remaining = self.pending_rewrap()
        finally:
            progress.running, progress.finish_time = False, self.vault.clock()

    async def wait_rewrap(self) -> None:
        """Waits for the running rewrap, if any."""
        if self._task is not None:
            await self._task

    def status(self, caller: Caller) -> KeyStatus:
        """Active version, every version's state and count, rewrap progress, subject counts."""
        self.require_admin(caller)
        keys = self.vault.keys
        active = keys.active_kek_version() or 0
        counts = keys.count_by_kek()
        infos = []
        for version in sorted(set(self.vault.reload_keys().keks) | set(counts), reverse=True):
            count = counts.get(version, 0)
            if version > active:
                state = KekState.STAGED
            elif version == active:
                state = KekState.ACTIVE
            else:
                state = KekState.DECRYPT_ONLY if count else KekState.UNUSED
            infos.append(KekInfo(version, state, count))
        live, forgotten = keys.counts()
        return KeyStatus(active, infos, self.progress, live, forgotten)

    def list_audit(self, caller: Caller, subject_id: str, start_time: dt.datetime | None, page_size: int,
                   page_token: str) -> tuple[list[AuditEntry], str]:
        """A page of entries, oldest first, and the next page's token ("" on the last page)."""
        self.require_admin(caller)
        violations = Violations()
        if page_size < 0 or page_size > 1000:
            violations.add("page_size", "OUT_OF_RANGE", "1 to 1,000, or 0 for 100")
        after = 0
        if page_token:
            try:
                after = int(base64.urlsafe_b64decode(page_token.encode()).decode().removeprefix("after:"))
                if not 0 <= after < 2**63:  # a sequence the store can compare (SQLite raises OverflowError)
                    raise ValueError(after)
            except ValueError:
                violations.add("page_token", "INVALID_PAGE_TOKEN", "not a token this RPC returned")
        violations.raise_if_any()
        size = page_size or 100
        entries = self.vault.data.audit_page(subject_id, start_time, after, size + 1)
        more = len(entries) > size
        entries = entries[:size]
        token = base64.urlsafe_b64encode(f"after:{entries[-1].sequence}".encode()).decode() if more else ""
        return entries, token

    def verify(self, caller: Caller, from_sequence: int, to_sequence: int) -> ChainReport:
        """Recomputes the chain over a range (admin)."""
        self.require_admin(caller)
        # Sequences start at 1: a negative one reached SQLite as `from - 1` below -2^63 (OverflowError; fuzzing).
        negative = [FieldViolation(name, "OUT_OF_RANGE: sequences are 1 or more, 0 for the default")
                    for name, value in (("from_sequence", from_sequence), ("to_sequence", to_sequence)) if value < 0]
        if negative:
            raise InvalidArgument("sequences must not be negative", negative, reason="OUT_OF_RANGE")
        if to_sequence and from_sequence and to_sequence < from_sequence:
            raise InvalidArgument("to_sequence is before from_sequence",
                                  [FieldViolation("to_sequence", "BEFORE_FROM: must not be before from_sequence")],
                                  reason="BEFORE_FROM")
        return verify_audit_chain(self.vault.data, from_sequence, to_sequence)


def verify_audit_chain(data: DataStore, from_sequence: int = 0, to_sequence: int = 0) -> ChainReport:
    """Verifies the stored audit chain from `from_sequence` (0: the first) to `to_sequence` (0: the head).

    Reads the store directly, page by page, so `shopmesh vault audit-verify` can run against a copy too.
    """
    head_sequence, head_hash = data.audit_head()
    first = from_sequence or 1
    last = to_sequence or head_sequence
    if head_sequence == 0 or first > last:
        return ChainReport(True, 0, 0, "", head_sequence, head_hash)
    previous = GENESIS_HASH if first == 1 else data.audit_hash(first - 1)
    if previous is None:
        return ChainReport(False, 0, first - 1, f"entry {first - 1} before the range is missing", head_sequence,
                           head_hash)
    checked, expected = 0, first
    while expected <= last:
        page = data.audit_range(expected, last, VERIFY_PAGE)
        if not page:
            return ChainReport(False, checked, expected, f"entries {expected}..{last} are missing", head_sequence,
                               head_hash)
        report = verify_chain(page, expected_first_sequence=expected, previous_hash=previous,
                              head_sequence=head_sequence, head_hash=head_hash)
        if not report.intact:
            return ChainReport(False, checked + report.checked, report.first_bad_sequence, report.problem,
                               head_sequence, head_hash)
        checked += report.checked
        previous, expected = page[-1].entry_hash, page[-1].sequence + 1
    return ChainReport(True, checked, 0, "", head_sequence, head_hash)
