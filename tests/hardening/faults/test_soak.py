"""Soak: a steady load for 30 minutes (`SHOPMESH_HARDENING=full`; 2 minutes in CI), sampling every service's
resident memory (with its children: embedding's tritonserver), open file descriptors and sockets, and the
feed's p99 per interval. Targets: RSS flat from the first sample after warm-up to the last, no descriptor or
connection leak, p99 stable."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from shopmesh.mesh import Supervisor
from tests.hardening.faults.conftest import FaultMesh
from tests.hardening.load import Load, percentile
from tests.hardening.procs import descendants
from tests.hardening.report import Table, full_length, record

FULL = full_length()
DURATION_S = 1800.0 if FULL else 120.0
WARM_UP_S = 120.0 if FULL else 20.0
INTERVAL_S = 120.0 if FULL else 20.0
RSS_GROWTH = 0.15
"""Largest allowed growth of a service's RSS from the first sample to the last (fraction) ..."""
RSS_SLACK_MB = 40.0
"""... or in MB, whichever is larger (allocator arenas and caches settle in steps)."""
FD_SLACK = 16
P99_FACTOR = 2.0

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(int(DURATION_S) + 900)]


@dataclass(frozen=True)
class Sample:
    """One service's resources at one time."""

    rss_mb: float
    fds: int
    sockets: int


def sample(pid: int) -> Sample:
    """RSS of the process and its descendants; descriptors and sockets of the process itself."""
    rss_kb = 0
    for member in descendants(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss_kb += int(line.split()[1])
    fds = sockets = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            fds += 1
            with contextlib.suppress(OSError):
                sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return Sample(rss_kb / 1024, fds, sockets)


def sample_all(mesh: Supervisor) -> dict[str, Sample]:
    """Every running service's sample."""
    return {s.key: sample(mesh.pid(s.name, s.replica)) for s in mesh.running}


def test_steady_load_keeps_memory_descriptors_and_latency_flat(faults_mesh: FaultMesh) -> None:
    mesh = faults_mesh.mesh
    samples: list[tuple[float, dict[str, Sample]]] = []
    with Load(mesh, tag="soak") as load:
        time.sleep(WARM_UP_S)
        started = time.monotonic()
        while True:
            samples.append((time.monotonic() - started, sample_all(mesh)))
            if time.monotonic() - started >= DURATION_S - WARM_UP_S:
                break
            time.sleep(min(INTERVAL_S, max(0.0, DURATION_S - WARM_UP_S - (time.monotonic() - started))))
        ended = time.monotonic()
    load.close()
    first, last = samples[0][1], samples[-1][1]
    problems: list[str] = []
    rows: list[list[object]] = []
    for key in first:
        a, b = first[key], last[key]
        growth = b.rss_mb - a.rss_mb
        allowed = max(RSS_GROWTH * a.rss_mb, RSS_SLACK_MB)
        if growth > allowed:
            problems.append(f"{key}: RSS {a.rss_mb:.0f} -> {b.rss_mb:.0f} MB (> {allowed:.0f} MB)")
        if b.fds - a.fds > FD_SLACK:
            problems.append(f"{key}: descriptors {a.fds} -> {b.fds}")
        if b.sockets - a.sockets > FD_SLACK:
            problems.append(f"{key}: sockets {a.sockets} -> {b.sockets}")
        rows.append([key, round(a.rss_mb), round(b.rss_mb), round(growth, 1), a.fds, b.fds, a.sockets, b.sockets])
    windows: list[list[object]] = []
    p99s = []
    for index, (at, _) in enumerate(samples[:-1]):
        end_at = samples[index + 1][0]
        window = load.between(started + at, started + end_at)
        feed = [o.latency_s for o in window if o.kind == "feed"]
        p99 = 1000 * percentile(feed, 99)
        p99s.append(p99)
        windows.append([f"{at / 60:.1f}–{end_at / 60:.1f}", len(window), sum(o.failed for o in window),
                        round(1000 * percentile(feed, 50), 1), round(p99, 1),
                        round(1000 * percentile([o.latency_s for o in window if o.kind == "search"], 99), 1)])
    if p99s and p99s[-1] > P99_FACTOR * max(p99s[0], 50.0):
        problems.append(f"feed p99 {p99s[0]:.0f} ms in the first interval, {p99s[-1]:.0f} ms in the last")
    failed = [o for o in load.between(started, ended) if o.failed and not o.search_timeout]
    search_timeouts = sum(o.search_timeout for o in load.between(started, ended))
    if failed:
        problems.append(f"{len(failed)} failed requests: {sorted({(o.kind, o.code) for o in failed})}")
    minutes = (ended - started) / 60
    record("soak",
           Table(title=f"Soak: resources per service over {minutes:.0f} min of steady load",
                 columns=["service", "RSS start MB", "RSS end MB", "growth MB", "fds start", "fds end",
                          "sockets start", "sockets end"],
                 rows=rows,
                 notes=[f"load: {load.rates} requests/s after {WARM_UP_S:.0f} s of warm-up; RSS includes children "
                        "(embedding's tritonserver)",
                        f"targets: growth ≤ max({RSS_GROWTH:.0%}, {RSS_SLACK_MB:.0f} MB), descriptors and sockets "
                        f"within +{FD_SLACK}"]),
           Table(title="Soak: latency over time", columns=["minutes", "requests", "failed", "feed p50 ms",
                                                           "feed p99 ms", "search p99 ms"],
                 rows=windows, notes=[f"target: the last interval's feed p99 ≤ {P99_FACTOR:.0f}× the first's",
                                      f"failed includes {search_timeouts} searches past retrieval's share of the "
                                      "deadline (counted apart, see above)"]))
    assert not problems, problems
