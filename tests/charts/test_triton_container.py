"""The chart's Triton container, run for real: the local tritonserver (nvidia-pytriton wheel) with the rendered
arguments serves the CPU repository, answers the probes' paths, and exports the metric Triton's HPA scales on.

Only what cannot differ between the wheel and the NGC image is swapped: the ports (free ones), the repository
path (the locally built one), and the wheel's backend folder and pinned-memory flag (CPU-only host).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.charts.conftest import Manifest, of_kind

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Render = Callable[..., list[Manifest]]


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


@pytest.fixture(scope="module")
def triton_pod(render: Render) -> Iterator[dict[str, Any]]:
    """tritonserver started with the rendered container's arguments; yields the container and its ports."""
    from shopmesh.models.build import build_repository
    from shopmesh.models.repository import models_dir
    from shopmesh.models.tritonserver import ensure_installed

    install, reason = ensure_installed()
    if install is None:
        pytest.skip(f"the local tritonserver cannot run here: {reason}")
    root = models_dir()
    build_repository(root, check_triton=False, progress=lambda line: None)
    container = of_kind(render(), "Deployment")["triton"]["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: free_port() for p in container["ports"]}
    flags = {"--grpc-port": ports["grpc"], "--http-port": ports["http"], "--metrics-port": ports["metrics"]}
    args = []
    for arg in container["args"]:
        name, _, value = arg.partition("=")
        if name in flags:
            args.append(f"{name}={flags[name]}")
        elif name == "--model-repository":
            args.append(f"{name}={root / Path(value).name}")
        else:
            args.append(arg)
    command = [str(install.binary), *args, f"--backend-directory={install.backend_dir}",
               "--pinned-memory-pool-byte-size=0"]
    proc = subprocess.Popen(command, env=install.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        yield {"container": container, "ports": ports, "proc": proc}
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_probe_paths_answer_once_models_are_loaded(triton_pod: dict[str, Any]) -> None:
    """The startupProbe's path turns 200 within its budget; readiness and liveness paths answer 200 too."""
    container, ports = triton_pod["container"], triton_pod["ports"]
    startup = container["startupProbe"]
    budget_s = startup["periodSeconds"] * startup["failureThreshold"]
    deadline = time.monotonic() + min(budget_s, 120)
    base = f"http://127.0.0.1:{ports['http']}"
    while http_status(base + startup["httpGet"]["path"]) != 200:
        assert triton_pod["proc"].poll() is None, triton_pod["proc"].stderr.read().decode(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "Triton not ready with the chart's arguments"
        time.sleep(0.5)
    for probe in ("readinessProbe", "livenessProbe"):
        assert http_status(base + container[probe]["httpGet"]["path"]) == 200, probe
    assert container["startupProbe"]["httpGet"]["port"] == "http"


def test_metrics_port_exports_the_hpa_source_metric(triton_pod: dict[str, Any]) -> None:
    """The prometheus-adapter rule in the chart README reads nv_inference_queue_duration_us and
    nv_inference_request_success from the metrics port the pod annotations point at."""
    container, ports = triton_pod["container"], triton_pod["ports"]
    test_probe_paths_answer_once_models_are_loaded(triton_pod)
    with urllib.request.urlopen(f"http://127.0.0.1:{ports['metrics']}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "nv_inference_queue_duration_us" in text
    assert "nv_inference_request_success" in text
    assert {p["name"] for p in container["ports"]} == {"grpc", "http", "metrics"}
