"""Process lifecycle: SIGTERM drains in-flight RPCs and refuses new ones; `shopmesh up` starts, reports
healthy and stops with no process left listening."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from kittest.v1 import echo_pb2

from shared.channels import ChannelFactory
from shared.tls import TlsFiles
from shopmesh.mesh import check_health, free_port
from tests.kit.helpers import echo_stub

REPO = Path(__file__).resolve().parents[2]


def _wait_serving(health_port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while check_health(health_port, timeout_s=0.5) != "SERVING":
        assert proc.poll() is None, "server exited during start-up"
        assert time.monotonic() < deadline, "server never became SERVING"
        time.sleep(0.1)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
async def test_sigterm_lets_a_slow_rpc_finish_and_refuses_new_ones(mesh_certs: Path, tmp_path: Path) -> None:
    port, health_port = free_port(), free_port()
    env = dict(os.environ, SHOPMESH_KITTEST_PORT=str(port), SHOPMESH_KITTEST_HEALTH_PORT=str(health_port),
               SHOPMESH_KITTEST_CERTS_DIR=str(mesh_certs), SHOPMESH_KITTEST_METRICS_ENABLED="false",
               SHOPMESH_KITTEST_GRACE_SECONDS="10")
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "tests.kit.echo_server"], env=env, cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_serving(health_port, proc)
        factory = ChannelFactory(TlsFiles.in_dir(mesh_certs, "gateway"))
        stub = echo_stub(factory, port)
        slow = asyncio.ensure_future(stub.Echo(echo_pb2.EchoRequest(text="slow", sleep_ms=2000), timeout=10))
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        assert check_health(health_port) in ("NOT_SERVING", "UNREACHABLE")
        fresh = ChannelFactory(TlsFiles.in_dir(mesh_certs, "gateway"))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await echo_stub(fresh, port).Record(echo_pb2.EchoRequest(text="new"), timeout=2)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        answer = await slow
        assert answer.text == "slow"
        assert proc.wait(timeout=15) == 0
        await factory.close()
        await fresh.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()


@pytest.mark.slow
@pytest.mark.integration
def test_shopmesh_up_starts_reports_healthy_and_stops_clean(tmp_path: Path) -> None:
    env = dict(os.environ, SHOPMESH_HOME=str(tmp_path / "home"))
    up = subprocess.Popen(
        [sys.executable, "-m", "shopmesh", "up", "--services", "", "--with", "kittest=tests.kit.echo_server"],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    try:
        assert up.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "mesh is up" in line:
                break
        output = "".join(lines)
        assert "mesh is up" in output, output
        assert re.search(r"kittest\s+127\.0\.0\.1:\d+\s+SERVING", output), output
        status = subprocess.run([sys.executable, "-m", "shopmesh", "status"], env=env, cwd=REPO,
                                capture_output=True, text=True, timeout=30)
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.count("SERVING") == 1
        ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", status.stdout)]
        pids = [int(p) for p in re.findall(r"SERVING\s+(\d+)", status.stdout)]
        assert len(ports) == 1 and len(pids) == 1 and all(_listening(p) for p in ports)
        up.send_signal(signal.SIGINT)
        rest, _ = up.communicate(timeout=30)
        assert up.returncode == 0, rest
        assert "mesh stopped" in rest
        assert not any(_listening(p) for p in ports)
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
        after = subprocess.run([sys.executable, "-m", "shopmesh", "status"], env=env, cwd=REPO,
                               capture_output=True, text=True, timeout=30)
        assert after.returncode == 1 and "no mesh is running" in after.stdout
    finally:
        if up.poll() is None:
            up.kill()
