"""The hardening suites' own Redis and PostgreSQL servers, which they may kill -9 (never the machine's shared
ones on 6379/5432): Redis with append-only persistence fsynced on every write, PostgreSQL with fsync on, each on
a free port with its data in a temporary folder.

A kill is a crash of the whole server (its process group gets SIGKILL, as on a power cut); a restart runs the
same command on the same port and data folder, so Redis replays its AOF and PostgreSQL runs crash recovery.
"""

from __future__ import annotations

import abc
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from shopmesh.mesh import free_port


def _tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} during start; its log ends:\n{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not listening on {port} after {timeout_s:.0f}s")


class _Server(abc.ABC):
    """A server process in its own session, killable as a group and restartable on the same port."""

    name = "server"
    log: Path

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @abc.abstractmethod
    def _spawn(self) -> subprocess.Popen[bytes]:
        """Starts the server process (in its own session)."""

    def _ready(self) -> None:
        assert self.proc is not None
        _wait_port(self.port, self.proc, self.name, self.log)

    def start(self) -> None:
        """Starts the server and waits until it accepts connections."""
        self.proc = self._spawn()
        self._ready()

    def kill(self) -> None:
        """SIGKILL of the server's process group: no shutdown, no final flush."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        # The server's other processes (PostgreSQL's backends) die with the group but may outlive the leader
        # for a moment; a restart while they still hold the old shared memory crashed the new postmaster.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    @property
    def pid(self) -> int:
        """The server's pid."""
        assert self.proc is not None
        return self.proc.pid


class OwnRedis(_Server):
    """redis-server with `appendonly yes`, `appendfsync always`: every acknowledged write is on disk."""

    name = "redis"

    def __init__(self, data_dir: Path):
        super().__init__()
        self.data_dir = data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "redis.log"

    @property
    def url(self) -> str:
        """The redis:// URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self) -> subprocess.Popen[bytes]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        log = self.log.open("ab")
        return subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


class OwnPostgres(_Server):
    """A PostgreSQL cluster of its own (initdb once, trust auth on 127.0.0.1, fsync on). As root the server runs
    as the `postgres` user, which PostgreSQL requires; its folder is then a fresh one under the temp dir (pytest's
    are private to root)."""

    name = "postgres"

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="shopmesh-hardening-pg-"))
        self.data_dir = self.root / "data"
        self.log = self.root / "postgres.log"
        self._user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        self._initdb()

    @property
    def dsn(self) -> str:
        """DSN of the cluster's `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _binary(self, name: str) -> str:
        # Debian's postgresql package keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
        found = shutil.which(name) or next(
            (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None)
        if found is None:
            raise RuntimeError(f"{name} (PostgreSQL server) is not installed (apt-get install postgresql)")
        return found

    def _as_owner(self) -> dict[str, object]:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        done = subprocess.run(
            [self._binary("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-instructions"],
            capture_output=True, text=True, timeout=120, cwd=self.root, **self._as_owner())  # type: ignore[call-overload]
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")

    def _spawn(self) -> subprocess.Popen[bytes]:
        log = self.log.open("ab")
        proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
            [self._binary("postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-k", str(self.root),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.root,
            **self._as_owner())
        return proc

    def _ready(self) -> None:
        import psycopg

        assert self.proc is not None
        _wait_port(self.port, self.proc, self.name, self.log, timeout_s=60)
        deadline = time.monotonic() + 60
        while True:  # listening comes before crash recovery ends: wait until it takes queries
            try:
                with psycopg.connect(self.dsn, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.2)

    def remove(self) -> None:
        """Stops the server and deletes its folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
