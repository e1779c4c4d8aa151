"""The chart's Triton container, run for real: the local tritonserver (nvidia-pytriton wheel) with the rendered
arguments serves the CPU repository, answers the probes' paths, and exports the metric Triton's HPA scales on.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.charts.conftest import Manifest, of_kind
from tests.charts.pods import Pod, http_ready, start_triton

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Render = Callable[..., list[Manifest]]


@pytest.fixture(scope="module")
def triton(render: Render, models_root: Path, triton_install: object,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pod]:
    deployment = of_kind(render(), "Deployment")["triton"]
    pod = start_triton(deployment, tmp_path_factory.mktemp("triton-pod"), models_root, triton_install)
    yield pod
    pod.stop(grace_s=20)


def test_probe_paths_answer_within_the_startup_budget(triton: Pod) -> None:
    startup = triton.container["startupProbe"]
    http_ready(triton, startup["httpGet"]["path"], min(startup["periodSeconds"] * startup["failureThreshold"], 120))
    for probe in ("readinessProbe", "livenessProbe"):
        assert triton.container[probe]["httpGet"]["port"] == "http"
        http_ready(triton, triton.container[probe]["httpGet"]["path"], 5)


def test_metrics_port_exports_the_hpa_source_metric(triton: Pod) -> None:
    """The prometheus-adapter rule in the chart README reads nv_inference_queue_duration_us and
    nv_inference_request_success from the metrics port the pod annotations point at."""
    http_ready(triton, "/v2/health/ready", 120)
    with urllib.request.urlopen(f"http://127.0.0.1:{triton.ports['metrics']}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "nv_inference_queue_duration_us" in text
    assert "nv_inference_request_success" in text
