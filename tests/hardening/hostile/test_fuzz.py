"""Fuzzing every RPC of the mesh (issue #14): property-based requests built from the message descriptors
(random values of every field type, extreme sizes, invalid UTF-8, deep nesting, unknown fields, truncated
messages; streams of them for the streaming RPCs), sent as raw wire bytes by the RPC's authorized caller
(and, one case in ten, an unauthorized one) to the running mesh.

Targets: no INTERNAL or UNKNOWN, no call past its deadline (and no DEADLINE_EXCEEDED from a unary RPC given
garbage), every service still alive and SERVING afterwards. Cases per RPC and the statuses seen go to the
reliability report (`fuzz`). Short (CI): ~24 hypothesis examples per RPC, derandomized; full
(`SHOPMESH_HARDENING=full`): 300.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable

import pytest
from google.protobuf import message_factory
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shopmesh.mesh import Supervisor, check_health
from tests.hardening import report
from tests.hardening.hostile.fuzzing import (
    FUZZ_USERS,
    MAX_MESSAGE_BYTES,
    SERVICES,
    Case,
    MeshClient,
    Profile,
    Rpc,
    RpcStats,
    auth_for,
    cases,
    edge_cases,
    hints_for,
    mesh_rpcs,
    request_bytes,
)

INFRA = [rpc for rpc in mesh_rpcs() if rpc.infra]

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(3600 if report.full_length() else 900)]

EXAMPLES = int(os.environ.get("SHOPMESH_FUZZ_EXAMPLES", "0")) or (300 if report.full_length() else 24)
"""Hypothesis examples per RPC (SHOPMESH_FUZZ_EXAMPLES overrides, e.g. to chase a finding)."""


def _fuzz(client: MeshClient, rpc: Rpc, stats: RpcStats) -> None:
    for case in edge_cases(rpc):
        stats.add(case, client.call(rpc, case))

    @settings(max_examples=EXAMPLES, derandomize=not report.full_length(), deadline=None, database=None,
              phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(case=cases(rpc))
    def run(case: Case) -> None:
        stats.add(case, client.call(rpc, case))

    run()


def _alive(mesh: Supervisor, service: str) -> str:
    """'' when the service's process runs and its health is SERVING, else what is wrong."""
    running = next(s for s in mesh.running if s.name == service)
    exited = dict(mesh.exited())
    if service in exited:
        return f"{service} exited with code {exited[service]}"
    health = check_health(running.health_port, timeout_s=3.0)
    return "" if health == "SERVING" else f"{service} health {health}"


