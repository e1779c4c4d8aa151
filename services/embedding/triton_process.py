"""The local `tritonserver` as a child of the embedding service: started with the service, restarted when it
dies, stopped with SIGTERM when the service stops.

It stays in the service's process group, so `shopmesh up`'s supervisor (which kills each service's group)
takes it down too, and it gets SIGTERM if the service itself is killed (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from pathlib import Path

from shared.children import child_command
from shared.logging import get_logger
from shopmesh.models.tritonserver import TritonInstall

_log = get_logger(__name__)


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ManagedTriton:
    """Runs and supervises one tritonserver serving `repository` on CPU.

    Args:
        install: the unpacked nvidia-pytriton wheel.
        repository: the Triton model repository (the CPU variant).
        log_path: where Triton's output goes.
        grpc_port: KServe v2 gRPC port; 0 picks a free one (kept across restarts).
        threads: OMP threads for the Python-backend models.
        restart_backoff_s: first wait before a restart, doubled up to 10 s while it keeps dying.
    """

    def __init__(self, install: TritonInstall, repository: Path, log_path: Path, *, grpc_port: int = 0,
                 threads: int = 1, restart_backoff_s: float = 0.5):
        self.install = install
        self.repository = repository
        self.log_path = log_path
        self.grpc_port = grpc_port or _free_port()
        self._http_port = _free_port()
        self._metrics_port = _free_port()
        self._threads = threads
        self._backoff_s = restart_backoff_s
        self._proc: asyncio.subprocess.Process | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0

    @property
    def url(self) -> str:
        """host:port of its gRPC endpoint."""
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int | None:
        """The running tritonserver's pid (None when it is down)."""
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def start(self) -> None:
        """Spawns tritonserver and the task that restarts it when it exits (does not wait for readiness)."""
        self._stopping = False
        await self._spawn()
        self._monitor = asyncio.create_task(self._watch(), name="tritonserver-monitor")

    async def _spawn(self) -> None:
        env = self.install.env()
        env.update(OMP_NUM_THREADS=str(self._threads), TOKENIZERS_PARALLELISM="false")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd, preexec = child_command(self.install.command(self.repository, self.grpc_port, self._http_port,
                                                          self._metrics_port))
        with self.log_path.open("ab") as log:
            self._proc = await asyncio.create_subprocess_exec(
                *cmd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
                preexec_fn=preexec,
            )
        _log.info("triton.started", pid=self._proc.pid, grpc_port=self.grpc_port, repository=str(self.repository),
                  log=str(self.log_path))

    async def _watch(self) -> None:
        backoff = self._backoff_s
        while not self._stopping:
            proc = self._proc
            if proc is None:
                return
            started = time.monotonic()
            code = await proc.wait()
            if self._stopping:
                return
            _log.error("triton.exited", code=code, restart_in_s=backoff)
            await asyncio.sleep(backoff)
            if self._stopping:
                return
            # A server that ran a while before dying restarts quickly; one dying at start backs off.
            backoff = self._backoff_s if time.monotonic() - started > 30 else min(backoff * 2, 10.0)
            self.restarts += 1
            await self._spawn()

    async def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM (Triton unloads its models and exits in 3-5 s), SIGKILL after `grace_s`."""
        self._stopping = True
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        _log.info("triton.stopped", code=proc.returncode)
