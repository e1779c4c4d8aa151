"""The local mesh: which services exist, and a supervisor that runs each as its own process.

`shopmesh up` uses it: certificates, free ports, one process per service (each in its own process group,
killed with the supervisor so none is orphaned), health-gated start, clean stop.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.children import child_command
from shopmesh.certs import DEV_JWT_PUBLIC, USER_CONTEXT_PRIVATE, USER_CONTEXT_PUBLIC, ensure_certs


@dataclass(frozen=True)
class ServiceSpec:
    """A service of the mesh: its identity and the module `python -m` runs."""

    name: str
    module: str

    def installed(self) -> bool:
        """Whether the service's code exists in this installation."""
        try:
            spec = importlib.util.find_spec(self.module)
            if spec is not None and spec.submodule_search_locations is not None:  # a package: needs __main__
                spec = importlib.util.find_spec(f"{self.module}.__main__")
            return spec is not None
        except ModuleNotFoundError:
            return False


# Start order: dependencies first (the vault before everything that stores PII, the gateway last).
MESH: tuple[ServiceSpec, ...] = (
    ServiceSpec("vault", "services.vault"),
    ServiceSpec("embedding", "services.embedding"),
    ServiceSpec("profile", "services.profile"),
    ServiceSpec("retrieval", "services.retrieval"),
    ServiceSpec("ranking", "services.ranking"),
    ServiceSpec("support", "services.support"),
    ServiceSpec("gateway", "gateway"),
    ServiceSpec("console", "services.console"),
)


def available_services() -> list[ServiceSpec]:
    """The mesh services whose code exists here, in start order."""
    return [spec for spec in MESH if spec.installed()]


@dataclass
class RunningService:
    """A started service process and its ports (persisted in the run state file)."""

    name: str
    module: str
    pid: int
    port: int
    health_port: int
    metrics_port: int
    log_file: str
    healthy: bool = False
    started_s: float = field(default=0.0)
    replica: int = 0
    """0 for the first process of a service; a second replica (`Supervisor(replicas=...)`) is 1, and so on."""

    @property
    def key(self) -> str:
        """The name, and `#<replica>` for every replica after the first."""
        return self.name if self.replica == 0 else f"{self.name}#{self.replica}"


PORT_RESERVATIONS = Path(tempfile.gettempdir()) / "shopmesh-ports"
"""One file per port a shopmesh process on this machine has handed out, holding that process's pid."""


def _ephemeral_low() -> int:
    """The lowest port the kernel hands to outgoing connections (ip_local_port_range; 32768 by default)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _alive(pid: int) -> bool:
    """Whether a process exists (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reserve(port: int) -> bool:
    """Claims a port for this process; a claim whose process has exited is taken over."""
    PORT_RESERVATIONS.mkdir(parents=True, exist_ok=True)
    path = PORT_RESERVATIONS / str(port)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = int(path.read_text() or "0")
            except (OSError, ValueError):
                owner = 0
            if owner == os.getpid():
                return False  # handed out already by this process
            if owner and _alive(owner):
                return False
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w") as out:
            out.write(str(os.getpid()))
        if not _reserved:
            atexit.register(_release_reservations)
        _reserved.append(path)
        return True
    return False


_reserved: list[Path] = []


def _release_reservations() -> None:
    for path in _reserved:
        with contextlib.suppress(OSError):
            if path.read_text() == str(os.getpid()):
                path.unlink()


def free_port(host: str = "127.0.0.1") -> int:
    """A port to listen on that nothing is bound to and no other shopmesh process here has been given.

    Ports come from just below the kernel's ephemeral range, so an outgoing connection (to Redis, a peer...)
    cannot take one between this call and the service's bind, and each is reserved by a file naming this
    process, so two meshes started side by side (a test run beside CI) never get the same one. A port stays
    reserved until this process exits.
    """
    high = _ephemeral_low()
    low = max(1024, high - 12_000)
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randrange(low, high)
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        if _reserve(port):
            return port
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))  # every candidate taken: let the kernel choose, as before
        return int(sock.getsockname()[1])


