"""`shopmesh k8s status` against API responses in the shapes a real cluster returns (apps/v1 DeploymentList,
autoscaling/v2 HorizontalPodAutoscalerList, in tests/cli/k8s_responses/). The responses go through the
kubernetes client's whole path: AppsV1Api / AutoscalingV2Api build the request, its RESTClient sends it through
urllib3 (a pool manager here answers from the files instead of a socket) and ApiClient deserialises the JSON
into the client's models, which the command then reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from kubernetes import client

from shopmesh.cli import k8s_cmd
from shopmesh.cli.main import build_parser

RESPONSES = Path(__file__).with_name("k8s_responses")


class RecordedCluster:
    """A urllib3 pool manager answering the two list calls from recorded responses (404 for anything else)."""

    def __init__(self, deployments: str, hpas: str) -> None:
        self.files = {"/apis/apps/v1/namespaces/prod/deployments": deployments,
                      "/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers": hpas}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []

    def request(self, method: str, url: str, **_: Any) -> urllib3.HTTPResponse:
        parts = urlsplit(url)
        self.requests.append((method, parts.path, parse_qs(parts.query)))
        name = self.files.get(parts.path)
        if name is None:
            body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                               "code": 404}).encode()
            return urllib3.HTTPResponse(body=body, status=404, reason="Not Found",
                                        headers={"Content-Type": "application/json"}, preload_content=True)
        return urllib3.HTTPResponse(body=(RESPONSES / name).read_bytes(), status=200, reason="OK",
                                    headers={"Content-Type": "application/json"}, preload_content=True)


def apis(cluster: RecordedCluster) -> tuple[Any, Any, str]:
    api = client.ApiClient(client.Configuration(host="https://k8s.test:6443"))
    api.rest_client.pool_manager = cluster  # type: ignore[assignment]  # answers request() like a PoolManager
    return client.AppsV1Api(api), client.AutoscalingV2Api(api), "prod"


def run(cluster: RecordedCluster, *argv: str) -> int:
    args = build_parser().parse_args(["k8s", "status", "--release", "shop", "--namespace", "prod", *argv])
    assert args.handler is k8s_cmd.run_status
    return k8s_cmd.run_status(args, apis(cluster))


def test_lists_by_the_charts_labels(capsys: pytest.CaptureFixture[str]) -> None:
    cluster = RecordedCluster("deployments.json", "hpas.json")
    run(cluster)
    assert [(m, p) for m, p, _ in cluster.requests] == [
        ("GET", "/apis/apps/v1/namespaces/prod/deployments"),
        ("GET", "/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers")]
    for _, _, query in cluster.requests:
        assert query["labelSelector"] == ["app.kubernetes.io/instance=shop,app.kubernetes.io/part-of=shopmesh"]


def test_not_ready_components_fail_and_say_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(RecordedCluster("deployments.json", "hpas.json"), "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ready"] is False and report["namespace"] == "prod"
    rows = {c["component"]: c for c in report["components"]}
    assert sorted(rows) == ["console", "embedding", "gateway", "profile", "ranking", "retrieval", "support",
                            "triton", "vault"]
    assert [n for n, c in rows.items() if not c["ready"]] == ["embedding", "triton"]
    assert (rows["embedding"]["ready_replicas"], rows["embedding"]["desired"], rows["embedding"]["updated"],
            rows["embedding"]["available"]) == (1, 2, 2, 1)
    assert "1 of 2 not ready" in rows["embedding"]["reason"]
    # readyReplicas absent from the status (none ready), and the rollout past its deadline.
    assert rows["triton"]["ready_replicas"] == 0 and "progress deadline exceeded" in rows["triton"]["reason"]
    assert rows["ranking"]["hpa"] is None


def test_hpa_state_and_metrics_against_targets(capsys: pytest.CaptureFixture[str]) -> None:
    run(RecordedCluster("deployments.json", "hpas.json"), "--json")
    rows = {c["component"]: c for c in json.loads(capsys.readouterr().out)["components"]}
    gateway = rows["gateway"]["hpa"]
    assert (gateway["current_replicas"], gateway["desired_replicas"], gateway["min_replicas"],
            gateway["max_replicas"]) == (3, 3, 3, 10)
    assert gateway["metrics"] == [{"name": "resource/cpu", "current": "41%", "target": "70%"}]
    assert gateway["problems"] == []
    triton = rows["triton"]["hpa"]
    assert triton["metrics"] == [{"name": "pods/triton_queue_duration_us_per_request", "current": None,
                                  "target": "5k"}]
    assert triton["problems"] == ["ScalingActive=False: FailedGetPodsMetric"]


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(RecordedCluster("deployments.json", "hpas.json")) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["COMPONENT", "READY", "UPDATED", "AVAIL"]
    embedding = next(line for line in out if line.startswith("embedding"))
    assert embedding.split()[:4] == ["embedding", "1/2", "2", "1"] and "resource/cpu 88%/70%" in embedding
    triton = out.index(next(line for line in out if line.startswith("triton")))
    assert "pods/triton_queue_duration_us_per_request <unknown>/5k" in out[triton]
    assert out[triton + 1].startswith("  not ready:") and "FailedGetPodsMetric" in out[triton + 2]


def test_every_component_ready_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(RecordedCluster("deployments-ready.json", "hpas-ready.json"), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ready"] is True
    triton = next(c for c in report["components"] if c["component"] == "triton")
    assert triton["hpa"]["metrics"][0]["current"] == "3210"


def test_api_errors_and_an_empty_release_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    cluster = RecordedCluster("deployments.json", "hpas.json")
    cluster.files.pop("/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers")
    assert run(cluster) == 2
    assert "404" in capsys.readouterr().err
    empty = RecordedCluster("empty-list.json", "hpas.json")
    assert run(empty) == 2
    assert "no Deployment of release 'shop'" in capsys.readouterr().err


def test_help_text_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["k8s", "status", "--help"])
    out = capsys.readouterr().out
    assert "shopmesh k8s status --release shopmesh --namespace shopmesh" in out and "--json" in out
