"""Runs a rendered Deployment's container as a local process, the way a kubelet would run it in a pod.

Volumes become folders under the pod's root: Secrets from a dict standing in for the cluster's Secrets (with
the rendered `items`, or every key), emptyDirs empty, the model repository a link to the local build. Env
values that name a mount path are rebased onto the pod's root; `secretKeyRef`s are read from the same dict.
Ports become free local ones, and peer Services' addresses the peers' local ports: the only changes a
process on one machine needs.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shopmesh.mesh import free_port
from tests.charts.conftest import REPO_ROOT, Manifest

Secrets = dict[str, dict[str, bytes]]



@dataclass
class Pod:
    """One started container: its process, local ports by name, and where its files are."""

    name: str
    root: Path
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    env: dict[str, str]
    log: Path
    container: dict[str, Any] = field(repr=False, default_factory=dict)
    termination_grace_s: float = 30.0

    def health(self, timeout_s: float = 1.0) -> str:
        """grpc.health.v1 status on the health port, as the kubelet's gRPC probe asks it."""
        try:
            with grpc.insecure_channel(f"127.0.0.1:{self.ports['health']}") as channel:
                response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                                     timeout=timeout_s)
                return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
        except grpc.RpcError:
            return "UNREACHABLE"

    def wait_serving(self, budget_s: float) -> float:
        """Seconds until SERVING; fails with the log's tail when the process dies or the budget runs out."""
        started = time.monotonic()
        while self.health() != "SERVING":
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() - started > budget_s:
                raise AssertionError(f"{self.name} not SERVING after {budget_s:.0f} s:\n{self.tail()}")
            time.sleep(0.2)
        return time.monotonic() - started

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, grace_s: float) -> int | None:
        """SIGTERM, then SIGKILL after grace_s (terminationGracePeriodSeconds); returns the exit code on time."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return None


def materialise(deployment: Manifest, root: Path, secrets: Secrets, models: Path) -> dict[str, Path]:
    """Lays out the pod's volumes under root; returns mountPath -> local folder."""
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts: dict[str, Path] = {}
    for mount in container["volumeMounts"]:
        local = root / mount["mountPath"].lstrip("/")
        volume = volumes[mount["name"]]
        if "secret" in volume:
            data = secrets[volume["secret"]["secretName"]]
            items = volume["secret"].get("items") or [{"key": k, "path": k} for k in data]
            local.mkdir(parents=True, exist_ok=True)
            for item in items:
                (local / item["path"]).write_bytes(data[item["key"]])
                (local / item["path"]).chmod(0o440)
        elif mount["name"] == "models":
            local.parent.mkdir(parents=True, exist_ok=True)
            local.symlink_to(models, target_is_directory=True)
        else:
            local.mkdir(parents=True, exist_ok=True)
        mounts[mount["mountPath"]] = local
    return mounts


def rebase(value: str, mounts: dict[str, Path]) -> str:
    """Each mount path named in value (alone, in a path, or in a JSON list) moved onto the pod's root, once."""
    pattern = "|".join(re.escape(path) for path in sorted(mounts, key=len, reverse=True))
    return re.sub(rf"(?<![\w./-])({pattern})(?=/|\"|$)", lambda m: str(mounts[m.group(1)]), value)


def start(deployment: Manifest, root: Path, secrets: Secrets, models: Path, *, addresses: dict[str, str],
          extra_env: dict[str, str] | None = None) -> Pod:
    """Starts the Deployment's container as a process; `addresses` maps rendered host:port to local ones."""
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    name = container["name"]
    mounts = materialise(deployment, root, secrets, models)
    ports = {p["name"]: free_port() for p in container["ports"]}
    rendered_ports = {p["containerPort"]: p["name"] for p in container["ports"]}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1"}
    for entry in container["env"]:
        if "valueFrom" in entry:
            ref = entry["valueFrom"]["secretKeyRef"]
            value = secrets[ref["name"]][ref["key"]].decode()
        else:
            value = addresses.get(entry["value"], rebase(entry["value"], mounts))
        if entry["name"].endswith(("_PORT", "_HEALTH_PORT", "_METRICS_PORT")) and value.isdigit():
            value = str(ports[rendered_ports[int(value)]])
        if entry["name"].endswith("_HOST"):
            value = "127.0.0.1"  # the pod binds every interface; a test process binds only loopback
        env[entry["name"]] = value
    env.update(extra_env or {})
    command = [sys.executable if part == "python" else part for part in container["command"]]
    log = root / "container.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=mounts.get("/var/lib/shopmesh", root),
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    grace = float(deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])
    return Pod(name, root, process, ports, env, log, container, grace)


def start_triton(deployment: Manifest, root: Path, models: Path, install: Any) -> Pod:
    """Starts the local tritonserver (nvidia-pytriton wheel) with the rendered container's arguments.

    Swapped: the ports (free ones), the repository's parent (the local build), and two flags the wheel needs
    on a CPU-only host (its backend folder, no pinned memory); every other argument is the chart's.
    """
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: free_port() for p in container["ports"]}
    flags = {"--grpc-port": ports["grpc"], "--http-port": ports["http"], "--metrics-port": ports["metrics"]}
    args = []
    for arg in container["args"]:
        flag, _, value = arg.partition("=")
        if flag in flags:
            args.append(f"{flag}={flags[flag]}")
        elif flag == "--model-repository":
            args.append(f"{flag}={models / Path(value).name}")
        else:
            args.append(arg)
    command = [str(install.binary), *args, f"--backend-directory={install.backend_dir}",
               "--pinned-memory-pool-byte-size=0"]
    root.mkdir(parents=True, exist_ok=True)
    log = root / "container.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=install.env(), stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return Pod(container["name"], root, process, ports, {}, log, container)


def http_ready(pod: Pod, path: str, budget_s: float) -> float:
    """Seconds until GET path on the pod's http port answers 200 (the kubelet's httpGet probe)."""
    import urllib.error
    import urllib.request

    started = time.monotonic()
    while True:
        url = f"http://127.0.0.1:{pod.ports['http']}{path}"
        with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return time.monotonic() - started
        if pod.process.poll() is not None:
            raise AssertionError(f"{pod.name} exited {pod.process.returncode}:\n{pod.tail()}")
        if time.monotonic() - started > budget_s:
            raise AssertionError(f"{pod.name}: {path} not 200 after {budget_s:.0f} s:\n{pod.tail()}")
        time.sleep(0.3)
