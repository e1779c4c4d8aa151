"""Traces and metrics of the whole local mesh (`shopmesh up`'s Supervisor, embedded defaults, mTLS).

Every service exports its spans over OTLP/gRPC to a real collector endpoint this module runs (the
opentelemetry-proto TraceService), the way a deployment sends them to an OpenTelemetry Collector: one
home-feed request must give one trace with a span per hop, each parented to the hop that called it. The
services' /metrics endpoints must carry every metric the shipped Grafana dashboard and alert rules name.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
from collections.abc import Iterator

import grpc
import pytest
import yaml
from opentelemetry.proto.trace.v1 import trace_pb2

from shared.tls import TlsFiles, channel_credentials
from shopmesh.embedding.v1 import embedding_service_pb2 as embedding_pb
from shopmesh.embedding.v1 import embedding_service_pb2_grpc as embedding_grpc
from shopmesh.gateway.v1 import gateway_service_pb2 as pb
from tests.gateway.helpers import REPO, GatewayClient, wait_until
from tests.gateway.tracing import Collector, Received, TracedMesh, traced_mesh

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHART_FILES = REPO / "charts" / "shopmesh" / "files"
SERVER, CLIENT = trace_pb2.Span.SPAN_KIND_SERVER, trace_pb2.Span.SPAN_KIND_CLIENT


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracedMesh]:
    """The mesh with every service exporting to the test's collector."""
    with traced_mesh(tmp_path_factory.mktemp("traced-mesh")) as mesh:
        yield mesh


@pytest.fixture(scope="module")
def client(traced: TracedMesh) -> Iterator[GatewayClient]:
    gateway = GatewayClient.for_mesh(traced.mesh)
    try:
        yield gateway
    finally:
        gateway.close()


def _traced_call(client: GatewayClient, user_id: str) -> tuple[tuple[tuple[str, str], ...], bytes, bytes]:
    """Metadata with the user's token and a fresh sampled traceparent; the trace and parent span ids."""
    trace_id, parent = secrets.token_bytes(16), secrets.token_bytes(8)
    metadata = (*client.md(user_id), ("traceparent", f"00-{trace_id.hex()}-{parent.hex()}-01"))
    return metadata, trace_id, parent


def _wait_for(sink: Collector, trace_id: bytes, needed: set[tuple[str, int, str]]) -> list[Received]:
    """The trace once spans of every (service, kind, name suffix) needed arrived (batches leave every 0.5 s)."""
    def complete() -> bool:
        have = {(r.service, r.span.kind, r.span.name) for r in sink.trace(trace_id)}
        return all(any(s == svc and k == kind and n.endswith(suffix) for s, k, n in have)
                   for svc, kind, suffix in needed)
    wait_until(complete, timeout_s=30, interval_s=0.25)
    return sink.trace(trace_id)


def _one(spans: list[Received], service: str, kind: int, suffix: str) -> Received:
    found = [r for r in spans if r.service == service and r.span.kind == kind and r.span.name.endswith(suffix)]
    assert len(found) == 1, (service, suffix, [(r.service, r.span.name) for r in spans])
    return found[0]


