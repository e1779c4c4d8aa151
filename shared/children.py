"""Starting a child process that dies with its parent (PR_SET_PDEATHSIG) without running Python between fork
and exec.

With a `preexec_fn`, CPython runs the at-fork hooks gRPC registers in the child, in a process whose gRPC
threads were busy at the fork: a restarted service aborted (SIGABRT, "epoll_wait: Bad file descriptor") before
it wrote a line. util-linux `setpriv --pdeathsig` sets the signal and execs, so no Python runs in the child;
where it is missing, the fallback preexec_fn only calls libc's prctl, loaded once in the parent.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
from collections.abc import Callable
from typing import Any


def _load_prctl() -> Callable[..., Any] | None:
    try:
        prctl: Callable[..., Any] = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """A `preexec_fn`: SIGTERM to this child when its parent exits. Calls only into already-loaded libc."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


_SETPRIV = shutil.which("setpriv")


def child_command(command: list[str]) -> tuple[list[str], Callable[[], None] | None]:
    """The command to exec and the preexec_fn to pass (None with setpriv) for a child that gets SIGTERM when
    this process exits."""
    if _SETPRIV is not None:
        return [_SETPRIV, "--pdeathsig", "TERM", "--", *command], None
    return command, die_with_parent
