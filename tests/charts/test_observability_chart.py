"""The chart's dashboards, alert rules and tracing settings, rendered by the real helm and checked by the
real promtool (`promtool check rules`, Debian's prometheus package via scripts/install-promtool)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.charts.conftest import CHART, REPO_ROOT, Manifest, run_helm

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of promtool, installed by scripts/install-promtool on first use."""
    result = subprocess.run([str(REPO_ROOT / "scripts" / "install-promtool")], capture_output=True, text=True,
                            check=False, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"scripts/install-promtool failed (exit {result.returncode}):\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def _one(objects: list[Manifest], kind: str) -> Manifest:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, [o["metadata"]["name"] for o in found]
    return found[0]


def test_the_prometheus_rule_passes_promtool(render: Callable[..., list[Manifest]], promtool: str,
                                             tmp_path: Path) -> None:
    rule = _one(render(sets=("metrics.prometheusRule.enabled=true", "metrics.prometheusRule.labels.release=kps")),
                "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kps"
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    checked = subprocess.run([promtool, "check", "rules", str(rules_file)], capture_output=True, text=True,
                             check=False, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert {"ShopmeshFeedLatencyOverBudget", "ShopmeshErrorRatioHigh", "ShopmeshDegradedRatioHigh",
            "ShopmeshVaultDenialsSpike", "ShopmeshModelStale", "ShopmeshFeatureDrift"} <= alerts
    # The rendered rules are the shipped file's, template markers ({{ $value }}) left for Prometheus.
    shipped = yaml.safe_load((CHART / "files" / "prometheus" / "shopmesh-rules.yaml").read_text())
    assert rule["spec"]["groups"] == shipped["groups"]


def test_promtool_refuses_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    """The check is real: a rule with a PromQL syntax error fails it."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [
        {"alert": "Broken", "expr": "sum(rate(shopmesh_list_responses_total[5m]) >"}]}]}))
    checked = subprocess.run([promtool, "check", "rules", str(broken)], capture_output=True, text=True,
                             check=False, timeout=60)
    assert checked.returncode != 0


def test_the_dashboard_configmap_is_labelled_for_the_grafana_sidecar(
        render: Callable[..., list[Manifest]]) -> None:
    objects = render()
    maps = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-dashboards")]
    assert len(maps) == 1
    dashboards = maps[0]
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboards["metadata"]["annotations"]["grafana_folder"] == "shopmesh"
    board = json.loads(dashboards["data"]["shopmesh-overview.json"])
    assert board["uid"] == "shopmesh-overview"
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert exprs and all(e.strip() for e in exprs)
    assert not [o for o in objects if o["kind"] == "PrometheusRule"]  # off by default: the CRD may not exist
    custom = render(sets=("metrics.grafanaDashboard.label=dash", "metrics.grafanaDashboard.labelValue=yes"))
    labels = next(o for o in custom if o["metadata"]["name"].endswith("-dashboards"))["metadata"]["labels"]
    assert labels["dash"] == "yes"


def test_tracing_settings_reach_every_python_service(render: Callable[..., list[Manifest]]) -> None:
    objects = render(sets=("tracing.exporter=otlp", "tracing.otlpEndpoint=otel-collector.monitoring:4317",
                           "tracing.sampleRatio=0.25"))
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    python = [d for d in deployments
              if any(e["name"].endswith("_SERVICE_NAME") for c in d["spec"]["template"]["spec"]["containers"]
                     for e in c.get("env", []))]
    assert len(python) >= 7
    for deployment in python:
        env = {e["name"]: e.get("value") for c in deployment["spec"]["template"]["spec"]["containers"]
               for e in c.get("env", [])}
        prefix = next(k for k in env if k.endswith("_SERVICE_NAME")).removesuffix("SERVICE_NAME")
        assert env[f"{prefix}TRACING_EXPORTER"] == "otlp"
        assert env[f"{prefix}OTLP_ENDPOINT"] == "otel-collector.monitoring:4317"
        assert env[f"{prefix}TRACE_SAMPLE_RATIO"] == "0.25"
    untraced = render()
    assert not [e for o in untraced if o["kind"] == "Deployment"
                for c in o["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])
                if e["name"].endswith("_TRACING_EXPORTER")]


def test_otlp_without_an_endpoint_is_refused_by_the_schema(helm: str) -> None:
    result = run_helm(helm, "template", "shopmesh", str(CHART), "--set", "tracing.exporter=otlp")
    assert result.returncode != 0
    assert "otlpEndpoint" in result.stderr