def test_one_home_feed_is_one_trace_with_a_span_per_hop(client: GatewayClient, traced: TracedMesh) -> None:
    sink = traced.sink
    # The replayed history reaches the user's features once profile's fold has caught up with the load.
    assert wait_until(lambda: client.stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=1), metadata=client.md("u5"),
                                                      timeout=5).personalization
                      == pb.PERSONALIZATION_MODE_PERSONALIZED, timeout_s=120, interval_s=1.0)
    metadata, trace_id, parent = _traced_call(client, "u5")
    response = client.stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=10), metadata=metadata, timeout=5)
    assert response.personalization == pb.PERSONALIZATION_MODE_PERSONALIZED
    # u5 is in a ranker arm of feed-ranker-v1 (gateway/experiments.yaml); consent comes from the gateway's 5 s
    # cache here (the wait above read it), or else with the features (include_consent): GetConsent is never a
    # hop of a feed.
    assert response.variant != "noranker", "pick a user of a ranker arm"
    hops = {("profile", "/GetUserFeatures"), ("retrieval", "/RetrieveCandidates"), ("profile", "/GetItemFeatures"),
            ("ranking", "/Rank"), ("profile", "/GetItems")}
    spans = _wait_for(sink, trace_id, {("gateway", SERVER, "/GetHomeFeed")} | {(s, SERVER, m) for s, m in hops})

    ids = [r.span.span_id for r in spans]
    assert len(ids) == len(set(ids))
    root = _one(spans, "gateway", SERVER, "/GetHomeFeed")
    assert root.span.parent_span_id == parent  # a child of the app's span that sent the traceparent
    by_id = {r.span.span_id: r for r in spans}
    downstream = [r for r in spans if r.service != "gateway" and r.span.kind == SERVER]
    assert {(r.service, "/" + r.span.name.rsplit("/", 1)[1]) for r in downstream} >= hops, sorted(
        (r.service, r.span.kind, r.span.name) for r in spans)
    for server in downstream:
        # gateway server span -> gateway client span -> the peer's server span
        caller = by_id[server.span.parent_span_id]
        assert (caller.service, caller.span.kind, caller.span.name) == ("gateway", CLIENT, server.span.name)
        assert caller.span.parent_span_id == root.span.span_id
        assert caller.span.start_time_unix_nano <= server.span.start_time_unix_nano
        assert server.attr("shopmesh.caller") == "gateway"
        if (server.service, "/" + server.span.name.rsplit("/", 1)[1]) in hops:
            # An answered call's server span ends before its status leaves, so inside the client's span (a
            # failed one, like EmbedUser's NOT_FOUND while no user tower is loaded, aborts first and ends after).
            assert server.span.end_time_unix_nano <= caller.span.end_time_unix_nano
            assert server.attr("rpc.grpc.status_code") == 0
    for r in spans:  # every span hangs off another span of the same trace
        assert r is root or r.span.parent_span_id in by_id, (r.service, r.span.name)

    assert root.attr("shopmesh.surface") == "home_feed" and root.attr("shopmesh.items") == len(response.items)
    assert root.attr("shopmesh.degraded") is False and root.attr("shopmesh.variant") == response.variant
    rank = _one(spans, "ranking", SERVER, "/Rank")
    assert rank.attr("shopmesh.model_version") and int(rank.attr("shopmesh.candidates") or 0) > 0
    # The page's items are read while ranking runs, not after it: GetItems is sent before Rank has answered.
    items_call = by_id[_one(spans, "profile", SERVER, "/GetItems").span.parent_span_id]
    assert items_call.span.start_time_unix_nano < by_id[rank.span.parent_span_id].span.end_time_unix_nano
    retrieval = _one(spans, "retrieval", SERVER, "/RetrieveCandidates")
    assert int(retrieval.attr("shopmesh.candidates") or 0) > 0
    assert [kv.key for kv in retrieval.span.attributes if kv.key.startswith("shopmesh.source.")]
    # No personal data in any attribute: the user id travels only inside the signed user context.
    for r in spans:
        for kv in r.span.attributes:
            assert not re.search(r"\bu5\b", str(kv.value)), (r.service, r.span.name, kv.key)


def test_a_feed_reads_uncached_consent_with_the_features(client: GatewayClient, traced: TracedMesh) -> None:
    metadata, trace_id, _ = _traced_call(client, f"u{secrets.randbelow(10**6) + 10**6}")  # consent never cached
    response = client.stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=3), metadata=metadata, timeout=5)
    assert response.items and not response.degradations
    # GetItems is the last hop: profile exported every span of this trace before or with it.
    spans = _wait_for(traced.sink, trace_id, {("gateway", SERVER, "/GetHomeFeed"), ("profile", SERVER, "/GetItems"),
                                              ("profile", SERVER, "/GetUserFeatures")})
    profile_calls = [r.span.name.rsplit("/", 1)[1] for r in spans if r.service == "profile" and r.span.kind == SERVER]
    assert profile_calls.count("GetUserFeatures") == 1 and "GetConsent" not in profile_calls, profile_calls