def check_health(port: int, timeout_s: float = 1.0, host: str = "127.0.0.1") -> str:
    """The overall health status name (`SERVING`, `NOT_SERVING`, `UNREACHABLE`) on a plaintext health port."""
    try:
        with grpc.insecure_channel(f"{host}:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            response = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s)
            return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
    except grpc.RpcError:
        return "UNREACHABLE"


class Supervisor:
    """Starts and stops the local mesh.

    Args:
        services: what to run, in start order.
        home: the state folder (certs/, run/).
        plaintext: run without mTLS (only when asked).
        extra_env: added to every child's environment.
        otlp_endpoint: host:port of an OpenTelemetry collector (OTLP/gRPC) every service sends its spans to;
            empty: tracing off (the services' default).
        replicas: processes per service (default 1). With more than one, every peer dials the service as
            `ipv4:` with each replica's address and balances them with round_robin, as a headless Kubernetes
            Service does; the replicas share the service's data folder, so stateful services need shared
            stores (PostgreSQL, Redis) in `extra_env` to be run this way.
    """

    def __init__(self, services: Iterable[ServiceSpec], home: Path, *, plaintext: bool = False,
                 extra_env: dict[str, str] | None = None, otlp_endpoint: str = "",
                 replicas: dict[str, int] | None = None):
        self.services = list(services)
        self.replicas = {spec.name: max(1, (replicas or {}).get(spec.name, 1)) for spec in self.services}
        self.home = home
        self.plaintext = plaintext
        self.extra_env = dict(extra_env or {})
        self.otlp_endpoint = otlp_endpoint
        self.run_dir = home / "run"
        self.certs_dir = home / "certs"
        self.running: list[RunningService] = []
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def state_file(self) -> Path:
        """Where `shopmesh status` finds the running mesh."""
        return self.run_dir / "mesh.json"

    def _env(self, ports: dict[str, tuple[int, int, int]], spec: ServiceSpec, replica: int = 0) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        prefix = f"SHOPMESH_{spec.name.upper()}_"
        port, health_port, metrics_port = ports[_key(spec.name, replica)]
        env.update({
            f"{prefix}SERVICE_NAME": spec.name,
            f"{prefix}HOST": "127.0.0.1",
            f"{prefix}PORT": str(port),
            f"{prefix}HEALTH_PORT": str(health_port),
            f"{prefix}METRICS_PORT": str(metrics_port),
            f"{prefix}USER_CONTEXT_PUBLIC_KEYS": json.dumps([str(self.certs_dir / USER_CONTEXT_PUBLIC)]),
            "SHOPMESH_HOME": str(self.home),
            "PYTHONUNBUFFERED": "1",
        })
        if self.otlp_endpoint:
            env[f"{prefix}TRACING_EXPORTER"] = "otlp"
            env[f"{prefix}OTLP_ENDPOINT"] = self.otlp_endpoint
        if self.plaintext:
            env[f"{prefix}PLAINTEXT"] = "true"
        else:
            env[f"{prefix}CERTS_DIR"] = str(self.certs_dir)
        if spec.name == "gateway":
            env[f"{prefix}USER_CONTEXT_SIGNING_KEY"] = str(self.certs_dir / USER_CONTEXT_PRIVATE)
            env.setdefault(f"{prefix}JWT_PUBLIC_KEYS", json.dumps([str(self.certs_dir / DEV_JWT_PUBLIC)]))
        if spec.name == "console":
            # The local page is plain HTTP on 127.0.0.1 (in a cluster TLS ends at the ingress and cookies are Secure).
            env.setdefault(f"{prefix}COOKIE_SECURE", "false")
        if spec.name == "vault":
            # Local keys in their own folder, apart from the data; in Kubernetes they come from a Secret.
            env.setdefault(f"{prefix}KEY_DIR", str(self.home / "vault-keys"))
            env.setdefault(f"{prefix}CREATE_LOCAL_KEYS", "true")
            env.setdefault(f"{prefix}DATA_DIR", str(self.home / "vault"))
        for peer in self.services:
            env[f"{prefix}{peer.name.upper()}_ADDRESS"] = self.address(peer.name, ports)
        return env

    def address(self, name: str, ports: dict[str, tuple[int, int, int]] | None = None) -> str:
        """How a peer dials the service: host:port, or an `ipv4:` list of every replica's address."""
        if ports is None:
            ports = {s.key: (s.port, s.health_port, s.metrics_port) for s in self.running}
        count = self.replicas.get(name, 1)
        if count == 1:
            return f"127.0.0.1:{ports[name][0]}"
        return "ipv4:" + ",".join(f"127.0.0.1:{ports[_key(name, i)][0]}" for i in range(count))

    def _spawn(self, spec: ServiceSpec, ports: dict[str, tuple[int, int, int]], replica: int,
               log_path: Path) -> subprocess.Popen[bytes]:
        command, preexec = child_command([sys.executable, "-m", spec.module])
        with log_path.open("ab") as log:
            return subprocess.Popen(
                command, env=self._env(ports, spec, replica), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=preexec,  # noqa: PLW1509
            )

    def start(self, timeout_s: float = 120.0) -> None:
        """Starts every service and waits until each reports SERVING; raises RuntimeError on failure."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs").mkdir(exist_ok=True)
        ensure_certs(self.certs_dir, tuple(spec.name for spec in self.services))
        ports = {_key(spec.name, i): (free_port(), free_port(), free_port())
                 for spec in self.services for i in range(self.replicas[spec.name])}
        for spec in self.services:
            for replica in range(self.replicas[spec.name]):
                key = _key(spec.name, replica)
                suffix = "" if replica == 0 else f"-{replica}"
                log_path = self.run_dir / "logs" / f"{spec.name}{suffix}.log"
                proc = self._spawn(spec, ports, replica, log_path)
                self._procs[key] = proc
                port, health_port, metrics_port = ports[key]
                self.running.append(RunningService(spec.name, spec.module, proc.pid, port, health_port,
                                                   metrics_port, str(log_path), started_s=time.monotonic(),
                                                   replica=replica))
        self._write_state()
        self._wait_healthy(timeout_s)

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = {service.key: service for service in self.running}
        while pending:
            for name, service in list(pending.items()):
                code = self._procs[name].poll()
                if code is not None:
                    raise RuntimeError(f"{name} exited with code {code} during start-up; see {service.log_file}")
                if check_health(service.health_port, timeout_s=0.5) == "SERVING":
                    service.healthy = True
                    service.started_s = round(time.monotonic() - service.started_s, 2)
                    del pending[name]
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not healthy after {timeout_s:.0f}s: {', '.join(sorted(pending))}")
            if pending:
                time.sleep(0.2)
        self._write_state()

    def _write_state(self) -> None:
        state = {"plaintext": self.plaintext, "supervisor_pid": os.getpid(),
                 "services": [asdict(service) for service in self.running]}
        self.state_file.write_text(json.dumps(state, indent=2))

    def stop_service(self, name: str, grace_s: float = 10.0, replica: int = 0) -> None:
        """Stops one service (SIGTERM, then SIGKILL of its process group), keeping its ports for a restart."""
        proc = self._procs[_key(name, replica)]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace_s)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def kill_service(self, name: str, replica: int = 0) -> None:
        """SIGKILLs one service's process group at once (a crash: no shutdown runs), keeping its ports."""
        proc = self._procs[_key(name, replica)]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def pid(self, name: str, replica: int = 0) -> int:
        """The process id of a service's replica."""
        return self._procs[_key(name, replica)].pid

    def restart_service(self, name: str, timeout_s: float = 120.0, replica: int = 0) -> None:
        """Starts a stopped service again on the same ports and waits until it is SERVING."""
        ports = {s.key: (s.port, s.health_port, s.metrics_port) for s in self.running}
        service = next(s for s in self.running if s.name == name and s.replica == replica)
        spec = next(s for s in self.services if s.name == name)
        proc = self._spawn(spec, ports, replica, Path(service.log_file))
        self._procs[service.key] = proc
        service.pid, service.healthy, service.started_s = proc.pid, False, time.monotonic()
        deadline = time.monotonic() + timeout_s
        while check_health(service.health_port, timeout_s=0.5) != "SERVING":
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode} on restart; see {service.log_file}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not healthy {timeout_s:.0f}s after its restart")
            time.sleep(0.2)
        service.healthy = True
        self._write_state()

    def exited(self) -> list[tuple[str, int]]:
        """Services whose process has exited, with their exit codes."""
        return [(name, code) for name, proc in self._procs.items() if (code := proc.poll()) is not None]

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM every service (gateway first), wait for them, SIGKILL what is left; removes the state file."""
        for key in reversed([service.key for service in self.running]):
            proc = self._procs[key]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in self._procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        for proc in self._procs.values():
            # The process group goes too: a helper a service spawned (e.g. tritonserver) must not outlive it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.state_file.unlink(missing_ok=True)


def _key(name: str, replica: int) -> str:
    return name if replica == 0 else f"{name}#{replica}"


def read_state(run_dir: Path) -> dict[str, object] | None:
    """The state file of a running `shopmesh up`, or None."""
    path = run_dir / "mesh.json"
    if not path.exists():
        return None
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


def summarize_log(path: Path, max_errors: int = 3) -> dict[str, object]:
    """Counts of log lines by level and the last few errors of a service's JSON log."""
    counts: dict[str, int] = {}
    errors: list[str] = []
    if not path.exists():
        return {"lines": 0}
    for line in path.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
            level = str(event.get("level", "info"))
        except (json.JSONDecodeError, AttributeError):
            event, level = {"event": line[:200]}, "raw"
        counts[level] = counts.get(level, 0) + 1
        if level in ("error", "critical"):
            errors.append(str(event.get("event")))
    return {"lines": sum(counts.values()), "by_level": counts, "last_errors": errors[-max_errors:]}
