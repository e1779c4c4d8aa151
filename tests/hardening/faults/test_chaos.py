"""Chaos under load: while feed, search, event, support, profile-update and order traffic runs at a fixed rate,
each service, Triton, and the suite's own Redis and PostgreSQL are killed with SIGKILL in turn and started again.
Per fault: failed and degraded requests, how long after the dependency returned the traffic was whole again,
and whether anything acknowledged was lost (every acknowledged behaviour event and order event is looked up
in PostgreSQL, every acknowledged profile update read back through the gateway, which detokenizes its e-mail
in the vault).

Targets: the feed never fails while the gateway is up (degraded answers are allowed); recovery within 5 s of
the dependency returning; nothing acknowledged lost.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import psycopg
import pytest

from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from shopmesh.mesh import Supervisor, check_health
from tests.hardening.faults.conftest import FaultMesh
from tests.hardening.load import Load, Outcome
from tests.hardening.procs import children
from tests.hardening.report import Table, full_length, record

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(3600)]

FULL = full_length()
DOWN_S = 10.0 if FULL else 3.0
"""How long a killed component stays down before it is started again."""
SETTLE_S = 30.0 if FULL else 12.0
"""How long the load keeps running after a component is back before the next fault (the recovery window)."""
WHOLE_S = 3.0
"""Recovered: from this long on every request of every kind is OK and not degraded."""
RECOVERY_TARGET_S = 5.0
BASELINE_S = 20.0 if FULL else 8.0
FAULTS = tuple(os.environ.get("SHOPMESH_CHAOS_FAULTS", "").split(",") if os.environ.get("SHOPMESH_CHAOS_FAULTS")
               else ("vault", "embedding", "triton", "profile", "retrieval", "ranking", "support", "console",
                     "gateway", "redis", "postgres"))
"""The components killed in turn (SHOPMESH_CHAOS_FAULTS=a,b narrows it, to look at one)."""


def _wait(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not back after {timeout_s:.0f}s")
        time.sleep(0.1)


def _health(mesh: Supervisor, name: str) -> str:
    service = next(s for s in mesh.running if s.name == name)
    return check_health(service.health_port, timeout_s=0.5)


def inject(fault: str, faults: FaultMesh) -> float:
    """Kills `fault`, keeps it down DOWN_S, starts it again; returns when it was back (monotonic s)."""
    mesh, stores = faults.mesh, faults.stores
    if fault == "triton":
        # The embedding service supervises its tritonserver and restarts it; the fault is the crash alone.
        (old,) = children(mesh.pid("embedding"), "tritonserver")
        os.kill(old, signal.SIGKILL)
        _wait(lambda: bool([p for p in children(mesh.pid("embedding"), "tritonserver") if p != old]), 60,
              "tritonserver")
        _wait(lambda: _health(mesh, "embedding") == "SERVING", 120, "embedding")
        return time.monotonic()
    if fault in ("redis", "postgres"):
        server = stores.redis if fault == "redis" else stores.postgres
        server.kill()
        time.sleep(DOWN_S)
        server.start()
        return time.monotonic()
    mesh.kill_service(fault)
    time.sleep(DOWN_S)
    mesh.restart_service(fault, timeout_s=300)
    return time.monotonic()


@dataclass
class FaultResult:
    """One row of the table."""

    fault: str
    killed_at: float
    back_at: float
    outcomes: list[Outcome]
    recovered_at: float | None

    @property
    def recovery_s(self) -> float | None:
        """From the dependency's return to the start of the first all-whole stretch (None: never whole)."""
        if self.recovered_at is None:
            return None
        return max(0.0, self.recovered_at - self.back_at)

    def failed(self, kind: str | None = None) -> int:
        """Failed requests of one kind (or all) in the fault's window."""
        return sum(1 for o in self.outcomes if o.failed and (kind is None or o.kind == kind))

    @property
    def degraded(self) -> int:
        """Degraded answers in the fault's window."""
        return sum(1 for o in self.outcomes if o.degraded)


def recovered_at(outcomes: list[Outcome], back_at: float) -> float | None:
    """When traffic was whole again: the start of the last failed or degraded request that started after
    `back_at` (`back_at` itself when there was none); None when that request came in the window's last WHOLE_S,
    so whole traffic was never seen for that long."""
    after = [o for o in outcomes if o.started >= back_at]
    if not after:
        return None
    bad = [o.started for o in after if o.failed or o.degraded]
    last_bad = max(bad, default=back_at)
    if max(o.started for o in after) - last_bad < WHOLE_S:
        return None
    return last_bad


def lost(load: Load, faults: FaultMesh, gateway_stub: Callable[[str], pb.GetProfileResponse]
         ) -> dict[str, list[float]]:
    """Acknowledged writes that cannot be found again, by kind, as the times they were acknowledged."""
    dsn = faults.stores.postgres.dsn
    with psycopg.connect(dsn) as conn:
        stored_events = {(u, e) for u, e in conn.execute("SELECT user_id, event_id FROM profile.events")}
        stored_orders = {row[0] for row in conn.execute("SELECT order_event_id FROM profile.order_events")}
    missing: dict[str, list[float]] = {"events": [], "orders": [], "profiles": []}
    missing["events"] = [t for t, user, event in load.acked.events if (user, event) not in stored_events]
    missing["orders"] = [t for t, event in load.acked.orders if event not in stored_orders]
    for user, (at, email) in load.acked.profiles.items():
        try:
            if gateway_stub(user).profile.email != email:
                missing["profiles"].append(at)
        except grpc.RpcError:
            missing["profiles"].append(at)
    return missing