def test_an_embedding_call_traces_its_triton_hop(traced: TracedMesh) -> None:
    """embedding -> Triton: the local mesh's feed and search do not reach Triton (no text index in the local
    snapshot, and support embeds in-process here), so the hop is driven by calling embedding as a peer would."""
    sink, mesh = traced.sink, traced.mesh
    trace_id, parent = secrets.token_bytes(16), secrets.token_bytes(8)
    embedding = next(s for s in mesh.running if s.name == "embedding")
    credentials = channel_credentials(TlsFiles.in_dir(mesh.certs_dir, "retrieval"))
    with grpc.secure_channel(f"127.0.0.1:{embedding.port}", credentials,
                             options=[("grpc.ssl_target_name_override", "embedding")]) as channel:
        text = f"space adventure with robots {secrets.token_hex(3)}"  # never embedded before: not from a cache
        answer = embedding_grpc.EmbeddingServiceStub(channel).Embed(
            embedding_pb.EmbedRequest(texts=[text], kind=embedding_pb.EMBEDDING_KIND_QUERY), timeout=10,
            metadata=(("traceparent", f"00-{trace_id.hex()}-{parent.hex()}-01"),))
    assert answer.count == 1 and answer.cache_hit_count == 0
    spans = _wait_for(sink, trace_id, {("embedding", SERVER, "/Embed"), ("embedding", CLIENT, "triton.infer")})
    embed = _one(spans, "embedding", SERVER, "/Embed")
    assert embed.span.parent_span_id == parent and embed.attr("shopmesh.caller") == "retrieval"
    assert embed.attr("shopmesh.model") == answer.model_name and embed.attr("shopmesh.texts") == 1
    triton = _one(spans, "embedding", CLIENT, "triton.infer")
    assert triton.span.parent_span_id == embed.span.span_id  # the batch ran inside the only request
    assert triton.attr("shopmesh.model") == answer.model_name and triton.attr("shopmesh.batch_rows") == 1
    assert embed.span.start_time_unix_nano <= triton.span.start_time_unix_nano
    assert triton.span.end_time_unix_nano <= embed.span.end_time_unix_nano


def _metric_names(expression: str) -> set[str]:
    return set(re.findall(r"\b((?:shopmesh|grpc_server)_[a-z0-9_]+)\b", expression))


def _named_in_dashboard_and_rules() -> set[str]:
    names: set[str] = set()
    for board in (CHART_FILES / "grafana").glob("*.json"):
        for panel in json.loads(board.read_text())["panels"]:
            for target in panel["targets"]:
                names |= _metric_names(target["expr"])
    rules = yaml.safe_load((CHART_FILES / "prometheus" / "shopmesh-rules.yaml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            names |= _metric_names(rule["expr"])
    return names


def _scrape(port: int) -> set[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {line.split("{", 1)[0].split(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_every_metric_of_the_dashboard_and_alerts_is_exported(client: GatewayClient, traced: TracedMesh) -> None:
    # Traffic through every surface, so labelled series exist.
    md = client.md("u14")
    client.stub.GetHomeFeed(pb.GetHomeFeedRequest(page_size=5), metadata=md, timeout=5)
    client.stub.GetSimilarItems(pb.GetSimilarItemsRequest(item_id="ml-50", page_size=5), metadata=md, timeout=5)
    client.stub.SearchItems(pb.SearchItemsRequest(query="toy story", page_size=5), metadata=md, timeout=5)
    wanted = _named_in_dashboard_and_rules()
    assert {"shopmesh_list_latency_seconds_bucket", "shopmesh_drift_psi", "shopmesh_cache_lookups_total",
            "shopmesh_model_created_timestamp_seconds", "shopmesh_triton_queue_seconds_total"} <= wanted

    exported: dict[str, set[str]] = {}

    def everything_there() -> bool:  # the Triton totals are polled every few seconds, drift on ingest
        exported.clear()
        for service in traced.mesh.running:
            exported[service.name] = _scrape(service.metrics_port)
        return wanted <= set().union(*exported.values())

    wait_until(everything_there, timeout_s=30, interval_s=1.0)
    missing = wanted - set().union(*exported.values())
    assert not missing, f"named in the dashboard or alerts but exported by no service: {sorted(missing)}"
    assert "shopmesh_list_responses_total" in exported["gateway"]
    assert "shopmesh_retrieval_candidates_bucket" in exported["retrieval"]
    assert "shopmesh_triton_requests_total" in exported["embedding"]