def test_every_rpc_of_the_mesh_survives_fuzzing(mesh: Supervisor) -> None:
    ports = {s.name: s.port for s in mesh.running}
    client = MeshClient(ports, mesh.certs_dir)
    rpcs = mesh_rpcs()
    assert {rpc.service for rpc in rpcs} == set(SERVICES)
    assert len({rpc.path for rpc in rpcs if not rpc.infra}) >= 60, "every RPC of every service's descriptor"
    all_stats: list[RpcStats] = []
    crashes: list[str] = []
    started = time.monotonic()
    try:
        for rpc in rpcs:
            stats = RpcStats(rpc)
            all_stats.append(stats)
            _fuzz(client, rpc, stats)
            problem = _alive(mesh, rpc.service)
            if problem:
                crashes.append(f"after fuzzing {rpc.service}/{rpc.name}: {problem}")
                if dict(mesh.exited()).get(rpc.service) is not None:
                    mesh.restart_service(rpc.service)  # the other RPCs still get their cases
    finally:
        client.close()
    elapsed = time.monotonic() - started
    for service in (*SERVICES, "console"):
        if any(s.name == service for s in mesh.running) and (problem := _alive(mesh, service)):
            crashes.append(f"at the end: {problem}")

    failures = [f for stats in all_stats for f in stats.failures]
    total = sum(s.cases for s in all_stats)
    rows: list[list[object]] = [
        [s.rpc.service, s.rpc.name, s.cases, ", ".join(f"{code} {n}" for code, n in s.codes.most_common()),
         s.bad, s.hangs]
        for s in all_stats
    ]
    unauthorized = sum(s.unauthorized for s in all_stats)
    reached = sum(s.past_authz for s in all_stats)
    authorized = total - unauthorized
    blocked = [f"{s.rpc.service}/{s.rpc.name}: no authorized case got past authz (check fuzzing.AUTH)"
               for s in all_stats if s.past_authz == 0]
    kinds = sum((s.kinds for s in all_stats), Counter())
    slowest = max((s for s in all_stats if not s.rpc.server_streaming), key=lambda s: s.slowest_s)
    report.record("fuzz", report.Table(
        title="Fuzzing: cases per RPC",
        columns=["service", "RPC", "cases", "statuses seen", "INTERNAL/UNKNOWN", "hangs"],
        rows=rows,
        notes=[
            f"{total} cases over {len(all_stats)} RPCs ({len(all_stats) - len(INFRA)} of the {len(SERVICES)} "
            f"services' APIs, from their descriptors, and health/reflection on each main port) in {elapsed:.0f} s. "
            "Per RPC: fixed extremes (empty; a string field filled to just under and just past the 16 MiB max "
            "message; groups nested one past protobuf's recursion limit; invalid UTF-8 in each string field), then "
            f"{EXAMPLES} hypothesis examples ({'random' if report.full_length() else 'derandomized'}) written as "
            "wire bytes from the message descriptors: plausible values (known enums, recent times, ids that "
            "validate), random values of every field type (extremes, NaN, out-of-range times and enums), invalid "
            "UTF-8, unknown fields and wrong wire types, truncation, nesting up to 100 000 levels, repeated fields "
            "up to 10^6 entries, strings up to 4 MiB, raw garbage; streams of 0-4 such messages for the "
            "client-streaming RPCs. Cases by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + ".",
            "Each case is sent by the RPC's authorized caller (its client-certificate identity and, where the RPC "
            "acts for an end user, a gateway-signed user context or a development JWT); about one drawn case in "
            f"ten instead goes without credentials, with a forged one, or as an identity no service authorizes "
            f"({unauthorized} cases). Of the {authorized} authorized cases {reached} got past authentication and "
            "authorization (any answer but UNAUTHENTICATED or PERMISSION_DENIED), "
            + ("some on every RPC." if not blocked else f"none on {len(blocked)} RPCs."),
            "A hang is a call that came back more than 2 s past its deadline (5 s; 1.5 s for a watch stream, read "
            "to its first answer), or a DEADLINE_EXCEEDED from a unary RPC. Slowest unary answer: "
            f"{slowest.slowest_s:.2f} s ({slowest.rpc.service}/{slowest.rpc.name}). After the run every service's "
            "process is alive and SERVING: " + ("yes." if not crashes else "NO: " + "; ".join(crashes)),
        ],
    ))
    for stats in all_stats:  # shown with -s or on failure: what each status was about
        print(f"{stats.rpc.service}/{stats.rpc.name}: slowest {stats.slowest_s:.2f} s; "
              + "; ".join(f"{code} <{text}>" for code, text in stats.samples.items()))
    problems = crashes + failures + blocked
    assert not problems, f"{len(problems)} fuzzing failures:\n" + "\n".join(problems[:80])



def _check_parses(strategy: st.SearchStrategy[bytes], parse: Callable[[bytes], object]) -> None:
    @settings(max_examples=3, derandomize=True, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(raw=strategy)
    def parses(raw: bytes) -> None:
        parse(raw)

    parses()


def test_the_generators_write_what_they_claim() -> None:
    """The harness itself: plausible and random cases are messages protobuf parses (so they reach the servicer,
    not just the decode guard), and the edge cases are what their names say."""
    for rpc in mesh_rpcs():
        parse = message_factory.GetMessageClass(rpc.method.input_type).FromString
        auth = auth_for(rpc.service, rpc.name)
        for kind in ("plausible", "random"):
            profile = Profile(FUZZ_USERS[0], False, hints_for(rpc, auth, FUZZ_USERS[0]), plausible=kind == "plausible")

            _check_parses(request_bytes(rpc, kind, profile), parse)
        edges = {case.kind: case for case in edge_cases(rpc)}
        assert MAX_MESSAGE_BYTES - 1024 < edges["max_size"].size <= MAX_MESSAGE_BYTES
        assert edges["past_max_size"].size > MAX_MESSAGE_BYTES
        for kind in ("deep_nesting", "invalid_utf8"):
            if kind in edges:
                with pytest.raises(DecodeError):
                    parse(edges[kind].messages[0])
