"""The container files, which cannot be built here (no Docker engine): what can be checked without one.

The service image's requirement list is computed by the Dockerfile's own script; every final stage runs as a
non-root user; the compose file sets only settings the services read, and the same names the chart sets.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from shopmesh.mesh import MESH
from tests.charts.conftest import REPO_ROOT, Manifest, of_kind
from tests.charts.test_settings import kit_settings, settings_class

DOCKER = REPO_ROOT / "docker"
Render = Callable[..., list[Manifest]]


def requirements_script() -> str:
    """The Python heredoc service.Dockerfile runs to turn pyproject.toml into one service's requirements."""
    text = (DOCKER / "service.Dockerfile").read_text()
    match = re.search(r"<<'PY'\n(.*?)\nPY\n", text, re.S)
    assert match, "service.Dockerfile: requirements heredoc not found"
    return match.group(1)


@pytest.mark.parametrize("service", [spec.name for spec in MESH])
def test_service_image_installs_the_kit_and_only_its_own_extra(service: str) -> None:
    result = subprocess.run([sys.executable, "-c", requirements_script(), service], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert result.stdout.splitlines() == project["dependencies"] + project["optional-dependencies"][service]


def test_service_image_refuses_an_unknown_service() -> None:
    result = subprocess.run([sys.executable, "-c", requirements_script(), "vualt"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "vualt" in result.stderr


@pytest.mark.parametrize("dockerfile", sorted(DOCKER.glob("*.Dockerfile")), ids=lambda p: p.name)
def test_final_stage_runs_unprivileged(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    final = text[text.rindex("\nFROM "):]
    users = re.findall(r"^USER (\S+)", final, re.M)
    assert users and not users[-1].startswith(("0", "root")), f"{dockerfile}: final stage runs as root"


def test_service_image_copies_dependencies_before_source() -> None:
    text = (DOCKER / "service.Dockerfile").read_text()
    assert text.index("pip install") < text.index("COPY . .")


@pytest.mark.integration
def test_compose_sets_only_settings_the_services_read(render: Render) -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    deployments = of_kind(render(), "Deployment")
    for spec in MESH:
        env = compose["services"][spec.name]["environment"]
        prefix = f"SHOPMESH_{spec.name.upper()}_"
        names = {k.removeprefix(prefix) for k in env}
        assert all(k.startswith(prefix) for k in env), spec.name
        cls = settings_class(spec)
        if cls is not None:
            fields = {f.upper() for f in cls.model_fields}
            assert names <= fields, f"{spec.name}: {sorted(names - fields)}"
        else:
            fields = {f.upper() for f in kit_settings(spec.name).model_fields}
            assert {n for n in names if not n.endswith("_ADDRESS")} - {"USER_CONTEXT_SIGNING_KEY"} <= fields
        chart = {e["name"].removeprefix(prefix) for e in
                 deployments[spec.name]["spec"]["template"]["spec"]["containers"][0]["env"]
                 if e["name"].startswith(prefix)}
        # One host runs the vault's keys locally, and keeps the console's accounts in its volume; the chart mounts
        # both from Secrets (the accounts only once an operator names theirs).
        local_only = {"CREATE_LOCAL_KEYS", "ACCOUNTS_FILE"}
        assert names - local_only <= chart, f"{spec.name}: compose sets {sorted(names - chart)}"