def test_every_fault_degrades_recovers_and_loses_nothing(faults_mesh: FaultMesh) -> None:
    mesh = faults_mesh.mesh
    results: list[FaultResult] = []
    with Load(mesh, tag="chaos") as load:
        time.sleep(BASELINE_S)
        base_start = time.monotonic() - BASELINE_S
        baseline = load.between(base_start, time.monotonic())
        for fault in FAULTS:
            killed_at = time.monotonic()
            back_at = inject(fault, faults_mesh)
            time.sleep(SETTLE_S)
            window = load.between(killed_at, time.monotonic())
            results.append(FaultResult(fault, killed_at, back_at, window, recovered_at(window, back_at)))

    def get_profile(user: str) -> pb.GetProfileResponse:
        response: pb.GetProfileResponse = load.gateway.GetProfile(pb.GetProfileRequest(), metadata=load.md(user),
                                                                  timeout=5)
        return response

    time.sleep(2)  # the fold of the last events is asynchronous; the log write was synchronous
    missing = lost(load, faults_mesh, get_profile)
    load.close()

    def lost_in(result: FaultResult, end: float) -> int:
        return sum(1 for times in missing.values() for t in times if result.killed_at <= t < end)

    def codes(outcomes: list[Outcome]) -> str:
        counts: dict[str, int] = {}
        for o in outcomes:
            if o.failed or o.degraded:
                key = f"{o.kind} {o.code if o.failed else 'degraded'}"
                counts[key] = counts.get(key, 0) + 1
        return ", ".join(f"{key} ×{n}" for key, n in sorted(counts.items())) or "-"

    base_feed_failed = sum(1 for o in baseline if o.failed and o.kind == "feed")
    rows: list[list[object]] = [["none (baseline)", 0, base_feed_failed, sum(o.failed for o in baseline) -
                                 base_feed_failed, sum(o.degraded for o in baseline), "-", "-", len(baseline),
                                 codes(baseline)]]
    problems: list[str] = []
    if base_feed_failed:
        problems.append(f"baseline: {codes(baseline)}")
    for index, result in enumerate(results):
        end = results[index + 1].killed_at if index + 1 < len(results) else float("inf")
        data_lost = lost_in(result, end)
        feed_failed = result.failed("feed")
        recovery = result.recovery_s
        rows.append([result.fault, round(result.back_at - result.killed_at, 1), feed_failed,
                     result.failed() - feed_failed, result.degraded,
                     "never" if recovery is None else round(recovery, 2), data_lost, len(result.outcomes),
                     codes(result.outcomes)])
        if result.fault != "gateway" and feed_failed:
            feed_codes = sorted({f"{o.code} {o.detail[:60]}" for o in result.outcomes if o.failed and o.kind == "feed"})
            problems.append(f"{result.fault}: {feed_failed} feed requests failed ({feed_codes})")
        if recovery is None or recovery > RECOVERY_TARGET_S:
            bad = [o for o in result.outcomes if (o.failed or o.degraded) and o.started >= result.back_at]
            kinds = sorted({f"{o.kind}:{o.code}:{o.detail[:60]}" for o in bad})[:6]
            problems.append(f"{result.fault}: recovery {recovery} s > {RECOVERY_TARGET_S} s ({kinds})")
        if data_lost:
            problems.append(f"{result.fault}: {data_lost} acknowledged writes lost")
        internal = sorted({f"{o.kind} {o.code} {o.detail[:80]}" for o in result.outcomes
                           if o.code in ("INTERNAL", "UNKNOWN")})
        if internal:
            problems.append(f"{result.fault}: a fault must answer UNAVAILABLE or degrade, never {internal}")
    acked = (len(load.acked.events), len(load.acked.orders), len(load.acked.profiles))
    record("chaos", Table(
        title="Chaos under load: SIGKILL and restart of each component",
        columns=["fault", "down → back s", "feed failed", "other failed", "degraded", "recovery s",
                 "acknowledged writes lost", "requests in window", "failed / degraded by kind"],
        rows=rows,
        notes=[f"load: {load.rates} requests/s (feed, search, events of 5, support chats, profile updates through "
               "the gateway; order events straight to profile)",
               f"each component down {DOWN_S:.0f} s, then {SETTLE_S:.0f} s of load before the next; recovery = "
               f"from its return until every request is OK and not degraded for {WHOLE_S:.0f} s",
               f"acknowledged and looked up afterwards: {acked[0]} behaviour events, {acked[1]} order events, "
               f"{acked[2]} profile updates (vault writes)",
               "'other failed' while the gateway or a store is down includes the requests that depend on it "
               "(writes answer UNAVAILABLE and are not acknowledged, so the client resends them)"]))
    assert not problems, problems
