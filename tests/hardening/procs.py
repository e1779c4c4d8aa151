"""The process table as the fault suites read it (/proc): who is whose child, and what each is called."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.gateway.helpers import REPO


@dataclass(frozen=True)
class Proc:
    """One process: its pid, its parent's, and its name (comm, at most 15 characters)."""

    pid: int
    ppid: int
    name: str


def processes() -> list[Proc]:
    """Every process readable now."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                found.append(Proc(int(entry.name), int(stat[stat.rindex(")") + 2:].split()[1]),
                                  stat[stat.index("(") + 1:stat.rindex(")")]))
    return found


def children(pid: int, name: str) -> list[int]:
    """Pids of the processes named `name` among `pid`'s children."""
    return [p.pid for p in processes() if p.ppid == pid and p.name.startswith(name[:15])]


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    below: dict[int, list[int]] = {}
    for p in processes():
        below.setdefault(p.ppid, []).append(p.pid)
    found, todo = [pid], [pid]
    while todo:
        for child in below.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def shopmesh(env: dict[str, str], *args: str, timeout_s: float = 900) -> str:
    """Runs the `shopmesh` CLI with `env` over this environment; fails the test with its output if it fails."""
    done = subprocess.run([sys.executable, "-m", "shopmesh", *args], env=dict(os.environ, **env), cwd=REPO,
                          capture_output=True, text=True, timeout=timeout_s)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
